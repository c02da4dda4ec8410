"""Table definitions beyond the shipped Entra schema: standard columns, system and custom tables."""

from __future__ import annotations

import re

from kustodian.kql.catalog import Catalog, TableSchema
from kustodian.kql.types import KType

# The dead-letter table: what could not be ingested, why, and the raw text (docs/ingestion.md).
INGESTION_ERRORS = TableSchema(
    "IngestionErrors",
    (
        ("TimeGenerated", KType.DATETIME),
        ("Source", KType.STRING),
        ("Position", KType.STRING),
        ("Format", KType.STRING),
        ("TargetTable", KType.STRING),
        ("Reason", KType.STRING),
        ("RawData", KType.STRING),
        ("RunId", KType.STRING),
        ("TenantId", KType.STRING),
        ("Type", KType.STRING),
        ("_ItemId", KType.STRING),
    ),
)

# One row per query the server ran (docs/server.md), with Log Analytics' LAQueryLogs columns.
# AADEmail / AADObjectId name the API token (its name and id) instead of an Entra user.
LA_QUERY_LOGS = TableSchema(
    "LAQueryLogs",
    (
        ("TimeGenerated", KType.DATETIME),
        ("AADEmail", KType.STRING),
        ("AADObjectId", KType.STRING),
        ("AADTenantId", KType.STRING),
        ("AADClientId", KType.STRING),
        ("CorrelationId", KType.STRING),
        ("QueryText", KType.STRING),
        ("QueryTimeRangeStart", KType.DATETIME),
        ("QueryTimeRangeEnd", KType.DATETIME),
        ("RequestClientApp", KType.STRING),
        ("RequestContext", KType.DYNAMIC),
        ("RequestTarget", KType.STRING),
        ("ResponseCode", KType.INT),
        ("ResponseDurationMs", KType.REAL),
        ("ResponseRowCount", KType.INT),
        ("ResponseSystemError", KType.STRING),
        ("StatsCPUTimeMs", KType.REAL),
        ("StatsWorkspaceCount", KType.INT),
        ("StatsRegionCount", KType.INT),
        ("IsBillableQuery", KType.BOOL),
        ("IsWorkspaceInFailover", KType.BOOL),
        ("TenantId", KType.STRING),
        ("Type", KType.STRING),
        ("_ItemId", KType.STRING),
    ),
)

# Every notification attempt of an action group (docs/action-groups.md): one row per attempt.
ACTION_DELIVERIES = TableSchema(
    "ActionDeliveries",
    (
        ("TimeGenerated", KType.DATETIME),
        ("DeliveryId", KType.STRING),
        ("AlertId", KType.STRING),
        ("AlertRule", KType.STRING),
        ("MonitorCondition", KType.STRING),
        ("ActionGroup", KType.STRING),
        ("Receiver", KType.STRING),
        ("ReceiverType", KType.STRING),
        ("Target", KType.STRING),
        ("Attempt", KType.INT),
        ("Status", KType.STRING),
        ("HttpStatus", KType.INT),
        ("Error", KType.STRING),
        ("DurationMs", KType.REAL),
        ("IsTest", KType.BOOL),
        ("TenantId", KType.STRING),
        ("Type", KType.STRING),
        ("_ItemId", KType.STRING),
    ),
)

# Alert instances (kustodian.alerts, docs/alert-rules.md): one row per alert, updated as its
# monitor condition and user state change; History lists every change.
ALERTS = TableSchema(
    "Alerts",
    (
        ("TimeGenerated", KType.DATETIME),
        ("AlertId", KType.STRING),
        ("AlertRule", KType.STRING),
        ("AlertTitle", KType.STRING),
        ("Description", KType.STRING),
        ("Severity", KType.STRING),
        ("MonitorCondition", KType.STRING),
        ("UserState", KType.STRING),
        ("Stateful", KType.BOOL),
        ("FiredTime", KType.DATETIME),
        ("ResolvedTime", KType.DATETIME),
        ("LastModifiedTime", KType.DATETIME),
        ("EvaluationTime", KType.DATETIME),
        ("WindowStart", KType.DATETIME),
        ("WindowEnd", KType.DATETIME),
        ("Dimensions", KType.DYNAMIC),
        ("MetricValue", KType.REAL),
        ("Threshold", KType.REAL),
        ("Operator", KType.STRING),
        ("TimeAggregation", KType.STRING),
        ("MetricMeasureColumn", KType.STRING),
        ("Query", KType.STRING),
        ("ActionGroups", KType.DYNAMIC),
        ("ActionsSuppressed", KType.BOOL),
        ("CustomProperties", KType.DYNAMIC),
        ("ExtendedProperties", KType.DYNAMIC),
        ("History", KType.DYNAMIC),
        ("TenantId", KType.STRING),
        ("Type", KType.STRING),
    ),
)


# Tables whose retention does not follow the workspace default (a per-table setting still wins):
# Azure keeps alert instances 30 days.
DEFAULT_TABLE_RETENTION: dict[str, int] = {"Alerts": 30}

SYSTEM_TABLES: tuple[TableSchema, ...] = (
    INGESTION_ERRORS,
    LA_QUERY_LOGS,
    ACTION_DELIVERIES,
    ALERTS,
)

# The columns that identify one event, per table: ingesting it again is a duplicate. Tables not
# listed (and rows whose key columns are empty) are keyed by their whole content.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "SigninLogs": ("Id",),
    "AADNonInteractiveUserSignInLogs": ("Id",),
    "AADServicePrincipalSignInLogs": ("Id",),
    "AADManagedIdentitySignInLogs": ("Id",),
    "AuditLogs": ("Id",),
    "AADRiskyUsers": ("Id", "RiskLastUpdatedDateTime"),
    "AADUserRiskEvents": ("Id", "LastUpdatedDateTime"),
}


_CUSTOM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}_CL$")
_COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,499}$")


def check_custom_table(
    name: str, columns: list[tuple[str, KType]], catalog: Catalog
) -> list[tuple[str, KType]]:
    """Validate a custom table declaration as Log Analytics does; returns its columns."""
    if not _CUSTOM_NAME.match(name):
        raise ValueError(
            f"table '{name}': custom table names end in _CL and use letters, digits and _"
        )
    if catalog.get(name) is not None:
        raise ValueError(f"table '{name}' already exists")
    seen: set[str] = set()
    out: list[tuple[str, KType]] = []
    for col, ktype in columns:
        if not _COLUMN_NAME.match(col):
            raise ValueError(f"table '{name}', column '{col}': letters, digits and _ only")
        if col.lower() in seen:
            raise ValueError(f"table '{name}', column '{col}': declared twice")
        seen.add(col.lower())
        out.append((col, ktype))
    if "timegenerated" not in seen:
        out.insert(0, ("TimeGenerated", KType.DATETIME))
    elif dict(out).get("TimeGenerated") not in (KType.DATETIME, None):
        raise ValueError(f"table '{name}', column 'TimeGenerated': must be datetime")
    return out
