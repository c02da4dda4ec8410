"""`kustodian export`: tables to Parquet or CSV, streamed in batches.

The database runs sandboxed (no file access from SQL), so files are written here, from Arrow
batches. CSV follows Log Analytics' exports: datetimes in ISO 8601 with 7 fraction digits and `Z`,
dynamic values as JSON text; such a file ingests back with `kustodian ingest` unchanged.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from kustodian.kql.types import KType

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

BATCH_ROWS = 65_536


def _select(ws: Workspace, table: str, csv: bool) -> str:
    cols = []
    for name, ktype in ws.catalog.tables[table].columns:
        q = f'"{name}"'
        if csv and ktype is KType.DATETIME:
            cols.append(
                f"strftime({q}, '%Y-%m-%dT%H:%M:%S.') || "
                f"lpad(CAST((epoch_ns({q}) % 1000000000 + 1000000000) % 1000000000 // 100 "
                f"AS VARCHAR), 7, '0') || 'Z' AS {q}"
            )
        elif ktype in (KType.DYNAMIC, KType.GUID):
            cols.append(f"CAST({q} AS VARCHAR) AS {q}")
        else:
            cols.append(q)
    return ", ".join(cols)


def export_tables(
    ws: Workspace,
    tables: list[str] | None,
    out: Path,
    fmt: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[Path, int]]:
    """Write each table to OUT/<table>.<fmt>; returns the files and their row counts."""
    names = tables or sorted(ws.catalog.tables)
    for name in names:
        if ws.catalog.get(name) is None:
            raise KeyError(f"no table '{name}' in this workspace")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        cols = ws.catalog.tables[name].column_names()
        where, params = [], []
        if "TimeGenerated" in cols and since is not None:
            where.append("TimeGenerated >= ?")
            params.append(since)
        if "TimeGenerated" in cols and until is not None:
            where.append("TimeGenerated < ?")
            params.append(until)
        sql = f'SELECT {_select(ws, name, fmt == "csv")} FROM "{name}"'
        if where:
            sql += " WHERE " + " AND ".join(where)
        if "TimeGenerated" in cols:
            sql += " ORDER BY TimeGenerated"
        # this thread's connection reads a snapshot while other threads write
        reader = ws.con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
        if tables is None:  # "every table": skip empty ones
            peeked = _peek(reader)
            if peeked is None:
                continue
            reader = peeked
        path = out / f"{name}.{fmt}"
        rows = _write(reader, path, fmt)
        written.append((path, rows))
    return written


class _Peeked:
    def __init__(self, first: pa.RecordBatch, rest: pa.RecordBatchReader) -> None:
        self.first, self.rest, self.schema = first, rest, rest.schema

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield self.first
        yield from self.rest


def _peek(reader: pa.RecordBatchReader) -> _Peeked | None:
    for batch in reader:
        if batch.num_rows:
            return _Peeked(batch, reader)
    return None


def _write(reader: pa.RecordBatchReader, path: Path, fmt: str) -> int:
    rows = 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    if fmt == "parquet":
        with pq.ParquetWriter(tmp, reader.schema, compression="zstd") as w:
            for batch in reader:
                w.write_batch(batch)
                rows += batch.num_rows
    else:
        with pacsv.CSVWriter(tmp, reader.schema) as w:
            for batch in reader:
                w.write_batch(batch)
                rows += batch.num_rows
    tmp.replace(path)
    return rows
