"""The embedded DuckDB engine: tables from the catalog, sandboxed execution of compiled SQL."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from kustodian.engines.guard import check_select
from kustodian.kql.catalog import Catalog, TableSchema
from kustodian.kql.diagnostics import KqlError, engine_error, out_of_memory, query_cancelled
from kustodian.kql.functions import udfs
from kustodian.kql.sqlnodes import SQL_TYPES
from kustodian.kql.types import KType

if TYPE_CHECKING:
    from kustodian.kql.compiler import CompiledQuery

DUCKDB_TYPES = {**SQL_TYPES, KType.STRING: "VARCHAR", KType.INT: "INTEGER"}
CHECKED_SQL = 512  # SQL texts whose guard check is remembered (alert rules run theirs each tick)


def column_sql(name: str, t: KType) -> str:
    """A column definition; strings default to '' because Kusto strings are never null."""
    default = " DEFAULT ''" if t is KType.STRING else ""
    return f'"{name}" {DUCKDB_TYPES[t]}{default}'


def create_table_sql(table: TableSchema) -> str:
    cols = ", ".join(column_sql(name, t) for name, t in table.columns)
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({cols})'


_MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(%|B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def check_memory_limit(text: str) -> str:
    """A DuckDB memory size ("2GB", "512MiB") or a share of the machine's RAM ("50%").

    Raises:
        ValueError: naming the value and the forms accepted.
    """
    if not _MEMORY_SIZE.fullmatch(text.strip()):
        raise ValueError(
            f"'{text}' is not a memory size: use a number with a unit (512MB, 2GB, 1.5GiB) "
            "or a percentage of RAM (50%)"
        )
    return text.strip()


# Settings applied to every connection that runs user queries; global, so that the cursors
# other threads open (workspace.py) have them too.
_SESSION = (
    "SET GLOBAL TimeZone = 'UTC'",
    "SET error_on_division_by_zero = false",
    "SET enable_progress_bar = false",
)


class DuckDBEngine:
    """Runs compiled queries on a DuckDB database.

    Args:
        database: a database file, ":memory:", or an open connection (the workspace's).
        catalog: the tables to create when missing.
        memory_limit: DuckDB's memory limit (e.g. "512MB"); default: DuckDB's (80% of RAM).
        temp_directory: where DuckDB spills what does not fit in memory; "" disables spilling.
            Default: DuckDB's (`<database>.tmp` next to a database file).
        sandbox: disable file and network access and lock the configuration, so user queries
            can read only the database's own tables; and check every query's SQL before it
            runs (guard.py).
        bulk: a connection for bulk loads (ingest, pull): DuckDB may store the rows of one
            INSERT in any order, which lets it insert on every core; rows read from a table
            without ORDER BY then come in that order. Statements report their progress
            (`query_progress`).
        readable: files and directories DuckDB's own readers may read despite the sandbox
            (the inputs of `kustodian ingest`, read by the trusted ingestion path only; the
            guard keeps file functions out of user queries regardless).
    """

    def __init__(
        self,
        database: str | duckdb.DuckDBPyConnection,
        catalog: Catalog,
        *,
        sandbox: bool = True,
        memory_limit: str | None = None,
        temp_directory: str | None = None,
        bulk: bool = False,
        readable: Sequence[str] = (),
    ) -> None:
        self.catalog = catalog
        self.sandbox = sandbox
        self.readable = tuple(os.path.realpath(p) for p in readable)
        # (SQL, tables it may read) that passed the guard: the check depends on nothing else
        self._checked: OrderedDict[tuple[str, frozenset[str]], None] = OrderedDict()
        self._checked_lock = threading.Lock()
        self.con = duckdb.connect(database) if isinstance(database, str) else database
        for stmt in _SESSION:
            self._try(stmt)
        if memory_limit:
            self.con.execute("SET memory_limit = ?", [check_memory_limit(memory_limit)])
        if temp_directory is not None:
            self.con.execute("SET temp_directory = ?", [temp_directory])
        if bulk:
            # Inserting from an Arrow stream while keeping its order runs on one thread.
            self.con.execute("SET preserve_insertion_order = false")
            self.con.execute("SET enable_progress_bar = true")
            self.con.execute("SET enable_progress_bar_print = false")
            # No row-group merging at checkpoints: an INSERT on every core leaves a partly
            # filled row group per core, and merging two of them at the command's closing
            # checkpoint would decompress and compress them again (a third more time for a
            # 250,000-record file); a later checkpoint of a server may merge them.
            self.con.execute("SET max_vacuum_tasks = 0")
        dirs = [p.rstrip("/") + "/" for p in self.readable if os.path.isdir(p)]
        files = [p for p in self.readable if not os.path.isdir(p)]
        if dirs:
            self.con.execute("SET allowed_directories = ?", [dirs])
        if files:
            self.con.execute("SET allowed_paths = ?", [files])
        for table in catalog.tables.values():
            self.con.execute(create_table_sql(table))
        for udf in udfs().values():
            self.con.create_function(
                udf.name,
                udf.func,
                list(udf.params),
                udf.returns,
                null_handling="special",
                exception_handling="return_null",
            )
        if sandbox:
            self.con.execute("SET enable_external_access = false")
            self.con.execute("SET lock_configuration = true")

    def may_read(self, path: str | os.PathLike[str]) -> bool:
        """Whether DuckDB's file readers may read this file (see `readable`)."""
        if not self.sandbox:
            return True
        real = os.path.realpath(path)
        return any(real == p or real.startswith(p.rstrip("/") + "/") for p in self.readable)

    def _try(self, stmt: str) -> None:
        with contextlib.suppress(duckdb.Error):  # a setting this DuckDB version does not have
            self.con.execute(stmt)

    def run(
        self,
        compiled: CompiledQuery,
        *,
        max_rows: int | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> pa.Table:
        """Execute and return the rows as Arrow; engine errors become a KqlError.

        Args:
            max_rows: fetch at most this many rows plus one, so that the caller can tell a
                truncated result (more than `max_rows` rows) from a complete one.
            con: the connection to run on (a cursor of `self.con`); default `self.con`.
        """
        with _engine_errors():
            rel = self._relation(compiled.sql, compiled.params, max_rows, con)
            table: pa.Table = rel.to_arrow_table()
        return table

    def rows(
        self,
        sql: str,
        params: dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> list[tuple[Any, ...]]:
        """Like `run`, as Python tuples: for SQL compiled from a query that the compiler runs
        itself (the `bag_unpack` probe), checked and limited the same way."""
        with _engine_errors():
            rows: list[tuple[Any, ...]] = self._relation(sql, params, max_rows, con).fetchall()
        return rows

    def _relation(
        self,
        sql: str,
        params: dict[str, Any] | None,
        max_rows: int | None,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> duckdb.DuckDBPyRelation:
        con = con or self.con
        self.check(sql, con)
        rel = con.sql(sql, params=params or None)
        if rel is None:
            raise KqlError([engine_error("the query returned no result set")])
        if max_rows is not None:
            # DuckDB keeps the order of the ordered sub-query under a LIMIT (and plans a top-N):
            # the engine stops after these rows instead of producing the whole result
            rel = rel.limit(max_rows + 1)
        return rel

    def check(self, sql: str, con: duckdb.DuckDBPyConnection | None = None) -> None:
        """Refuse (KqlError KQL4004) SQL that is not one SELECT over the catalog's tables;
        nothing to check without the sandbox. A text that passed is not parsed again while
        the catalog's tables are the same (SQL reused across ticks is checked once)."""
        if not self.sandbox:
            return
        key = (sql, frozenset(n.lower() for n in self.catalog.tables))
        with self._checked_lock:
            if key in self._checked:
                self._checked.move_to_end(key)
                return
        check_select(con or self.con, sql, key[1])
        with self._checked_lock:
            self._checked[key] = None
            if len(self._checked) > CHECKED_SQL:
                self._checked.popitem(last=False)

    def close(self) -> None:
        self.con.close()

    def execute(self, sql: str, params: Any = None) -> Any:
        """Trusted statements (ingestion, setup): not for user queries."""
        return self.con.execute(sql, params)


@contextlib.contextmanager
def _engine_errors() -> Iterator[None]:
    """DuckDB's errors while running a query, as KQL diagnostics (never a bare traceback)."""
    try:
        yield
    except duckdb.InterruptException:
        raise KqlError([query_cancelled()]) from None
    except duckdb.OutOfMemoryException:
        raise KqlError([out_of_memory()]) from None
    except duckdb.Error as e:
        raise KqlError([engine_error(_first_line(str(e)), _engine_hint(str(e)))]) from None


def _first_line(msg: str) -> str:
    return msg.strip().splitlines()[0] if msg.strip() else "the engine failed"


def _engine_hint(msg: str) -> str | None:
    if "Conversion Error" in msg:
        return (
            "a value could not be converted; check types with getschema or use the to*() functions"
        )
    return None
