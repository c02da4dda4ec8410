"""The embedded DuckDB engine: tables from the catalog, sandboxed execution of compiled SQL."""

from __future__ import annotations

import contextlib
from typing import Any

import duckdb
import pyarrow as pa

from kustodian.kql.catalog import Catalog, TableSchema
from kustodian.kql.compiler import CompiledQuery
from kustodian.kql.diagnostics import KqlError, engine_error, query_cancelled
from kustodian.kql.functions import udfs
from kustodian.kql.sqlnodes import SQL_TYPES
from kustodian.kql.types import KType

DUCKDB_TYPES = {**SQL_TYPES, KType.STRING: "VARCHAR", KType.INT: "INTEGER"}


def column_sql(name: str, t: KType) -> str:
    """A column definition; strings default to '' because Kusto strings are never null."""
    default = " DEFAULT ''" if t is KType.STRING else ""
    return f'"{name}" {DUCKDB_TYPES[t]}{default}'


def create_table_sql(table: TableSchema) -> str:
    cols = ", ".join(column_sql(name, t) for name, t in table.columns)
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({cols})'


# Settings applied to every connection that runs user queries.
_SESSION = (
    "SET TimeZone = 'UTC'",
    "SET error_on_division_by_zero = false",
    "SET enable_progress_bar = false",
)


class DuckDBEngine:
    """Runs compiled queries on a DuckDB database.

    Args:
        database: a database file, ":memory:", or an open connection (the workspace's).
        catalog: the tables to create when missing.
        memory_limit: DuckDB's memory limit (e.g. "512MB"); default: DuckDB's (80% of RAM).
        sandbox: disable file and network access and lock the configuration, so user queries
            can read only the database's own tables.
        bulk: a connection for bulk loads (ingest, pull): DuckDB may store the rows of one
            INSERT in any order, which lets it insert on every core; rows read from a table
            without ORDER BY then come in that order.
    """

    def __init__(
        self,
        database: str | duckdb.DuckDBPyConnection,
        catalog: Catalog,
        *,
        sandbox: bool = True,
        memory_limit: str | None = None,
        bulk: bool = False,
    ) -> None:
        self.catalog = catalog
        self.con = duckdb.connect(database) if isinstance(database, str) else database
        for stmt in _SESSION:
            self._try(stmt)
        if memory_limit:
            self.con.execute("SET memory_limit = ?", [memory_limit])
        if bulk:
            # Inserting from an Arrow stream while keeping its order runs on one thread.
            self.con.execute("SET preserve_insertion_order = false")
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

    def _try(self, stmt: str) -> None:
        with contextlib.suppress(duckdb.Error):  # a setting this DuckDB version does not have
            self.con.execute(stmt)

    def run(self, compiled: CompiledQuery, *, max_rows: int | None = None) -> pa.Table:
        """Execute and return the rows as Arrow; engine errors become a KqlError.

        Args:
            max_rows: fetch at most this many rows plus one, so that the caller can tell a
                truncated result (more than `max_rows` rows) from a complete one.
        """
        try:
            rel = self.con.sql(compiled.sql, params=compiled.params or None)
            if rel is None:
                raise KqlError([engine_error("the query returned no result set")])
            if max_rows is not None:
                # DuckDB keeps the order of the ordered sub-query under a LIMIT (and plans a top-N)
                rel = rel.limit(max_rows + 1)
            table: pa.Table = rel.to_arrow_table()
        except duckdb.InterruptException:
            raise KqlError([query_cancelled()]) from None
        except duckdb.Error as e:
            raise KqlError([engine_error(_first_line(str(e)), _engine_hint(str(e)))]) from None
        return table

    def close(self) -> None:
        self.con.close()

    def execute(self, sql: str, params: Any = None) -> Any:
        """Trusted statements (ingestion, setup): not for user queries."""
        return self.con.execute(sql, params)


def _first_line(msg: str) -> str:
    return msg.strip().splitlines()[0] if msg.strip() else "the engine failed"


def _engine_hint(msg: str) -> str | None:
    if "Conversion Error" in msg:
        return (
            "a value could not be converted; check types with getschema or use the to*() functions"
        )
    if "Out of Memory" in msg:
        return "narrow the query (a time range, fewer columns) or summarize earlier"
    return None
