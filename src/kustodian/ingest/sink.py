"""Batches of raw JSON records into typed tables: mapping, dead letters, de-duplication.

Readers hand records to an `Ingestor` as JSON text with their source and position. The ingestor
buffers them and maps them chunk by chunk, several chunks to a transaction (whole DuckDB row
groups); for each chunk:

1. reads each record's keys in DuckDB (records that are not JSON objects become dead letters);
2. routes diagnostic-settings records to their table by `category` (a chunk is first tried on
   the route of the previous one, checked record by record in step 4's pass);
3. adds extension columns for fields no column takes (mapping.py), typed from their values;
4. converts every field to its column's Kusto type; a value that does not convert rejects the
   record, naming the column, and the record goes to `IngestionErrors` with its raw text;
5. computes `_ItemId` from the table's natural key (tables.py) and inserts only rows whose
   `_ItemId` is not in the table yet, so ingesting the same data again adds nothing.

A chunk's dead letters are written in the same transaction as its rows, so a crash mid-ingest
loses no committed transaction and leaves no half batch behind.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from kustodian.engines.rows import first_row
from kustodian.ingest.mapping import (
    CATEGORY_TABLES,
    DATETIME_FORMATS,
    Field,
    Mapping,
    NewColumn,
    diag_mapping,
    la_mapping,
)
from kustodian.kql.catalog import TableSchema
from kustodian.kql.types import KType
from kustodian.workspace.tables import NATURAL_KEYS

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

# DuckDB's row group. A transaction that appends at least this many rows to a table has them
# compressed and written straight to the database file as its row groups fill; a smaller one
# goes through the write-ahead log and is compressed again by the next checkpoint (about a
# third more work per row).
ROW_GROUP_ROWS = 122_880
# Records per transaction: a crash keeps whole transactions. Two row groups, and chunks are cut
# so that a transaction ends on a row-group boundary, so that every transaction but the last
# is written straight to the file, whatever the chunk size.
BATCH_ROWS = int(os.environ.get("KUSTODIAN_INGEST_BATCH_ROWS", str(2 * ROW_GROUP_ROWS)))
# Records mapped per statement inside a transaction (bounds the memory of one step).
CHUNK_ROWS = int(os.environ.get("KUSTODIAN_INGEST_CHUNK_ROWS", "32768"))
CHUNK_BYTES = 32 << 20
# The first bytes of a file read whole (`add_file`) that type its new extension columns.
SAMPLE_BYTES = 8 << 20

DIAG = "diag"
LA = "la"

# Where an earlier copy of records timed $lo to $hi may be: their `_ItemId`s are looked for
# among the rows within two days of them (a copy from another export may be timed a little
# apart), which lets the zone maps skip the rest of the table.
_NEAR = "TimeGenerated BETWEEN $lo - INTERVAL 2 DAY AND $hi + INTERVAL 2 DAY"


@dataclass
class IngestSummary:
    ingested: int = 0
    duplicates: int = 0
    rejected: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    new_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    run_id: str = ""

    @property
    def rate(self) -> float:
        total = self.ingested + self.duplicates + self.rejected
        return total / self.seconds if self.seconds > 0 else 0.0

    def merge(self, other: IngestSummary) -> None:
        self.ingested += other.ingested
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        for t, n in other.tables.items():
            self.tables[t] = self.tables.get(t, 0) + n
        self.new_columns += other.new_columns

    def to_json(self) -> dict[str, object]:
        return {
            "ingested": self.ingested,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "tables": dict(sorted(self.tables.items())),
            "new_columns": self.new_columns,
            "seconds": round(self.seconds, 3),
            "records_per_second": round(self.rate),
            "run_id": self.run_id,
        }


@dataclass
class _Buffer:
    shape: str
    table: str | None
    fmt: str
    lines: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    size: int = 0


_Error = tuple[str, str, str, str, str, str]  # source, position, format, table, reason, raw


@dataclass
class _Batch:
    """Records to map in one transaction: `lines[n]` is record n, `locate(n)` its position."""

    shape: str
    table: str | None
    fmt: str
    lines: pa.Array | pa.ChunkedArray
    locate: Callable[[int], tuple[str, str]]

    def error(self, n: int, reason: str, table: str = "") -> _Error:
        source, position = self.locate(n)
        raw = str(self.lines[n].as_py()).rstrip("\r\n")
        return (source, position, self.fmt, table or self.table or "", reason, raw)

    def __len__(self) -> int:
        return len(self.lines)


@dataclass(frozen=True)
class _Route:
    """Where the last chunk of an input went: one table, its category (diagnostic records),
    the union of its records' keys and the hashes of their key sets (see `_keys`)."""

    table: str
    category: str | None
    top: frozenset[str]
    props: frozenset[str]
    hashes: frozenset[int]


def _keys(shape: str, *, tolerant: bool = True) -> str:
    """A record's key lists (top level and, for diagnostic records, `properties`); NULL when
    the text is not JSON, or an error without `tolerant` (faster, for lines known to be JSON
    or whose statement may fail)."""
    keys = "json_keys(line, ['$', '$.properties'])" if shape == DIAG else "json_keys(line)"
    return f"TRY({keys})" if tolerant else keys


@dataclass
class _Piece:
    """Lines of a block not yet in a batch, with their line numbers in their source."""

    lines: pa.Array
    source: str
    numbers: np.ndarray


def _cut(key: tuple[str, str | None, str], pieces: list[_Piece], rows: int) -> _Batch:
    """The first `rows` records of the pending pieces, as one batch (the pieces shrink)."""
    taken: list[_Piece] = []
    need = rows
    while pieces and need > 0:
        p = pieces[0]
        if len(p.lines) <= need:
            taken.append(pieces.pop(0))
            need -= len(p.lines)
        else:
            taken.append(_Piece(p.lines.slice(0, need), p.source, p.numbers[:need]))
            pieces[0] = _Piece(p.lines.slice(need), p.source, p.numbers[need:])
            need = 0
    starts = np.cumsum([0] + [len(p.lines) for p in taken])

    def locate(n: int) -> tuple[str, str]:
        i = int(np.searchsorted(starts, n, side="right")) - 1
        p = taken[i]
        return p.source, f"line {int(p.numbers[n - starts[i]])}"

    lines = pa.chunked_array([p.lines for p in taken]) if len(taken) > 1 else taken[0].lines
    shape, table, fmt = key
    return _Batch(shape, table, fmt, lines, locate)


@dataclass
class _Plan:
    """How one table's records of a chunk are converted, checked and keyed (SQL over the
    `_converted` subquery of `mapping`)."""

    table: str
    mapping: Mapping  # the table's mapping, plus `__category` when the route names one
    types: dict[str, KType]
    mapped: set[str]  # columns the records fill
    key_cols: list[str]
    checked: list[Field]  # fields whose text can fail to convert
    fits: list[str]  # per checked field: its text converted, or was empty
    time_expr: str  # TimeGenerated
    data_time: str  # the record's own time; NULL where the row gets the ingestion time
    item_id: str
    item_parts: str | None  # the natural key's text when the record has an Id (else NULL)
    billed: str  # _BilledSize
    route_ok: str  # with a route: the record takes it (key set seen, its category)

    @property
    def valid(self) -> list[str]:
        """What an optimistic insert checks of every record besides its route: a time of its
        own, and every value converting."""
        return [f"({self.data_time}) IS NOT NULL", *self.fits]

    @classmethod
    def of(cls, mapping: Mapping, schema: TableSchema, shape: str, guard: _Route | None) -> _Plan:
        table = mapping.table
        types = dict(schema.columns)
        mapped = {f.column for f in mapping.fields} | set(mapping.constants)
        key_cols = [c for c in NATURAL_KEYS.get(table, ()) if c in mapped]
        checked = [f for f in mapping.fields if f.ktype not in (KType.STRING, KType.DYNAMIC)]
        fits = [
            f'("{f.column}" IS NOT NULL OR "__v_{f.column}" IS NULL '
            f"OR trim(\"__v_{f.column}\") = '')"
            for f in checked
        ]
        # only typed time columns (an extension column named like one, e.g. createdDateTime of
        # a service principal sign-in, is text)
        read = {f.column for f in checked} | set(key_cols)
        times = [c for c in ("TimeGenerated", "CreatedDateTime", "ActivityDateTime") if c in read]
        time_expr = (
            f"coalesce({', '.join([*times, '$received'])})" if "TimeGenerated" in types else "NULL"
        )
        data_time = f"coalesce({', '.join(times)})" if times else "NULL"
        parts: str | None = None
        key = "line"
        if "Id" in key_cols:
            parts = " || '|' || ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '')" for c in key_cols)
            key = f"CASE WHEN \"Id\" <> '' THEN {parts} ELSE line END"
        # The record's size as Log Analytics bills it: the bytes of its values as text (what
        # the reader received is not counted: each writer spaces its JSON its own way).
        sizes = [
            f'strlen("{f.column}")'
            if f.ktype is KType.STRING
            else f'coalesce(strlen(CAST("{f.column}" AS VARCHAR)), 0)'
            for f in mapping.fields
        ]
        billed = f"CAST({' + '.join(sizes) or '0'} AS DOUBLE)"
        route_ok = ""
        if guard is not None:
            route_ok = f"hash({_keys(shape)}) IN ({', '.join(map(str, sorted(guard.hashes)))})"
            if guard.category is not None:
                mapping = Mapping(
                    table,
                    [*mapping.fields, Field("__category", KType.STRING, ("category",))],
                    mapping.new_columns,
                    mapping.constants,
                )
                route_ok += f" AND lower(\"__category\") = '{guard.category}'"
        return cls(
            table,
            mapping,
            types,
            mapped,
            key_cols,
            checked,
            fits,
            time_expr,
            data_time,
            _guid(f"'{table}|' || {key}"),
            parts,
            billed,
            route_ok,
        )


class Ingestor:
    """Accepts records, writes them in batches; `close()` flushes and returns the summary.

    Args:
        ws: the workspace.
        batch_rows: records per transaction.
        progress: called after each mapped chunk and each commit with the running summary.
    """

    def __init__(
        self,
        ws: Workspace,
        *,
        batch_rows: int = BATCH_ROWS,
        progress: Callable[[IngestSummary], None] | None = None,
    ) -> None:
        self.ws = ws
        self.batch_rows = batch_rows
        self.chunk_rows = min(batch_rows, CHUNK_ROWS)
        self.progress = progress
        self._in_txn = 0  # records mapped in the open transaction
        self._txn_open = False
        self.summary = IngestSummary(run_id=str(uuid.uuid4()))
        self._buffers: dict[tuple[str, str | None], _Buffer] = {}
        self._pieces: dict[tuple[str, str | None, str], list[_Piece]] = {}
        self._errors: list[_Error] = []
        self._started = time.perf_counter()
        self._mappings: dict[tuple[object, ...], Mapping] = {}
        # Key sets seen, by hash: (top-level keys, property keys).
        self._key_sets: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        # Tables given extension columns in the open transaction: the workspace's catalog
        # learns them at commit, so that concurrent queries never name an uncommitted column.
        self._altered: dict[str, TableSchema] = {}
        # Where the last chunk of each input (shape, table, format) went, when it went to one
        # table with no error: the next chunk is tried on the same route first.
        self._routes: dict[tuple[str, str | None, str], _Route] = {}
        # Inputs whose last chunk could not be inserted optimistically (see `_table`).
        self._careful: set[tuple[str, str | None, str]] = set()
        self._last_duplicates = 0

    # -- input -------------------------------------------------------------------------------

    def add(
        self,
        text: str,
        source: str,
        position: str,
        *,
        shape: str = DIAG,
        table: str | None = None,
        fmt: str = "",
    ) -> None:
        """One record as JSON text. `table` is required for the `la` shape."""
        key = (shape, table)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = _Buffer(shape, table, fmt or shape)
        buf.lines.append(text)
        buf.sources.append(source)
        buf.positions.append(position)
        buf.size += len(text)
        if len(buf.lines) >= self.chunk_rows or buf.size >= CHUNK_BYTES:
            self._flush(buf)

    def reject(
        self, source: str, position: str, reason: str, raw: str, fmt: str, table: str = ""
    ) -> None:
        """A record (or a whole file) a reader could not read: it goes to IngestionErrors."""
        self._errors.append((source, position, fmt, table, reason, raw))
        if len(self._errors) >= 1000:
            self.flush()

    def flush(self) -> None:
        """Map and commit everything received so far."""
        for key, pieces in self._pieces.items():
            while pieces:
                self._run(_cut(key, pieces, self._chunk_size()))
        for buf in list(self._buffers.values()):
            if buf.lines:
                self._flush(buf)
        if self._errors:
            self._begin()
            try:
                self._write_errors(self.ws.con, self._errors)
            except BaseException:
                self._rollback()
                raise
            self.summary.rejected += len(self._errors)
            self._errors = []
        self._commit()

    # -- transactions spanning several mapped chunks -----------------------------------------

    # Under the workspace's ingest lock (one ingestion batch at a time; queries go on), on the
    # calling thread's connection: a transaction belongs to the thread that began it.

    def _begin(self) -> None:
        if not self._txn_open:
            self.ws.ingest_lock.acquire()
            self.ws.con.execute("BEGIN TRANSACTION")
            self._txn_open, self._in_txn = True, 0

    def _commit(self) -> None:
        if self._txn_open:
            try:
                self.ws.con.execute("COMMIT")
                for schema in self._altered.values():
                    self.ws.catalog.add(schema)
            finally:
                self._txn_open = False
                self._altered.clear()
                self.ws.ingest_lock.release()
            self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.summary.seconds = time.perf_counter() - self._started
            self.progress(self.summary)

    def _rollback(self) -> None:
        if self._txn_open:
            try:
                self.ws.con.execute("ROLLBACK")
            finally:
                self._txn_open = False
                self._altered.clear()
                self._mappings.clear()  # they may name the columns rolled back
                self.ws.ingest_lock.release()

    def _schema(self, table: str) -> TableSchema:
        """The table as the open transaction sees it."""
        return self._altered.get(table) or self.ws.catalog.tables[table]

    def close(self) -> IngestSummary:
        self.flush()
        self.summary.seconds = time.perf_counter() - self._started
        return self.summary

    # -- a whole file at once ------------------------------------------------------------------

    def add_file(self, path: Path, label: str, first: dict[str, Any]) -> bool:
        """Ingest a file of diagnostic records, one per line, with DuckDB reading the file
        itself (`read_json`), in a transaction of its own; `first` is its first record.

        A pass over the file's lines reads every record's keys (and that every line is JSON);
        the INSERT then converts and checks every record as `_optimistic` does, and the rows it
        wrote must all be new. When anything does not hold (a line that is not JSON, a value
        that does not convert, another category, a duplicate...), or DuckDB may not read the
        file, nothing is written and False is returned: the caller then reads the file block by
        block, whose careful passes say which record and why.
        """
        category = first.get("category")
        table = CATEGORY_TABLES.get(category.lower()) if isinstance(category, str) else None
        if table is None or not self.ws.engine.may_read(path):
            return False
        real = os.path.realpath(path)
        self.flush()  # the file's transaction is its own
        con = self.ws.con
        lines = _lines_of(real)
        keys = _keys(DIAG, tolerant=False)
        try:
            groups = con.execute(
                f"SELECT h, count(*) FROM (SELECT hash({keys}) AS h FROM {lines} "
                "WHERE line IS NOT NULL) GROUP BY ALL"
            ).fetchall()
            new = [kh for kh, _ in groups if kh not in self._key_sets]
            if len(new) > 64:
                return False
            for kh in new:  # one record of each key set not seen yet (found near the top)
                row = first_row(
                    con.execute(
                        f"SELECT {keys} FROM {lines} WHERE line IS NOT NULL "
                        f"AND hash({keys}) = ? LIMIT 1",
                        [kh],
                    )
                )
                if row is None:
                    return False
                t, p = row[0]
                self._key_sets[kh] = (frozenset(t), frozenset(p or ()))
        except duckdb.Error:  # a line that is not JSON, a line too long...: block by block
            return False
        top: set[str] = set()
        props: set[str] = set()
        total = 0
        for kh, count in groups:
            t, p = self._key_sets[kh]
            if "category" not in t or "records" in t or _folds(t) or _folds(p):
                return False  # DuckDB's column names ignore case: two keys would be one
            top, props, total = top | t, props | p, total + count
        if not total:
            return False
        received = _received()
        self._begin()
        try:
            mapping = self._mapping(DIAG, table, top, props)
            if mapping.new_columns:  # typed from the values of the file's first records
                sample = _ChunkConnection(con, _head_lines(real, SAMPLE_BYTES))
                self._extend(sample, table, mapping.new_columns, "TRUE")
                mapping = self._mapping(DIAG, table, top, props)
            plan = _Plan.of(mapping, self._schema(table), DIAG, None)
            if plan.item_parts is None or plan.data_time == "NULL":
                self._rollback()
                return False
            inserted = self._insert_file(con, plan, real, str(category).lower(), received, total)
            if inserted is None or not _all_new(con, table, received, inserted, total):
                self._rollback()
                return False
        except duckdb.Error:
            self._rollback()
            return False
        except BaseException:
            self._rollback()
            raise
        self.summary.ingested += inserted
        self.summary.tables[table] = self.summary.tables.get(table, 0) + inserted
        self._commit()
        return True

    def _insert_file(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: _Plan,
        path: str,
        category: str,
        received: datetime,
        total: int,
    ) -> int | None:
        """The INSERT of `add_file`: every record, those that fail a check with a NULL `_ItemId`;
        the rows written, or None when the mapping cannot be read this way. Fields no column
        takes yet (empty in the first records) must be empty everywhere."""
        tree = plan.mapping.tree()
        if isinstance(tree.setdefault("category", "VARCHAR"), dict):
            return None
        empty = []
        for col in plan.mapping.new_columns:
            node = tree
            for key in col.path[:-1]:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    return None  # a value and a parent: json_transform's way would read JSON
                node = child
            node.setdefault(col.path[-1], "VARCHAR")
            empty.append(f"coalesce(CAST({_file_value(col.path)} AS VARCHAR), '') = ''")
        inner = [
            f'{_file_value(("category",))} AS "__category"',
            *_columns(plan.mapping, plan.checked, _file_value),
            *(f"{e} AS __empty{i}" for i, e in enumerate(empty)),
        ]
        ok = [
            f'lower("__category") = {_literal(category)}',
            "\"Id\" <> ''",
            *plan.valid,
            *(f"__empty{i}" for i in range(len(empty))),
        ]
        out = self._outputs(plan)
        item_id = _guid(f"'{plan.table}|' || {plan.item_parts}")
        out["_ItemId"] = f"CASE WHEN {' AND '.join(ok)} THEN {item_id} END"
        source = (
            f"read_json({_literal(path)}, format='newline_delimited', "
            f"columns={_read_json_columns(tree)})"
        )
        sql = (
            f'INSERT INTO "{plan.table}" ({_column_list(out)}) '
            f"SELECT {', '.join(out.values())} FROM (SELECT {', '.join(inner)} FROM {source})"
        )
        params = {"received": received, "tenant": self.ws.workspace_id}
        with self._watching(con, total):
            res = first_row(con.execute(sql, _used(sql, params)))
        return int(res[0]) if res else 0

    @contextlib.contextmanager
    def _watching(self, con: duckdb.DuckDBPyConnection, total: int) -> Iterator[None]:
        """Report progress while a long statement runs, from DuckDB's estimate of how far it
        got, as if its share of the `total` records were ingested already."""
        if self.progress is None:
            yield
            return
        stop = threading.Event()
        base = self.summary

        def watch() -> None:
            while not stop.wait(0.25):
                done = con.query_progress()
                if done > 0 and self.progress is not None:
                    self.progress(
                        replace(
                            base,
                            ingested=base.ingested + int(total * min(done, 100.0) / 100),
                            seconds=time.perf_counter() - self._started,
                        )
                    )

        watcher = threading.Thread(target=watch, name="ingest-progress", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()

    # -- one batch ---------------------------------------------------------------------------

    def add_block(
        self,
        data: bytes | bytearray | memoryview,
        source: str,
        first_line: int,
        *,
        shape: str = DIAG,
        table: str | None = None,
        fmt: str = "",
    ) -> int:
        """A block of JSON lines (whole lines), without a Python object per line; returns the
        number of lines (blank ones included).

        Blank lines are skipped; positions are `line N` counted from `first_line`. The block's
        memory is referenced, not copied: the caller must not reuse it.
        """
        if not len(data):
            return 0
        kept, kept_at, count = _split_lines(data)
        piece = _Piece(kept, source, kept_at + first_line)
        key = (shape, table, fmt or shape)
        pieces = self._pieces.setdefault(key, [])
        pieces.append(piece)
        # Chunks of exactly `chunk_rows` records (or CHUNK_BYTES), whatever the block size.
        while sum(len(p.lines) for p in pieces) >= self.chunk_rows or (
            len(pieces) > 1 and sum(p.lines.nbytes for p in pieces) >= CHUNK_BYTES
        ):
            self._run(_cut(key, pieces, self._chunk_size()))
        return count

    def _chunk_size(self) -> int:
        """Records in the next chunk: at most `chunk_rows`, and no more than the open
        transaction still takes, so that transactions end on row-group boundaries."""
        left = self.batch_rows - self._in_txn if self._txn_open else self.batch_rows
        return max(1, min(self.chunk_rows, left))

    def _flush(self, buf: _Buffer) -> None:
        sources, positions = buf.sources, buf.positions

        def locate(n: int) -> tuple[str, str]:
            return sources[n], positions[n]

        batch = _Batch(
            buf.shape, buf.table, buf.fmt, pa.array(buf.lines, pa.large_string()), locate
        )
        buf.lines, buf.sources, buf.positions, buf.size = [], [], [], 0
        self._run(batch)

    def _run(self, batch: _Batch) -> None:
        """Map one chunk inside the open transaction; commit when the transaction is full."""
        arrow = _numbered(batch.lines)
        received = _received()
        con = _ChunkConnection(self.ws.con, arrow)
        self._begin()
        try:
            errors = self._batch(con, batch, received)
            if errors:
                self._write_errors(self.ws.con, errors)
        except BaseException:
            self._rollback()
            raise
        self.summary.rejected += len(errors)
        self._in_txn += len(batch)
        if self._in_txn >= self.batch_rows:
            self._commit()  # reports progress
        else:
            self._report()

    def _batch(self, con: _ChunkConnection, b: _Batch, received: datetime) -> list[_Error]:
        """Route and check the batch.

        When the previous chunk of the same input went to one table with no error, this one is
        mapped as if it did too, with a guard in the first pass of `_table`: every record must
        be a JSON object of that category with a key set seen before. Only when the guard fails
        is the chunk routed by a pass of its own, which reads each record's keys and category.
        """
        route_key = (b.shape, b.table, b.fmt)
        route = self._routes.get(route_key)
        if route is not None:
            guarded = self._table(
                con, b, route.table, "TRUE", set(route.top), set(route.props), received, route
            )
            if guarded is not None:
                return guarded
            del self._routes[route_key]
        errors, new = self._route(con, b, received)
        if new is not None:
            if route is not None and (route.table, route.category) == (new.table, new.category):
                # the same route with another key set: the next chunk may bring either
                new = _Route(
                    new.table,
                    new.category,
                    new.top | route.top,
                    new.props | route.props,
                    new.hashes | route.hashes,
                )
            self._routes[route_key] = new
        return errors

    def _route(
        self, con: _ChunkConnection, b: _Batch, received: datetime
    ) -> tuple[list[_Error], _Route | None]:
        """Route and check the batch: one pass reads each record's keys (and category). Returns
        the errors, and the route when every record went to one table."""
        diag = b.shape == DIAG
        keys = _keys(b.shape)
        cat = "lower(TRY(json_extract_string(line, '$.category')))" if diag else "NULL"
        top = "k[1]" if diag else "k"
        # Group the records by their key set (hashed: no list is aggregated), then read the keys
        # of one record per key set not seen before.
        shapes = con.execute(
            f"SELECT cat, k IS NULL, k IS NOT NULL AND len({top}) = 0, hash(k), min(n), count(*) "
            f"FROM (SELECT n, {cat} AS cat, {keys} AS k FROM __chunk) GROUP BY ALL"
        ).fetchall()
        new = [
            rep
            for _, bad, empty, kh, rep, _ in shapes
            if not (bad or empty) and kh not in self._key_sets
        ]
        if new:
            for kh, k in con.execute(
                f"SELECT hash(k), k FROM (SELECT n, {keys} AS k FROM __chunk "
                f"WHERE n IN ({', '.join(map(str, new))}))"
            ).fetchall():
                self._key_sets[kh] = (
                    (frozenset(k[0]), frozenset(k[1] or ()))
                    if diag
                    else (frozenset(k), frozenset())
                )
        errors: list[_Error] = []
        groups: dict[str, tuple[str | None, set[str], set[str], int]] = {}
        hashes: set[int] = set()
        for c, invalid, empty, kh, _, count in shapes:
            if invalid or empty:
                reason = "not valid JSON" if invalid else "not a JSON object"
                test = f"{keys} IS NULL" if invalid else f"len(({keys}){'[1]' if diag else ''}) = 0"
                errors += [
                    b.error(n, reason)
                    for (n,) in con.execute(f"SELECT n FROM __chunk WHERE {test}").fetchall()
                ]
                continue
            table = CATEGORY_TABLES.get(c) if diag else b.table
            if table is None:
                reason = (
                    "the record has no category"
                    if c is None
                    else f"category '{c}' has no table here (known: {', '.join(CATEGORY_TABLES)})"
                )
                errors += [
                    b.error(n, reason)
                    for (n,) in con.execute(
                        f"SELECT n FROM __chunk WHERE {cat} IS NOT DISTINCT FROM ? "
                        f"AND len(TRY(json_keys(line))) > 0 AND hash({keys}) = ?",
                        [c, kh],
                    ).fetchall()
                ]
                continue
            seen_top, seen_props = self._key_sets[kh]
            _, t, p, total = groups.get(table, (c, set(), set(), 0))
            groups[table] = (c, t | seen_top, p | seen_props, total + count)
            hashes.add(kh)
        clean = not errors and len(groups) == 1
        for table, (c, top_keys, prop_keys, _) in groups.items():
            where = "TRUE" if clean or not diag else f"{cat} = '{c}'"
            if not diag and not clean:
                where = "TRY(json_type(line)) = 'OBJECT' AND len(TRY(json_keys(line))) > 0"
            errors += self._table(con, b, table, where, top_keys, prop_keys, received) or []
        if not clean:
            return errors, None
        ((table, (c, top_keys, prop_keys, _)),) = groups.items()
        return errors, _Route(
            table, c, frozenset(top_keys), frozenset(prop_keys), frozenset(hashes)
        )

    def _table(
        self,
        con: _ChunkConnection,
        b: _Batch,
        table: str,
        where: str,
        top_keys: set[str],
        prop_keys: set[str],
        received: datetime,
        guard: _Route | None = None,
    ) -> list[_Error] | None:
        """Map one table's records of the batch.

        With a `guard` (the route of the previous chunk), the chunk is first inserted in one
        optimistic pass (`_optimistic`), which is all it takes when every record takes the
        route, converts and is new. Otherwise, or when that pass is undone, two passes over the
        raw text (`_careful`): the first reads only the fields that can fail to convert and the
        key, finding the rejected records, the time range and the duplicates, into a small
        table; the second converts every field and inserts straight into the table. With a
        `guard`, the first pass also checks that every record takes that route, and None
        (nothing done) is returned when one does not.
        """
        mapping = self._mapping(b.shape, table, top_keys, prop_keys)
        if guard is not None and mapping.new_columns:
            return None  # fields not seen with a value yet: route the chunk first
        if mapping.new_columns:
            self._extend(con, table, mapping.new_columns, where)
            mapping = self._mapping(b.shape, table, top_keys, prop_keys)
        plan = _Plan.of(mapping, self._schema(table), b.shape, guard)
        params = {"received": received, "tenant": self.ws.workspace_id}
        route_key = (b.shape, b.table, b.fmt)
        if (
            guard is not None
            and plan.mapping.fields
            and plan.data_time != "NULL"
            and route_key not in self._careful
        ):
            if self._optimistic(con, b, plan, received, params):
                return []
            # undone: the next chunks of this input go the careful way until one is clean
            self._careful.add(route_key)
        errors = self._careful_passes(con, b, plan, where, guard, params)
        if errors is not None and not errors and not self._last_duplicates:
            self._careful.discard(route_key)
        return errors

    def _optimistic(
        self,
        con: _ChunkConnection,
        b: _Batch,
        plan: _Plan,
        received: datetime,
        params: dict[str, object],
    ) -> bool:
        """Insert the whole chunk in one pass, each record checked on the way in: on its route
        (key set and category), every value converting, a time of its own. Then, from the rows
        just inserted (the chunk's `_TimeReceived` is its own): no `_ItemId` twice and none
        already in the table around their times. When all of that holds the chunk is done
        (True). Otherwise its rows are deleted again, inside the same transaction, and the
        careful passes take the chunk (False): the records that stopped it are rare (a new key
        set, a bad value, a duplicate), and those passes say which and why."""
        assert plan.route_ok
        table = plan.table
        # Every record is inserted, those that fail a check with a NULL `_ItemId` (a WHERE would
        # be pushed down into the parse and repeat `json_transform` for each column it reads).
        ok = " AND ".join([plan.route_ok, "__parsed", *plan.valid])
        out = self._outputs(plan)
        out["_ItemId"] = f"CASE WHEN {ok} THEN {plan.item_id} END"
        sql = (
            f'INSERT INTO "{table}" ({_column_list(out)}) '
            f"SELECT {', '.join(out.values())} FROM "
            f"{_converted(plan.mapping, 'TRUE', raw=plan.checked, checked_json=False)}"
        )
        res = first_row(con.execute(sql, _used(sql, params)))
        inserted = int(res[0]) if res else 0
        if not _all_new(con, table, received, inserted, len(b)):
            if inserted:
                con.execute(
                    f'DELETE FROM "{table}" WHERE _TimeReceived = $received', {"received": received}
                )
            return False
        self.summary.ingested += inserted
        self.summary.tables[table] = self.summary.tables.get(table, 0) + inserted
        return True

    def _outputs(self, plan: _Plan) -> dict[str, str]:
        """Each column the INSERT writes, with its SQL expression over `_converted`."""
        types = plan.types
        out: dict[str, str] = {c: f'"{c}"' for c in plan.mapped}
        if "TimeGenerated" in types:
            out["TimeGenerated"] = plan.time_expr
        out["TenantId"] = "$tenant"
        out["Type"] = f"'{plan.table}'"
        out["_TimeReceived"] = "$received"
        if "_BilledSize" in types and "_BilledSize" not in plan.mapped:
            out["_BilledSize"] = plan.billed
        if "_IsBillable" in types and "_IsBillable" not in plan.mapped:
            out["_IsBillable"] = "'True'"
        out["_ItemId"] = plan.item_id
        return out

    def _careful_passes(
        self,
        con: _ChunkConnection,
        b: _Batch,
        plan: _Plan,
        where: str,
        guard: _Route | None,
        params: dict[str, object],
    ) -> list[_Error] | None:
        """The two passes of `_table` (see there); None when the guard fails."""
        table, mapping, checked = plan.table, plan.mapping, plan.checked
        self._last_duplicates = 0
        narrow = Mapping(
            table,
            [f for f in mapping.fields if f in checked or f.column in plan.key_cols],
            [],
            {},
        )
        route_ok = f", coalesce({plan.route_ok}, false) AS ok" if guard is not None else ""
        if guard is not None and guard.category is not None:
            narrow.fields.append(Field("__category", KType.STRING, ("category",)))
        bad_checks = [
            f'CASE WHEN "__v_{f.column}" IS NOT NULL AND trim("__v_{f.column}") <> \'\' AND '
            f"\"{f.column}\" IS NULL THEN '{f.column} ({f.ktype.value}): ' || "
            f'left("__v_{f.column}", 40) END'
            for f in checked
        ]
        bad = f"concat_ws('; ', {', '.join(bad_checks)})" if bad_checks else "''"
        sql = (
            f"CREATE TEMP TABLE __keys AS SELECT n, {plan.item_id} AS _ItemId, "
            f"{plan.data_time} AS t, {bad} AS bad{route_ok} FROM "
            f"{_converted(narrow, where, raw=checked, checked_json=guard is None)}"
        )
        con.execute(sql, _used(sql, params))
        if guard is not None:
            off_route = first_row(con.execute("SELECT count(*) FROM __keys WHERE NOT ok"))
            if off_route is None or off_route[0]:
                con.execute("DROP TABLE __keys")
                return None
        errors = [
            b.error(n, f"values that do not convert to their column type: {why}", table)
            for n, why in con.execute(
                "SELECT n, bad FROM __keys WHERE bad <> '' ORDER BY n"
            ).fetchall()
        ]
        stats = first_row(
            con.execute(
                "SELECT count(*), count(DISTINCT _ItemId), min(t), max(t), count(t) "
                "FROM __keys WHERE bad = ''"
            )
        )
        assert stats is not None
        total, distinct, lo, hi, timed = stats
        if timed < total:  # a copy stored earlier got an earlier ingestion time: no window
            lo = hi = None
        existing = f'SELECT _ItemId FROM "{table}"'
        if lo is not None:  # the time window narrows the scan to the zones that can match
            existing += f" WHERE {_NEAR}"
        con.execute(
            f"DELETE FROM __keys WHERE bad <> '' OR _ItemId IN ({existing})",
            {"lo": lo, "hi": hi} if lo is not None else None,
        )
        if distinct != total:  # the batch repeats records: keep the first of each
            con.execute(
                "DELETE FROM __keys WHERE n NOT IN (SELECT min(n) FROM __keys GROUP BY _ItemId)"
            )
        left_row = first_row(con.execute("SELECT count(*) FROM __keys"))
        remaining = int(left_row[0]) if left_row else 0
        inserted = 0
        if remaining:
            out = self._outputs(plan)
            keep = where if remaining == total == len(b) else "n IN (SELECT n FROM __keys)"
            sql = (
                f'INSERT INTO "{table}" ({_column_list(out)}) '
                f"SELECT {', '.join(out.values())} FROM {_converted(mapping, keep, raw=[])}"
            )
            res = first_row(con.execute(sql, _used(sql, params)))
            inserted = int(res[0]) if res else 0
        con.execute("DROP TABLE __keys")
        self._last_duplicates = total - inserted
        self.summary.ingested += inserted
        self.summary.duplicates += total - inserted
        self.summary.tables[table] = self.summary.tables.get(table, 0) + inserted
        return errors

    def _mapping(self, shape: str, table: str, top_keys: set[str], prop_keys: set[str]) -> Mapping:
        schema = self._schema(table)
        ck = (shape, schema, frozenset(top_keys), frozenset(prop_keys))
        if ck not in self._mappings:
            ext = self.ws.extension_sources(table)
            self._mappings[ck] = (
                diag_mapping(schema, top_keys, prop_keys, ext)
                if shape == DIAG
                else la_mapping(schema, top_keys, ext)
            )
        return self._mappings[ck]

    def _extend(self, con: _ChunkConnection, table: str, new: list[NewColumn], where: str) -> None:
        """Add extension columns for fields with at least one non-empty value in the batch."""
        add: list[tuple[str, KType, str]] = []
        for col in new:
            path = "$" + "".join(f'."{k}"' for k in col.path).replace("'", "''")
            kinds = {
                k
                for (k,) in con.execute(
                    f"SELECT DISTINCT json_type(TRY(json_extract(line, '{path}'))) FROM __chunk "
                    f"WHERE {where} AND coalesce(TRY(json_extract_string(line, '{path}')), '') <> ''"
                ).fetchall()
            }
            if not kinds:
                continue
            ktype = _type_of(kinds)
            if ktype is KType.STRING:
                # Text that is always a boolean or JSON (CSV cells, exports) types the column as
                # the value it spells, as a typed source of the same field would have.
                # TRY: DuckDB may compute the value before `where` drops the lines not JSON
                value = f"TRY(json_extract_string(line, '{path}'))"
                spelled = con.execute(
                    f"SELECT bool_and(lower(v) IN ('true', 'false')), "
                    f"bool_and(regexp_matches(v, '^\\s*[\\[{{]') AND json_valid(v)) "
                    f"FROM (SELECT {value} AS v FROM __chunk WHERE {where}) WHERE v <> ''"
                ).fetchall()
                if spelled and spelled[0][0]:
                    ktype = KType.BOOL
                elif spelled and spelled[0][1]:
                    ktype = KType.DYNAMIC
            add.append((col.column, ktype, ".".join(col.path)))
        if add:
            self._altered[table] = self.ws.add_columns(
                table, add, schema=self._schema(table), publish=False
            )
            self.summary.new_columns += [f"{table}.{c}" for c, _, _ in add]
        # Fields that came only empty stay unmapped until a batch brings a value.
        self._mappings.clear()

    def _write_errors(self, con: duckdb.DuckDBPyConnection, errors: list[_Error]) -> None:
        cols = list(zip(*errors, strict=True))
        arrow = pa.table(
            {
                name: pa.array(list(values), pa.string())
                for name, values in zip(
                    ("src", "pos", "fmt", "tbl", "reason", "raw"), cols, strict=True
                )
            }
        )
        con.register("__errors", arrow)
        try:
            con.execute(
                "INSERT INTO IngestionErrors SELECT * FROM (SELECT $now AS TimeGenerated, src, "
                "pos, fmt, tbl, reason, raw, $run, $tenant, 'IngestionErrors', "
                f"{_guid('src || chr(31) || pos || chr(31) || raw')} AS id FROM __errors) e "
                "WHERE NOT EXISTS (SELECT 1 FROM IngestionErrors i WHERE i._ItemId = e.id)",
                {
                    "now": datetime.now(UTC).replace(tzinfo=None),
                    "run": self.summary.run_id,
                    "tenant": self.ws.workspace_id,
                },
            )
        finally:
            con.unregister("__errors")


class _ChunkConnection:
    """The connection, with the chunk's records visible as `__chunk` to each statement.

    Each statement that reads `__chunk` gets a fresh one-shot stream of the records rather than
    a registered Arrow table: DuckDB keeps what was registered inside a transaction until the
    transaction ends (to be able to roll back), so a registered table per chunk would keep every
    chunk of a transaction in memory. An exhausted stream holds nothing.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, records: pa.Table) -> None:
        self.con = con
        self.records = records

    def execute(self, sql: str, params: object = None) -> _Rows:
        """Run a statement and read its result to the end."""
        if "__chunk" not in sql:
            return _Rows(self.con.execute(sql, params).fetchall())
        self.con.register("__chunk", _stream(self.records))
        try:
            return _Rows(self.con.execute(sql, params).fetchall())
        finally:
            self.con.unregister("__chunk")


@dataclass
class _Rows:
    rows: list[tuple[Any, ...]]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


def _stream(records: pa.Table) -> pa.RecordBatchReader:
    """A one-shot stream of the records, in batches of a few thousand rows (so that DuckDB
    scans them on every core), that lets go of each batch once read."""
    batches = records.to_batches(max_chunksize=2048)

    def produce() -> Iterator[pa.RecordBatch]:
        while batches:
            yield batches.pop(0)

    return pa.RecordBatchReader.from_batches(records.schema, produce())


def _column_list(columns: dict[str, str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _used(sql: str, params: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in params.items() if f"${k}" in sql}


def _all_new(
    con: _ChunkConnection | duckdb.DuckDBPyConnection,
    table: str,
    received: datetime,
    inserted: int,
    expected: int,
) -> bool:
    """Whether the rows just inserted with this `_TimeReceived` (an optimistic insert's) are
    the `expected` records, all checked (no NULL `_ItemId`), none twice, and none already in
    the table around their times (the careful passes' duplicate window)."""
    mine = f'FROM "{table}" WHERE _TimeReceived = $received'
    stats = first_row(
        con.execute(
            "SELECT count(_ItemId), count(DISTINCT _ItemId), min(TimeGenerated), "
            f"max(TimeGenerated) {mine}",
            {"received": received},
        )
    )
    if stats is None:
        return False
    checked, distinct, lo, hi = stats
    if not checked == distinct == inserted == expected:
        return False
    again = first_row(
        con.execute(
            f'SELECT count(*) FROM "{table}" WHERE {_NEAR} '
            f"AND _TimeReceived <> $received AND _ItemId IN (SELECT _ItemId {mine})",
            {"lo": lo, "hi": hi, "received": received},
        )
    )
    return again is not None and again[0] == 0


_last_received: list[datetime] = []


def _received() -> datetime:
    """The ingestion time of a chunk or file: now, and never the same value twice in this
    process (the optimistic inserts find their rows by it)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    if _last_received and now <= _last_received[0]:
        now = _last_received[0] + timedelta(microseconds=1)
    _last_received[:] = [now]
    return now


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lines_of(path: str) -> str:
    """A file's lines as rows of one column `line` (NULL for a blank line), read by DuckDB. (Not
    strict: a line may end with CR LF, and a CR alone ends a line too, which only a line that
    is not JSON has inside.)"""
    return (
        f"read_csv({_literal(path)}, columns={{'line': 'VARCHAR'}}, delim='\\x01', quote='', "
        "escape='', header=false, auto_detect=false, new_line='\\n', strict_mode=false, "
        "compression='none')"
    )


def _split_lines(data: bytes | bytearray | memoryview) -> tuple[pa.Array, np.ndarray, int]:
    """A block's lines that are not blank, as Arrow strings referencing the block's memory
    (decoded line by line, bad bytes replaced, when it is not UTF-8); their indexes among the
    block's lines; and the number of lines, blank ones included."""
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if len(ends) == 0 or ends[-1] != len(raw) - 1:
        ends = np.append(ends, len(raw))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    keep = lengths > 0
    for i in np.flatnonzero(keep & (lengths <= 2)):  # "\r" or " " alone is blank too
        keep[i] = bool(bytes(data[starts[i] : ends[i]]).strip())
    offsets = np.concatenate((starts, [len(raw)])).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:  # not UTF-8: decode line by line, replacing bad bytes
        lines = pa.array(
            [
                bytes(data[a:b]).decode("utf-8", "replace")
                for a, b in zip(starts, ends, strict=True)
            ],
            pa.large_string(),
        )
    kept = lines if keep.all() else lines.filter(pa.array(keep))
    return kept, np.flatnonzero(keep), len(starts)


def _numbered(lines: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Records as the chunk statements read them: `n` (0, 1, ...) and `line`."""
    return pa.table({"n": pa.array(range(len(lines)), pa.int64()), "line": lines})


def _head_lines(path: str, limit: int) -> pa.Table:
    """The first whole lines of a file, at most `limit` bytes of them, as `n` and `line`."""
    with open(path, "rb") as f:
        data = f.read(limit)
    if len(data) == limit:
        data = data[: data.rfind(b"\n") + 1] or data
    return _numbered(_split_lines(data)[0] if data else pa.array([], pa.large_string()))


def _folds(keys: frozenset[str]) -> bool:
    """Whether two of the keys differ only in case."""
    return len({k.lower() for k in keys}) < len(keys)


def _file_value(path: tuple[str, ...]) -> str:
    """A field of a `read_json` row: its top-level column, then struct fields."""
    expr = '"' + path[0].replace('"', '""') + '"'
    for key in path[1:]:
        expr = f"struct_extract({expr}, {_literal(key)})"
    return expr


def _read_json_columns(tree: dict[str, object]) -> str:
    """`read_json`'s `columns` argument for a `Mapping.tree()`: nested keys become STRUCTs."""

    def duck(node: object) -> str:
        if isinstance(node, dict):
            fields = ", ".join('"' + k.replace('"', '""') + '" ' + duck(v) for k, v in node.items())
            return f"STRUCT({fields})"
        return str(node)

    return "{" + ", ".join(f"{_literal(k)}: {_literal(duck(v))}" for k, v in tree.items()) + "}"


def _converted(mapping: Mapping, where: str, raw: list[Field], checked_json: bool = True) -> str:
    """A subquery of the chunk's records converted to the mapping's columns (and `line`, `n`);
    `raw` fields also keep their text as `__v_<column>`. Without `checked_json` (records not
    yet known to be JSON objects), text that is not JSON gives NULLs instead of an error, and
    `__parsed` says which records were JSON."""
    inner = ["n", "line", *_columns(mapping, raw, _value)]
    if not mapping.fields:  # nothing to read from the records (json_transform needs a field)
        return f"(SELECT {', '.join(inner)} FROM __chunk WHERE {where})"
    structure = mapping.structure().replace("'", "''")
    parsed = f"json_transform(line, '{structure}')"
    if not checked_json:
        parsed = f"TRY({parsed})"
        inner.append("s IS NOT NULL AS __parsed")
    return (
        f"(SELECT {', '.join(inner)} FROM (SELECT n, line, {parsed} AS s FROM __chunk "
        f"WHERE {where}))"
    )


def _columns(
    mapping: Mapping, raw: list[Field], value: Callable[[tuple[str, ...]], str]
) -> list[str]:
    """The mapping's columns, converted to their types from `value(path)`; `raw` fields also
    keep their text as `__v_<column>`; then the constants."""
    out = []
    for f in mapping.fields:
        text = value(f.path)
        out.append(f'{_convert(text, f.ktype)} AS "{f.column}"')
        if f in raw:
            out.append(f'{text} AS "__v_{f.column}"')
    out += [f"'{const}' AS \"{column}\"" for column, const in mapping.constants.items()]
    return out


def _value(path: tuple[str, ...]) -> str:
    expr = "s"
    for key in path:
        expr = f"struct_extract({expr}, '{key.replace(chr(39), chr(39) * 2)}')"
    return expr


_FORMATS = "[" + ", ".join(f"'{f}'" for f in DATETIME_FORMATS) + "]"


def _convert(v: str, t: KType) -> str:
    if t is KType.STRING:
        return f"coalesce({v}, '')"
    if t is KType.DYNAMIC:
        # Objects, arrays, numbers and booleans stay as they are (decided on the first character,
        # without parsing the value again); a string holding JSON text is parsed; "" is null.
        text = f"({v} ->> '$')"
        return (
            f"CASE WHEN NOT starts_with({v}, '\"') THEN {v} WHEN {text} = '' THEN NULL "
            f"WHEN regexp_matches({text}, '^\\s*[\\[{{]') AND json_valid({text}) "
            f"THEN json({text}) ELSE {v} END"
        )
    if t is KType.DATETIME:
        # ISO 8601 with Z or an offset keeps all 7 fraction digits (TIMESTAMPTZ would keep 6);
        # DuckDB's cast reads the time before an offset, so only a zero offset (Entra's usual
        # "+00:00") is cast as it is.
        tail = f"right({v}, 6)"
        offset_minutes = (
            f"(CASE WHEN left({tail}, 1) = '-' THEN -1 ELSE 1 END) * "
            f"(TRY_CAST(substr({tail}, 2, 2) AS INTEGER) * 60 + "
            f"TRY_CAST(substr({tail}, 5, 2) AS INTEGER))"
        )
        return (
            f"coalesce(CASE WHEN ends_with({v}, 'Z') OR ends_with({v}, 'z') "
            f"OR ends_with({v}, '+00:00') THEN TRY_CAST({v} AS TIMESTAMP_NS) "
            f"WHEN regexp_matches({tail}, '^[+-][0-9][0-9]:[0-9][0-9]$') THEN "
            f"TRY_CAST(left({v}, -6) AS TIMESTAMP_NS) - to_minutes({offset_minutes}) END, "
            f"TRY_CAST(TRY_CAST({v} AS TIMESTAMPTZ) AS TIMESTAMP_NS), "
            f"CAST(try_strptime({v}, {_FORMATS}) AS TIMESTAMP_NS))"
        )
    if t is KType.TIMESPAN:
        return (
            f"coalesce(TRY_CAST({v} AS BIGINT), "
            f"CAST(epoch_us(TRY_CAST(TRY_CAST({v} AS INTERVAL) AS INTERVAL)) * 10 AS BIGINT))"
        )
    sql = {
        KType.BOOL: "BOOLEAN",
        KType.INT: "INTEGER",
        KType.LONG: "BIGINT",
        KType.REAL: "DOUBLE",
        KType.DECIMAL: "DECIMAL(38, 18)",
        KType.GUID: "UUID",
    }[t]
    return f"TRY_CAST({v} AS {sql})"


def _guid(text_expr: str) -> str:
    """A GUID-shaped id from the MD5 of a text: stable, so re-ingestion finds its duplicates."""
    return f"CAST(CAST(md5({text_expr}) AS UUID) AS VARCHAR)"


def _type_of(kinds: set[str]) -> KType:
    if kinds == {"VARCHAR"}:
        return KType.STRING
    if kinds == {"BOOLEAN"}:
        return KType.BOOL
    if kinds <= {"BIGINT", "UBIGINT"}:
        return KType.LONG
    if kinds <= {"BIGINT", "UBIGINT", "DOUBLE"}:
        return KType.REAL
    return KType.DYNAMIC


__all__ = ["DIAG", "LA", "Field", "IngestSummary", "Ingestor"]
