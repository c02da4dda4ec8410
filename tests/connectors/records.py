"""Small, valid diagnostic-settings records (spec §3.2) and the archive's blob layout (§3.4)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

TENANT = "8f6a1c2e-51d4-4c1b-9a39-0c5e1f0a7b21"
_NS = uuid.UUID("4f0c5e5a-2b1d-4c3e-8f7a-6b5c4d3e2f10")


def _id(kind: str, n: int) -> str:
    return str(uuid.uuid5(_NS, f"{kind}-{n}"))


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def signin(n: int, t: datetime, *, category: str = "SignInLogs") -> dict[str, Any]:
    """A sign-in record: user n, at t; every fifth one fails with 50126."""
    failed = n % 5 == 4
    return {
        "time": _iso(t),
        "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity",
        "operationVersion": "1.0",
        "category": category,
        "tenantId": TENANT,
        "resultType": "50126" if failed else "0",
        "resultSignature": "None",
        "resultDescription": "Invalid username or password." if failed else "",
        "durationMs": 0,
        "callerIpAddress": f"203.0.113.{n % 250}",
        "correlationId": _id("corr", n),
        "identity": f"User {n}",
        "Level": 4,
        "location": "NL",
        "properties": {
            "id": _id(category, n),
            "createdDateTime": _iso(t),
            "userDisplayName": f"User {n}",
            "userPrincipalName": f"user{n}@contoso.com",
            "userId": _id("user", n),
            "appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
            "appDisplayName": "Azure Portal",
            "ipAddress": f"203.0.113.{n % 250}",
            "clientAppUsed": "Browser",
            "conditionalAccessStatus": "notApplied",
            "isInteractive": category == "SignInLogs",
            "status": {"errorCode": 50126 if failed else 0},
            "location": {"city": "Amsterdam", "countryOrRegion": "NL"},
        },
    }


def audit(n: int, t: datetime) -> dict[str, Any]:
    """An audit record: user n was added."""
    return {
        "time": _iso(t),
        "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
        "operationName": "Add user",
        "operationVersion": "1.0",
        "category": "AuditLogs",
        "tenantId": TENANT,
        "resultSignature": "None",
        "durationMs": 0,
        "callerIpAddress": "<null>",
        "correlationId": _id("corr-audit", n),
        "Level": "Informational",
        "properties": {
            "id": f"Directory_{_id('audit', n)}",
            "category": "UserManagement",
            "correlationId": _id("corr-audit", n),
            "result": "success",
            "resultReason": "",
            "activityDisplayName": "Add user",
            "activityDateTime": _iso(t),
            "loggedByService": "Core Directory",
            "operationType": "Add",
            "initiatedBy": {"user": {"userPrincipalName": "admin@contoso.com"}},
            "targetResources": [{"userPrincipalName": f"user{n}@contoso.com", "type": "User"}],
            "additionalDetails": [],
        },
    }


def lines(records: list[dict[str, Any]]) -> bytes:
    """JSON lines, each ending in a line break, as Azure Monitor appends them."""
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def hour_path(root: str, hour: datetime) -> str:
    """`<root>y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`; root is `tenantId=<guid>/` or similar."""
    return f"{root}y={hour:%Y}/m={hour:%m}/d={hour:%d}/h={hour:%H}/m=00/PT1H.json"


def in_hour(hour: datetime, i: int) -> datetime:
    return hour + timedelta(minutes=i % 60, seconds=7 * i % 60, microseconds=123456)
