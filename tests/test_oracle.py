"""Pins the oracle's calibration answers (spec: kusto-language-oracle.md) and its protocol."""

from __future__ import annotations

import pytest

from tests.oracle import KustoOracle, OracleDiagnostic, OracleError, Tables, entra_tables

TABLES: Tables = {
    "SigninLogs": [
        ("TimeGenerated", "datetime"),
        ("UserPrincipalName", "string"),
        ("ResultType", "string"),
        ("DurationMs", "long"),
        ("LocationDetails", "dynamic"),
    ]
}


def test_unknown_column_is_ks142_at_its_offset(kusto_oracle: KustoOracle) -> None:
    query = "SigninLogs | where Nope == 1"
    result = kusto_oracle.analyze(query, TABLES)
    [diag] = result.diagnostics
    assert (diag.code, diag.severity) == ("KS142", "Error")
    assert (diag.start, diag.length) == (query.index("Nope"), 4)
    assert "'Nope'" in diag.message


def test_assignment_in_where_is_ks141(kusto_oracle: KustoOracle) -> None:
    query = 'SigninLogs | where UserPrincipalName = "x"'
    result = kusto_oracle.analyze(query, TABLES)
    assert result.diagnostics == [
        OracleDiagnostic(
            "KS141", "Error", query.index("User"), 23, "The expression must have the type bool."
        )
    ]


def test_sum_of_string_is_ks138(kusto_oracle: KustoOracle) -> None:
    query = "SigninLogs | summarize sum(UserPrincipalName)"
    result = kusto_oracle.analyze(query, TABLES)
    assert result.codes == ["KS138"]
    assert result.diagnostics[0].start == query.index("UserPrincipalName")


def test_unknown_function_is_ks211(kusto_oracle: KustoOracle) -> None:
    query = "SigninLogs | extend x = nosuchfn(1)"
    result = kusto_oracle.analyze(query, TABLES)
    assert result.codes == ["KS211"]
    assert (result.diagnostics[0].start, result.diagnostics[0].length) == (24, 8)


def test_top_with_two_sort_keys_is_ks198(kusto_oracle: KustoOracle) -> None:
    assert kusto_oracle.analyze("SigninLogs | top 2 by DurationMs, ResultType", TABLES).codes == [
        "KS198"
    ]


def test_string_compared_to_number_is_accepted(kusto_oracle: KustoOracle) -> None:
    result = kusto_oracle.analyze("SigninLogs | where ResultType == 50053", TABLES)
    assert result.diagnostics == []
    assert result.columns == TABLES["SigninLogs"]


def test_join_suffixes_right_side_duplicates(kusto_oracle: KustoOracle) -> None:
    query = "SigninLogs | join (SigninLogs) on UserPrincipalName | project-away LocationDetails*"
    result = kusto_oracle.analyze(query, TABLES)
    assert result.diagnostics == []
    assert result.columns == [
        ("TimeGenerated", "datetime"),
        ("UserPrincipalName", "string"),
        ("ResultType", "string"),
        ("DurationMs", "long"),
        ("TimeGenerated1", "datetime"),
        ("UserPrincipalName1", "string"),
        ("ResultType1", "string"),
        ("DurationMs1", "long"),
    ]


def test_result_column_names_and_types(kusto_oracle: KustoOracle) -> None:
    query = (
        "SigninLogs | summarize percentile(DurationMs, 50), count(), "
        "h = any(hourofday(TimeGenerated)) by UserPrincipalName"
    )
    assert kusto_oracle.analyze(query, TABLES).columns == [
        ("UserPrincipalName", "string"),
        ("percentile_DurationMs_50", "long"),
        ("count_", "long"),
        ("h", "int"),
    ]


def test_make_series_columns_are_dynamic(kusto_oracle: KustoOracle) -> None:
    query = "SigninLogs | make-series n = count() on TimeGenerated step 1h"
    assert kusto_oracle.analyze(query, TABLES).columns == [
        ("n", "dynamic"),
        ("TimeGenerated", "dynamic"),
    ]


def test_canonical_type_names(kusto_oracle: KustoOracle) -> None:
    query = (
        "print 1, int(1), 1.5, decimal(1), true, 'a', now(), 1h, dynamic([1]), "
        "guid(00000000-0000-0000-0000-000000000000)"
    )
    result = kusto_oracle.analyze(query)
    assert result.columns is not None
    assert [t for _, t in result.columns] == [
        "long", "int", "real", "decimal", "bool", "string", "datetime", "timespan", "dynamic", "guid"
    ]  # fmt: skip


def test_scalar_result_has_no_columns(kusto_oracle: KustoOracle) -> None:
    assert kusto_oracle.analyze("1 + 1") == kusto_oracle.analyze("let x = 1;")
    assert kusto_oracle.analyze("1 + 1").columns is None


def test_warnings_only_on_request(kusto_oracle: KustoOracle) -> None:
    query = "cluster('other').database('db').SigninLogs | take 1"
    assert kusto_oracle.analyze(query, TABLES).diagnostics == []
    [diag] = kusto_oracle.analyze(query, TABLES, all_severities=True).diagnostics
    assert (diag.code, diag.severity) == ("KS207", "Warning")
    assert query[diag.start : diag.start + diag.length] == "'other'"


def test_offsets_count_code_points(kusto_oracle: KustoOracle) -> None:
    query = 'print "😀😀", nope'
    [diag] = kusto_oracle.analyze(query).diagnostics
    assert query[diag.start : diag.start + diag.length] == "nope"


def test_bad_request_is_an_error_not_a_crash(kusto_oracle: KustoOracle) -> None:
    with pytest.raises(OracleError, match="unknown type 'nope'"):
        kusto_oracle.analyze("T", {"T": [("a", "nope")]})
    assert kusto_oracle.analyze("print x = 1").columns == [("x", "long")]


def test_entra_schema_binds(kusto_oracle: KustoOracle) -> None:
    tables = entra_tables()
    assert {"SigninLogs", "AuditLogs"} <= tables.keys()
    query = (
        "SigninLogs | where ResultType != '0' "
        "| summarize failures = count() by UserPrincipalName, bin(TimeGenerated, 1h)"
    )
    result = kusto_oracle.analyze(query, tables)
    assert result.diagnostics == []
    assert result.columns == [
        ("UserPrincipalName", "string"),
        ("TimeGenerated", "datetime"),
        ("failures", "long"),
    ]
