"""The Sentinel identity queries that compile for DuckDB also generate Spark SQL, except those
using operations that Spark SQL cannot express (KQL3002); the SQL parses as Spark's."""

from __future__ import annotations

import pytest

from kustodian import Workspace
from kustodian.kql import KqlError
from kustodian.kql.compiler import compile_all

from ..kql.test_spark_generation import parses_as_spark
from .corpus import NOW, load_queries, substitute

QUERIES = [q for q in load_queries() if q["identity_only"]]
# of the 108 that compile for DuckDB (78 before the Spark translations of the families)
FLOOR = 102


@pytest.mark.skipif(not QUERIES, reason="shared/sentinel-identity-queries not found")
def test_sentinel_queries_generate_spark_sql(capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.open(":memory:")
    compiled, generated, missing = 0, 0, []
    for q in QUERIES:
        text = substitute(str(q["query"]))
        try:
            ws.compile(text, now=NOW)
        except KqlError:
            continue
        compiled += 1
        try:
            for c in compile_all(
                text, catalog=ws.catalog, dialect="spark", now=NOW, run_sql=ws._run_trusted
            ):
                parses_as_spark(c.sql)
        except KqlError as e:
            assert [d.code for d in e.diagnostics] == ["KQL3002"], e.render()
            missing.append(f"{q['name']}: {e.diagnostics[0].message}")
            continue
        generated += 1
    with capsys.disabled():
        print(f"\nSentinel identity queries in Spark SQL: {generated}/{compiled} (floor {FLOOR})")
    assert generated >= FLOOR, "\n".join(missing)
