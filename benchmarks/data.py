"""Generate the benchmark's synthetic `SigninLogs` table in a DuckDB file.

The table has exactly the columns of `SigninLogs` in the workspace schema
(`src/kustodian/workspace/schemas/entra_schema.json`), typed as the engine stores them
(docs/architecture.md): string → VARCHAR (never NULL, '' instead), datetime → TIMESTAMP_NS,
dynamic → JSON, long → BIGINT, real → DOUBLE, bool → BOOLEAN.

Every row is computed inside DuckDB from `range(n)`: each value is a pseudo-random choice
driven by `hash(i, seed, k)`, so the same `--rows` and `--seed` give the same table (for a given
DuckDB version, whose `hash()` they rely on). Small dimension tables (users, IP addresses, apps,
client kinds, result codes) are built first and joined in; no row is made in Python.

Rows are in TimeGenerated order, strictly increasing (as ingestion order would be), spread over
the 30 days before NOW = 2026-11-30T00:00:00Z. Four kinds of traffic:

- normal: ~2000 users, mostly from their office IP or one of ~3 mobile/home IPs, mostly US;
- password spray: 3% of rows, 50 foreign IPs against random users (mostly 50126, some 50053);
- brute force: 0.6% of rows, 10 foreign IPs against 10 targeted users;
- break-glass: 10 rows per million, `breakglass1@contoso.com` / `breakglass2@contoso.com`.

Usage: python benchmarks/data.py [--rows 10000000] [--out benchmarks/data/signinlogs.duckdb]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCHEMA_PATH = REPO / "src" / "kustodian" / "workspace" / "schemas" / "entra_schema.json"
DEFAULT_DB = HERE / "data" / "signinlogs.duckdb"
TABLE = "SigninLogs"
GENERATOR_VERSION = 1

NOW = datetime(2026, 11, 30, tzinfo=UTC)
NOW_NS = int(NOW.timestamp()) * 1_000_000_000
DAYS = 30
TICKS_PER_DAY = 86_400 * 10_000_000

TENANT_ID = "5f2b9c1e-8a4d-4e6b-9c3f-1a2b3c4d5e6f"
WORKSPACE_ID = "3c1e5a7d-9b2f-4e8a-b6d4-0f1a2c3e4d5f"
CA_MFA_ID = "5e2a9c41-7d3b-4f6e-a1c8-9b0d2e4f6a13"
CA_LEGACY_ID = "a7c3e1f9-2b4d-4c6e-8f0a-1d3b5c7e9f24"

KUSTO_TO_DUCKDB = {
    "string": "VARCHAR",
    "datetime": "TIMESTAMP_NS",
    "dynamic": "JSON",
    "long": "BIGINT",
    "int": "INTEGER",
    "real": "DOUBLE",
    "bool": "BOOLEAN",
    "guid": "UUID",
    "timespan": "BIGINT",
    "decimal": "DECIMAL(38,18)",
}

N_USERS = 2000
N_OFFICE_IPS = 300
N_MOBILE_IPS = 2000
N_SPRAY_IPS = 50
N_BRUTE_IPS = 10
BRUTE_TARGETS = [7, 42, 137, 256, 512, 777, 1024, 1337, 1600, 1999]

# Row kinds, chosen from h1 % 1_000_000 (parts per million).
NORMAL, SPRAY, BRUTE, BREAKGLASS = 0, 1, 2, 3
BREAKGLASS_PPM = 10
SPRAY_PPM = 30_000
BRUTE_PPM = 6_000

FIRST_NAMES = (  # noqa: SIM905
    "Adele Alex Allan Bianca Carlos Chen Christie Debra Diego Emily Enrico Fatima Grady Hana "
    "Irvin Isaiah Johanna Joni Kenji Lee Lidia Lynne Megan Miriam Nestor Olga Patti Pradeep "
    "Raul Sakura Sanjay Sofia Tomas Uma Victor Wei Yara Zoe Omar Ingrid"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Vance Wilber Lambert Alvarez Soto Nakamura Cline Ross Siciliani Braun Gonzalez Khan "
    "Steele Bowen Herb Lynch Lauer Sherman Johnson Gates Holloway Patel Zelenko Kim Novak "
    "Ortiz Fischer Silva Nguyen Okafor Moreau Larsen Rossi Tanaka Haddad Kowalski Murphy Singh "
    "Berg Costa"
).split()

# (countryOrRegion, state, city, latitude, longitude)
US_LOCATIONS = [
    ("US", "Washington", "Seattle", 47.6062, -122.3321),
    ("US", "Washington", "Redmond", 47.6740, -122.1215),
    ("US", "California", "San Francisco", 37.7749, -122.4194),
    ("US", "California", "Los Angeles", 34.0522, -118.2437),
    ("US", "California", "San Diego", 32.7157, -117.1611),
    ("US", "Oregon", "Portland", 45.5152, -122.6784),
    ("US", "Texas", "Austin", 30.2672, -97.7431),
    ("US", "Texas", "Dallas", 32.7767, -96.7970),
    ("US", "Texas", "Houston", 29.7604, -95.3698),
    ("US", "New York", "New York", 40.7128, -74.0060),
    ("US", "Massachusetts", "Boston", 42.3601, -71.0589),
    ("US", "Illinois", "Chicago", 41.8781, -87.6298),
    ("US", "Georgia", "Atlanta", 33.7490, -84.3880),
    ("US", "Colorado", "Denver", 39.7392, -104.9903),
    ("US", "Arizona", "Phoenix", 33.4484, -112.0740),
    ("US", "Florida", "Miami", 25.7617, -80.1918),
    ("US", "Florida", "Orlando", 28.5383, -81.3792),
    ("US", "North Carolina", "Charlotte", 35.2271, -80.8431),
    ("US", "Virginia", "Reston", 38.9586, -77.3570),
    ("US", "Minnesota", "Minneapolis", 44.9778, -93.2650),
    ("US", "Michigan", "Detroit", 42.3314, -83.0458),
    ("US", "Pennsylvania", "Philadelphia", 39.9526, -75.1652),
    ("US", "Ohio", "Columbus", 39.9612, -82.9988),
    ("US", "Utah", "Salt Lake City", 40.7608, -111.8910),
]
TRAVEL_LOCATIONS = [
    ("GB", "England", "London", 51.5072, -0.1276),
    ("CA", "Ontario", "Toronto", 43.6532, -79.3832),
    ("DE", "Berlin", "Berlin", 52.5200, 13.4050),
    ("JP", "Tokyo", "Tokyo", 35.6762, 139.6503),
]
ATTACK_LOCATIONS = [
    ("RU", "Moscow", "Moscow", 55.7558, 37.6173),
    ("CN", "Beijing", "Beijing", 39.9042, 116.4074),
    ("NG", "Lagos", "Lagos", 6.5244, 3.3792),
    ("BR", "Sao Paulo", "Sao Paulo", -23.5558, -46.6396),
    ("VN", "Ha Noi", "Hanoi", 21.0278, 105.8342),
    ("NL", "Noord-Holland", "Amsterdam", 52.3676, 4.9041),
    ("RO", "Bucuresti", "Bucharest", 44.4268, 26.1025),
    ("IN", "Maharashtra", "Mumbai", 19.0760, 72.8777),
    ("IR", "Tehran", "Tehran", 35.6892, 51.3890),
    ("UA", "Kyiv City", "Kyiv", 50.4501, 30.5234),
]
US_ASNS = ["7922", "7018", "701", "20115", "21928", "22394", "209", "6167"]
ATTACK_ASNS = ["9009", "16276", "14061", "4134", "20473", "49981", "60068", "212238"]

# (AppDisplayName, AppId, ResourceDisplayName, ResourceIdentity, weights per kind in ‱)
GRAPH = ("Microsoft Graph", "00000003-0000-0000-c000-000000000000")
EXO = ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000")
SPO = ("Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000")
ARM = ("Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013")
AADGRAPH = ("Windows Azure Active Directory", "00000002-0000-0000-c000-000000000000")
APPS: list[tuple[str, str, tuple[str, str], tuple[int, int, int, int]]] = [
    # name, app id, resource, (normal, spray, brute, breakglass)
    ("Office 365 Exchange Online", EXO[1], EXO, (1800, 4000, 4000, 0)),
    ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264", GRAPH, (1600, 0, 0, 0)),
    ("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c", GRAPH, (1000, 1500, 2000, 0)),
    ("Office 365 SharePoint Online", SPO[1], SPO, (900, 0, 0, 0)),
    ("Outlook Mobile", "27922004-5251-4030-b22d-91ecd9a37ea4", EXO, (700, 0, 0, 0)),
    ("OneDrive SyncEngine", "ab9b8c07-8f02-4f72-87fa-80105867a763", SPO, (600, 0, 0, 0)),
    ("Microsoft Edge", "ecd6b820-32c2-49b6-98a6-444530e5a77a", GRAPH, (500, 0, 0, 0)),
    ("Windows Sign In", "38aa3b87-a06d-4817-b275-7a316988d93b", AADGRAPH, (500, 0, 0, 0)),
    ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", ARM, (400, 1000, 4000, 7000)),
    ("My Apps", "2793995e-0a7d-40d7-bd35-6968ba142197", GRAPH, (300, 0, 0, 0)),
    (
        "Microsoft Authentication Broker",
        "29d9ed98-a469-4536-ade2-f981bc1d605e",
        GRAPH,
        (300, 0, 0, 0),
    ),
    ("Power BI Service", "871c010f-5e61-4fb1-83ac-98610a7e9110", GRAPH, (250, 0, 0, 0)),
    (
        "Microsoft Intune Company Portal",
        "9ba1a5c7-f17a-4de9-a1f1-6178c8d51223",
        GRAPH,
        (200, 0, 0, 0),
    ),
    ("Visual Studio Code", "aebc6443-996d-45c2-90f0-388ff96faa56", GRAPH, (200, 0, 0, 0)),
    ("My Profile", "8c59ead7-d703-4a27-9e55-c96a0054c8d2", GRAPH, (150, 0, 0, 0)),
    ("Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", ARM, (150, 1000, 0, 0)),
    (
        "Microsoft Azure PowerShell",
        "1950a258-227b-4e31-a9cf-717495945fc2",
        ARM,
        (100, 500, 0, 3000),
    ),
    (
        "Azure Active Directory PowerShell",
        "1b730954-1685-4b74-9bfd-dac224a7b894",
        AADGRAPH,
        (80, 2000, 0, 0),
    ),
    ("Graph Explorer", "de8bc8b5-d9f9-48b1-a8ad-b748da725064", GRAPH, (70, 0, 0, 0)),
    (
        "Microsoft 365 Security and Compliance Center",
        "80ccca67-54bd-44ab-8625-4b79c4dc7775",
        GRAPH,
        (200, 0, 0, 0),
    ),
]

# Client kinds: (ClientAppUsed, AuthenticationProtocol, UserAgent or None for the user's own
# device UA, device: "desktop" | "mobile" | fixed DeviceDetail JSON, weights per kind in ‱)
BLANK_DEVICE = '{"deviceId":"","operatingSystem":"","browser":""}'
MODERN, MOBILE_APP = "Browser", "Mobile Apps and Desktop clients"
CLIENTS: list[tuple[str, str, str | None, str, tuple[int, int, int, int]]] = [
    (MODERN, "none", None, "desktop", (5500, 0, 0, 10000)),
    (
        MOBILE_APP,
        "none",
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
        "desktop",
        (2200, 0, 0, 0),
    ),
    (MOBILE_APP, "none", None, "mobile", (1500, 0, 0, 0)),
    (MODERN, "none", None, "mobile", (300, 0, 0, 0)),
    ("Exchange ActiveSync", "none", "Apple-iPhone15C2/2101.1", "mobile", (200, 1000, 0, 0)),
    ("IMAP4", "ropc", "BAV2ROPC", BLANK_DEVICE, (80, 1500, 2000, 0)),
    ("Authenticated SMTP", "ropc", "BAV2ROPC", BLANK_DEVICE, (70, 0, 0, 0)),
    ("Other clients", "ropc", "Microsoft-MacOutlook/16.77.0", BLANK_DEVICE, (150, 0, 0, 0)),
    (
        "Other clients",
        "ropc",
        "python-requests/2.31.0",
        '{"deviceId":"","operatingSystem":"Linux","browser":"Python Requests 2.31"}',
        (0, 3500, 3000, 0),
    ),
    (
        MODERN,
        "none",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/119.0.0.0 Safari/537.36",
        '{"deviceId":"","operatingSystem":"Windows10","browser":"Chrome 119.0.0"}',
        (0, 2000, 5000, 0),
    ),
    (MOBILE_APP, "none", "axios/1.6.2", BLANK_DEVICE, (0, 1000, 0, 0)),
    ("Other clients", "ropc", "Go-http-client/1.1", BLANK_DEVICE, (0, 1000, 0, 0)),
]

# Per-user device profiles: (operatingSystem, browser, UserAgent, managed)
DESKTOPS = [
    (
        "Windows10",
        "Edge 120.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
        True,
    ),
    (
        "Windows10",
        "Chrome 120.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        True,
    ),
    (
        "MacOs",
        "Safari 17.1",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Safari/605.1.15",
        False,
    ),
]
DESKTOP_WEIGHTS = [55, 30, 15]
MOBILES = [
    (
        "Ios",
        "Mobile Safari 17.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        False,
    ),
    (
        "Android",
        "Chrome Mobile 120.0.6099",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.144 Mobile Safari/537.36",
        False,
    ),
]
MOBILE_WEIGHTS = [60, 40]

# Result variants. Each: ResultType, ResultDescription, failureReason, additionalDetails,
# MFA?, second authentication step (method, detail, succeeded) or None, CA outcome,
# weights per kind in ‱.
INVALID_PW = "Invalid username or password or Invalid on-premise username or password."
LOCKED = (
    "Account is locked because user tried to sign in too many times with an incorrect user ID "
    "or password."
)
MFA_FAILED = "Authentication failed during strong authentication request."
RESULTS: list[
    tuple[str, str, str, str, bool, tuple[str, str, bool] | None, str, tuple[int, int, int, int]]
] = [
    ("0", "", "Other.", "", False, None, "notApplied", (5010, 150, 50, 9500)),
    (
        "0",
        "",
        "Other.",
        "MFA completed in Azure AD",
        True,
        ("Mobile app notification", "MFA successfully completed", True),
        "success",
        (1800, 0, 0, 0),
    ),
    (
        "0",
        "",
        "Other.",
        "MFA requirement satisfied by claim in the token",
        True,
        ("Previously satisfied", "MFA requirement satisfied by claim in the token", True),
        "success",
        (1200, 0, 0, 0),
    ),
    (
        "0",
        "",
        "Other.",
        "MFA completed in Azure AD",
        True,
        ("Text message", "MFA successfully completed", True),
        "success",
        (300, 0, 0, 0),
    ),
    ("50126", INVALID_PW, INVALID_PW, "", False, None, "notApplied", (250, 8500, 7000, 500)),
    ("50053", LOCKED, LOCKED, "", False, None, "notApplied", (30, 900, 2950, 0)),
    (
        "50074",
        "Strong Authentication is required.",
        "Strong Authentication is required.",
        "",
        True,
        ("Mobile app notification", "MFA required in Azure AD", False),
        "notApplied",
        (400, 0, 0, 0),
    ),
    (
        "500121",
        MFA_FAILED,
        MFA_FAILED,
        "MFA denied; user declined the authentication",
        True,
        ("Mobile app notification", "MFA denied; user declined the authentication", False),
        "failure",
        (80, 0, 0, 0),
    ),
    (
        "500121",
        MFA_FAILED,
        MFA_FAILED,
        "MFA denied; Fraud Code Entered",
        True,
        ("OATH verification code", "MFA denied; Fraud Code Entered", False),
        "failure",
        (5, 0, 0, 0),
    ),
    (
        "500121",
        MFA_FAILED,
        MFA_FAILED,
        "MFA denied; Phone App Reported Fraud",
        True,
        ("Mobile app notification", "MFA denied; Phone App Reported Fraud", False),
        "failure",
        (5, 0, 0, 0),
    ),
    (
        "500121",
        MFA_FAILED,
        MFA_FAILED,
        "MFA denied; user did not respond to mobile app notification",
        True,
        (
            "Mobile app notification",
            "MFA denied; user did not respond to mobile app notification",
            False,
        ),
        "failure",
        (60, 0, 0, 0),
    ),
    (
        "50057",
        "User account is disabled.",
        "User account is disabled.",
        "",
        False,
        None,
        "notApplied",
        (20, 200, 0, 0),
    ),
    (
        "53003",
        "Access has been blocked by Conditional Access policies.",
        "Access has been blocked by Conditional Access policies.",
        "",
        False,
        None,
        "failure",
        (50, 50, 0, 0),
    ),
    (
        "50140",
        "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
        "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
        "",
        False,
        None,
        "notApplied",
        (300, 0, 0, 0),
    ),
    (
        "50076",
        "Due to a configuration change made by your administrator, or because you moved to a new "
        "location, you must use multi-factor authentication to access the resource.",
        "Due to a configuration change made by your administrator, or because you moved to a new "
        "location, you must use multi-factor authentication to access the resource.",
        "",
        True,
        ("Mobile app notification", "MFA required in Azure AD", False),
        "notApplied",
        (200, 0, 0, 0),
    ),
    (
        "50055",
        "The password is expired.",
        "The password is expired.",
        "",
        False,
        None,
        "notApplied",
        (40, 200, 0, 0),
    ),
    (
        "50058",
        "Session information is not sufficient for single-sign-on.",
        "Session information is not sufficient for single-sign-on.",
        "",
        False,
        None,
        "notApplied",
        (150, 0, 0, 0),
    ),
    (
        "70044",
        "The session has expired or is invalid due to sign-in frequency checks by conditional "
        "access.",
        "The session has expired or is invalid due to sign-in frequency checks by conditional "
        "access.",
        "",
        False,
        None,
        "notApplied",
        (100, 0, 0, 0),
    ),
]


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Sequence[Any]) -> str:
    """A SQL list literal of strings or numbers."""
    return "[" + ", ".join(sql_str(v) if isinstance(v, str) else str(v) for v in values) + "]"


def weighted_case(expr: str, kind_weights: Sequence[Sequence[int]]) -> str:
    """SQL choosing an index by weight, per row kind.

    Args:
        expr: SQL for a uniform integer in [0, 10000) (one pseudo-random draw per row).
        kind_weights: for each choice, its weight (in units of 0.01%) for each row kind.

    Returns:
        A `CASE kind ...` expression giving the chosen index (0-based).
    """
    branches = []
    for kind in (NORMAL, SPRAY, BRUTE, BREAKGLASS):
        weights = [w[kind] for w in kind_weights]
        if sum(weights) != 10_000:
            raise ValueError(f"weights for kind {kind} sum to {sum(weights)}, not 10000")
        chosen = [(index, weight) for index, weight in enumerate(weights) if weight]
        arms, bound = [], 0
        for index, weight in chosen[:-1]:
            bound += weight
            arms.append(f"WHEN {expr} < {bound} THEN {index}")
        last = chosen[-1][0]
        choice = f"CASE {' '.join(arms)} ELSE {last} END" if arms else str(last)
        branches.append(f"WHEN {kind} THEN {choice}")
    return f"CASE kind {' '.join(branches)} END"


def expanded(choices: Sequence[int], weights: Sequence[int]) -> list[int]:
    """Each choice repeated by its weight: a list to index with a uniform draw."""
    return [c for c, w in zip(choices, weights) for _ in range(w)]


def load_schema(table: str = TABLE) -> list[tuple[str, str]]:
    """The (column, Kusto type) pairs of a table in the workspace schema, in order."""
    columns = json.loads(SCHEMA_PATH.read_text())[table]
    return [(c["name"], c["type"]) for c in columns]


def values_table(name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """`CREATE TABLE name AS VALUES ...` for a small dimension table."""

    def lit(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, str):
            return sql_str(v)
        return repr(v)

    body = ",\n".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)
    return f"CREATE TABLE {name} AS SELECT * FROM (VALUES {body}) AS t({', '.join(columns)})"


def dimension_sql(seed: int) -> list[str]:
    """Statements that build the small dimension tables the row generator joins."""
    stmts = []
    locations = US_LOCATIONS + TRAVEL_LOCATIONS + ATTACK_LOCATIONS
    stmts.append(
        values_table(
            "_loc",
            ["li", "country", "state", "city", "lat", "lon"],
            [(i, *loc) for i, loc in enumerate(locations)],
        )
    )
    n_us, n_travel = len(US_LOCATIONS), len(TRAVEL_LOCATIONS)
    first_attack_ip = N_OFFICE_IPS + N_MOBILE_IPS
    n_ips = first_attack_ip + N_SPRAY_IPS + N_BRUTE_IPS
    # IP addresses: office (shared by ~7 users each), mobile/home, attackers (spray, brute).
    stmts.append(f"""
CREATE TABLE _ips AS
WITH x AS (
  SELECT ip, (hash(ip, {seed}, 901) >> 1)::BIGINT AS h FROM range({n_ips}) r(ip)
), y AS (
  SELECT ip, h,
    CASE
      WHEN ip < {N_OFFICE_IPS} THEN ip % {n_us}
      WHEN ip < {first_attack_ip} THEN
        CASE WHEN h % 100 < 3 THEN {n_us} + h % {n_travel} ELSE (h >> 8) % {n_us} END
      ELSE {n_us + n_travel} + ip % {len(ATTACK_LOCATIONS)}
    END AS li,
    CASE
      WHEN ip < {N_OFFICE_IPS} THEN
        '40.' || (112 + ip // 256) || '.' || (ip % 256) || '.' || (10 + (h >> 16) % 240)
      WHEN ip < {first_attack_ip} THEN
        '174.' || (200 + (ip - {N_OFFICE_IPS}) // 256) || '.' || ((ip - {N_OFFICE_IPS}) % 256)
          || '.' || (1 + (h >> 16) % 254)
      ELSE '185.220.' || (100 + ip - {first_attack_ip}) || '.' || (1 + (h >> 16) % 254)
    END AS IPAddress,
    CASE
      WHEN ip < {N_OFFICE_IPS} THEN '8075'
      WHEN ip < {first_attack_ip} THEN {sql_list(US_ASNS)}[1 + (h >> 24) % {len(US_ASNS)}]
      ELSE {sql_list(ATTACK_ASNS)}[1 + (h >> 24) % {len(ATTACK_ASNS)}]
    END AS asn
  FROM x
)
SELECT ip, IPAddress,
  l.country AS Location,
  ('{{"city":"' || l.city || '","state":"' || l.state || '","countryOrRegion":"' || l.country
    || '","geoCoordinates":{{"latitude":' || round(l.lat + ((h >> 32) % 200 - 100) / 10000.0, 4)
    || ',"longitude":' || round(l.lon + ((h >> 40) % 200 - 100) / 10000.0, 4) || '}}}}')::JSON
    AS LocationDetails,
  asn AS AutonomousSystemNumber
FROM y JOIN _loc l USING (li)
""")
    desktop_pick = sql_list(expanded(range(len(DESKTOPS)), DESKTOP_WEIGHTS))
    mobile_pick = sql_list(expanded(range(len(MOBILES)), MOBILE_WEIGHTS))
    d_os, d_br, d_ua, d_man = (sql_list([str(d[k]) for d in DESKTOPS]) for k in range(4))
    m_os, m_br, m_ua = (sql_list([m[k] for m in MOBILES]) for k in range(3))
    stmts.append(f"""
CREATE TABLE _users AS
WITH x AS (
  SELECT u,
    (hash(u, {seed}, 801) >> 1)::BIGINT AS h1,
    (hash(u, {seed}, 802) >> 1)::BIGINT AS h2,
    (hash(u, {seed}, 803) >> 1)::BIGINT AS h3
  FROM range({N_USERS + 2}) r(u)
), y AS (
  SELECT u, h1, h2, h3,
    CASE WHEN u < {N_USERS} THEN 'user' || u || '@contoso.com'
         ELSE 'breakglass' || (u - {N_USERS} + 1) || '@contoso.com' END AS upn,
    CASE WHEN u < {N_USERS} THEN {sql_list(FIRST_NAMES)}[1 + h1 % {len(FIRST_NAMES)}] || ' '
           || {sql_list(LAST_NAMES)}[1 + (h1 >> 8) % {len(LAST_NAMES)}]
         ELSE 'Break Glass ' || (u - {N_USERS} + 1) END AS display,
    {desktop_pick}[1 + (h2 % 100)] + 1 AS dp,
    {mobile_pick}[1 + ((h2 >> 8) % 100)] + 1 AS mp,
    ((h2::UHUGEINT << 64) | h3::UHUGEINT)::UUID::VARCHAR AS device_id
  FROM x
)
SELECT u, upn AS UserPrincipalName, display AS UserDisplayName,
  ((h1::UHUGEINT << 64) | h3::UHUGEINT)::UUID::VARCHAR AS UserId,
  CASE WHEN u < {N_USERS} AND (h1 >> 16) % 100 < 3 THEN 'Guest' ELSE 'Member' END AS UserType,
  {d_ua}[dp] AS desktop_ua,
  ('{{"deviceId":"' || CASE WHEN {d_man}[dp] = 'True' THEN device_id ELSE '' END
    || '","displayName":"' || CASE WHEN {d_man}[dp] = 'True'
      THEN 'CONTOSO-LT-' || lpad(u::VARCHAR, 4, '0') ELSE '' END
    || '","operatingSystem":"' || {d_os}[dp] || '","browser":"' || {d_br}[dp]
    || '","isCompliant":' || CASE WHEN {d_man}[dp] = 'True' THEN 'true' ELSE 'false' END
    || ',"isManaged":' || CASE WHEN {d_man}[dp] = 'True' THEN 'true' ELSE 'false' END
    || ',"trustType":"' || CASE WHEN {d_man}[dp] = 'True' THEN 'Azure AD joined' ELSE '' END
    || '"}}')::JSON AS desktop_device,
  {m_ua}[mp] AS mobile_ua,
  ('{{"deviceId":"","displayName":"","operatingSystem":"' || {m_os}[mp] || '","browser":"'
    || {m_br}[mp] || '","isCompliant":false,"isManaged":false,"trustType":""}}')::JSON
    AS mobile_device
FROM y
""")
    stmts.append(
        values_table(
            "_apps",
            ["a", "AppDisplayName", "AppId", "ResourceDisplayName", "ResourceIdentity"],
            [(i, name, app_id, res[0], res[1]) for i, (name, app_id, res, _) in enumerate(APPS)],
        )
    )
    stmts.append(
        values_table(
            "_clients",
            ["c", "ClientAppUsed", "AuthenticationProtocol", "ua", "device_src", "device"],
            [
                (
                    i,
                    app,
                    proto,
                    ua,
                    dev if dev in ("desktop", "mobile") else "fixed",
                    None if dev in ("desktop", "mobile") else dev,
                )
                for i, (app, proto, ua, dev, _) in enumerate(CLIENTS)
            ],
        )
    )
    stmts.append("ALTER TABLE _clients ALTER device TYPE JSON")
    stmts.append(values_table("_results", *result_rows()))
    for col in ("Status", "ConditionalAccessPolicies", "MfaDetail"):
        stmts.append(f"ALTER TABLE _results ALTER {col} TYPE JSON")
    return stmts


def result_rows() -> tuple[list[str], list[tuple[Any, ...]]]:
    """Columns and rows of the `_results` dimension (one row per result variant)."""
    columns = [
        "r",
        "ResultType",
        "ResultDescription",
        "Status",
        "AuthenticationRequirement",
        "AuthenticationDetails",
        "AuthenticationRequirementPolicies",
        "ConditionalAccessStatus",
        "ConditionalAccessPolicies",
        "MfaDetail",
    ]
    rows = []
    for r, (code, desc, reason, details, mfa, step2, ca, _) in enumerate(RESULTS):
        status: dict[str, Any] = {"errorCode": int(code)}
        if code != "0":
            status["failureReason"] = reason
        if details:
            status["additionalDetails"] = details
        first_ok = code not in ("50126", "50053", "50057", "50055")
        steps: list[dict[str, Any]] = [
            {
                "authenticationMethod": "Password"
                if step2 is None or step2[0] != "Previously satisfied"
                else "Previously satisfied",
                "authenticationMethodDetail": "Password Hash Sync",
                "succeeded": first_ok,
                "authenticationStepResultDetail": "Correct password"
                if first_ok
                else (reason or "Invalid password"),
                "authenticationStepRequirement": "Primary authentication",
                "StatusSequence": 0,
                "RequestSequence": 0,
            }
        ]
        if step2 is not None:
            steps.append(
                {
                    "authenticationMethod": step2[0],
                    "authenticationMethodDetail": "",
                    "succeeded": step2[2],
                    "authenticationStepResultDetail": step2[1],
                    "authenticationStepRequirement": "Multi-factor authentication",
                    "StatusSequence": 0,
                    "RequestSequence": 1,
                }
            )
        mfa_result = {"success": "success", "failure": "failure"}.get(ca, "notApplied")
        legacy_result = "failure" if code == "53003" else "notApplied"
        if code == "53003":
            mfa_result = "notApplied"
        policies = [
            {
                "id": CA_MFA_ID,
                "displayName": "Require MFA for all users",
                "enforcedGrantControls": ["Mfa"],
                "enforcedSessionControls": [],
                "result": mfa_result if mfa else "notApplied",
            },
            {
                "id": CA_LEGACY_ID,
                "displayName": "Block legacy authentication",
                "enforcedGrantControls": ["Block"],
                "enforcedSessionControls": [],
                "result": legacy_result,
            },
        ]
        requirement_policies = (
            [{"requirementProvider": "multiConditionalAccess", "detail": "Conditional Access"}]
            if mfa
            else []
        )
        mfa_detail = (
            {"authMethod": step2[0], "authDetail": None} if mfa and step2 is not None else None
        )
        rows.append(
            (
                r,
                code,
                desc,
                json.dumps(status, separators=(",", ":")),
                "multiFactorAuthentication" if mfa else "singleFactorAuthentication",
                json.dumps(steps, separators=(",", ":")),
                json.dumps(requirement_policies, separators=(",", ":")),
                ca,
                json.dumps(policies, separators=(",", ":")),
                None if mfa_detail is None else json.dumps(mfa_detail, separators=(",", ":")),
            )
        )
    return columns, rows


def column_expressions(n: int) -> dict[str, str]:
    """SQL for each generated column, over the joined row (`q`) and dimensions."""
    spacing_ticks = DAYS * TICKS_PER_DAY // n
    start_ns = NOW_NS - DAYS * TICKS_PER_DAY * 100
    time_ns = f"({start_ns} + i * {spacing_ticks * 100} + (h4 >> 8) % {spacing_ticks} * 100)"
    risk = (
        "CASE WHEN kind = 0 THEN CASE WHEN (h3 >> 40) % 1000 < 980 THEN 'none' "
        "WHEN (h3 >> 40) % 1000 < 995 THEN 'low' WHEN (h3 >> 40) % 1000 < 999 THEN 'medium' "
        "ELSE 'high' END "
        "WHEN kind IN (1, 2) THEN CASE WHEN (h3 >> 40) % 100 < 20 THEN 'none' "
        "WHEN (h3 >> 40) % 100 < 30 THEN 'low' WHEN (h3 >> 40) % 100 < 80 THEN 'medium' "
        "ELSE 'high' END ELSE 'none' END"
    )
    guid = "((h{a}::UHUGEINT << 64) | h{b}::UHUGEINT)::UUID::VARCHAR"
    resource_id = f"/tenants/{TENANT_ID}/providers/Microsoft.aadiam"
    return {
        "AADTenantId": sql_str(TENANT_ID),
        "AlternateSignInName": "uu.UserPrincipalName",
        "AppDisplayName": "ap.AppDisplayName",
        "AppId": "ap.AppId",
        "AppliedConditionalAccessPolicies": "''",
        "AppliedEventListeners": "'[]'::JSON",
        "AuthenticationContextClassReferences": "'[]'",
        "AuthenticationDetails": "rs.AuthenticationDetails",
        "AuthenticationMethodsUsed": "''",
        "AuthenticationProcessingDetails": sql_str(
            '[{"key":"Legacy TLS (TLS 1.0, 1.1, 3DES)","value":"False"},'
            '{"key":"Is CAE Token","value":"False"}]'
        ),
        "AuthenticationProtocol": "cl.AuthenticationProtocol",
        "AuthenticationRequirement": "rs.AuthenticationRequirement",
        "AuthenticationRequirementPolicies": "rs.AuthenticationRequirementPolicies",
        "AutonomousSystemNumber": "ip.AutonomousSystemNumber",
        "_BilledSize": "(3500 + h3 % 2500)::DOUBLE",
        "Category": "'SignInLogs'",
        "ClientAppUsed": "cl.ClientAppUsed",
        "ConditionalAccessPolicies": "rs.ConditionalAccessPolicies",
        "ConditionalAccessStatus": "rs.ConditionalAccessStatus",
        "CorrelationId": guid.format(a=5, b=6),
        "CreatedDateTime": f"make_timestamp_ns({time_ns} - (h5 >> 8) % 2000000000)",
        "CrossTenantAccessType": "'none'",
        "DeviceDetail": (
            "CASE cl.device_src WHEN 'desktop' THEN uu.desktop_device "
            "WHEN 'mobile' THEN uu.mobile_device ELSE cl.device END"
        ),
        "DurationMs": "0::BIGINT",
        "FlaggedForReview": "FALSE",
        "HomeTenantId": sql_str(TENANT_ID),
        "Id": guid.format(a=6, b=4),
        "Identity": "uu.UserDisplayName",
        "IPAddress": "ip.IPAddress",
        "IPAddressFromResourceProvider": "''",
        "_IsBillable": "'True'",
        "IsInteractive": "TRUE",
        "IsRisky": f"({risk}) <> 'none'",
        "Level": "'4'",
        "Location": "ip.Location",
        "LocationDetails": "ip.LocationDetails",
        "MfaDetail": "rs.MfaDetail",
        "NetworkLocationDetails": "'[]'",
        "OperationName": "'Sign-in activity'",
        "OperationVersion": "'1.0'",
        "OriginalRequestId": guid.format(a=6, b=4),
        "ProcessingTimeInMilliseconds": "(20 + h5 % 400)::VARCHAR",
        "Resource": "'Microsoft.aadiam'",
        "ResourceDisplayName": "ap.ResourceDisplayName",
        "ResourceGroup": "'Microsoft.aadiam'",
        "ResourceId": sql_str(resource_id),
        "ResourceIdentity": "ap.ResourceIdentity",
        "ResourceProvider": "'Microsoft.aadiam'",
        "ResourceServicePrincipalId": "ap.ResourceIdentity",
        "ResourceTenantId": sql_str(TENANT_ID),
        "ResultDescription": "rs.ResultDescription",
        "ResultSignature": "'None'",
        "ResultType": "rs.ResultType",
        "RiskDetail": "'none'",
        "RiskEventTypes": f"CASE WHEN ({risk}) = 'none' THEN '[]' ELSE '[\"unfamiliarFeatures\"]' END",
        "RiskEventTypes_V2": f"CASE WHEN ({risk}) = 'none' THEN '[]' ELSE '[\"unfamiliarFeatures\"]' END",
        "RiskLevel": "''",
        "RiskLevelAggregated": "'none'",
        "RiskLevelDuringSignIn": risk,
        "RiskState": f"CASE WHEN ({risk}) = 'none' THEN 'none' ELSE 'atRisk' END",
        "ServicePrincipalId": "''",
        "ServicePrincipalName": "''",
        "SessionLifetimePolicies": "'[]'",
        "SignInIdentifier": "uu.UserPrincipalName",
        "SignInIdentifierType": "''",
        "SourceSystem": "'Azure AD'",
        "Status": "rs.Status",
        "TenantId": sql_str(WORKSPACE_ID),
        "TimeGenerated": f"make_timestamp_ns({time_ns})",
        "TokenIssuerName": "''",
        "TokenIssuerType": "'AzureAD'",
        "Type": "'SigninLogs'",
        "UniqueTokenIdentifier": ("lpad(to_hex(h5), 16, '0') || lpad(to_hex(h4 >> 39), 6, '0')"),
        "UserAgent": (
            "coalesce(cl.ua, CASE cl.device_src WHEN 'mobile' THEN uu.mobile_ua "
            "ELSE uu.desktop_ua END)"
        ),
        "UserDisplayName": "uu.UserDisplayName",
        "UserId": "uu.UserId",
        "UserPrincipalName": "uu.UserPrincipalName",
        "UserType": "uu.UserType",
    }


def rows_sql(n: int, seed: int, schema: Sequence[tuple[str, str]]) -> str:
    """The `INSERT INTO SigninLogs SELECT ...` that generates all n rows."""
    exprs = column_expressions(n)
    names = {name for name, _ in schema}
    unknown = sorted(set(exprs) - names)
    if unknown:
        raise ValueError(f"generator has columns not in the schema: {unknown}")
    select = []
    for name, ktype in schema:
        default = "''" if ktype == "string" else f"NULL::{KUSTO_TO_DUCKDB[ktype]}"
        select.append(f"{exprs.get(name, default)} AS {quote(name)}")
    select_list = ",\n  ".join(select)
    apps = weighted_case("(h2 >> 32) % 10000", [a[3] for a in APPS])
    results = weighted_case("h4 % 10000", [r[7] for r in RESULTS])
    clients = weighted_case("(h3 >> 16) % 10000", [c[4] for c in CLIENTS])
    mobile_clients = "[" + ", ".join("true" if c[3] == "mobile" else "false" for c in CLIENTS) + "]"
    first_attack_ip = N_OFFICE_IPS + N_MOBILE_IPS
    h = ",\n    ".join(f"(hash(i, {seed}, {k}) >> 1)::BIGINT AS h{k}" for k in range(1, 7))
    return f"""
INSERT INTO {TABLE}
WITH b AS (
  SELECT i,
    {h}
  FROM range({n}) r(i)
), k AS (
  SELECT *,
    CASE
      WHEN h1 % 1000000 < {BREAKGLASS_PPM} THEN {BREAKGLASS}
      WHEN h1 % 1000000 < {BREAKGLASS_PPM + SPRAY_PPM} THEN {SPRAY}
      WHEN h1 % 1000000 < {BREAKGLASS_PPM + SPRAY_PPM + BRUTE_PPM} THEN {BRUTE}
      ELSE {NORMAL}
    END AS kind
  FROM b
), p AS (
  SELECT *,
    CASE kind
      WHEN {NORMAL} THEN CASE WHEN (h2 >> 50) % 2 = 0 THEN h2 % {N_USERS}
                        ELSE least(h2 % {N_USERS}, (h2 >> 20) % {N_USERS}) END
      WHEN {SPRAY} THEN h2 % {N_USERS}
      WHEN {BRUTE} THEN {sql_list(BRUTE_TARGETS)}[1 + h2 % {len(BRUTE_TARGETS)}]
      ELSE {N_USERS} + h2 % 2
    END AS u,
    {apps} AS a,
    {results} AS r,
    {clients} AS c
  FROM k
), q AS (
  SELECT *,
    CASE kind
      WHEN {NORMAL} THEN
        CASE WHEN NOT {mobile_clients}[c + 1] AND (h1 >> 40) % 100 < 75 THEN u % {N_OFFICE_IPS}
             ELSE {N_OFFICE_IPS} + (u * 7 + ((h1 >> 30) % 3) * 613) % {N_MOBILE_IPS} END
      WHEN {SPRAY} THEN {first_attack_ip} + (h1 >> 30) % {N_SPRAY_IPS}
      WHEN {BRUTE} THEN {first_attack_ip + N_SPRAY_IPS} + (h1 >> 30) % {N_BRUTE_IPS}
      ELSE 0
    END AS ipi
  FROM p
)
SELECT
  {select_list}
FROM q
JOIN _users uu ON uu.u = q.u
JOIN _ips ip ON ip.ip = q.ipi
JOIN _apps ap ON ap.a = q.a
JOIN _results rs ON rs.r = q.r
JOIN _clients cl ON cl.c = q.c
"""


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(schema: Sequence[tuple[str, str]]) -> str:
    """DDL for the table with the engine's DuckDB type for each Kusto type."""
    cols = ",\n  ".join(f"{quote(n)} {KUSTO_TO_DUCKDB[t]}" for n, t in schema)
    return f"CREATE TABLE {TABLE} (\n  {cols}\n)"


DIMENSIONS = ("_loc", "_ips", "_users", "_apps", "_clients", "_results")


def _session(con: Any) -> None:
    """Settings for the generating connection."""
    # The dimension joins' keys are computed, so DuckDB misestimates their cardinality and
    # would build its hash tables on the n-row side; keep the written order (dimensions build).
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    con.execute("SET preserve_insertion_order = true")


def generate(
    out: Path, rows: int, seed: int = 1, threads: int | None = None, memory_limit: str = "4GB"
) -> dict[str, float]:
    """Build the database file (written to a temporary name, then renamed).

    Args:
        out: the DuckDB file to create (replaced if it exists).
        rows: number of rows.
        seed: mixed into every hash, so another seed gives another table.
        threads: DuckDB threads (default: all cores).
        memory_limit: DuckDB memory limit.

    Returns:
        Elapsed seconds per phase (`dimensions`, `rows`, `checkpoint`, `total`).
    """
    import duckdb

    schema = load_schema()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    for path in (tmp, Path(str(tmp) + ".wal")):
        path.unlink(missing_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        _session(con)
        for stmt in dimension_sql(seed):
            con.execute(stmt)
        timings["dimensions"] = time.perf_counter() - start
        con.execute(create_table_sql(schema))
        t = time.perf_counter()
        # One statement: its insert runs on one core here (measured with DuckDB 2.0: neither
        # a parallel source nor concurrent per-chunk transactions from threads made it faster).
        con.execute(rows_sql(rows, seed, schema))
        timings["rows"] = time.perf_counter() - t
        for name in DIMENSIONS:
            con.execute(f"DROP TABLE {name}")
        meta = {
            "generator": "benchmarks/data.py",
            "version": GENERATOR_VERSION,
            "rows": rows,
            "seed": seed,
            "now": NOW.isoformat().replace("+00:00", "Z"),
            "duckdb": duckdb.__version__,
            "seconds": round(time.perf_counter() - start, 1),
        }
        con.execute(f"COMMENT ON TABLE {TABLE} IS {sql_str(json.dumps(meta))}")
        t = time.perf_counter()
        con.execute("CHECKPOINT")
        timings["checkpoint"] = time.perf_counter() - t
    finally:
        con.close()
    os.replace(tmp, out)
    timings["total"] = time.perf_counter() - start
    return timings


def table_meta(con: Any) -> dict[str, Any]:
    """The generation parameters stored in the table comment ({} if absent)."""
    rows = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = ?", [TABLE]
    ).fetchall()
    try:
        return dict(json.loads(rows[0][0])) if rows and rows[0][0] else {}
    except ValueError:
        return {}


def verify(path: Path) -> list[str]:
    """Sanity checks on a generated file; returns the problems found (empty if none)."""
    import duckdb

    problems = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        schema = load_schema()
        described = con.execute(f"DESCRIBE {TABLE}").fetchall()
        got = [(r[0], r[1]) for r in described]
        want = [(n, KUSTO_TO_DUCKDB[t]) for n, t in schema]
        if got != want:
            problems.append(f"columns differ from the schema: {set(got) ^ set(want)}")
        strings = [n for n, t in schema if t == "string"]
        nulls = " + ".join(f"count(*) FILTER (WHERE {quote(n)} IS NULL)" for n in strings)
        (null_strings,) = con.execute(f"SELECT {nulls} FROM {TABLE}").fetchall()[0]
        if null_strings:
            problems.append(f"{null_strings} NULL values in string columns")
        (unordered,) = con.execute(
            f"SELECT count(*) FROM (SELECT TimeGenerated < lag(TimeGenerated) OVER () AS bad "
            f"FROM {TABLE}) WHERE bad"
        ).fetchall()[0]
        if unordered:
            problems.append(f"{unordered} rows out of TimeGenerated order")
    finally:
        con.close()
    return problems


def summary(path: Path) -> str:
    """A few distributions of the generated data, as text."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        lines = []
        (n, users, ips, lo, hi) = con.execute(
            f"SELECT count(*), count(DISTINCT UserPrincipalName), count(DISTINCT IPAddress), "
            f"min(TimeGenerated), max(TimeGenerated) FROM {TABLE}"
        ).fetchall()[0]
        lines.append(f"rows={n:,} users={users} ips={ips} time=[{lo} .. {hi}]")
        for col in ("ResultType", "AuthenticationRequirement", "ClientAppUsed"):
            top = con.execute(
                f"SELECT {col}, count(*) c FROM {TABLE} GROUP BY 1 ORDER BY c DESC LIMIT 8"
            ).fetchall()
            lines.append(f"{col}: " + ", ".join(f"{v}={c:,}" for v, c in top))
        (bg,) = con.execute(
            f"SELECT count(*) FROM {TABLE} WHERE UserPrincipalName LIKE 'breakglass%'"
        ).fetchall()[0]
        lines.append(f"break-glass rows: {bg}")
        return "\n".join(lines)
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows (default 10M)")
    parser.add_argument("--out", type=Path, default=DEFAULT_DB, help=f"default {DEFAULT_DB}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--verify", action="store_true", help="check types, nulls, order")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be positive")
    print(f"generating {args.rows:,} rows into {args.out} ...", flush=True)
    timings = generate(args.out, args.rows, args.seed, args.threads, args.memory_limit)
    size = args.out.stat().st_size / 2**20
    print(
        f"done in {timings['total']:.1f} s (dimensions {timings['dimensions']:.2f} s, "
        f"rows {timings['rows']:.1f} s, checkpoint {timings['checkpoint']:.1f} s); "
        f"{size:,.0f} MiB; {args.rows / timings['total']:,.0f} rows/s"
    )
    print(summary(args.out))
    if args.verify:
        problems = verify(args.out)
        for p in problems:
            print("PROBLEM:", p)
        if problems:
            return 1
        print("verify: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
