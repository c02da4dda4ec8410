"""The `kustodian query` command-line contract.

Most cases call the command's `main()` in-process (an uncaught exception, which would print a
traceback, fails the test); the process-level contract (exit status, standard input, the
environment, stderr free of tracebacks) is also checked in real subprocesses.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from kustodian import Workspace
from kustodian.cli.main import main

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NOW_ISO = "2024-05-01T12:00:00Z"
# sign-ins this many minutes before NOW, one user each: u10, u90, u4320 (3 days), u14400 (10 days)
MINUTES = (10, 90, 60 * 24 * 3, 60 * 24 * 10)
USERS = "SigninLogs | project UserPrincipalName"
TYPO = 'SigninLogs | where UserPrincipleName == "a"'
TYPO_STDERR = [
    "error[KQL2001]: unknown column 'UserPrincipleName'",
    " --> query:1:20",
    '1 | SigninLogs | where UserPrincipleName == "a"',
    "  |                    ^^^^^^^^^^^^^^^^^",
    "  = help: did you mean 'UserPrincipalName' or 'ServicePrincipalName' or 'UserDisplayName'?",
]


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Kq = Callable[..., Run]


@pytest.fixture
def kq(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Kq:
    """`kq(*args, stdin=...)` runs `kustodian query *args` in-process."""
    monkeypatch.delenv("KUSTODIAN_WORKSPACE", raising=False)

    def run(*args: str, stdin: str | None = None) -> Run:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            code = main(["query", *args])
        except SystemExit as e:  # argparse usage errors
            code = e.code if isinstance(e.code, int) else 1
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def spawn(runs: Sequence[tuple[Sequence[str], str | None, dict[str, str]]]) -> list[Run]:
    """Run `kustodian query` in subprocesses, all at once: (args, stdin, extra env) each."""
    base = {k: v for k, v in os.environ.items() if k != "KUSTODIAN_WORKSPACE"}
    procs = [
        (
            subprocess.Popen(
                [sys.executable, "-m", "kustodian.cli.main", "query", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**base, **env},
            ),
            stdin,
        )
        for args, stdin, env in runs
    ]
    out = []
    for p, stdin in procs:
        stdout, stderr = p.communicate(stdin or "", timeout=300)
        out.append(Run(p.returncode, stdout, stderr))
    return out


def rows(stdout: str) -> list[list[Any]]:
    result: list[list[Any]] = json.loads(stdout)["tables"][0]["rows"]
    return result


def upns(stdout: str) -> list[str]:
    return sorted(r[0] for r in rows(stdout))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws")
    with Workspace.open(path) as ws:
        for m in MINUTES:
            ws.engine.execute(
                "INSERT INTO SigninLogs (TimeGenerated, UserPrincipalName, ResultType, "
                "AppDisplayName) VALUES (?, ?, ?, ?)",
                [NOW - timedelta(minutes=m), f"u{m}@contoso.com", "0", "Azure Portal"],
            )
    return path


# --- the process --------------------------------------------------------------------------------


def test_process_exit_status_stdin_environment_and_errors(workspace: Path) -> None:
    ok, typo, piped, from_env, bad_now, bad_syntax = spawn(
        [
            (["--format", "json", "print x = 1"], None, {}),
            ([TYPO], None, {}),
            (["--format", "csv", "--now", NOW_ISO, "-"], "print t = now()\n| extend n = 1", {}),
            (["--format", "json", "SigninLogs | count"], None, {"KUSTODIAN_WORKSPACE": str(workspace)}),
            (["--now", "yesterday", "print 1"], None, {}),
            (['print s = "unterminated'], None, {}),
        ]
    )  # fmt: skip
    assert (ok.code, ok.err, rows(ok.out)) == (0, "", [[1]])
    assert (typo.code, typo.out, typo.err.splitlines()) == (2, "", TYPO_STDERR)
    assert (piped.code, piped.out.splitlines()) == (0, ["t,n", "2024-05-01T12:00:00Z,1"])
    assert (from_env.code, rows(from_env.out)) == (0, [[4]])
    assert bad_now.code == 2 and bad_now.err.startswith("error: --now:")
    assert bad_syntax.code == 2 and bad_syntax.err.startswith("error[KQL1003]")
    for run in (ok, typo, piped, from_env, bad_now, bad_syntax):
        assert "Traceback" not in run.err


# --- output formats -----------------------------------------------------------------------------

SAMPLE = 'print x = 1, s = "a,b", d = dynamic({"k":[1,2]}), n = int(null), b = false'


def test_format_table(kq: Kq) -> None:
    run = kq("--format", "table", 'print x = 1, s = "a", b = false')
    assert run.code == 0 and run.err == ""
    assert run.out.splitlines() == ["x  s  b    ", "-  -  -----", "1  a  false", "(1 row)"]


def test_format_table_is_the_default_and_counts_rows(kq: Kq) -> None:
    run = kq("range i from 1 to 3 step 1")
    assert run.code == 0
    assert run.out.splitlines() == ["i", "-", "1", "2", "3", "(3 rows)"]


def test_format_json_is_the_log_analytics_document(kq: Kq) -> None:
    run = kq("--format", "json", SAMPLE)
    assert run.code == 0, run.err
    assert json.loads(run.out) == {
        "tables": [
            {
                "name": "PrimaryResult",
                "columns": [
                    {"name": "x", "type": "long"},
                    {"name": "s", "type": "string"},
                    {"name": "d", "type": "dynamic"},
                    {"name": "n", "type": "int"},
                    {"name": "b", "type": "bool"},
                ],
                "rows": [[1, "a,b", '{"k":[1,2]}', None, False]],
            }
        ]
    }


def test_format_json_has_render(kq: Kq) -> None:
    run = kq("--format", "json", "range x from 1 to 2 step 1 | render columnchart with (title='T')")
    doc = json.loads(run.out)
    assert doc["render"] == {"visualization": "columnchart", "title": "T"}
    assert rows(run.out) == [[1], [2]]


def test_format_csv(kq: Kq) -> None:
    run = kq("--format", "csv", SAMPLE)
    assert run.code == 0, run.err
    assert list(csv.reader(io.StringIO(run.out))) == [
        ["x", "s", "d", "n", "b"],
        ["1", "a,b", '{"k":[1,2]}', "", "false"],
    ]


def test_query_from_stdin(kq: Kq) -> None:
    run = kq(
        "--format", "json", "-", stdin='print greeting = "hi"\n| extend n = strlen(greeting)\n'
    )
    assert run.code == 0, run.err
    assert rows(run.out) == [["hi", 2]]


# --- now and timespan ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pinned", "expected", "hour_before"),
    [
        ("2024-05-01T12:34:56Z", "2024-05-01T12:34:56Z", "2024-05-01T11:34:56Z"),
        ("2024-05-01T12:34:56.5Z", "2024-05-01T12:34:56.5Z", "2024-05-01T11:34:56.5Z"),
        ("2024-05-01T14:34:56+02:00", "2024-05-01T12:34:56Z", "2024-05-01T11:34:56Z"),
        ("2024-05-01T12:34:56", "2024-05-01T12:34:56Z", "2024-05-01T11:34:56Z"),  # no offset: UTC
    ],
)
def test_now_pins_now(kq: Kq, pinned: str, expected: str, hour_before: str) -> None:
    run = kq("--format", "json", "--now", pinned, "print now(), ago(1h)")
    assert run.code == 0, run.err
    assert rows(run.out) == [[expected, hour_before]]


def test_now_keeps_100ns_ticks(kq: Kq) -> None:
    run = kq("--format", "json", "--now", "2024-05-01T12:34:56.1234567Z", "print now()")
    assert rows(run.out) == [["2024-05-01T12:34:56.1234567Z"]]


def test_now_without_pin_is_the_current_time(kq: Kq) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    run = kq("--format", "json", "print now()")
    after = datetime.now(UTC)
    got = datetime.fromisoformat(rows(run.out)[0][0].replace("Z", "+00:00"))
    assert before <= got <= after


def test_bad_now_is_a_usage_error(kq: Kq) -> None:
    run = kq("--now", "yesterday", "print 1")
    assert run.code == 2 and run.out == ""
    assert run.err == (
        "error: --now: 'yesterday' is not an ISO 8601 instant (e.g. 2024-05-01T12:00:00Z)\n"
    )


@pytest.mark.parametrize(
    ("timespan", "expected"),
    [
        ("PT1H", ["u10"]),
        ("PT2H", ["u10", "u90"]),
        ("PT3600.0S", ["u10"]),  # what the Azure SDK sends
        ("P7D", ["u10", "u4320", "u90"]),
        ("P1W", ["u10", "u4320", "u90"]),
        ("P30D", ["u10", "u14400", "u4320", "u90"]),
        ("2024-04-28T00:00:00Z/2024-05-01T00:00:00Z", ["u4320"]),
        ("2024-04-28T00:00:00Z/P1D", ["u4320"]),
        ("PT2H/2024-05-01T11:00:00Z", ["u90"]),
    ],
)
def test_timespan_restricts_time_generated(
    kq: Kq, workspace: Path, timespan: str, expected: list[str]
) -> None:
    run = kq("--workspace", str(workspace), "--now", NOW_ISO, "--timespan", timespan,
             "--format", "json", USERS)  # fmt: skip
    assert run.code == 0, run.err
    assert upns(run.out) == [f"{u}@contoso.com" for u in expected]


def test_timespan_applies_with_the_query_own_filter(kq: Kq, workspace: Path) -> None:
    query = "SigninLogs | where TimeGenerated < ago(1h) | project UserPrincipalName"
    run = kq("--workspace", str(workspace), "--now", NOW_ISO, "--timespan", "P7D",
             "--format", "json", query)  # fmt: skip
    assert upns(run.out) == ["u4320@contoso.com", "u90@contoso.com"]


def test_timespan_applies_to_every_table_in_the_query(kq: Kq, workspace: Path) -> None:
    query = "union SigninLogs, (SigninLogs | where ResultType == 0) | count"
    run = kq("--workspace", str(workspace), "--now", NOW_ISO, "--timespan", "PT2H",
             "--format", "json", query)  # fmt: skip
    assert rows(run.out) == [[4]]


@pytest.mark.parametrize("timespan", ["7 days", "P", "PT1H/yesterday", "1h"])
def test_bad_timespan_is_a_usage_error(kq: Kq, timespan: str) -> None:
    run = kq("--timespan", timespan, "print 1")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("error: --timespan: ")


# --- workspace selection ------------------------------------------------------------------------


def test_workspace_from_environment(
    kq: Kq, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = "SigninLogs | count"
    assert rows(kq("--format", "json", count).out) == [[0]]  # in memory: the tables, empty
    monkeypatch.setenv("KUSTODIAN_WORKSPACE", str(workspace))
    assert rows(kq("--format", "json", count).out) == [[4]]
    monkeypatch.setenv("KUSTODIAN_WORKSPACE", str(tmp_path / "other"))
    assert rows(kq("--workspace", str(workspace), "--format", "json", count).out) == [[4]]


# --- --show-sql ---------------------------------------------------------------------------------

SUMMARY = "SigninLogs | summarize n = count() by UserPrincipalName"


def test_show_sql_duckdb_is_the_sql_that_runs(kq: Kq, workspace: Path) -> None:
    run = kq("--workspace", str(workspace), "--show-sql", "--dialect", "duckdb", SUMMARY)
    assert run.code == 0, run.err
    sql = run.out.strip()
    assert sql.endswith(";") and 'FROM "SigninLogs"' in sql and "COUNT(*)" in sql
    with Workspace.open(workspace) as ws:
        printed = sorted(ws.engine.execute(sql.rstrip(";")).fetchall())
        assert printed == sorted(tuple(r) for r in ws.query(SUMMARY, now=NOW).rows)
    assert printed == sorted((f"u{m}@contoso.com", 1) for m in MINUTES)


def test_show_sql_defaults_to_duckdb(kq: Kq) -> None:
    default = kq("--show-sql", SUMMARY)
    duckdb = kq("--show-sql", "--dialect", "duckdb", SUMMARY)
    assert default.code == 0 and default.out == duckdb.out


def test_show_sql_spark(kq: Kq) -> None:
    run = kq("--show-sql", "--dialect", "spark", SUMMARY)
    assert run.code == 0, run.err
    sql = run.out.strip().rstrip(";")
    assert "FROM `SigninLogs`" in sql and '"' not in sql
    tree = sqlglot.parse_one(sql, read="spark")
    assert "COUNT(*)" in tree.sql(dialect="spark")


def test_show_sql_pins_the_timespan(kq: Kq) -> None:
    run = kq("--show-sql", "--now", NOW_ISO, "--timespan", "PT1H", USERS)
    start_ns = int((NOW - timedelta(hours=1)).timestamp()) * 10**9
    assert str(start_ns) in run.out and str(int(NOW.timestamp()) * 10**9) in run.out


def test_show_sql_reports_kql_errors(kq: Kq) -> None:
    run = kq("--show-sql", "--dialect", "spark", "SigninLogs | where Nope == 1")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("error[KQL2001]: unknown column 'Nope'\n --> query:1:20\n")


def test_bad_dialect_is_a_usage_error(kq: Kq) -> None:
    run = kq("--show-sql", "--dialect", "oracle", "print 1")
    assert run.code == 2
    assert "invalid choice: 'oracle'" in run.err


# --- KQL errors ---------------------------------------------------------------------------------


def test_kql_error_exits_2_with_code_position_caret_and_hint(kq: Kq) -> None:
    run = kq(TYPO)
    assert (run.code, run.out, run.err.splitlines()) == (2, "", TYPO_STDERR)


def test_kql_error_on_a_later_line(kq: Kq) -> None:
    query = "SigninLogs\n| where ResultType == 50053\n| summarize count() by UserPrincipleName"
    run = kq("-", stdin=query)
    assert run.code == 2
    assert run.err.splitlines()[1:4] == [
        " --> query:3:24",
        "3 | | summarize count() by UserPrincipleName",
        "  |                        ^^^^^^^^^^^^^^^^^",
    ]


def test_kql_error_as_json_is_the_api_error_document(kq: Kq) -> None:
    run = kq("--format", "json", TYPO)
    assert run.code == 2
    detail = {
        "code": "SemanticError",
        "message": "unknown column 'UserPrincipleName'",
        "innererror": {
            "code": "KQL2001",
            "ksCode": "KS142",
            "message": "unknown column 'UserPrincipleName' (KQL2001, line 1, position 20)",
            "line": 1,
            "pos": 20,
            "hint": "did you mean 'UserPrincipalName' or 'ServicePrincipalName' or "
            "'UserDisplayName'?",
        },
    }
    # the server's document (kustodian.server.errors): the first diagnostic is also the inner
    # error, so the Azure SDK's LogsQueryError.message is the diagnostic's
    assert json.loads(run.out) == {
        "error": {
            "code": "BadArgumentError",
            "message": "The request had some invalid properties",
            "details": [detail],
            "innererror": detail,
        }
    }


def test_syntax_error_as_json(kq: Kq) -> None:
    run = kq("--format", "json", "print x = (1 + 2")
    assert run.code == 2
    detail = json.loads(run.out)["error"]["details"][0]
    assert detail["code"] == "SyntaxError"
    assert detail["innererror"]["code"] == "KQL1002"
    assert (detail["innererror"]["line"], detail["innererror"]["pos"]) == (1, 17)


# Malformed queries, each with the diagnostic code it must produce.
MALFORMED: list[tuple[str, str]] = [
    ('SigninLogs | where (ResultType == "0"', "KQL1002"),  # unbalanced (
    ('SigninLogs | where ResultType == "0")', "KQL1002"),  # unbalanced )
    ("print x = ((1 + 2)", "KQL1002"),
    ("SigninLogs | frobnicate", "KQL1010"),  # unknown operator
    ('SigninLogs | where x = "y"', "KQL2006"),
    ('SigninLogs | where UserPrincipalName = "y"', "KQL2006"),
    ("print x = datetime(2024-13-45)", "KQL1004"),  # bad literals
    ("print x = timespan(abc)", "KQL1004"),
    ("print x = guid(not-a-guid)", "KQL1004"),
    ('print x = dynamic({"a": })', "KQL1004"),
    ("print x = 1e", "KQL1004"),
    ('print s = "unterminated', "KQL1003"),  # unterminated strings
    ("print s = 'unterminated", "KQL1003"),
    ('print s = @"', "KQL1003"),
    ("", "KQL1001"),  # empty query
    ("   \n  ", "KQL1001"),
    ("// only a comment", "KQL1001"),
    ("SigninLogs |", "KQL1002"),
    ("| where a == 1", "KQL1002"),
    ("SigninLogs | summarize count() by", "KQL1002"),
    ("let x = ; x", "KQL1002"),
    ("SigninLogs | where TimeGenerated > ago(", "KQL1002"),
    ('SigninLogs | take "ten"', "KQL2005"),
    ('print x = toint("a", "b")', "KQL2004"),
    ("Signinlogs | take 1", "KQL2002"),  # table names are case-sensitive
    ("print x = nosuchfunc(1)", "KQL2003"),
    ("print x = [1,2]", "KQL1002"),
]


@pytest.mark.parametrize(("query", "code"), MALFORMED, ids=[repr(q) for q, _ in MALFORMED])
def test_malformed_query_exits_2_with_a_diagnostic(kq: Kq, query: str, code: str) -> None:
    run = kq(query)
    assert run.code == 2 and run.out == "", run
    lines = run.err.splitlines()
    assert lines[0].startswith(f"error[{code}]: "), run.err
    assert lines[1].startswith(" --> query:")
    assert lines[3].lstrip().startswith("|") and "^" in lines[3], run.err
    as_json = kq("--format", "json", query)
    assert as_json.code == 2
    assert json.loads(as_json.out)["error"]["details"][0]["innererror"]["code"] == code


def test_malformed_queries_print_no_traceback_from_the_process() -> None:
    # every MALFORMED query runs in-process above (an uncaught exception fails it); here one of
    # each kind runs as a real process, whose stderr must hold the diagnostic and no traceback
    assert len(MALFORMED) >= 20
    sample = [MALFORMED[i] for i in (0, 3, 4, 6, 11, 14, 24)]
    runs = spawn([([q], None, {}) for q, _ in sample])
    for (query, code), run in zip(sample, runs, strict=True):
        assert "Traceback" not in run.err, (query, run.err)
        assert run.code == 2 and run.err.startswith(f"error[{code}]"), (query, run.err)


@pytest.mark.parametrize(
    "query",
    [
        "print x = 0x",
        "print x = 1 | extend a = 1, a = 2",
        "print a = 1, a = 2",
        "SigninLogs | where ResultType > 50000",
        "print x = 1 | summarize a = count(), a = sum(x)",
    ],
)
def test_queries_kusto_rejects_exit_2(kq: Kq, query: str) -> None:
    run = kq(query)
    assert run.code == 2, run.out
    assert run.err.startswith("error[KQL")


def test_out_of_range_long_literal_prints_no_traceback() -> None:
    (run,) = spawn([(["--format", "json", "print x = 9223372036854775808"], None, {})])
    assert "Traceback" not in run.err
    assert run.code in (0, 2)
