"""`make demo`: a small demo tenant in an in-memory workspace and the README's admin queries.

Until the ingestion and simulation issues land, the demo rows are generated here, inside DuckDB,
deterministically; the queries are the ones the README tours.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kustodian.cli.main import format_table
from kustodian.kql.diagnostics import KqlError
from kustodian.workspace.workspace import Workspace

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

# 14 days of sign-ins for 40 users: a mix of MFA and single-factor, failures, lockouts (50053)
# and two break-glass accounts, one of which signs in once.
_SIGNINS = """
INSERT INTO SigninLogs (TimeGenerated, UserPrincipalName, UserDisplayName, AppDisplayName, IPAddress,
    ResultType, ResultDescription, AuthenticationRequirement, ConditionalAccessStatus, Location,
    LocationDetails, Status, Type, TenantId, Category, OperationName)
SELECT
    make_timestamp_ns(CAST($now AS BIGINT) - CAST(i * 1009 AS BIGINT) % (14 * 86400) * 1000000000),
    CASE WHEN i = 777 THEN 'breakglass1@contoso.com' ELSE 'user' || (i % 40) || '@contoso.com' END,
    'User ' || (i % 40),
    ['Office 365', 'Azure Portal', 'Microsoft Teams', 'Outlook'][1 + i % 4],
    '203.0.113.' || (i % 50),
    CASE WHEN i % 97 = 0 THEN '50053' WHEN i % 13 = 0 THEN '50126' ELSE '0' END,
    CASE WHEN i % 97 = 0 THEN 'Account is locked' WHEN i % 13 = 0 THEN 'Invalid password' ELSE '' END,
    CASE WHEN i % 3 = 0 THEN 'singleFactorAuthentication' ELSE 'multiFactorAuthentication' END,
    CASE WHEN i % 3 = 0 THEN 'notApplied' ELSE 'success' END,
    ['US', 'GB', 'DE', 'FR'][1 + i % 4],
    json_object('countryOrRegion', ['US', 'GB', 'DE', 'FR'][1 + i % 4], 'city', 'City ' || (i % 7)),
    json_object('errorCode', CASE WHEN i % 97 = 0 THEN 50053 WHEN i % 13 = 0 THEN 50126 ELSE 0 END),
    'SigninLogs', '00000000-0000-0000-0000-000000000001', 'SignInLogs', 'Sign-in activity'
FROM range(0, 2000) t(i)
"""

_INVITES = """
INSERT INTO AuditLogs (TimeGenerated, OperationName, Category, Result, InitiatedBy, TargetResources,
    AdditionalDetails, LoggedByService, Type, TenantId)
SELECT
    make_timestamp_ns(CAST($now AS BIGINT) - CAST(86400 * (i + 1) AS BIGINT) * 1000000000),
    CASE WHEN redeem THEN 'Redeem external user invite' ELSE 'Invite external user' END,
    'UserManagement', 'success',
    CASE WHEN redeem THEN json('{}')
         ELSE json_object('user', json_object('userPrincipalName', 'admin' || (i % 2) || '@contoso.com',
                                             'ipAddress', '198.51.100.7')) END,
    json_array(json_object(
        'displayName', CASE WHEN redeem
            THEN 'UPN: guest' || i || '_fabrikam.com#EXT#@contoso.com, Email: guest' || i ||
                 '@fabrikam.com, InvitationId: 0000000' || i || '-aaaa-bbbb-cccc-000000000000, Flags: 0'
            ELSE 'guest' || i || '@fabrikam.com' END,
        'userPrincipalName', 'guest' || i || '_fabrikam.com#EXT#@contoso.com')),
    CASE WHEN redeem THEN json('[]') ELSE json_array(json_object(
        'key', 'invitationId', 'value', '0000000' || i || '-aaaa-bbbb-cccc-000000000000')) END,
    'Invited Users', 'AuditLogs', '00000000-0000-0000-0000-000000000001'
FROM (SELECT i, false AS redeem FROM range(0, 6) t(i)
      UNION ALL SELECT i, true AS redeem FROM range(0, 6) t(i) WHERE i % 2 = 0)
"""

QUERIES: list[tuple[str, str]] = [
    (
        "MFA vs single-factor sign-ins, last 14 days",
        "SigninLogs | where TimeGenerated > ago (14d) | summarize ['Single-factor Auth.']="
        "countif(AuthenticationRequirement == \"singleFactorAuthentication\"), ['MFA']="
        'countif(AuthenticationRequirement == "multiFactorAuthentication") by bin(TimeGenerated, 1d) '
        '| render timechart with (ytitle="Amount", title="MFA vs non-mfa last 14 days")',
    ),
    (
        "Break-glass account sign-ins",
        'SigninLogs | where UserPrincipalName == "breakglass1@contoso.com" | where ResultType == "0" '
        "| project TimeGenerated, UserPrincipalName, AppDisplayName, IPAddress",
    ),
    (
        "Smart Lockout events (ResultType 50053)",
        'SigninLogs | where ResultType == "50053" '
        "| summarize Lockouts = count() by UserPrincipalName, IPAddress | top 5 by Lockouts",
    ),
    (
        "Who invited which guest, and was it redeemed?",
        "AuditLogs\n"
        '| where OperationName == "Invite external user" and Result == "success"\n'
        "| extend InvitedBy = tostring(InitiatedBy.user.userPrincipalName),"
        " InvitationId = tostring(AdditionalDetails[0].value)\n"
        "| join kind=leftouter (AuditLogs\n"
        '    | where OperationName == "Redeem external user invite"\n'
        '    | parse kind=regex TargetResources[0].displayName with * "InvitationId: " InvitationId:string ","\n'
        "    | project RedeemedAt = TimeGenerated, InvitationId) on InvitationId\n"
        "| project TimeGenerated, InvitedBy, Guest = tostring(TargetResources[0].displayName),"
        " Redeemed = isnotnull(RedeemedAt)\n"
        "| sort by TimeGenerated desc",
    ),
]


def load_demo(ws: Workspace) -> None:
    ns = int(NOW.timestamp()) * 1_000_000_000
    ws.engine.execute(_SIGNINS, {"now": ns})
    ws.engine.execute(_INVITES, {"now": ns})


def main() -> int:
    ws = Workspace.open(":memory:")
    load_demo(ws)
    print(f"Kustodian demo: an in-memory workspace with a demo tenant (now = {NOW.isoformat()})\n")
    for title, kql in QUERIES:
        print(f"== {title}\n{kql}\n")
        try:
            result = ws.query(kql, now=NOW)
        except KqlError as e:
            print(e.render())
            return 1
        print(format_table(result.columns, result.rows))
        if result.render:
            print(f"render: {result.render}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
