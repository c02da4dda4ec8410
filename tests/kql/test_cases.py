"""Runs every golden case in tests/kql/cases on DuckDB, and checks that it also generates
Spark SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kustodian import Workspace
from kustodian.kql import KqlError

from .casefile import Case, load_cases, rows_equal

NOW = datetime(2026, 11, 30, tzinfo=UTC)
CASES = load_cases()


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return Workspace.open(":memory:")


def test_there_are_cases() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(ws: Workspace, case: Case) -> None:
    if case.error is not None:
        with pytest.raises(KqlError) as info:
            ws.query(case.query, now=NOW)
        codes = [d.code for d in info.value.diagnostics] + [
            d.ks_code for d in info.value.diagnostics
        ]
        assert case.error in codes, info.value.render()
        return
    try:
        result = ws.query(case.query, now=NOW)
    except KqlError as e:
        pytest.fail(f"{case.file}:{case.line}\n{e.render()}")
    assert result.columns == case.columns, f"{case.file}:{case.line}"
    assert case.rows is not None
    assert rows_equal(case.rows, result.rows, case.unordered), (
        f"{case.file}:{case.line}\nexpected {case.rows}\nactual   {result.rows}"
    )
