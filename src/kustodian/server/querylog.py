"""`LAQueryLogs`: one row per query the server ran, queryable with KQL."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kustodian.workspace.workspace import Workspace

_COLUMNS = (
    "TimeGenerated, AADEmail, AADObjectId, AADTenantId, AADClientId, CorrelationId, QueryText, "
    "QueryTimeRangeStart, QueryTimeRangeEnd, RequestClientApp, RequestContext, RequestTarget, "
    "ResponseCode, ResponseDurationMs, ResponseRowCount, ResponseSystemError, StatsCPUTimeMs, "
    "StatsWorkspaceCount, StatsRegionCount, IsBillableQuery, IsWorkspaceInFailover, TenantId, "
    "Type, _ItemId"
)


@dataclass
class QueryLogEntry:
    """What the server knows about one query when it has answered it."""

    token_name: str
    token_id: str
    query_text: str
    workspace_id: str
    client_app: str = ""
    correlation_id: str = ""
    range_start: datetime | None = None
    range_end: datetime | None = None
    response_code: int = 200
    duration_ms: float = 0.0
    row_count: int = 0
    system_error: str = ""
    cpu_ms: float = 0.0
    time: datetime = field(default_factory=lambda: datetime.now(UTC))


def record(ws: Workspace, e: QueryLogEntry) -> None:
    context = json.dumps({"workspaces": [e.workspace_id]})
    values = [
        _naive(e.time),
        e.token_name,
        e.token_id,
        "",
        "",
        e.correlation_id,
        e.query_text,
        _naive(e.range_start),
        _naive(e.range_end),
        e.client_app,
        context,
        e.workspace_id,
        e.response_code,
        e.duration_ms,
        e.row_count,
        e.system_error,
        e.cpu_ms,
        1,
        1,
        False,
        False,
        ws.workspace_id,
        "LAQueryLogs",
        str(uuid.uuid4()),
    ]
    marks = ", ".join("?" for _ in values)
    # an append: concurrent ones never conflict, so it takes no workspace lock
    ws.execute(f"INSERT INTO LAQueryLogs ({_COLUMNS}) VALUES ({marks})", values)


def _naive(v: datetime | None) -> datetime | None:
    """UTC without a zone: the column is TIMESTAMP_NS (UTC by convention)."""
    return None if v is None else v.astimezone(UTC).replace(tzinfo=None)
