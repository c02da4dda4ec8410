"""The guard before execution: only one SELECT over the catalog's tables ever runs (guard.py).

The compiler never produces the SQL below; these cases stand for a compiler bug, which the guard
must turn into KQL4004 before DuckDB sees the statement."""

from __future__ import annotations

import pytest

from kustodian import Workspace
from kustodian.kql import KqlError
from kustodian.kql.compiler import CompiledQuery
from kustodian.kql.types import KType


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return Workspace.open(":memory:")


REFUSED = {
    "two statements": ("SELECT 1; DELETE FROM SigninLogs", "2 statements"),
    "delete": ("DELETE FROM SigninLogs", "of type DELETE"),
    "insert": ("INSERT INTO AuditLogs (Id) VALUES ('x')", "of type INSERT"),
    "create": ("CREATE TABLE t AS SELECT 1", "of type CREATE"),
    "drop": ("DROP TABLE SigninLogs", "of type DROP"),
    "update": ("UPDATE SigninLogs SET Id = 'x'", "of type UPDATE"),
    "alter": ("ALTER TABLE SigninLogs ADD COLUMN q INT", "of type ALTER"),
    "attach": ("ATTACH ':memory:' AS m", "of type ATTACH"),
    "detach": ("DETACH memory", "of type DETACH"),
    "copy": ("COPY SigninLogs TO 'x.csv'", "of type COPY"),
    "export": ("EXPORT DATABASE 'x'", "of type EXPORT"),
    "pragma": ("PRAGMA database_list", "of type PRAGMA"),
    "set": ("SET memory_limit = '1TB'", "of type SET"),
    "call": ("CALL checkpoint()", "of type CALL"),
    "load": ("LOAD httpfs", "of type LOAD"),
    "internal table": ("SELECT * FROM _kustodian.tokens", "the table '_kustodian.tokens'"),
    "internal table in a subquery": (
        "SELECT (SELECT count(*) FROM _kustodian.secrets) AS n",
        "the table '_kustodian.secrets'",
    ),
    "information schema": (
        "SELECT * FROM information_schema.tables",
        "the table 'information_schema.tables'",
    ),
    "unknown table": ("SELECT * FROM sqlite_master", "the table 'sqlite_master'"),
    "reader": ("SELECT * FROM read_csv('/etc/passwd')", "the table function 'read_csv'"),
    "replacement scan": ("SELECT * FROM '/etc/passwd'", "the table '/etc/passwd'"),
    "glob": ("SELECT * FROM glob('*')", "the table function 'glob'"),
    "metadata": ("SELECT * FROM duckdb_settings()", "the table function 'duckdb_settings'"),
    "checkpoint": ("SELECT * FROM checkpoint()", "the table function 'checkpoint'"),
    "setting": ("SELECT current_setting('temp_directory')", "the function 'current_setting'"),
    "metadata scalar": ("SELECT duckdb_api()", "the function 'duckdb_api'"),
}


@pytest.mark.parametrize("sql, why", REFUSED.values(), ids=list(REFUSED))
def test_the_guard_refuses_anything_but_a_select_over_the_catalog(
    ws: Workspace, sql: str, why: str
) -> None:
    count = ws.execute("SELECT count(*) FROM SigninLogs").fetchone()
    with pytest.raises(KqlError) as info:
        ws.engine.run(CompiledQuery(sql, {}, []))
    d = info.value.diagnostics[0]
    assert d.code == "KQL4004"
    assert why in d.message
    assert "bug" in (d.hint or "")
    assert ws.execute("SELECT count(*) FROM SigninLogs").fetchone() == count


ALLOWED = [
    "SELECT * FROM SigninLogs",
    'WITH "_t1" AS (SELECT * FROM "AuditLogs") SELECT * FROM "_t1"',
    "SELECT 1 AS a UNION ALL SELECT 2",
    "SELECT r.i FROM range(0, 3) AS r(i)",
    "SELECT unnest([1, 2])",
    "SELECT * FROM main.SigninLogs",
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_the_guard_lets_the_compilers_shapes_through(ws: Workspace, sql: str) -> None:
    ws.engine.check(sql)


def test_every_compiled_query_is_checked(ws: Workspace) -> None:
    """A query whose SQL the guard refuses never runs: `run` checks before executing."""
    with pytest.raises(KqlError) as info:
        ws.engine.run(CompiledQuery("SELECT 1; CREATE TABLE leaked(a INT)", {}, []))
    assert info.value.diagnostics[0].code == "KQL4004"
    assert ws.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'leaked'"
    ).fetchone() == (0,)


def test_bag_unpack_probes_are_checked_too(ws: Workspace) -> None:
    """bag_unpack looks at the data while compiling (Workspace._run_trusted): through the guard."""
    r = ws.query('print d = dynamic({"k": 1}) | evaluate bag_unpack(d)')
    assert r.rows == [[1]]
    with pytest.raises(KqlError) as info:
        ws._run_trusted("SELECT * FROM _kustodian.secrets", {})
    assert info.value.diagnostics[0].code == "KQL4004"


@pytest.mark.parametrize("op", ["read_csv('x'); --", "x(1) FROM t; DROP TABLE t; SELECT y", "A B"])
def test_an_operation_name_is_never_spliced_unless_it_is_a_plain_name(op: str) -> None:
    """The generator writes a `KqlFn` without a template as `name(args)`: a name that is not a
    plain SQL name is refused (KQL3002) instead of becoming SQL text."""
    from sqlglot import exp

    from kustodian.kql.generate import generate
    from kustodian.kql.sqlnodes import fn, lit

    with pytest.raises(KqlError) as info:
        generate(exp.select(fn(op, lit(1))))
    assert info.value.diagnostics[0].code == "KQL3002"
    assert generate(exp.select(fn("abs", lit(-1)))) == "SELECT abs(-1)"


def test_the_bag_unpack_probe_is_cancelled_and_bounded() -> None:
    """The probe runs while compiling: it is cancelled with the query's time limit (KQL4002, not
    DuckDB's InterruptException) and reads at most one key more than bag_unpack may make."""
    ws = Workspace.open(":memory:")
    endless = (
        "range x from 1 to 1000000000000 step 1 | where x < 0 "
        "| extend d = bag_pack(tostring(x), 1) | evaluate bag_unpack(d)"
    )
    with pytest.raises(KqlError) as info:
        ws.query(endless, timeout=0.5)
    assert info.value.diagnostics[0].code == "KQL4002"
    wide = "range x from 1 to 20000 step 1 | extend d = bag_pack(tostring(x), 1) | evaluate bag_unpack(d)"
    with pytest.raises(KqlError) as info:
        ws.query(wide)
    assert info.value.diagnostics[0].code == "KQL2009"
    assert "10,000 columns" in info.value.diagnostics[0].message
    assert ws.query("print x = 1").rows == [[1]]


def test_a_checked_sql_text_is_remembered_only_for_the_same_tables() -> None:
    """The guard remembers texts that passed (alert rules run the same SQL every tick), keyed
    by the tables a query may read: a text refused once is refused again, and a text that
    passed is checked again, and refused, when its table is no longer in the catalog."""
    ws = Workspace.open(":memory:")
    ws.create_custom_table("Gone_CL", [("x", KType.LONG)])
    sql = 'SELECT * FROM "Gone_CL"'
    ws.engine.check(sql)
    ws.engine.check(sql)
    for _ in range(2):
        with pytest.raises(KqlError) as info:
            ws.engine.check("SELECT * FROM _kustodian.secrets")
        assert info.value.diagnostics[0].code == "KQL4004"
    del ws.catalog.tables["Gone_CL"]
    with pytest.raises(KqlError) as info:
        ws.engine.check(sql)
    assert "the table 'Gone_CL'" in info.value.diagnostics[0].message
