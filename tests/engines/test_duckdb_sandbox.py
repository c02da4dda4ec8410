"""User queries run on a DuckDB connection that cannot reach files, the network or settings."""

from __future__ import annotations

import duckdb
import pytest

from kustodian import Workspace
from kustodian.kql import KqlError


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return Workspace.open(":memory:")


def test_external_access_is_disabled_and_locked(ws: Workspace) -> None:
    con = ws.engine.con
    assert con.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()


def test_literals_and_names_never_reach_sql_as_code(ws: Workspace) -> None:
    payload = "'); SELECT * FROM read_csv('/etc/passwd'); --"
    result = ws.query(f'print x = @"{payload}"')
    assert result.rows == [[payload]]
    name = "a\"; ATTACH 'x.db'; --"
    result = ws.query(f"print x = 1 | extend ['{name.replace(chr(39), chr(92) + chr(39))}'] = 2")
    assert result.columns == [("x", "long"), (name, "long")]
    assert result.rows == [[1, 2]]
    result = ws.query('datatable(s:string)["x\\" OR 1=1 --"] | where s == "a"')
    assert result.rows == []


@pytest.mark.parametrize(
    "kql",
    [
        "read_csv('/etc/passwd')",
        "print x = read_csv('/etc/passwd')",
        "print x = glob('*')",
        "table('read_parquet(\\'x\\')')",
    ],
)
def test_sql_functions_are_not_kql_functions(ws: Workspace, kql: str) -> None:
    with pytest.raises(KqlError) as info:
        ws.query(kql)
    assert info.value.diagnostics[0].code.startswith("KQL")


def test_a_huge_range_streams_instead_of_filling_memory() -> None:
    """`range` reads the engine's range table function: `take` stops it early (it used to
    build a list of every value first)."""
    ws = Workspace.open(":memory:")
    r = ws.query("range x from 1 to 3000000000 step 1 | take 3")
    assert r.rows == [[1], [2], [3]]
