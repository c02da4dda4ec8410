"""The benchmark cases: KQL as an admin or a Sentinel author writes it, and the hand SQL.

Each case's `sql` is the DuckDB SQL a person would write for the same question on the
benchmark table (`benchmarks/data.py`): the same columns, in the same order, with the same
names, and the same rows. `ago(...)` is relative to the pinned NOW (2026-11-30T00:00:00Z); the
hand SQL writes the resulting instant as a TIMESTAMP_NS literal.

Where the hand SQL is only equal on this data, or Kusto's answer is approximate, the case says
so in `notes`:

- `dcount()` is an estimate in Kusto (HyperLogLog); the hand SQL counts exactly. On these
  cardinalities (at most a few thousand) Kusto's estimate is exact or within a percent.
- `has` matches whole terms, case-insensitively: the hand SQL uses a `\\b` regex.
- `tostring(dyn.prop)` is "" when the property is missing, SQL's `json_extract_string` gives
  NULL; every row here has the properties read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 11, 30, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Case:
    """One benchmark query.

    Attributes:
        name: short identifier (used on the command line and in the results table).
        group: "admin" (the admins' own queries) or "sentinel" (Sentinel-style detections).
        kql: the query, valid Kusto.
        sql: hand-written DuckDB SQL with the same answer on the benchmark table.
        description: what the query answers.
        notes: where the hand SQL relies on the data, or Kusto's answer is approximate.
    """

    name: str
    group: str
    kql: str
    sql: str
    description: str
    notes: str = ""


def ago(days: float = 0, hours: float = 0) -> str:
    """The SQL literal for `ago(...)` relative to NOW, as a person would type it."""
    instant = NOW - timedelta(days=days, hours=hours)
    return f"TIMESTAMP_NS '{instant:%Y-%m-%d %H:%M:%S}'"


ADMIN: list[Case] = [
    Case(
        name="mfa_vs_single_factor_14d",
        group="admin",
        description="MFA vs single-factor sign-ins per day, last 14 days (a timechart)",
        kql="""SigninLogs
| where TimeGenerated > ago (14d)
| summarize ['Single-factor Auth.']=countif(AuthenticationRequirement == "singleFactorAuthentication"), ['MFA']=countif(AuthenticationRequirement == "multiFactorAuthentication") by bin(TimeGenerated, 1d)
| render timechart with (ytitle="Amount", title="MFA vs non-mfa last 14 days")""",
        sql=f"""SELECT date_trunc('day', TimeGenerated) AS TimeGenerated,
       count(*) FILTER (WHERE AuthenticationRequirement = 'singleFactorAuthentication')
         AS "Single-factor Auth.",
       count(*) FILTER (WHERE AuthenticationRequirement = 'multiFactorAuthentication') AS "MFA"
FROM SigninLogs
WHERE TimeGenerated > {ago(days=14)}
GROUP BY 1""",
    ),
    Case(
        name="break_glass_sign_ins",
        group="admin",
        description="Successful sign-ins of a break-glass account (every column)",
        kql=(
            "SigninLogs\n"
            '| where UserPrincipalName == "breakglass1@contoso.com"\n'
            '| where ResultType == "0"'
        ),
        sql="""SELECT *
FROM SigninLogs
WHERE UserPrincipalName = 'breakglass1@contoso.com' AND ResultType = '0'""",
    ),
    Case(
        name="smart_lockouts",
        group="admin",
        description="Smart Lockout events per user, IP and hour",
        kql="""SigninLogs
| where ResultType == "50053"
| summarize Lockouts=count() by UserPrincipalName, IPAddress, bin(TimeGenerated, 1h)""",
        sql="""SELECT UserPrincipalName, IPAddress, date_trunc('hour', TimeGenerated) AS TimeGenerated,
       count(*) AS Lockouts
FROM SigninLogs
WHERE ResultType = '50053'
GROUP BY ALL""",
    ),
]

SENTINEL: list[Case] = [
    Case(
        name="password_spray",
        group="sentinel",
        description="Password spray: IPs failing against many distinct users in the last day",
        kql="""SigninLogs
| where TimeGenerated > ago(1d)
| where ResultType in ("50126", "50053")
| summarize DistinctUsers = dcount(UserPrincipalName), Attempts = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by IPAddress
| where DistinctUsers >= 10
| order by DistinctUsers desc""",
        sql=f"""SELECT IPAddress, count(DISTINCT UserPrincipalName) AS DistinctUsers, count(*) AS Attempts,
       min(TimeGenerated) AS FirstSeen, max(TimeGenerated) AS LastSeen
FROM SigninLogs
WHERE TimeGenerated > {ago(days=1)} AND ResultType IN ('50126', '50053')
GROUP BY IPAddress
HAVING count(DISTINCT UserPrincipalName) >= 10
ORDER BY DistinctUsers DESC""",
        notes="dcount is approximate in Kusto, exact in the hand SQL",
    ),
    Case(
        name="brute_force_per_hour",
        group="sentinel",
        description="Brute force: users with 5+ bad passwords in an hour, last 7 days",
        kql="""SigninLogs
| where TimeGenerated > ago(7d)
| where ResultType == "50126"
| summarize FailedAttempts = count(), SourceIPs = dcount(IPAddress) by UserPrincipalName, bin(TimeGenerated, 1h)
| where FailedAttempts >= 5""",
        sql=f"""SELECT UserPrincipalName, date_trunc('hour', TimeGenerated) AS TimeGenerated,
       count(*) AS FailedAttempts, count(DISTINCT IPAddress) AS SourceIPs
FROM SigninLogs
WHERE TimeGenerated > {ago(days=7)} AND ResultType = '50126'
GROUP BY ALL
HAVING count(*) >= 5""",
        notes="dcount is approximate in Kusto, exact in the hand SQL",
    ),
    Case(
        name="admin_tools_has_any",
        group="sentinel",
        description="Sign-ins to scripting/admin tools (has_any on AppDisplayName), last 7 days",
        kql="""SigninLogs
| where TimeGenerated > ago(7d)
| where AppDisplayName has_any ("PowerShell", "CLI", "Explorer")
| summarize Attempts = count(), Failures = countif(ResultType != "0"), Users = dcount(UserPrincipalName) by AppDisplayName, ClientAppUsed""",
        sql=f"""SELECT AppDisplayName, ClientAppUsed, count(*) AS Attempts,
       count(*) FILTER (WHERE ResultType <> '0') AS Failures,
       count(DISTINCT UserPrincipalName) AS Users
FROM SigninLogs
WHERE TimeGenerated > {ago(days=7)}
  AND regexp_matches(AppDisplayName, '(?i)\\b(powershell|cli|explorer)\\b')
GROUP BY ALL""",
        notes="has_any as a case-insensitive whole-word regex; dcount exact in the hand SQL",
    ),
    Case(
        name="sign_ins_by_location",
        group="sentinel",
        description="Successful sign-ins by country and city (dynamic property access), 7 days",
        kql="""SigninLogs
| where TimeGenerated > ago(7d)
| where ResultType == "0"
| extend Country = tostring(LocationDetails.countryOrRegion), City = tostring(LocationDetails.city)
| summarize SignIns = count(), Users = dcount(UserPrincipalName) by Country, City
| order by SignIns desc""",
        sql=f"""SELECT loc[1] AS Country, loc[2] AS City, count(*) AS SignIns,
       count(DISTINCT UserPrincipalName) AS Users
FROM (
    SELECT json_extract_string(LocationDetails, ['$.countryOrRegion', '$.city']) AS loc,
           UserPrincipalName
    FROM SigninLogs
    WHERE TimeGenerated > {ago(days=7)} AND ResultType = '0'
)
GROUP BY ALL
ORDER BY SignIns DESC""",
        notes='json_extract_string is NULL where Kusto\'s tostring gives ""; every row has '
        "both properties",
    ),
    Case(
        name="last_success_per_user",
        group="sentinel",
        description="Each user's latest successful sign-in (arg_max), last 14 days",
        kql="""SigninLogs
| where TimeGenerated > ago(14d)
| where ResultType == "0"
| summarize arg_max(TimeGenerated, IPAddress, AppDisplayName, ClientAppUsed) by UserPrincipalName""",
        sql=f"""SELECT UserPrincipalName, last.TimeGenerated AS TimeGenerated, last.IPAddress AS IPAddress,
       last.AppDisplayName AS AppDisplayName, last.ClientAppUsed AS ClientAppUsed
FROM (
    SELECT UserPrincipalName,
           arg_max({{'TimeGenerated': TimeGenerated, 'IPAddress': IPAddress,
                     'AppDisplayName': AppDisplayName, 'ClientAppUsed': ClientAppUsed}},
                   TimeGenerated) AS last
    FROM SigninLogs
    WHERE TimeGenerated > {ago(days=14)} AND ResultType = '0'
    GROUP BY UserPrincipalName
)""",
        notes="TimeGenerated is unique in the table, so arg_max has no ties",
    ),
    Case(
        name="top_apps",
        group="sentinel",
        description="Top 10 applications by sign-ins over the whole 30 days",
        kql="""SigninLogs
| where TimeGenerated > ago(30d)
| summarize SignIns = count(), Users = dcount(UserPrincipalName), Failures = countif(ResultType != "0") by AppDisplayName
| top 10 by SignIns desc""",
        sql=f"""SELECT AppDisplayName, count(*) AS SignIns, count(DISTINCT UserPrincipalName) AS Users,
       count(*) FILTER (WHERE ResultType <> '0') AS Failures
FROM SigninLogs
WHERE TimeGenerated > {ago(days=30)}
GROUP BY AppDisplayName
ORDER BY SignIns DESC
LIMIT 10""",
        notes="dcount exact in the hand SQL",
    ),
    Case(
        name="mfa_fraud_parse_json",
        group="sentinel",
        description="MFA fraud reports: parse_json of AuthenticationDetails, extend + where, 7 days",
        kql="""SigninLogs
| where TimeGenerated > ago(7d)
| where ResultType == "500121"
| extend AuthDetails = parse_json(AuthenticationDetails)
| extend AuthMethod = tostring(AuthDetails[1].authenticationMethod), StepResult = tostring(AuthDetails[1].authenticationStepResultDetail)
| where StepResult has "Fraud"
| project TimeGenerated, UserPrincipalName, IPAddress, AppDisplayName, AuthMethod, StepResult""",
        sql=f"""SELECT TimeGenerated, UserPrincipalName, IPAddress, AppDisplayName,
       step[1] AS AuthMethod, step[2] AS StepResult
FROM (
    SELECT TimeGenerated, UserPrincipalName, IPAddress, AppDisplayName,
           json_extract_string(AuthenticationDetails, ['$[1].authenticationMethod',
                                                       '$[1].authenticationStepResultDetail'])
             AS step
    FROM SigninLogs
    WHERE TimeGenerated > {ago(days=7)} AND ResultType = '500121'
)
WHERE regexp_matches(step[2], '(?i)\\bfraud\\b')""",
        notes="has as a case-insensitive whole-word regex",
    ),
    Case(
        name="spray_ip_with_success",
        group="sentinel",
        description="IPs with failures against 10+ users that also had successes (join), 1 day",
        kql="""let failures = SigninLogs
    | where TimeGenerated > ago(1d)
    | where ResultType in ("50126", "50053", "50057", "50055")
    | summarize FailedAttempts = count(), FailedUsers = dcount(UserPrincipalName) by IPAddress
    | where FailedUsers >= 10;
let successes = SigninLogs
    | where TimeGenerated > ago(1d)
    | where ResultType == "0"
    | summarize Successes = count(), SuccessfulUsers = dcount(UserPrincipalName) by IPAddress;
failures
| join kind=inner successes on IPAddress
| project IPAddress, FailedAttempts, FailedUsers, Successes, SuccessfulUsers""",
        sql=f"""WITH failures AS (
    SELECT IPAddress, count(*) AS FailedAttempts,
           count(DISTINCT UserPrincipalName) AS FailedUsers
    FROM SigninLogs
    WHERE TimeGenerated > {ago(days=1)}
      AND ResultType IN ('50126', '50053', '50057', '50055')
    GROUP BY IPAddress
    HAVING count(DISTINCT UserPrincipalName) >= 10
), successes AS (
    SELECT IPAddress, count(*) AS Successes, count(DISTINCT UserPrincipalName) AS SuccessfulUsers
    FROM SigninLogs
    WHERE TimeGenerated > {ago(days=1)} AND ResultType = '0'
    GROUP BY IPAddress
)
SELECT IPAddress, FailedAttempts, FailedUsers, Successes, SuccessfulUsers
FROM failures JOIN successes USING (IPAddress)""",
        notes="dcount exact in the hand SQL",
    ),
    Case(
        name="ips_and_apps_per_user",
        group="sentinel",
        description="Users signing in from 4+ IPs in a day, with their IPs and apps (make_set)",
        kql="""SigninLogs
| where TimeGenerated > ago(1d)
| where ResultType == "0"
| summarize IPs = make_set(IPAddress), Apps = make_set(AppDisplayName), SignIns = count() by UserPrincipalName
| where array_length(IPs) >= 4""",
        sql=f"""SELECT UserPrincipalName, list(DISTINCT IPAddress) AS IPs, list(DISTINCT AppDisplayName) AS Apps,
       count(*) AS SignIns
FROM SigninLogs
WHERE TimeGenerated > {ago(days=1)} AND ResultType = '0'
GROUP BY UserPrincipalName
HAVING count(DISTINCT IPAddress) >= 4""",
        notes="make_set order is unspecified: sets are compared sorted",
    ),
    Case(
        name="legacy_auth_by_ip",
        group="sentinel",
        description="Legacy-auth IPs with successes and 5+ failed users (in~, countif, dcountif, "
        "startswith, =~), 14 days",
        kql="""SigninLogs
| where TimeGenerated > ago(14d)
| where ClientAppUsed in~ ("exchange activesync", "imap4", "pop3", "authenticated smtp", "other clients")
| summarize Attempts = count(), Successes = countif(ResultType == "0"), FailedUsers = dcountif(UserPrincipalName, ResultType != "0"), ScriptedAttempts = countif(UserAgent startswith "python" or UserAgent =~ "bav2ropc") by IPAddress
| where Successes > 0 and FailedUsers >= 5""",
        sql=f"""SELECT IPAddress, count(*) AS Attempts,
       count(*) FILTER (WHERE ResultType = '0') AS Successes,
       count(DISTINCT UserPrincipalName) FILTER (WHERE ResultType <> '0') AS FailedUsers,
       count(*) FILTER (WHERE UserAgent ILIKE 'python%' OR lower(UserAgent) = 'bav2ropc')
         AS ScriptedAttempts
FROM SigninLogs
WHERE TimeGenerated > {ago(days=14)}
  AND lower(ClientAppUsed) IN ('exchange activesync', 'imap4', 'pop3', 'authenticated smtp',
                               'other clients')
GROUP BY IPAddress
HAVING count(*) FILTER (WHERE ResultType = '0') > 0
   AND count(DISTINCT UserPrincipalName) FILTER (WHERE ResultType <> '0') >= 5""",
        notes="dcountif exact in the hand SQL",
    ),
]

CASES: list[Case] = ADMIN + SENTINEL

# Long, real Sentinel detections (identity_only in shared/sentinel-identity-queries) used only
# for the compile-time benchmark, by rule name.
SENTINEL_COMPILE_QUERIES = [
    "Permutations on logon attempts by UserPrincipalNames indicating potential brute force",
    "Azure AD Rare UserAgent App Sign-in",
    "Password spray attack against Azure AD application",
]
