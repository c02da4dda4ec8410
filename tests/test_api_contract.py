"""The Python contract (docs/architecture.md, "Public contracts"): Workspace, QueryResult,
`kustodian.kql.compile` and KqlError."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot

import kustodian
from kustodian import QueryResult, Workspace
from kustodian.kql import CompiledQuery, Diagnostic, KqlError, compile
from kustodian.kql.diagnostics import Span
from kustodian.kql.types import KType

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NOW_NS = 1_714_564_800 * 10**9


@pytest.fixture(scope="module")
def ws() -> Workspace:
    w = Workspace.open(":memory:")
    for minutes, upn in ((10, "recent"), (90, "earlier"), (60 * 24 * 3, "old")):
        w.engine.execute(
            "INSERT INTO SigninLogs (TimeGenerated, UserPrincipalName, ResultType) VALUES (?, ?, ?)",
            [NOW - timedelta(minutes=minutes), f"{upn}@contoso.com", "0"],
        )
    return w


def users(result: QueryResult) -> list[str]:
    return sorted(r[0] for r in result.rows)


# --- Workspace ----------------------------------------------------------------------------------


def test_package_exports() -> None:
    assert kustodian.Workspace is Workspace and kustodian.QueryResult is QueryResult
    assert set(kustodian.__all__) >= {"Workspace", "QueryResult"}


def test_memory_workspace_has_the_entra_tables_empty() -> None:
    with Workspace.open(":memory:") as w:
        assert {"SigninLogs", "AADNonInteractiveUserSignInLogs", "AuditLogs"} <= set(
            w.catalog.names()
        )
        for table in ("SigninLogs", "AADNonInteractiveUserSignInLogs", "AuditLogs"):
            assert w.query(f"{table} | count").rows == [[0]]
        cols = dict(w.query("SigninLogs | take 0").columns)
        assert cols["TimeGenerated"] == "datetime" and cols["Status"] == "dynamic"
        assert cols["ResultType"] == "string" and cols["DurationMs"] == "long"


def test_memory_workspaces_are_independent(ws: Workspace) -> None:
    with Workspace.open(":memory:") as other:
        assert other.query("SigninLogs | count").rows == [[0]]
    assert ws.query("SigninLogs | count").rows == [[3]]


@pytest.mark.parametrize("as_text", [False, True], ids=["Path", "str"])
def test_directory_workspace_persists_across_reopen(tmp_path: Path, as_text: bool) -> None:
    path = tmp_path / "new" / "ws"
    where = str(path) if as_text else path
    with Workspace.open(where) as w:
        assert path.is_dir()
        w.engine.execute(
            "INSERT INTO AuditLogs (TimeGenerated, OperationName, InitiatedBy) VALUES (?, ?, ?)",
            [NOW, "Add user", '{"user":{"userPrincipalName":"admin@contoso.com"}}'],
        )
    with Workspace.open(where) as w:
        result = w.query(
            "AuditLogs | project OperationName, By = tostring(InitiatedBy.user.userPrincipalName)"
        )
        assert result.rows == [["Add user", "admin@contoso.com"]]


# --- query: now and timespan ----------------------------------------------------------------


def test_now_pins_now_and_ago(ws: Workspace) -> None:
    result = ws.query("print now(), ago(1d), n = now() - ago(90m)", now=NOW)
    assert result.rows == [["2024-05-01T12:00:00Z", "2024-04-30T12:00:00Z", "01:30:00"]]


def test_naive_now_is_utc(ws: Workspace) -> None:
    assert ws.query("print now()", now=datetime(2024, 5, 1, 12)).rows == [["2024-05-01T12:00:00Z"]]


def test_now_defaults_to_the_current_time(ws: Workspace) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    (got,) = ws.query("print now()").rows[0]
    assert before <= datetime.fromisoformat(got.replace("Z", "+00:00")) <= datetime.now(UTC)


def test_timespan_as_timedelta_ends_at_now(ws: Workspace) -> None:
    query = "SigninLogs | project UserPrincipalName"
    assert users(ws.query(query, now=NOW, timespan=timedelta(hours=1))) == ["recent@contoso.com"]
    assert users(ws.query(query, now=NOW, timespan=timedelta(hours=2))) == [
        "earlier@contoso.com",
        "recent@contoso.com",
    ]
    assert len(ws.query(query, now=NOW).rows) == 3  # no timespan: no restriction


def test_timespan_as_start_end(ws: Workspace) -> None:
    query = "SigninLogs | project UserPrincipalName"
    span = (NOW - timedelta(days=4), NOW - timedelta(days=1))
    assert users(ws.query(query, now=NOW, timespan=span)) == ["old@contoso.com"]
    naive = (datetime(2024, 5, 1, 10), datetime(2024, 5, 1, 11))  # naive: UTC
    assert users(ws.query(query, now=NOW, timespan=naive)) == ["earlier@contoso.com"]


def test_timespan_and_the_query_own_filter_both_apply(ws: Workspace) -> None:
    query = "SigninLogs | where TimeGenerated < ago(1h) | project UserPrincipalName"
    result = ws.query(query, now=NOW, timespan=timedelta(days=1))
    assert users(result) == ["earlier@contoso.com"]


# --- result encodings -------------------------------------------------------------------------

EVERY_TYPE = (
    "print b = true, i = toint(5), l = 5, r = 1.5, d = todecimal(1.25), s = 'x', "
    "dt = datetime(2020-01-01 23:59:59.9999999), ts = 1d + 2h + 3m + 4.5s, "
    "g = guid(74BE27DE-1E4E-49D9-B579-FE0B331D3642), "
    'dyn = dynamic({"a": [1, "x", null, true], "b": {"c": 1.5}})'
)


def test_every_kusto_type_is_encoded_as_the_api_encodes_it(ws: Workspace) -> None:
    result = ws.query(EVERY_TYPE)
    assert result.columns == [
        ("b", "bool"),
        ("i", "int"),
        ("l", "long"),
        ("r", "real"),
        ("d", "decimal"),
        ("s", "string"),
        ("dt", "datetime"),
        ("ts", "timespan"),
        ("g", "guid"),
        ("dyn", "dynamic"),
    ]
    assert result.rows == [
        [
            True,
            5,
            5,
            1.5,
            "1.25",
            "x",
            "2020-01-01T23:59:59.9999999Z",
            "1.02:03:04.5000000",
            "74be27de-1e4e-49d9-b579-fe0b331d3642",
            {"a": [1, "x", None, True], "b": {"c": 1.5}},
        ]
    ]
    row = result.rows[0]
    assert [type(v) for v in row[:6]] == [bool, int, int, float, str, str]


def test_nulls_of_every_type(ws: Workspace) -> None:
    result = ws.query(
        "print i = int(null), l = long(null), r = real(null), b = bool(null), "
        "d = decimal(null), dt = datetime(null), ts = timespan(null), g = guid(null), "
        "dyn = dynamic(null), s = ''"
    )
    assert result.rows == [[None] * 9 + [""]]


def test_strings_are_never_null(ws: Workspace) -> None:
    result = ws.query("SigninLogs | where UserPrincipalName startswith 'recent' | project AppId")
    assert result.rows == [[""]]  # the column was never set


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("datetime(2020-01-01)", "2020-01-01T00:00:00Z"),
        ("datetime(2020-01-01 00:00:00.1)", "2020-01-01T00:00:00.1Z"),
        ("datetime(2024-02-29T13:14:15.0000001Z)", "2024-02-29T13:14:15.0000001Z"),
        ("datetime(2020-01-01) + 1d - 1tick", "2020-01-01T23:59:59.9999999Z"),
    ],
)
def test_datetime_text_keeps_ticks_and_trims_zeros(ws: Workspace, expr: str, text: str) -> None:
    assert ws.query(f"print v = {expr}").rows == [[text]]


def test_datetime_from_a_table_keeps_100ns_ticks() -> None:
    with Workspace.open(":memory:") as w:
        w.engine.execute(
            "INSERT INTO SigninLogs (TimeGenerated) VALUES (TIMESTAMP_NS '2024-01-01 00:00:00.1234567')"
        )
        assert w.query("SigninLogs | project TimeGenerated").rows == [
            ["2024-01-01T00:00:00.1234567Z"]
        ]


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("5m", "00:05:00"),
        ("90m", "01:30:00"),
        ("100d", "100.00:00:00"),
        ("1tick", "00:00:00.0000001"),
        ("0s", "00:00:00"),
        ("-1d", "-1.00:00:00"),
        ("-(1d + 1tick)", "-1.00:00:00.0000001"),
        ("time(1.02:03:04.5)", "1.02:03:04.5000000"),
        ("datetime(2020-01-02 06:00) - datetime(2020-01-01)", "1.06:00:00"),
    ],
)
def test_timespan_text_is_dotnet_c_format(ws: Workspace, expr: str, text: str) -> None:
    assert ws.query(f"print v = {expr}").rows == [[text]]


def test_real_keeps_nan_and_infinity(ws: Workspace) -> None:
    ((nan, inf, neg),) = ws.query("print real(nan), real(+inf), real(-inf)").rows
    assert math.isnan(nan) and inf == math.inf and neg == -math.inf


def test_decimal_is_exact_text(ws: Workspace) -> None:
    result = ws.query(
        "print a = todecimal(0.1) + todecimal(0.2), b = todecimal(-3), "
        "c = todecimal('123456789.000000001')"
    )
    assert result.rows == [["0.3", "-3", "123456789.000000001"]]


def test_dynamic_scalars_and_empty_values(ws: Workspace) -> None:
    result = ws.query(
        "print a = dynamic(1), b = dynamic('s'), c = dynamic([]), d = dynamic({}), "
        "e = parse_json('{\"x\": 1.5}').x"
    )
    assert result.rows == [[1, "s", [], {}, 1.5]]
    assert [t for _, t in result.columns] == ["dynamic"] * 5


def test_long_literal_arithmetic_does_not_overflow_at_32_bits(ws: Workspace) -> None:
    result = ws.query("print a = 2147483647 + 1, b = 100000 * 100000")
    assert result.rows == [[2147483648, 10000000000]]


def test_to_arrow_types_long_literals_as_int64(ws: Workspace) -> None:
    assert ws.query("print x = 1").to_arrow().schema.field("x").type == pa.int64()


# --- render, tables, to_arrow ----------------------------------------------------------------


def test_render_is_none_or_a_dict(ws: Workspace) -> None:
    assert ws.query("print x = 1").render is None
    result = ws.query(
        "range x from 1 to 3 step 1 | extend y = x * 2 "
        '| render timechart with (title="T", ytitle="Y", xtitle="X")'
    )
    assert result.render == {
        "visualization": "timechart",
        "title": "T",
        "ytitle": "Y",
        "xtitle": "X",
    }
    assert result.rows == [[1, 2], [2, 4], [3, 6]]


def test_further_tabular_statements_are_in_tables(ws: Workspace) -> None:
    result = ws.query("print a = 1; print b = 'two'")
    assert (result.columns, result.rows) == ([("a", "long")], [[1]])
    assert [(t.columns, t.rows) for t in result.tables] == [([("b", "string")], [["two"]])]


def test_to_arrow_uses_the_kusto_names(ws: Workspace) -> None:
    table = ws.query("print x = 1 | extend a = 1, A = 2").to_arrow()
    assert isinstance(table, pa.Table)
    assert table.column_names == ["x", "a", "A"]
    assert table.to_pylist() == [{"x": 1, "a": 1, "A": 2}]


def test_to_arrow_keeps_names_sql_would_mangle(ws: Workspace) -> None:
    table = ws.query("print ['Single-factor Auth.'] = 1, ['a b'] = 'x', count_ = 2").to_arrow()
    assert table.column_names == ["Single-factor Auth.", "a b", "count_"]


def test_to_arrow_types(ws: Workspace) -> None:
    table = ws.query(
        "SigninLogs | where UserPrincipalName startswith 'recent' "
        "| project TimeGenerated, UserPrincipalName, n = strlen(UserPrincipalName), ok = true"
    ).to_arrow()
    assert table.schema.field("TimeGenerated").type == pa.timestamp("ns")
    assert table.schema.field("UserPrincipalName").type == pa.string()
    assert table.schema.field("ok").type == pa.bool_()
    assert table.column("n").to_pylist() == [len("recent@contoso.com")]
    assert table.column("TimeGenerated").cast(pa.int64()).to_pylist() == [NOW_NS - 600 * 10**9]


# Column names Kusto gives unnamed expressions (checked with Microsoft's parser, tests/oracle.py).


def test_unnamed_columns_are_named_as_kusto_names_them(ws: Workspace) -> None:
    result = ws.query("print x = 1 | extend x + 1, strlen('ab'), Status = 3 | summarize sum(x)")
    assert result.columns == [("sum_x", "long")]
    result = ws.query("print x = 'a' | extend isempty(x), strlen(x)")
    assert result.columns == [("x", "string"), ("Column1", "bool"), ("strlen_x", "long")]
    assert result.rows == [["a", False, 1]]


def test_project_numbers_unnamed_columns_from_1(ws: Workspace) -> None:
    # Kusto counts only the unnamed columns: Column1, Column2 (not by position)
    result = ws.query(
        "SigninLogs | where UserPrincipalName startswith 'recent' "
        "| project UserPrincipalName, strcat(UserPrincipalName, '/', ResultType), "
        "datetime_diff('minute', now(), TimeGenerated)",
        now=NOW,
    )
    assert result.columns == [
        ("UserPrincipalName", "string"),
        ("Column1", "string"),
        ("Column2", "long"),
    ]
    assert result.rows == [["recent@contoso.com", "recent@contoso.com/0", 10]]


def test_project_suffixes_repeated_derived_names(ws: Workspace) -> None:
    # Kusto: TimeGenerated1, Status_errorCode1 (not an error)
    result = ws.query(
        "SigninLogs | where UserPrincipalName startswith 'recent' "
        "| project TimeGenerated, bin(TimeGenerated, 1h)",
        now=NOW,
    )
    assert result.columns == [("TimeGenerated", "datetime"), ("TimeGenerated1", "datetime")]
    assert result.rows == [["2024-05-01T11:50:00Z", "2024-05-01T11:00:00Z"]]
    result = ws.query(
        "SigninLogs | take 1 | project tostring(Status.errorCode), toint(Status.errorCode)"
    )
    assert result.columns == [("Status_errorCode", "string"), ("Status_errorCode1", "int")]


# --- compile ----------------------------------------------------------------------------------

SUMMARY = "SigninLogs | where TimeGenerated > ago(1h) | summarize n = count() by UserPrincipalName"


def test_compile_returns_sql_params_and_columns(ws: Workspace) -> None:
    c = compile(SUMMARY, now=NOW)
    assert isinstance(c, CompiledQuery)
    assert 'FROM "SigninLogs"' in c.sql and "COUNT(*)" in c.sql
    # the instant is written into the SQL (so DuckDB prunes by time), unless asked to keep it
    # a parameter for SQL reused across instants
    assert c.params == {} and str(NOW_NS) in c.sql
    reusable = compile(SUMMARY, now=NOW, inline_now=False)
    assert reusable.params == {"kql_now": NOW_NS} and str(NOW_NS) not in reusable.sql
    assert ws.engine.execute(reusable.sql, reusable.params).fetchall() == [
        ("recent@contoso.com", 1)
    ]
    assert c.columns == [("UserPrincipalName", KType.STRING), ("n", KType.LONG)]
    assert [(n, t.value) for n, t in c.columns] == [("UserPrincipalName", "string"), ("n", "long")]
    assert c.render is None
    # the SQL with its params is the query
    assert ws.engine.execute(c.sql, c.params).fetchall() == [("recent@contoso.com", 1)]


def test_compile_without_now_has_no_params() -> None:
    assert compile("print x = 1").params == {}


def test_string_literals_cannot_break_out_of_the_sql(ws: Workspace) -> None:
    evil = 'SigninLogs | where UserPrincipalName == "x\'; DROP TABLE SigninLogs; --"'
    tree = sqlglot.parse_one(compile(evil).sql, read="duckdb")
    assert tree.find(sqlglot.exp.Drop) is None
    assert ws.query(evil).rows == []
    assert ws.query("SigninLogs | count").rows == [[3]]


def test_compile_render() -> None:
    c = compile('print x = 1 | render barchart with (title="B")')
    assert c.render == {"visualization": "barchart", "title": "B"}
    assert c.columns == [("x", KType.LONG)]


def test_compile_spark() -> None:
    duck = compile(SUMMARY, now=NOW)
    spark = compile(SUMMARY, now=NOW, dialect="spark")
    assert (duck.dialect, spark.dialect) == ("duckdb", "spark")
    assert "FROM `SigninLogs`" in spark.sql and spark.sql != duck.sql
    assert spark.columns == duck.columns
    assert spark.params == {} and str(NOW_NS) in spark.sql
    assert sqlglot.parse_one(spark.sql, read="spark").find(sqlglot.exp.Select) is not None


def test_compile_raises_kql_error() -> None:
    with pytest.raises(KqlError) as info:
        compile("SigninLogs | where Nope == 1", dialect="spark")
    assert [d.code for d in info.value.diagnostics] == ["KQL2001"]


# --- KqlError and diagnostics -----------------------------------------------------------------

TYPO = 'SigninLogs | where UserPrincipleName == "a"'


def test_kql_error_diagnostic_fields(ws: Workspace) -> None:
    with pytest.raises(KqlError) as info:
        ws.query(TYPO)
    (d,) = info.value.diagnostics
    assert isinstance(d, Diagnostic)
    assert d.code == "KQL2001" and d.ks_code == "KS142"
    assert d.message == "unknown column 'UserPrincipleName'"
    assert d.span == Span(19, 36) and TYPO[d.span.start : d.span.end] == "UserPrincipleName"
    assert d.hint == (
        "did you mean 'UserPrincipalName' or 'ServicePrincipalName' or 'UserDisplayName'?"
    )
    assert d.line_col(TYPO) == (1, 20)
    assert str(info.value) == "unknown column 'UserPrincipleName'"


def test_kql_error_render_draws_the_caret(ws: Workspace) -> None:
    with pytest.raises(KqlError) as info:
        ws.query(TYPO)
    expected = "\n".join(
        [
            "error[KQL2001]: unknown column 'UserPrincipleName'",
            " --> query:1:20",
            '1 | SigninLogs | where UserPrincipleName == "a"',
            "  |                    ^^^^^^^^^^^^^^^^^",
            "  = help: did you mean 'UserPrincipalName' or 'ServicePrincipalName' or "
            "'UserDisplayName'?",
        ]
    )
    assert info.value.render() == expected
    assert info.value.diagnostics[0].render(TYPO) == expected


def test_diagnostic_on_a_later_line_renders_that_line() -> None:
    query = "SigninLogs\n| where ResultType == 0\n| where Nope > 1"
    with pytest.raises(KqlError) as info:
        compile(query)
    lines = info.value.render().splitlines()
    assert lines[1:4] == [" --> query:3:9", "3 | | where Nope > 1", "  |         ^^^^"]


def test_syntax_error_diagnostic() -> None:
    with pytest.raises(KqlError) as info:
        compile("print x = (1 + 2")
    d = info.value.diagnostics[0]
    assert (d.code, d.ks_code, d.span) == ("KQL1002", "KS007", Span(16, 16))
    assert info.value.render().splitlines()[3] == "  |                 ^"


def test_where_with_single_equals_has_a_hint() -> None:
    with pytest.raises(KqlError) as info:
        compile('SigninLogs | where ResultType = "0"')
    d = info.value.diagnostics[0]
    assert (d.code, d.ks_code) == ("KQL2006", "KS141")
    assert d.hint == "to compare values use '==' (a single '=' names a column)"


def test_duplicate_column_ks_code_is_kusto_s() -> None:
    with pytest.raises(KqlError) as info:
        compile("print x = 1 | project a = 1, a = 2")
    d = info.value.diagnostics[0]
    assert (d.code, d.ks_code) == ("KQL2007", "KS171")
