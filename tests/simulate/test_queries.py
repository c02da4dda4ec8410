"""The small run through the ingestion path, then the queries admins and Sentinel run on it:
each returns the rows the ground truth predicts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.ingest import ingest_records
from tests.kql.test_admin_queries import (
    BREAK_GLASS,
    BREAK_GLASS_NUMBER,
    GUESTS,
    GUESTS_EXTRACT,
    LOCKOUTS,
    LOCKOUTS_BY_USER,
    MFA_CHART,
)
from tests.simulate.conftest import END, Run


@pytest.fixture(scope="module")
def ws(small: Run) -> Iterator[Workspace]:
    w = Workspace.open(":memory:")
    summary = ingest_records(w, small.records, source="simulate")
    assert (summary.ingested, summary.duplicates, summary.rejected) == (len(small.records), 0, 0)
    yield w
    w.close()


def rows(ws: Workspace, kql: str) -> list[list[Any]]:
    return ws.query(kql, now=END).rows


def test_every_record_lands_in_its_table(ws: Workspace, small: Run) -> None:
    got = dict(map(tuple, rows(ws, "union withsource=T * | summarize count() by T")))  # type: ignore[arg-type]
    assert got == {
        "SigninLogs": 366,
        "AADNonInteractiveUserSignInLogs": 1174,
        "AADServicePrincipalSignInLogs": 85,
        "AADManagedIdentitySignInLogs": 48,
        "AuditLogs": 32,
        "AADRiskyUsers": 6,
        "AADUserRiskEvents": 6,
    }
    assert rows(ws, "IngestionErrors | count") == [[0]]


def test_ingesting_the_run_again_adds_nothing(ws: Workspace, small: Run) -> None:
    again = ingest_records(ws, small.records[:500], source="simulate")
    assert (again.ingested, again.duplicates) == (0, 500)


# --- the admin queries (tests/kql/test_admin_queries.py) on the simulated tenant -----------------


def test_mfa_vs_single_factor_timechart(ws: Workspace) -> None:
    result = ws.query(MFA_CHART, now=END)
    assert sorted(result.rows) == [
        ["2024-04-28T00:00:00Z", 5, 15],
        ["2024-04-29T00:00:00Z", 146, 48],
        ["2024-04-30T00:00:00Z", 68, 84],
    ]
    assert result.render is not None and result.render["visualization"] == "timechart"


@pytest.mark.parametrize("query", [BREAK_GLASS, BREAK_GLASS_NUMBER], ids=["string", "number"])
def test_break_glass_sign_ins(ws: Workspace, query: str) -> None:
    for upn, when in [
        ("breakglass1@contoso.com", "2024-04-28T12:35:35.1349077Z"),
        ("breakglass2@contoso.com", "2024-04-29T11:16:55.5300468Z"),
    ]:
        q = query.replace("breakglass@contoso.com", upn) + " | project TimeGenerated, IPAddress"
        assert rows(ws, q) == [[when, "203.0.113.12" if upn[10] == "1" else "203.0.113.41"]]


def test_break_glass_in_both_sign_in_tables(ws: Workspace) -> None:
    q = (
        "union SigninLogs, AADNonInteractiveUserSignInLogs | where UserPrincipalName in~ "
        '("breakglass1@contoso.com", "breakglass2@contoso.com") | summarize count() by Type '
        "| order by Type asc"
    )
    assert rows(ws, q) == [["AADNonInteractiveUserSignInLogs", 6], ["SigninLogs", 2]]


def test_lockouts(ws: Workspace) -> None:
    assert len(rows(ws, LOCKOUTS)) == 31
    assert sorted(rows(ws, LOCKOUTS_BY_USER)) == [
        ["christie.carter@contoso.com", 23],
        ["grace.andersen@contoso.com", 4],
        ["liam.baker@contoso.com", 4],
    ]


def test_lockout_monitor_with_details(ws: Workspace) -> None:
    q = (
        "SigninLogs | where ResultType == 50053 | summarize Lockouts = count() by "
        "UserPrincipalName, IPAddress, bin(TimeGenerated, 1h), "
        "Country = tostring(LocationDetails.countryOrRegion) | order by UserPrincipalName asc"
    )
    assert rows(ws, q) == [
        ["christie.carter@contoso.com", "192.0.2.241", "2024-04-29T20:00:00Z", "RO", 23],
        ["grace.andersen@contoso.com", "192.0.2.125", "2024-04-30T05:00:00Z", "DE", 4],
        ["liam.baker@contoso.com", "192.0.2.125", "2024-04-30T05:00:00Z", "DE", 4],
    ]


@pytest.mark.parametrize("query", [GUESTS, GUESTS_EXTRACT], ids=["parse", "extract"])
def test_who_invited_guests(ws: Workspace, small: Run, query: str) -> None:
    got = sorted(rows(ws, query), key=lambda r: r[0])
    assert got == [
        ["allan.ahmed@contoso.com", "c9c10437-97dc-416b-b20b-a6e1b3669d32", None],
        ["hannah.zhang@contoso.com", "40987eed-ca96-4c56-9809-14bab6bd19bf", "2024-04-30T07:16:56.5151779Z"],
        ["jakob.andersen@contoso.com", "6dad0a92-4592-45de-889c-69cacc8036b2", "2024-04-28T17:44:40.1329288Z"],
    ]  # fmt: skip
    truth = small.sim.truth.invitations
    assert {r[1]: r[2] for r in got} == {i: v.redeemed_at for i, v in truth.items()}


def test_invited_guests_never_redeemed(ws: Workspace) -> None:
    # the Sentinel hunting query: invitations with no redemption for their UPN
    q = (
        'let invites = AuditLogs | where OperationName =~ "Invite external user" '
        '| extend TargetUPN = tostring(TargetResources[0].["userPrincipalName"]) '
        '| extend InviteInitiator = tostring(InitiatedBy.["user"].["userPrincipalName"]); '
        'let redeems = AuditLogs | where OperationName =~ "Redeem external user invite" '
        '| where Result =~ "success" | extend Target = tostring(TargetResources[0].["userPrincipalName"]) '
        '| extend TargetUPN = tostring(extract(@"UPN\\:\\s(.+)\\,\\sEmail", 1, Target)); '
        "invites | join kind=leftanti (redeems) on TargetUPN | project TargetUPN, InviteInitiator"
    )
    assert rows(ws, q) == [
        ["raj.brown_northwindtraders.com#EXT#@contoso.onmicrosoft.com", "allan.ahmed@contoso.com"]
    ]


# --- more of what admins and Sentinel look for --------------------------------------------------


def test_mfa_requirement_of_successful_sign_ins(ws: Workspace) -> None:
    q = "SigninLogs | where ResultType == 0 | summarize count() by AuthenticationRequirement"
    assert sorted(rows(ws, q)) == [
        ["multiFactorAuthentication", 115],
        ["singleFactorAuthentication", 61],
    ]


def test_mfa_methods_from_authentication_details(ws: Workspace) -> None:
    q = (
        "SigninLogs | where ResultType == 0 | mv-expand d = parse_json(AuthenticationDetails) "
        '| where tostring(d.authenticationStepRequirement) == "Multi-factor authentication" '
        "| summarize count() by Method = tostring(d.authenticationMethod)"
    )
    assert sorted(rows(ws, q)) == [
        ["Mobile app notification", 27],
        ["Phone call", 2],
        ["Previously satisfied", 69],
        ["Text message", 5],
    ]


def test_conditional_access_failures_by_policy(ws: Workspace) -> None:
    q = (
        "SigninLogs | mv-expand CA = ConditionalAccessPolicies "
        '| where tostring(CA.result) == "failure" '
        "| summarize count() by Policy = tostring(CA.displayName)"
    )
    assert sorted(rows(ws, q)) == [
        ["CA001: Require MFA outside trusted locations", 31],
        ["CA002: Block legacy authentication", 7],
        ["CA003: Require MFA for administrators", 2],
        ["CA004: Require MFA for medium and high sign-in risk", 10],
    ]


def test_mfa_rejected_by_user(ws: Workspace) -> None:
    # Sentinel's "MFA Rejected by User"
    q = (
        "SigninLogs | where ResultType == 500121 "
        "| extend additionalDetails_ = tostring(Status.additionalDetails) "
        '| where additionalDetails_ =~ "MFA denied; user declined the authentication" '
        "| summarize count() by UserPrincipalName, IPAddress"
    )
    assert rows(ws, q) == [["omar.suzuki@contoso.com", "198.51.100.4", 8]]


def test_explicit_mfa_deny_across_both_tables(ws: Workspace) -> None:
    # Sentinel's "Explicit MFA Deny": a function over both sign-in tables
    q = (
        "let aadFunc = (tableName:string){ table(tableName) | where ResultType == 500121 "
        '| where Status has "MFA Denied; user declined the authentication" '
        'or Status has "MFA denied; Phone App Reported Fraud" | project UserPrincipalName }; '
        'union isfuzzy=true aadFunc("SigninLogs"), aadFunc("AADNonInteractiveUserSignInLogs") '
        "| summarize count() by UserPrincipalName"
    )
    assert sorted(rows(ws, q)) == [
        ["omar.suzuki@contoso.com", 8],
        ["tomas.walker@contoso.com", 1],
    ]


def test_mfa_fatigue_then_success(ws: Workspace) -> None:
    q = (
        "SigninLogs | where ResultType == 500121 "
        "| summarize Denied = count(), End = max(TimeGenerated) by UserPrincipalName, IPAddress "
        "| where Denied >= 5 | join kind=inner (SigninLogs | where ResultType == 0 "
        "| project Success = TimeGenerated, UserPrincipalName, IPAddress) on UserPrincipalName, IPAddress "
        "| where Success between (End .. (End + 1h)) | project UserPrincipalName, IPAddress, Denied"
    )
    assert rows(ws, q) == [["omar.suzuki@contoso.com", "198.51.100.4", 10]]


def test_fraud_report_audit_event(ws: Workspace) -> None:
    q = (
        'AuditLogs | where OperationName == "Fraud reported - user is blocked for MFA" '
        "| project Target = tostring(TargetResources[0].userPrincipalName), Category"
    )
    assert rows(ws, q) == [["jana.olsen@contoso.com", "UserManagement"]]
    q = (
        "SigninLogs | where ResultType == 500121 and Status has 'Fraud Code Entered' "
        "| project UserPrincipalName"
    )
    assert rows(ws, q) == [["jana.olsen@contoso.com"]]


def test_password_spray_addresses(ws: Workspace, small: Run) -> None:
    q = (
        'SigninLogs | where ResultType in ("50126", "50053") '
        "| summarize Users = dcount(UserPrincipalName), Attempts = count() by IPAddress "
        "| where Users >= 5 | order by IPAddress asc"
    )
    assert rows(ws, q) == [
        ["192.0.2.75", 8, 23],
        ["198.51.100.149", 8, 24],
        ["198.51.100.247", 7, 21],
    ]
    assert sorted(r[0] for r in rows(ws, q)) == sorted(small.sim.truth.spray_ips)


def test_security_info_registered_from_where(ws: Workspace) -> None:
    q = (
        'AuditLogs | where Category =~ "UserManagement" and LoggedByService =~ "Authentication Methods" '
        '| where ActivityDisplayName == "User registered security info" '
        "| project Target = tostring(TargetResources[0].userPrincipalName), "
        "IP = tostring(InitiatedBy.user.ipAddress)"
    )
    assert rows(ws, q) == [
        ["hana.young@contoso.com", "86.150.249.224"],
        ["omar.suzuki@contoso.com", "198.51.100.4"],
        ["kai.thompson@contoso.com", "203.0.113.12"],
    ]


def test_disabled_account_attempts(ws: Workspace) -> None:
    q = (
        "union SigninLogs, AADNonInteractiveUserSignInLogs | where ResultType == 50057 "
        "| summarize count() by UserPrincipalName | order by UserPrincipalName asc"
    )
    assert rows(ws, q) == [["carlos.brown@contoso.com", 16], ["debra.berg@contoso.com", 9]]


def test_legacy_authentication(ws: Workspace) -> None:
    q = (
        'SigninLogs | where ClientAppUsed in ("Exchange ActiveSync", "IMAP4", "POP3", '
        '"Authenticated SMTP", "Other clients") | summarize count() by ClientAppUsed, ResultType'
    )
    assert sorted(rows(ws, q)) == [
        ["Authenticated SMTP", "0", 9],
        ["Exchange ActiveSync", "53003", 6],
        ["IMAP4", "50126", 23],
        ["IMAP4", "53003", 1],
        ["Other clients", "50057", 3],
        ["Other clients", "50126", 21],
    ]


def test_new_countries(ws: Workspace) -> None:
    q = (
        "SigninLogs | where ResultType == 0 | summarize Countries = make_set(Location) "
        "by UserPrincipalName | where array_length(Countries) > 1 | order by UserPrincipalName asc"
    )
    assert [(r[0], sorted(r[1])) for r in rows(ws, q)] == [
        ("nina.cohen@contoso.com", ["DE", "US"]),
        ("omar.berg@contoso.com", ["JP", "US"]),
        ("omar.suzuki@contoso.com", ["SG", "US"]),
    ]


def test_non_interactive_json_text_columns(ws: Workspace) -> None:
    q = (
        "AADNonInteractiveUserSignInLogs | extend City = tostring(todynamic(LocationDetails).city) "
        "| summarize count() by City | top 3 by count_"
    )
    assert rows(ws, q) == [["Seattle", 467], ["Redmond", 237], ["London", 188]]


def test_risk(ws: Workspace) -> None:
    q = (
        "AADRiskyUsers | summarize arg_max(TimeGenerated, *) by UserPrincipalName "
        '| where RiskState == "atRisk" | project UserPrincipalName, RiskLevel '
        "| order by UserPrincipalName asc"
    )
    assert rows(ws, q) == [
        ["priya.abbott@contoso.com", "high"],
        ["tomas.walker@contoso.com", "high"],
    ]
    q = "AADUserRiskEvents | summarize count() by RiskEventType | order by RiskEventType asc"
    assert rows(ws, q) == [
        ["anonymizedIPAddress", 1],
        ["leakedCredentials", 1],
        ["passwordSpray", 1],
        ["unfamiliarFeatures", 2],
        ["userReportedSuspiciousActivity", 1],
    ]
    q = (
        'SigninLogs | where RiskLevelDuringSignIn in ("medium", "high") '
        "| summarize count() by RiskLevelDuringSignIn, RiskState"
    )
    assert sorted(rows(ws, q)) == [
        ["high", "atRisk", 1],
        ["medium", "atRisk", 11],
        ["medium", "remediated", 1],
    ]


def test_admin_role_assignment(ws: Workspace) -> None:
    q = (
        'AuditLogs | where OperationName == "Add member to role" '
        "| project Who = tostring(TargetResources[0].userPrincipalName), "
        "Role = tostring(TargetResources[1].displayName), "
        "By = tostring(InitiatedBy.user.userPrincipalName)"
    )
    assert rows(ws, q) == [
        ["jana.lopez@contoso.com", "Global Administrator", "hannah.zhang@contoso.com"]
    ]


def test_workload_sign_ins(ws: Workspace) -> None:
    q = "AADServicePrincipalSignInLogs | summarize count() by ServicePrincipalName, ResultType"
    assert sorted(rows(ws, q)) == [
        ["Contoso Backup Automation", "0", 72],
        ["Contoso Backup Automation", "7000215", 1],
        ["Contoso CI/CD Pipeline", "0", 12],
    ]
    q = "AADManagedIdentitySignInLogs | summarize count() by ServicePrincipalName"
    assert sorted(rows(ws, q)) == [["contoso-func-invoices", 36], ["contoso-vm-build01", 12]]
