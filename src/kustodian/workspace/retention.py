"""Retention: rows older than their table's retention are removed, and only those.

Each table keeps rows whose `TimeGenerated` is within its retention (the per-table value, else the
workspace default), counted back from `now`. A row exactly at the boundary is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from kustodian.engines.rows import first_row
from kustodian.workspace.config import (
    check_table_retention,
    check_workspace_retention,
)

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace


@dataclass(frozen=True)
class TableRetention:
    table: str
    days: int
    inherited: bool  # from the workspace default
    rows: int
    oldest: datetime | None
    source: str = "workspace"  # where `days` comes from: table, built-in or workspace


def retention_of(ws: Workspace, table: str) -> tuple[int, bool]:
    from kustodian.workspace.tables import DEFAULT_TABLE_RETENTION

    days = ws.config.table_retention.get(table)
    if days is None:
        return DEFAULT_TABLE_RETENTION.get(table, ws.config.retention_days), True
    return days, False


def source_of(ws: Workspace, table: str) -> str:
    """Where a table's retention comes from: `table` (its own setting), `built-in` (a table
    Azure keeps for a fixed time, such as Alerts) or `workspace` (the workspace default)."""
    from kustodian.workspace.tables import DEFAULT_TABLE_RETENTION

    if table in ws.config.table_retention:
        return "table"
    return "built-in" if table in DEFAULT_TABLE_RETENTION else "workspace"


def show(ws: Workspace) -> list[TableRetention]:
    out = []
    for name, schema in sorted(ws.catalog.tables.items()):
        days, inherited = retention_of(ws, name)
        has_time = "TimeGenerated" in schema.column_names()
        row = first_row(
            ws.execute(
                f'SELECT count(*), {"min(TimeGenerated)" if has_time else "NULL"} FROM "{name}"'
            )
        )
        out.append(TableRetention(name, days, inherited, int(row[0]), row[1], source_of(ws, name)))
    return out


def set_workspace_days(ws: Workspace, days: int) -> None:
    check_workspace_retention("retention", days)
    ws.config.retention_days = days
    ws.save_config()


def set_table_days(ws: Workspace, table: str, days: int | None) -> None:
    """Set a table's retention; None returns it to the workspace default."""
    if ws.catalog.get(table) is None:
        raise ValueError(f"no table '{table}' in this workspace")
    if days is None:
        ws.config.table_retention.pop(table, None)
    else:
        check_table_retention(f"retention of {table}", days)
        ws.config.table_retention[table] = days
    ws.save_config()


def apply(ws: Workspace, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Delete the rows past retention in every table; returns the rows removed per table."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    removed: dict[str, int] = {}
    for name, schema in sorted(ws.catalog.tables.items()):
        if "TimeGenerated" not in schema.column_names():
            continue
        days, _ = retention_of(ws, name)
        cutoff = now - timedelta(days=days)
        where = f'FROM "{name}" WHERE TimeGenerated < ?'
        # the ingest lock too: a delete must not race an ingestion batch altering the table
        with ws.ingest_lock, ws.transaction() as con:
            row = first_row(con.execute(f"SELECT count(*) {where}", [cutoff]))
            n = int(row[0]) if row else 0
            if n and not dry_run:
                con.execute(f"DELETE {where}", [cutoff])
        if n:
            removed[name] = n
    return removed


APPLY_EVERY = timedelta(hours=24)
_CHECKPOINT = ("retention", "last_applied")


def apply_if_due(
    ws: Workspace, now: datetime | None = None, every: timedelta = APPLY_EVERY
) -> dict[str, int] | None:
    """Apply retention when it last ran `every` ago or more (the server calls this on a timer);
    returns what was removed, or None when it was not due. The last run is a checkpoint, so a
    restart does not run it again early."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    last = ws.get_checkpoint(*_CHECKPOINT)
    if last is not None and now - datetime.fromisoformat(last) < every:
        return None
    removed = apply(ws, now)
    ws.set_checkpoint(*_CHECKPOINT, now.isoformat())
    return removed
