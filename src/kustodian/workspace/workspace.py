"""A workspace: a directory holding the embedded database and its configuration.

Layout (format version 1):

    PATH/workspace.json     identity, format version, retention (see config.py)
    PATH/kustodian.duckdb   the tables, plus the internal schema `_kustodian`:
                            meta, columns (extension and custom columns), checkpoints, secrets
    PATH/secret.key         the key that encrypts connector secrets (mode 0600)
    PATH/tmp/               DuckDB's spill files while a query needs more than the memory limit

`Workspace.open(":memory:")` is a throwaway workspace with the same tables, for tests and demos.
Opening a workspace written by an older Kustodian migrates it (migrations.py); a newer one is
refused with a message instead of being damaged.

Concurrency (docs/architecture.md#concurrency): every thread works on its own DuckDB connection
to the same database (`Workspace.con`), so reads run on MVCC snapshots while other threads write.
DuckDB lets transactions append to a table concurrently, but fails one of two transactions that
update the same rows, or that append to a table another one alters. Two locks keep writes apart:

- `lock` (state): updates, deletes and upserts of state rows (`_kustodian.*`, alert state),
  custom-table DDL. Held only for the statement or the `transaction()`.
- `ingest_lock`: ingestion transactions, which append to data tables and may alter them
  (extension columns), and retention, which deletes from them. One batch at a time, so dedupe
  also sees the batches before it.

Queries, and plain appends such as LAQueryLogs, take neither lock. When both are needed,
`ingest_lock` is taken first.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from kustodian.engines.duckdb import DuckDBEngine, column_sql, create_table_sql
from kustodian.kql.catalog import (
    STANDARD_COLUMNS,
    Catalog,
    TableSchema,
    entra_tables,
    with_standard_columns,
)
from kustodian.kql.types import KType, type_from_name
from kustodian.result import QueryResult
from kustodian.workspace import migrations
from kustodian.workspace.config import (
    CONFIG_FILE,
    ConfigError,
    WorkspaceConfig,
    write_config,
)
from kustodian.workspace.tables import SYSTEM_TABLES

if TYPE_CHECKING:
    from kustodian.kql.compiler import CompiledQuery

DB_FILE = "kustodian.duckdb"
TEMP_DIR = "tmp"  # DuckDB's spill files, while a query needs more than the memory limit
FORMAT_VERSION = migrations.CURRENT


class Rows:
    """The rows of a statement, already fetched (the connection is free again)."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class WorkspaceError(Exception):
    """The workspace cannot be opened or changed; the message says why and what to do."""


class WorkspaceLocked(WorkspaceError):
    """Another process (a server, a long ingestion) holds the workspace's database."""


class Workspace:
    """A Log Analytics-like workspace: Entra tables, custom tables, ingestion state."""

    def __init__(
        self, engine: DuckDBEngine, catalog: Catalog, path: str, config: WorkspaceConfig
    ) -> None:
        self.engine = engine
        self.catalog = catalog
        self.path = path
        self.config = config
        self.lock = threading.RLock()
        self.ingest_lock = threading.RLock()
        self._connections = _Connections(engine.con)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str],
        *,
        workspace_id: str | None = None,
        memory_limit: str | None = None,
        bulk: bool = False,
        readable: Sequence[str] = (),
    ) -> Workspace:
        """Create a new workspace directory; refuses a directory that already holds data."""
        root = Path(path)
        if (root / CONFIG_FILE).exists() or (root / DB_FILE).exists():
            raise WorkspaceError(f"{root} already holds a workspace")
        if root.exists() and any(root.iterdir()):
            raise WorkspaceError(f"{root} is not empty; choose a new or empty directory")
        root.mkdir(parents=True, exist_ok=True)
        config = WorkspaceConfig.new(FORMAT_VERSION, workspace_id)
        write_config(root, config)
        return cls._open_dir(root, memory_limit, bulk, readable)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] = ":memory:",
        *,
        create: bool = True,
        memory_limit: str | None = None,
        bulk: bool = False,
        readable: Sequence[str] = (),
    ) -> Workspace:
        """Open a workspace directory (created when missing, unless `create` is false).

        `memory_limit` caps DuckDB's memory (e.g. "512MB" for a bulk import); `bulk` tunes the
        connection for bulk loads, and `readable` names the input files and directories that
        ingestion may have DuckDB read itself (see `DuckDBEngine`).
        """
        if str(path) == ":memory:":
            config = WorkspaceConfig.new(FORMAT_VERSION)
            con = duckdb.connect(":memory:")
            return cls._setup(con, config, ":memory:", memory_limit, bulk, readable)
        root = Path(path)
        if not (root / CONFIG_FILE).exists() and not (root / DB_FILE).exists():
            if not create:
                raise WorkspaceError(
                    f"{root} is not a Kustodian workspace; create one with `kustodian init {root}`"
                )
            return cls.init(root, memory_limit=memory_limit, bulk=bulk, readable=readable)
        return cls._open_dir(root, memory_limit, bulk, readable)

    @classmethod
    def _open_dir(
        cls,
        root: Path,
        memory_limit: str | None = None,
        bulk: bool = False,
        readable: Sequence[str] = (),
    ) -> Workspace:
        db = root / DB_FILE
        try:
            con = duckdb.connect(str(db))
        except duckdb.Error as e:
            if "Could not set lock" in str(e):
                raise WorkspaceLocked(f"{root} is in use: {_first_line(e)}") from None
            raise WorkspaceError(
                f"{db}: DuckDB {duckdb.__version__} cannot open this database ({_first_line(e)}). "
                "If it was written by another DuckDB version, open it with that Kustodian/DuckDB "
                "and run `kustodian export`, then ingest the export here."
            ) from None
        try:
            config = migrations.upgrade(root, con)
        except ConfigError as e:
            con.close()
            raise WorkspaceError(str(e)) from None
        except migrations.MigrationError as e:
            con.close()
            raise WorkspaceError(str(e)) from None
        return cls._setup(con, config, str(root), memory_limit, bulk, readable)

    @classmethod
    def _setup(
        cls,
        con: duckdb.DuckDBPyConnection,
        config: WorkspaceConfig,
        path: str,
        memory_limit: str | None = None,
        bulk: bool = False,
        readable: Sequence[str] = (),
    ) -> Workspace:
        migrations.ensure_internal_schema(con, config)
        catalog = build_catalog(con)
        ensure_tables(con, catalog)
        engine = DuckDBEngine(
            con,
            catalog,
            memory_limit=memory_limit,
            temp_directory=temp_directory(path),
            bulk=bulk,
            readable=readable,
        )
        return cls(engine, catalog, path, config)

    # -- identity and configuration ------------------------------------------------------------

    @property
    def workspace_id(self) -> str:
        return self.config.workspace_id

    @property
    def root(self) -> Path | None:
        return None if self.path == ":memory:" else Path(self.path)

    def save_config(self) -> None:
        if self.root is not None:
            write_config(self.root, self.config)

    # -- queries -----------------------------------------------------------------------------

    def compile(self, kql: str, **kwargs: Any) -> list[CompiledQuery]:
        from kustodian.kql.compiler import compile_all  # not loaded by commands that only ingest

        return compile_all(kql, catalog=self.catalog, run_sql=self._run_trusted, **kwargs)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection to the database (the opening thread's is `engine.con`).

        Cursors share the database, its settings (external access off, configuration locked)
        and the registered functions; each has its own transaction and temporary tables.
        """
        return self._connections.current()

    def _run_trusted(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        # compiled from the user's query: checked, cancellable and error-mapped as a query is,
        # on this thread's connection (which the query's deadline interrupts)
        return self.engine.rows(sql, params, con=self.con)

    def query(
        self,
        kql: str,
        *,
        now: datetime | int | None = None,
        timespan: timedelta | tuple[datetime | int, datetime | int] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a KQL query; the first tabular result, with any further ones in `.tables`.

        Args:
            max_rows: keep at most this many rows per result table; a table cut short has
                `truncated` set.
            timeout: cancel the query after this many seconds (KQL4002).

        Raises:
            KqlError: the query has an error (with code, position and hint).
        """
        with _Deadline(self.con, timeout):
            compiled = self.compile(kql, now=now, timespan=timespan)
            return self.run_compiled(compiled, max_rows=max_rows)

    def run_compiled(
        self,
        compiled: list[CompiledQuery],
        *,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a query compiled against this workspace's catalog (as `query` does, with the
        compiled statements' `params`); the first result, further ones in `.tables`."""
        with _Deadline(self.con, timeout):
            results = [self._run(c, max_rows) for c in compiled]
        first = results[0]
        first.tables = results[1:]
        return first

    def _run(self, c: CompiledQuery, max_rows: int | None = None) -> QueryResult:
        table = self.engine.run(c, max_rows=max_rows, con=self.con)
        truncated = max_rows is not None and table.num_rows > max_rows
        if truncated:
            table = table.slice(0, max_rows)
        return QueryResult(c.column_types, table, c.render, truncated=truncated)

    # -- trusted statements (ingestion, retention, state) ------------------------------------

    def execute(self, sql: str, params: Any = None) -> Rows:
        """A trusted statement on this thread's connection, read to the end.

        It takes no lock: a statement that updates, deletes or upserts state rows runs under
        `lock` (see the module docstring), as `write` does.
        """
        result = self.con.execute(sql, params)
        return Rows(result.fetchall() if result.description is not None else [])

    def write(self, sql: str, params: Any = None) -> Rows:
        """A trusted statement that changes state rows, under the state lock."""
        with self.lock:
            return self.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction on state, under the state lock: all of it is committed, or none."""
        with self.lock:
            con = self.con
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def add_columns(
        self,
        table: str,
        columns: list[tuple[str, KType, str]],
        *,
        schema: TableSchema | None = None,
        publish: bool = True,
    ) -> TableSchema:
        """Add extension columns (name, type, source path) to a table and to the catalog.

        Call inside a transaction, so that the columns and the rows that need them land together.

        Args:
            schema: the table as the caller's transaction sees it; default the catalog's.
            publish: add the table's new schema to the catalog now; with False the caller does
                so after its transaction commits (other threads' queries compile against the
                catalog and must not name a column their snapshot does not have).

        Returns:
            The table's new schema.
        """
        schema = schema or self.catalog.tables[table]
        con = self.con
        for name, ktype, source in columns:
            con.execute(f'ALTER TABLE "{table}" ADD COLUMN {column_sql(name, ktype)}')
            con.execute(
                "INSERT INTO _kustodian.columns VALUES (?, ?, ?, ?, 'extension')",
                [table, name, ktype.value, source],
            )
        added = tuple((n, t) for n, t, _ in columns)
        new = TableSchema(table, schema.columns + added)
        if publish:
            self.catalog.add(new)
        return new

    def extension_sources(self, table: str) -> dict[str, str]:
        """Extension columns of a table and the source field each was added for."""
        rows = self.execute(
            "SELECT column_name, source FROM _kustodian.columns "
            "WHERE table_name = ? AND origin = 'extension'",
            [table],
        ).fetchall()
        return {name: source for name, source in rows}

    def create_custom_table(self, name: str, columns: list[tuple[str, KType]]) -> TableSchema:
        """Declare a custom `*_CL` table (TimeGenerated is added when missing)."""
        from kustodian.workspace.tables import check_custom_table

        cols = check_custom_table(name, columns, self.catalog)
        schema = with_standard_columns(TableSchema(name, tuple(cols)))
        with self.transaction() as con:
            con.execute(create_table_sql(schema))
            for name_, ktype in schema.columns:
                con.execute(
                    "INSERT INTO _kustodian.columns VALUES (?, ?, ?, '', 'custom')",
                    [name, name_, ktype.value],
                )
        self.catalog.add(schema)
        return schema

    # -- state: checkpoints --------------------------------------------------------------------

    def get_checkpoint(self, connector: str, key: str) -> str | None:
        row = self.execute(
            "SELECT value FROM _kustodian.checkpoints WHERE connector = ? AND key = ?",
            [connector, key],
        ).fetchone()
        return None if row is None else str(row[0])

    def set_checkpoint(self, connector: str, key: str, value: str) -> None:
        self.write(
            "INSERT OR REPLACE INTO _kustodian.checkpoints VALUES (?, ?, ?, now())",
            [connector, key, value],
        )

    def delete_checkpoints(self, connector: str, keys: list[str]) -> None:
        if keys:
            self.write(
                "DELETE FROM _kustodian.checkpoints WHERE connector = ? AND list_contains(?, key)",
                [connector, keys],
            )

    def checkpoints(self, connector: str | None = None) -> list[tuple[str, str, str, datetime]]:
        sql = "SELECT connector, key, value, updated FROM _kustodian.checkpoints"
        params: list[Any] = []
        if connector is not None:
            sql += " WHERE connector = ?"
            params.append(connector)
        rows: list[tuple[str, str, str, datetime]] = self.execute(
            sql + " ORDER BY 1, 2", params
        ).fetchall()
        return rows

    # -- state: connectors and their secrets ----------------------------------------------------

    def save_connector(self, name: str, kind: str, settings: dict[str, Any]) -> None:
        """Store a connector's settings (never secrets: use `set_secret`)."""
        self.write(
            "INSERT OR REPLACE INTO _kustodian.connectors VALUES (?, ?, ?, now())",
            [name, kind, json.dumps(settings, sort_keys=True)],
        )

    def connector(self, name: str) -> tuple[str, dict[str, Any]] | None:
        row = self.execute(
            "SELECT kind, settings FROM _kustodian.connectors WHERE name = ?", [name]
        ).fetchone()
        return None if row is None else (str(row[0]), json.loads(row[1]))

    def connectors(self) -> list[tuple[str, str, dict[str, Any]]]:
        rows = self.execute(
            "SELECT name, kind, settings FROM _kustodian.connectors ORDER BY name"
        ).fetchall()
        return [(n, k, json.loads(s)) for n, k, s in rows]

    def set_secret(self, name: str, value: str) -> None:
        """Store a secret encrypted with the workspace key (secrets.py)."""
        from kustodian.workspace.secrets import encrypt

        token = encrypt(self, value)
        self.write("INSERT OR REPLACE INTO _kustodian.secrets VALUES (?, ?, now())", [name, token])

    def get_secret(self, name: str) -> str | None:
        from kustodian.workspace.secrets import decrypt

        row = self.execute("SELECT value FROM _kustodian.secrets WHERE name = ?", [name]).fetchone()
        return None if row is None else decrypt(self, bytes(row[0]))

    def delete_secret(self, name: str) -> None:
        self.write("DELETE FROM _kustodian.secrets WHERE name = ?", [name])

    def close(self) -> None:
        self._connections.close()
        self.engine.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Connections:
    """One DuckDB connection per thread: the opening thread's own, a cursor for any other.

    A DuckDB connection runs one statement at a time and holds one transaction, so threads
    never share one. Cursors of threads that have ended are closed when the next one is made.
    """

    def __init__(self, main: duckdb.DuckDBPyConnection) -> None:
        self.main = main
        self.owner = threading.current_thread()
        self.local = threading.local()
        self.cursors: dict[threading.Thread, duckdb.DuckDBPyConnection] = {}
        self.guard = threading.Lock()

    def current(self) -> duckdb.DuckDBPyConnection:
        con: duckdb.DuckDBPyConnection | None = getattr(self.local, "con", None)
        if con is None:
            con = self.main if threading.current_thread() is self.owner else self._new()
            self.local.con = con
        return con

    def _new(self) -> duckdb.DuckDBPyConnection:
        with self.guard:
            for thread in [t for t in self.cursors if not t.is_alive()]:
                self.cursors.pop(thread).close()
            con = self.main.cursor()
            self.cursors[threading.current_thread()] = con
            return con

    def close(self) -> None:
        with self.guard:
            for con in self.cursors.values():
                con.close()
            self.cursors.clear()


class _Deadline:
    """Interrupts a connection's running statement when a time limit passes.

    The connection is the querying thread's own, so the statement interrupted is this query's.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float | None) -> None:
        self.con = con
        self.seconds = seconds
        self.guard = threading.Lock()
        self.active = False
        self.timer: threading.Timer | None = None

    def __enter__(self) -> _Deadline:
        if self.seconds is not None:
            self.active = True
            self.timer = threading.Timer(self.seconds, self._interrupt)
            self.timer.daemon = True
            self.timer.start()
        return self

    def _interrupt(self) -> None:
        with self.guard:
            if self.active:
                self.con.interrupt()

    def __exit__(self, *exc: object) -> None:
        with self.guard:
            self.active = False
        if self.timer is not None:
            self.timer.cancel()


def temp_directory(path: str) -> str:
    """Where DuckDB spills: inside the workspace directory (never the process's working
    directory, DuckDB's default for an in-memory database, which then does not spill)."""
    return "" if path == ":memory:" else str(Path(path).resolve() / TEMP_DIR)


def build_catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    """The shipped tables with the standard columns, plus extension and custom columns."""
    catalog = Catalog()
    for table in entra_tables():
        catalog.add(table)
    for table in SYSTEM_TABLES:
        catalog.add(table)
    rows = con.execute(
        "SELECT table_name, column_name, kusto_type, origin FROM _kustodian.columns "
        "ORDER BY table_name, rowid"
    ).fetchall()
    custom: dict[str, list[tuple[str, KType]]] = {}
    for table_name, column, type_name, origin in rows:
        ktype = type_from_name(type_name)
        if ktype is None:
            raise WorkspaceError(f"_kustodian.columns: {table_name}.{column}: bad type {type_name}")
        if origin == "custom":
            custom.setdefault(table_name, []).append((column, ktype))
        elif (schema := catalog.get(table_name)) is not None:
            catalog.add(TableSchema(table_name, (*schema.columns, (column, ktype))))
    for name, cols in custom.items():
        catalog.add(TableSchema(name, tuple(cols)))
    return catalog


def ensure_tables(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    """Create missing tables, and add columns a newer shipped schema has (additive upgrade)."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for table in catalog.tables.values():
        have = existing.get(table.name)
        if have is None:
            con.execute(create_table_sql(table))
            continue
        for name, ktype in table.columns:
            if name not in have:
                con.execute(f'ALTER TABLE "{table.name}" ADD COLUMN {column_sql(name, ktype)}')


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


__all__ = ["FORMAT_VERSION", "STANDARD_COLUMNS", "Workspace", "WorkspaceError", "WorkspaceLocked"]
