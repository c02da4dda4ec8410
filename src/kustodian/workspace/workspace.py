"""A workspace: the embedded database with the Entra tables, and queries over it."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kustodian.engines.duckdb import DuckDBEngine
from kustodian.kql.catalog import Catalog, entra_catalog
from kustodian.kql.compiler import CompiledQuery, compile_all
from kustodian.result import QueryResult

DB_FILE = "kustodian.duckdb"


class Workspace:
    """A Log Analytics-like workspace. `Workspace.open(":memory:")` has the Entra tables, empty."""

    def __init__(self, engine: DuckDBEngine, catalog: Catalog, path: str) -> None:
        self.engine = engine
        self.catalog = catalog
        self.path = path

    @classmethod
    def open(cls, path: str | os.PathLike[str] = ":memory:") -> Workspace:
        catalog = entra_catalog()
        if str(path) == ":memory:":
            return cls(DuckDBEngine(":memory:", catalog), catalog, ":memory:")
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        db = root / DB_FILE
        return cls(DuckDBEngine(str(db), catalog), catalog, str(root))

    def compile(self, kql: str, **kwargs: Any) -> list[CompiledQuery]:
        return compile_all(kql, catalog=self.catalog, run_sql=self._run_trusted, **kwargs)

    def _run_trusted(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.engine.execute(sql, params or None).fetchall()
        return rows

    def query(
        self,
        kql: str,
        *,
        now: datetime | int | None = None,
        timespan: timedelta | tuple[datetime, datetime] | None = None,
    ) -> QueryResult:
        """Run a KQL query; the first tabular result, with any further ones in `.tables`.

        Raises:
            KqlError: the query has an error (with code, position and hint).
        """
        compiled = self.compile(kql, now=now, timespan=timespan)
        results = [self._run(c) for c in compiled]
        first = results[0]
        first.tables = results[1:]
        return first

    def _run(self, c: CompiledQuery) -> QueryResult:
        table = self.engine.run(c)
        return QueryResult(c.column_types, table, c.render)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
