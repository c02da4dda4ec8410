"""Diagnostic-settings records (spec section 3.2): the envelope and its Graph-style properties.

Times are integer ticks of 100 ns since the Unix epoch, formatted with 7 fraction digits. Nested
objects that never change (device details, locations, Conditional Access results) are shared
between records for speed: treat records as read-only.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from kustodian.ingest.mapping import diagnostic_record

TICKS = 10_000_000  # per second
DAY = 86_400 * TICKS
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = EPOCH.date().toordinal()

SIGNIN_CATEGORIES = (
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
)
CATEGORIES = (*SIGNIN_CATEGORIES, "AuditLogs", "RiskyUsers", "UserRiskEvents")


def to_ticks(dt: datetime) -> int:
    """Ticks since the epoch of an aware datetime (naive ones are taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * TICKS + delta.microseconds * 10


def from_ticks(t: int) -> datetime:
    return EPOCH + timedelta(microseconds=t // 10)


@lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    return date.fromordinal(_EPOCH_DAY + day).isoformat() + "T"


def iso(t: int) -> str:
    """`2024-05-01T12:00:00.1234567Z`: the envelope's `time`."""
    sec, frac = divmod(t, TICKS)
    day, sod = divmod(sec, 86_400)
    h, rem = divmod(sod, 3600)
    m, s = divmod(rem, 60)
    return f"{_day_prefix(day)}{h:02d}:{m:02d}:{s:02d}.{frac:07d}Z"


def iso_offset(t: int) -> str:
    """`2024-05-01T12:00:00.1234567+00:00`: how `properties` spell their times."""
    return iso(t)[:-1] + "+00:00"


def envelope(
    t: int,
    tenant_id: str,
    operation: str,
    category: str,
    result_type: str,
    description: str,
    ip: str,
    correlation_id: str,
    identity: str,
    level: int | str,
    location: str,
    properties: dict[str, Any],
) -> dict[str, Any]:
    return diagnostic_record(
        time=iso(t),
        tenant=tenant_id,
        operation=operation,
        category=category,
        result_type=result_type,
        description=description,
        ip=ip,
        correlation=correlation_id,
        identity=identity,
        level=level,
        location=location,
        properties=properties,
    )


# Shared constant sub-objects (records are read-only).
EMPTY: list[Any] = []
EMPTY_OBJ: dict[str, Any] = {}
CAE_FALSE = [{"key": "IsCAEToken", "value": "False"}]
CAE_TRUE = [{"key": "IsCAEToken", "value": "True"}]
LEGACY_TLS = [
    {"key": "Legacy TLS (TLS 1.0, 1.1, 3DES)", "value": "False"},
    {"key": "IsCAEToken", "value": "False"},
]
CA_REQUIREMENT = [{"requirementProvider": "multiConditionalAccess", "detail": "Conditional Access"}]
RISK_REQUIREMENT = [
    {"requirementProvider": "multiConditionalAccess", "detail": "Conditional Access"},
    {"requirementProvider": "riskBasedPolicy", "detail": "Risk-based Conditional Access"},
]
INTERACTIVE_TYPES = ["interactiveUser"]
NONINTERACTIVE_TYPES = ["nonInteractiveUser"]

SINGLE = "singleFactorAuthentication"
MULTI = "multiFactorAuthentication"


def step(
    when: str,
    method: str,
    ok: bool,
    detail: str,
    requirement: str,
    method_detail: str = "",
) -> dict[str, Any]:
    """One entry of `authenticationDetails`."""
    return {
        "authenticationStepDateTime": when,
        "authenticationMethod": method,
        "authenticationMethodDetail": method_detail,
        "succeeded": ok,
        "authenticationStepResultDetail": detail,
        "authenticationStepRequirement": requirement,
        "StatusSequence": 0,
        "RequestSequence": 0,
    }


PRIMARY = "Primary authentication"
MFA_STEP = "Multi-factor authentication"


def status(code: int, reason: str, details: str = "") -> dict[str, Any]:
    if code == 0:
        return {"errorCode": 0, "additionalDetails": details} if details else {"errorCode": 0}
    out: dict[str, Any] = {"errorCode": code, "failureReason": reason}
    if details:
        out["additionalDetails"] = details
    return out


def location_detail(city: str, state: str, country: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "city": city,
        "state": state,
        "countryOrRegion": country,
        "geoCoordinates": {"latitude": lat, "longitude": lon},
    }


def audit_properties(
    t: int,
    record_id: str,
    activity: str,
    category: str,
    service: str,
    operation_type: str,
    correlation_id: str,
    initiated_by: dict[str, Any],
    targets: list[dict[str, Any]],
    details: list[dict[str, str]],
    result: str,
    reason: str,
) -> dict[str, Any]:
    return {
        "id": record_id,
        "category": category,
        "correlationId": correlation_id,
        "result": result,
        "resultReason": reason,
        "activityDisplayName": activity,
        "activityDateTime": iso_offset(t),
        "loggedByService": service,
        "operationType": operation_type,
        "initiatedBy": initiated_by,
        "targetResources": targets,
        "additionalDetails": details,
    }


def user_target(
    user_id: str,
    upn: str,
    display: str | None = None,
    modified: list[dict[str, str | None]] | None = None,
) -> dict[str, Any]:
    return {
        "id": user_id,
        "displayName": display,
        "type": "User",
        "userPrincipalName": upn,
        "modifiedProperties": modified or [],
        "administrativeUnits": [],
    }


def modified(name: str, old: Any, new: Any) -> dict[str, str | None]:
    """`modifiedProperties` entries hold JSON text, as Entra writes them."""
    return {
        "displayName": name,
        "oldValue": json.dumps(old) if old is not None else None,
        "newValue": json.dumps(new) if new is not None else None,
    }


def record_ticks(record: dict[str, Any]) -> int:
    """The ticks of a record's `time` (`2024-05-01T12:00:00.1234567Z`, fraction optional)."""
    text: str = record["time"]
    base = datetime(
        int(text[0:4]),
        int(text[5:7]),
        int(text[8:10]),
        int(text[11:13]),
        int(text[14:16]),
        int(text[17:19]),
        tzinfo=UTC,
    )
    frac = text[20:].rstrip("Z") if len(text) > 20 and text[19] == "." else ""
    return to_ticks(base) + (int(frac.ljust(7, "0")[:7]) if frac else 0)
