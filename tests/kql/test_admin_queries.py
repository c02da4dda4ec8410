"""The queries identity admins run most, verbatim, on a small tenant with known answers.

Each query runs through the Python API and through `kustodian query --format json`, whose output
must be the Log Analytics query API's document.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.kql.types import KType
from tests.oracle import KustoOracle, entra_tables

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NOW_ISO = "2024-05-01T12:00:00Z"

MFA_CHART = (
    "SigninLogs | where TimeGenerated > ago (14d) | summarize ['Single-factor Auth.']="
    "countif(AuthenticationRequirement == \"singleFactorAuthentication\"), ['MFA']="
    'countif(AuthenticationRequirement == "multiFactorAuthentication") by bin(TimeGenerated, 1d) '
    '| render timechart with (ytitle="Amount", title="MFA vs non-mfa last 14 days")'
)
BREAK_GLASS = (
    'SigninLogs | where UserPrincipalName == "breakglass@contoso.com" | where ResultType == "0"'
)
BREAK_GLASS_NUMBER = (
    'SigninLogs | where UserPrincipalName == "breakglass@contoso.com" | where ResultType == 0'
)
LOCKOUTS = 'SigninLogs | where ResultType == "50053"'
LOCKOUTS_BY_USER = "SigninLogs | where ResultType == 50053 | summarize count() by UserPrincipalName"
GUESTS = (
    'AuditLogs | where OperationName == "Invite external user" '
    "| extend InvitedBy = tostring(InitiatedBy.user.userPrincipalName), "
    "InvitationId = tostring(AdditionalDetails[0].value) "
    "| join kind=leftouter (AuditLogs "
    '| where OperationName == "Redeem external user invite" '
    '| parse kind=regex TargetResources[0].displayName with * "InvitationId: " InvitationId:string "," '
    "| project RedeemedTime = TimeGenerated, InvitationId) on InvitationId "
    "| project InvitedBy, InvitationId, RedeemedTime"
)
GUESTS_EXTRACT = GUESTS.replace(
    '| parse kind=regex TargetResources[0].displayName with * "InvitationId: " InvitationId:string "," ',
    '| extend InvitationId = extract(@"InvitationId: ([0-9a-fA-F-]{36})", 1, '
    "tostring(TargetResources[0].displayName)) ",
)

BREAKGLASS = "breakglass@contoso.com"
SINGLE = "singleFactorAuthentication"
MFA = "multiFactorAuthentication"
# (when, user, ResultType, AuthenticationRequirement)
SIGNINS: list[tuple[datetime, str, str, str]] = [
    (datetime(2024, 5, 1, 9, tzinfo=UTC), "alice@contoso.com", "0", MFA),
    (datetime(2024, 5, 1, 10, tzinfo=UTC), "bob@contoso.com", "0", SINGLE),
    (datetime(2024, 5, 1, 11, tzinfo=UTC), BREAKGLASS, "0", SINGLE),
    (datetime(2024, 4, 30, 8, tzinfo=UTC), "alice@contoso.com", "0", MFA),
    (datetime(2024, 4, 30, 8, 5, tzinfo=UTC), "carol@contoso.com", "50053", MFA),
    (datetime(2024, 4, 30, 8, 6, tzinfo=UTC), "carol@contoso.com", "50053", MFA),
    (datetime(2024, 4, 30, 23, 59, 59, tzinfo=UTC), "bob@contoso.com", "50126", SINGLE),
    # no requirement yet (the user name was wrong): a day with zero of both
    (datetime(2024, 4, 28, 7, tzinfo=UTC), "erin@contoso.com", "50034", ""),
    (datetime(2024, 4, 25, 12, tzinfo=UTC), BREAKGLASS, "50126", SINGLE),
    (datetime(2024, 4, 25, 13, tzinfo=UTC), "dave@contoso.com", "50053", SINGLE),
    # `==` is case-sensitive: this is not the break-glass account for the query
    (datetime(2024, 4, 20, 6, tzinfo=UTC), "BreakGlass@Contoso.com", "0", SINGLE),
    # one second inside the 14 days, and exactly 14 days ago (`>` excludes it)
    (NOW - timedelta(days=14) + timedelta(seconds=1), "alice@contoso.com", "0", MFA),
    (NOW - timedelta(days=14), "bob@contoso.com", "0", SINGLE),
    (datetime(2024, 4, 10, 3, tzinfo=UTC), BREAKGLASS, "0", MFA),
    (datetime(2024, 4, 1, 3, tzinfo=UTC), "carol@contoso.com", "50053", SINGLE),
]
DESCRIPTIONS = {
    "0": "",
    "50053": "Account is locked because user tried to sign in too many times",
    "50126": "Invalid username or password or Invalid on-premise username or password.",
    "50034": "The user account does not exist in the directory.",
}

# per day: (day, single-factor, MFA)
CHART = [
    ("2024-04-17T00:00:00Z", 0, 1),
    ("2024-04-20T00:00:00Z", 1, 0),
    ("2024-04-25T00:00:00Z", 2, 0),
    ("2024-04-28T00:00:00Z", 0, 0),
    ("2024-04-30T00:00:00Z", 1, 3),
    ("2024-05-01T00:00:00Z", 2, 1),
]
RENDER = {"visualization": "timechart", "ytitle": "Amount", "title": "MFA vs non-mfa last 14 days"}

G1 = "1b5e1e1c-5c3c-4d7e-9d55-0e6a5b4f0001"
G2 = "2c6f2f2d-6d4d-4e8f-8e66-1f7b6c5a0002"
G3 = "3d7a3a3e-7e5e-4f9a-9f77-2a8c7d6b0003"
G0 = "0a4d0d0b-4b2b-4c6d-8c44-9d5a4a3e0000"  # redeemed, but invited before the logs start
INVITES = [  # (when, inviter, guest, invitation id)
    (datetime(2024, 4, 26, 9, tzinfo=UTC), "alice@contoso.com", "g1@fabrikam.com", G1),
    (datetime(2024, 4, 27, 9, tzinfo=UTC), "bob@contoso.com", "g2@fabrikam.com", G2),
    (datetime(2024, 4, 29, 9, tzinfo=UTC), "alice@contoso.com", "g3@fabrikam.com", G3),
]
REDEMPTIONS = [  # (when, guest, invitation id)
    (datetime(2024, 4, 26, 17, 30, tzinfo=UTC), "g1@fabrikam.com", G1),
    (datetime(2024, 4, 30, 8, 15, tzinfo=UTC), "g3@fabrikam.com", G3),
    (datetime(2024, 4, 28, 10, tzinfo=UTC), "old@fabrikam.com", G0),
]
# who invited whom, and when the invitation was redeemed (by invitation id)
GUEST_ROWS = [
    ["alice@contoso.com", G1, "2024-04-26T17:30:00Z"],
    ["bob@contoso.com", G2, None],
    ["alice@contoso.com", G3, "2024-04-30T08:15:00Z"],
]


# --- the tenant -----------------------------------------------------------------------------


def insert(ws: Workspace, table: str, rows: list[dict[str, Any]]) -> None:
    """Trusted inserts; unset strings are '' (never null), dynamic values go in as JSON text."""
    schema = ws.catalog.get(table)
    assert schema is not None
    types = dict(schema.columns)
    names = ", ".join(f'"{c}"' for c in types)
    marks = ", ".join("?" for _ in types)
    values = []
    for row in rows:
        assert set(row) <= set(types), set(row) - set(types)
        values.append([_sql_value(row.get(c), t) for c, t in types.items()])
    ws.engine.con.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)


def _sql_value(v: Any, t: KType) -> Any:
    if v is None:
        return "" if t is KType.STRING else None
    return json.dumps(v) if t is KType.DYNAMIC else v


def guest_upn(email: str) -> str:
    return email.replace("@", "_") + "#EXT#@contoso.com"


def signin_row(when: datetime, upn: str, result: str, requirement: str) -> dict[str, Any]:
    return {
        "TimeGenerated": when,
        "CreatedDateTime": when,
        "UserPrincipalName": upn,
        "UserDisplayName": upn.split("@")[0],
        "ResultType": result,
        "ResultDescription": DESCRIPTIONS[result],
        "Status": {"errorCode": int(result), "failureReason": DESCRIPTIONS[result]},
        "LocationDetails": {"city": "Oslo", "countryOrRegion": "NO"},
        "Location": "NO",
        "AuthenticationRequirement": requirement,
        "AppDisplayName": "Azure Portal",
        "IPAddress": "203.0.113.5",
        "OperationName": "Sign-in activity",
        "Category": "SignInLogs",
        "Type": "SigninLogs",
    }


def audit_rows() -> list[dict[str, Any]]:
    common = {"Category": "UserManagement", "LoggedByService": "Invited Users", "Type": "AuditLogs"}
    rows = [
        {
            **common,
            "TimeGenerated": when,
            "OperationName": "Invite external user",
            "ActivityDisplayName": "Invite external user",
            "Result": "success",
            "InitiatedBy": {"user": {"userPrincipalName": by, "ipAddress": "198.51.100.7"}},
            "TargetResources": [
                {"displayName": guest, "userPrincipalName": guest_upn(guest), "type": "User"}
            ],
            "AdditionalDetails": [{"key": "invitationId", "value": gid}],
        }
        for when, by, guest, gid in INVITES
    ]
    rows += [
        {
            **common,
            "TimeGenerated": when,
            "OperationName": "Redeem external user invite",
            "ActivityDisplayName": "Redeem external user invite",
            "Result": "success",
            "InitiatedBy": {"user": {"userPrincipalName": guest_upn(guest)}},
            "TargetResources": [
                {
                    "displayName": f"UPN: {guest_upn(guest)}, Email: {guest}, "
                    f"InvitationId: {gid}, Flags: 0",
                    "type": "User",
                }
            ],
            "AdditionalDetails": [],
        }
        for when, guest, gid in REDEMPTIONS
    ]
    return rows


def fill(ws: Workspace) -> None:
    insert(ws, "SigninLogs", [signin_row(*s) for s in SIGNINS])
    insert(ws, "AuditLogs", audit_rows())
    # the same user in the other sign-in table must not leak into SigninLogs queries
    insert(
        ws,
        "AADNonInteractiveUserSignInLogs",
        [
            {
                "TimeGenerated": NOW - timedelta(hours=1),
                "UserPrincipalName": BREAKGLASS,
                "ResultType": "0",
            }
        ],
    )


@pytest.fixture(scope="module")
def ws() -> Iterator[Workspace]:
    w = Workspace.open(":memory:")
    fill(w)
    yield w
    w.close()


def times(
    rows: list[list[Any]], columns: list[tuple[str, str]], name: str = "TimeGenerated"
) -> list[Any]:
    i = [n for n, _ in columns].index(name)
    return sorted(r[i] for r in rows)


# --- through the Python API -----------------------------------------------------------------


def test_mfa_vs_single_factor_timechart(ws: Workspace) -> None:
    result = ws.query(MFA_CHART, now=NOW)
    assert result.columns == [
        ("TimeGenerated", "datetime"),
        ("Single-factor Auth.", "long"),
        ("MFA", "long"),
    ]
    assert sorted(map(tuple, result.rows)) == CHART
    assert result.render == RENDER


def test_mfa_chart_excludes_sign_ins_older_than_14_days(ws: Workspace) -> None:
    days = [r[0] for r in ws.query(MFA_CHART, now=NOW).rows]
    assert "2024-04-10T00:00:00Z" not in days and "2024-04-01T00:00:00Z" not in days
    # 12 sign-ins are newer than 14 days (of the two on 2024-04-17, the one exactly 14 days
    # ago is not); one of them has no AuthenticationRequirement, so is counted in neither column
    assert sum(r[1] + r[2] for r in ws.query(MFA_CHART, now=NOW).rows) == 11
    a_day_later = ws.query(MFA_CHART, now=NOW + timedelta(days=1)).rows
    assert min(r[0] for r in a_day_later) == "2024-04-20T00:00:00Z"


@pytest.mark.parametrize("query", [BREAK_GLASS, BREAK_GLASS_NUMBER], ids=["string", "number"])
def test_break_glass_successful_sign_ins(ws: Workspace, query: str) -> None:
    result = ws.query(query, now=NOW)
    schema = ws.catalog.get("SigninLogs")
    assert schema is not None
    assert [n for n, _ in result.columns] == schema.column_names()
    assert times(result.rows, result.columns) == ["2024-04-10T03:00:00Z", "2024-05-01T11:00:00Z"]
    cols = [n for n, _ in result.columns]
    for r in result.rows:
        assert r[cols.index("UserPrincipalName")] == BREAKGLASS
        assert r[cols.index("ResultType")] == "0"
        assert r[cols.index("Status")] == {"errorCode": 0, "failureReason": ""}


def test_break_glass_number_and_string_give_the_same_rows(ws: Workspace) -> None:
    as_string = ws.query(BREAK_GLASS, now=NOW)
    as_number = ws.query(BREAK_GLASS_NUMBER, now=NOW)
    assert as_number.columns == as_string.columns
    assert sorted(map(repr, as_number.rows)) == sorted(map(repr, as_string.rows))


def test_lockout_events(ws: Workspace) -> None:
    result = ws.query(LOCKOUTS, now=NOW)
    cols = [n for n, _ in result.columns]
    got = sorted(
        (r[cols.index("TimeGenerated")], r[cols.index("UserPrincipalName")]) for r in result.rows
    )
    assert got == [
        ("2024-04-01T03:00:00Z", "carol@contoso.com"),
        ("2024-04-25T13:00:00Z", "dave@contoso.com"),
        ("2024-04-30T08:05:00Z", "carol@contoso.com"),
        ("2024-04-30T08:06:00Z", "carol@contoso.com"),
    ]
    assert {r[cols.index("ResultDescription")] for r in result.rows} == {DESCRIPTIONS["50053"]}


def test_lockouts_by_user(ws: Workspace) -> None:
    result = ws.query(LOCKOUTS_BY_USER, now=NOW)
    assert result.columns == [("UserPrincipalName", "string"), ("count_", "long")]
    assert sorted(result.rows) == [["carol@contoso.com", 3], ["dave@contoso.com", 1]]


@pytest.mark.parametrize("query", [GUESTS, GUESTS_EXTRACT], ids=["parse", "extract"])
def test_who_invited_guests_and_which_were_redeemed(ws: Workspace, query: str) -> None:
    result = ws.query(query, now=NOW)
    assert result.columns == [
        ("InvitedBy", "string"),
        ("InvitationId", "string"),
        ("RedeemedTime", "datetime"),
    ]
    assert sorted(result.rows, key=lambda r: r[1]) == GUEST_ROWS
    redeemed = {r[1] for r in result.rows if r[2] is not None}
    assert redeemed == {G1, G3}  # G2 is pending; G0's invitation is not in the logs


def test_redemption_parse_and_extract_agree(ws: Workspace) -> None:
    base = 'AuditLogs | where OperationName == "Redeem external user invite" '
    parsed = ws.query(
        base + '| parse kind=regex TargetResources[0].displayName with * "InvitationId: " '
        'InvitationId:string "," | project TimeGenerated, InvitationId',
        now=NOW,
    )
    extracted = ws.query(
        base + '| extend InvitationId = extract(@"InvitationId: ([0-9a-fA-F-]{36})", 1, '
        "tostring(TargetResources[0].displayName)) | project TimeGenerated, InvitationId",
        now=NOW,
    )
    expected = sorted([[w.strftime("%Y-%m-%dT%H:%M:%SZ"), g] for w, _, g in REDEMPTIONS])
    assert sorted(parsed.rows) == expected
    assert sorted(extracted.rows) == expected


def test_invitation_without_id_matches_redemption_without_id() -> None:
    # tostring() of a missing value and a failed parse are both "" (strings are never null in
    # Kusto), and join matches equal strings, empty ones included.
    with Workspace.open(":memory:") as w:
        rows = audit_rows()[:1] + audit_rows()[-1:]
        rows[0]["AdditionalDetails"] = []
        rows[1]["TargetResources"] = [{"displayName": "UPN: x, Email: x@fabrikam.com, Flags: 0"}]
        insert(w, "AuditLogs", rows)
        for q in (GUESTS, GUESTS_EXTRACT):
            assert w.query(q, now=NOW).rows == [["alice@contoso.com", "", "2024-04-28T10:00:00Z"]]


ALL_QUERIES = {
    "mfa-chart": MFA_CHART,
    "break-glass": BREAK_GLASS,
    "break-glass-number": BREAK_GLASS_NUMBER,
    "lockouts": LOCKOUTS,
    "lockouts-by-user": LOCKOUTS_BY_USER,
    "guests-parse": GUESTS,
    "guests-extract": GUESTS_EXTRACT,
}


@pytest.mark.parametrize("query", list(ALL_QUERIES.values()), ids=list(ALL_QUERIES))
def test_result_schema_is_kusto_s(kusto_oracle: KustoOracle, ws: Workspace, query: str) -> None:
    kusto = kusto_oracle.analyze(query, entra_tables())
    assert kusto.codes == []
    assert ws.query(query, now=NOW).columns == kusto.columns


# --- through the CLI, as the Log Analytics API document ---------------------------------------


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tenant")
    w = Workspace.open(path)
    fill(w)
    w.close()
    return path


def cli_json(workspace: Path, query: str) -> dict[str, Any]:
    argv = [sys.executable, "-m", "kustodian.cli.main", "query", "--format", "json"]
    argv += ["--workspace", str(workspace), "--now", NOW_ISO, query]
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    assert set(doc) <= {"tables", "render"}
    assert len(doc["tables"]) == 1
    table = doc["tables"][0]
    assert list(table) == ["name", "columns", "rows"]
    assert table["name"] == "PrimaryResult"
    assert all(list(c) == ["name", "type"] for c in table["columns"])
    return doc


def columns_of(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["name"], c["type"]) for c in doc["tables"][0]["columns"]]


def test_cli_mfa_chart(workspace_dir: Path) -> None:
    doc = cli_json(workspace_dir, MFA_CHART)
    assert doc["render"] == RENDER
    assert columns_of(doc) == [
        ("TimeGenerated", "datetime"),
        ("Single-factor Auth.", "long"),
        ("MFA", "long"),
    ]
    assert sorted(map(tuple, doc["tables"][0]["rows"])) == CHART


@pytest.mark.parametrize("query", [BREAK_GLASS, BREAK_GLASS_NUMBER], ids=["string", "number"])
def test_cli_break_glass_with_dynamic_as_json_text(workspace_dir: Path, query: str) -> None:
    doc = cli_json(workspace_dir, query)
    assert "render" not in doc
    cols = [n for n, _ in columns_of(doc)]
    types = dict(columns_of(doc))
    assert types["Status"] == "dynamic" and types["LocationDetails"] == "dynamic"
    rows = doc["tables"][0]["rows"]
    assert times(rows, columns_of(doc)) == ["2024-04-10T03:00:00Z", "2024-05-01T11:00:00Z"]
    for r in rows:
        status, location = r[cols.index("Status")], r[cols.index("LocationDetails")]
        assert isinstance(status, str) and json.loads(status) == {
            "errorCode": 0,
            "failureReason": "",
        }
        assert isinstance(location, str)
        assert json.loads(location) == {"city": "Oslo", "countryOrRegion": "NO"}
        assert r[cols.index("DeviceDetail")] is None  # a null dynamic stays null


def test_cli_lockouts(workspace_dir: Path) -> None:
    doc = cli_json(workspace_dir, LOCKOUTS)
    assert len(doc["tables"][0]["rows"]) == 4
    doc = cli_json(workspace_dir, LOCKOUTS_BY_USER)
    rows = doc["tables"][0]["rows"]
    assert sorted(rows) == [["carol@contoso.com", 3], ["dave@contoso.com", 1]]
    assert doc == {
        "tables": [
            {
                "name": "PrimaryResult",
                "columns": [
                    {"name": "UserPrincipalName", "type": "string"},
                    {"name": "count_", "type": "long"},
                ],
                "rows": rows,
            }
        ]
    }


@pytest.mark.parametrize("query", [GUESTS, GUESTS_EXTRACT], ids=["parse", "extract"])
def test_cli_guest_invitations(workspace_dir: Path, query: str) -> None:
    doc = cli_json(workspace_dir, query)
    assert columns_of(doc) == [
        ("InvitedBy", "string"),
        ("InvitationId", "string"),
        ("RedeemedTime", "datetime"),
    ]
    assert sorted(doc["tables"][0]["rows"], key=lambda r: r[1]) == GUEST_ROWS
