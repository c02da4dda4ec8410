"""Ingestion health: what each table holds and when it last received rows, what was dead-lettered
(`IngestionErrors`), and when each connector last pulled.

`ingestion_health(ws)` is what `GET /manage/v1/ingestion/health` answers (docs/server.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace


@dataclass(frozen=True, slots=True)
class TableHealth:
    name: str
    rows: int
    last_time_generated: datetime | None  # the newest event
    last_received: datetime | None  # when the newest row arrived (`_TimeReceived`)


@dataclass(frozen=True, slots=True)
class DeadLetters:
    """Rows of IngestionErrors for one target table and source."""

    table: str
    source: str
    count: int
    last: datetime | None
    sample_reason: str  # the reason of the newest one


@dataclass(frozen=True, slots=True)
class ConnectorHealth:
    name: str
    kind: str
    last_pull: datetime | None  # the newest checkpoint write: the end of the last pull
    last_error: str | None  # the errors of the last pull
    checkpoints: dict[str, str] = field(default_factory=dict)  # per table, or per container


@dataclass(frozen=True, slots=True)
class IngestionHealth:
    tables: list[TableHealth]
    dead_letters: list[DeadLetters]
    connectors: list[ConnectorHealth]


def ingestion_health(ws: Workspace) -> IngestionHealth:
    return IngestionHealth(_tables(ws), _dead_letters(ws), _connectors(ws))


def _aware(t: datetime | None) -> datetime | None:
    return None if t is None else t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _tables(ws: Workspace) -> list[TableHealth]:
    out = []
    for name, schema in sorted(ws.catalog.tables.items()):
        cols = set(schema.column_names())
        newest = "max(TimeGenerated)" if "TimeGenerated" in cols else "NULL"
        received = "max(_TimeReceived)" if "_TimeReceived" in cols else "NULL"
        row = ws.execute(f'SELECT count(*), {newest}, {received} FROM "{name}"').fetchone()
        assert row is not None  # an aggregate always has a row
        out.append(TableHealth(name, int(row[0]), _aware(row[1]), _aware(row[2])))
    return out


def _dead_letters(ws: Workspace) -> list[DeadLetters]:
    rows = ws.execute(
        "SELECT TargetTable, Source, count(*), max(TimeGenerated), "
        "arg_max(Reason, TimeGenerated) FROM IngestionErrors "
        "GROUP BY TargetTable, Source ORDER BY TargetTable, Source"
    ).fetchall()
    return [DeadLetters(r[0] or "", r[1] or "", int(r[2]), _aware(r[3]), r[4] or "") for r in rows]


def _connectors(ws: Workspace) -> list[ConnectorHealth]:
    out = []
    for name, kind, _ in ws.connectors():
        marks: dict[str, str] = {}
        last_pull: datetime | None = None
        last_error: str | None = None
        for _, key, value, updated in ws.checkpoints(name):
            when = _aware(updated)
            if when is not None and (last_pull is None or when > last_pull):
                last_pull = when
            if key == "last-pull":  # the connector's summary of its last pull
                last_error = _errors(json.loads(value))
            elif not key.startswith("blob:"):  # per-blob offsets: too many to list
                marks[key] = value
        out.append(ConnectorHealth(name, kind, last_pull, last_error, marks))
    return out


def _errors(summary: dict[str, Any]) -> str | None:
    """The errors of a last-pull summary: the storage connector lists them, the Graph connector
    has one per table."""
    errors = list(summary.get("errors") or [])
    for t in summary.get("tables") or []:
        if t.get("error"):
            errors.append(f"{t['table']}: {t['error']}")
    return "; ".join(errors) or None


def to_json(h: IngestionHealth) -> dict[str, Any]:
    """The API's form: camelCase keys, ISO 8601 UTC times."""

    def doc(item: Any) -> dict[str, Any]:
        return {_camel(k): _iso(v) for k, v in asdict(item).items()}

    return {
        "tables": [doc(t) for t in h.tables],
        "deadLetters": [doc(d) for d in h.dead_letters],
        "connectors": [doc(c) for c in h.connectors],
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def _iso(v: Any) -> Any:
    return v.astimezone(UTC).isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v
