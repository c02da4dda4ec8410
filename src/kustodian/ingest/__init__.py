"""Ingestion: every export path into the workspace's tables (docs/ingestion.md).

- `ingest_records(ws, records)`: diagnostic-settings records as dicts (the simulator, connectors).
- `ingest_rows(ws, table, rows)`: rows already in Log Analytics shape.
- `ingest_paths(ws, paths, fmt="auto")`: files and directories in any supported export format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from kustodian.ingest.mapping import CATEGORY_TABLES
from kustodian.ingest.sink import DIAG, LA, Ingestor, IngestSummary

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


def ingest_records(
    ws: Workspace,
    records: Iterable[Mapping[str, Any]],
    *,
    source: str = "records",
    progress: Callable[[IngestSummary], None] | None = None,
) -> IngestSummary:
    """Ingest diagnostic-settings records (spec §3.2); each `category` picks its table."""
    ing = Ingestor(ws, progress=progress)
    for i, rec in enumerate(records):
        # Records of one table batch together (the category is checked again in the batch).
        category = rec.get("category")
        table = CATEGORY_TABLES.get(category.lower()) if isinstance(category, str) else None
        ing.add(_dumps(rec), source, f"record {i + 1}", shape=DIAG, table=table, fmt="records")
    return ing.close()


def ingest_rows(
    ws: Workspace,
    table: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    source: str = "rows",
) -> IngestSummary:
    """Ingest rows in Log Analytics shape (column name → value) into `table`."""
    if ws.catalog.get(table) is None:
        raise KeyError(f"no table '{table}' in this workspace")
    ing = Ingestor(ws)
    for i, row in enumerate(rows):
        ing.add(_dumps(row), source, f"row {i + 1}", shape=LA, table=table, fmt="rows")
    return ing.close()


def ingest_paths(
    ws: Workspace,
    paths: Iterable[str],
    *,
    fmt: str = "auto",
    table: str | None = None,
    progress: Callable[[IngestSummary], None] | None = None,
) -> IngestSummary:
    """Ingest files and directory trees; the format is detected per file unless given."""
    from kustodian.ingest.readers import read_path

    ing = Ingestor(ws, progress=progress)
    for path in paths:
        read_path(ing, path, fmt=fmt, table=table)
    return ing.close()


__all__ = ["IngestSummary", "Ingestor", "ingest_paths", "ingest_records", "ingest_rows"]
