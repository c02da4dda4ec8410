"""The same plans generate Spark SQL: every golden case that runs on DuckDB either generates
Spark SQL that sqlglot's Spark parser reads back, or reports KQL3002 (no Spark translation of
an operation) — never wrong SQL or a crash."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import sqlglot

from kustodian.kql import KqlError, compile

from .casefile import load_cases

NOW = datetime(2026, 11, 30, tzinfo=UTC)
# golden cases whose Spark SQL generates (of 412 that run on DuckDB without bag_unpack; 263
# before the ip family and the URL, path, CSV and base64 string templates)
FLOOR = 300


def parses_as_spark(sql: str) -> None:
    """Raise unless sqlglot's Spark parser reads the SQL (nested array lambdas go deep)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        sqlglot.parse_one(sql, read="spark")
    finally:
        sys.setrecursionlimit(limit)


def test_golden_cases_generate_spark_sql() -> None:
    generated, missing = 0, 0
    for case in load_cases():
        if case.error is not None or "bag_unpack" in case.query:
            continue
        try:
            sql = compile(case.query, now=NOW, dialect="spark").sql
        except KqlError as e:
            assert [d.code for d in e.diagnostics] == ["KQL3002"], f"{case.id}: {e.render()}"
            missing += 1
            continue
        parses_as_spark(sql)
        generated += 1
    print(f"\nSpark SQL generated for {generated} golden cases; {missing} need a translation")
    assert generated >= FLOOR


def test_python_functions_say_why_they_have_no_spark_sql() -> None:
    try:
        compile("print h = geo_point_to_h3cell(-73.98, 40.75, 6)", dialect="spark")
    except KqlError as e:
        d = e.diagnostics[0]
        assert d.code == "KQL3002" and "Python function" in d.message, d.message
    else:
        raise AssertionError("geo_point_to_h3cell() generated Spark SQL")


def test_admin_query_in_spark_sql() -> None:
    sql = compile(
        'SigninLogs | where ResultType == "50053" | summarize n = count() by bin(TimeGenerated, 1h)',
        now=NOW,
        dialect="spark",
    ).sql
    assert (
        "div(" in sql and "timestamp_micros" in sql and "JSON" not in sql.upper().split("FROM")[0]
    )
