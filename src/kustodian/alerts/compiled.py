"""Rule queries compiled once and reused across ticks.

Every tick runs a rule's query with another instant and window. Compiling it (parse, bind,
lower, generate) and guard-checking the SQL cost several times what running it costs on a
tick's window, so a rule's query is compiled once with the instant and the window's bounds as
parameters (`kql_now`, `kql_start`, `kql_end`; `compile_all(inline_now=False,
window_params=True)`) and each tick only binds their values. The SQL text stays the same, so the
engine's guard passes it from its cache of checked texts (engines/duckdb.py).

A compilation is reused only while it would come out the same:

- the catalog is the same (its tables' schemas and time column): an extension column or a
  custom table changes what `*`, `union *` or a column list bind to, so the query is compiled
  again;
- its compilation did not read the data: `evaluate bag_unpack` without a schema takes its
  columns from the rows of the window, so such a query is compiled at every tick, as before.

Nothing else in a compilation depends on the instant or the window: the binder never sees
them, `now()` and `ago()` lower to the `kql_now` parameter, and the time restriction to the
window's parameters.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kustodian.kql.compiler import CompiledQuery, compile_all, to_ns
from kustodian.kql.types import KType

if TYPE_CHECKING:
    from kustodian.result import QueryResult
    from kustodian.workspace.workspace import Workspace

MAX_QUERIES = 256  # compiled rule queries kept per workspace (the least recently used go)

CatalogState = tuple[tuple[tuple[str, tuple[tuple[str, KType], ...]], ...], str]


@dataclass(frozen=True)
class _Entry:
    catalog: CatalogState  # what it was compiled against
    compiled: list[CompiledQuery] | None  # None: compiled at every tick (it reads the data)


class RuleQueries:
    """Compiled rule queries of one workspace, by query text."""

    def __init__(self, limit: int = MAX_QUERIES) -> None:
        self.limit = limit
        self.compilations = 0  # how many times a query was compiled here (for tests, benchmarks)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def run(
        self, ws: Workspace, query: str, now: datetime, timespan: tuple[int, int]
    ) -> QueryResult:
        """The query's result at `now` over `timespan` (nanoseconds, both ends included), as
        `ws.query(query, now=now, timespan=timespan)` gives it.

        Raises:
            KqlError: the query does not compile against the catalog, or fails when run.
        """
        values = {"kql_now": to_ns(now), "kql_start": timespan[0], "kql_end": timespan[1]}
        state = catalog_state(ws)
        with self._lock:
            entry = self._entries.get(query)
            if entry is not None:
                self._entries.move_to_end(query)
        if entry is None or entry.catalog != state:
            compiled, reads_data = self._compile(ws, query, now, timespan)
            self._remember(query, _Entry(state, None if reads_data else compiled))
        elif entry.compiled is None:
            return ws.query(query, now=now, timespan=timespan)
        else:
            compiled = [replace(c, params={k: values[k] for k in c.params}) for c in entry.compiled]
        return ws.run_compiled(compiled)

    def _compile(
        self, ws: Workspace, query: str, now: datetime, timespan: tuple[int, int]
    ) -> tuple[list[CompiledQuery], bool]:
        """The query compiled for reuse (with this tick's values), and whether compiling it
        read the data."""
        reads_data = False

        def run_sql(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
            nonlocal reads_data
            reads_data = True
            return ws.engine.rows(sql, params, con=ws.con)

        self.compilations += 1
        compiled = compile_all(
            query,
            catalog=ws.catalog,
            now=now,
            timespan=timespan,
            run_sql=run_sql,
            inline_now=False,
            window_params=True,
        )
        return compiled, reads_data

    def _remember(self, query: str, entry: _Entry) -> None:
        with self._lock:
            self._entries[query] = entry
            self._entries.move_to_end(query)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)


def catalog_state(ws: Workspace) -> CatalogState:
    """What a compilation depends on in the catalog: every table's columns, the time column."""
    tables = tuple((t.name, t.columns) for t in ws.catalog.tables.values())
    return tables, ws.catalog.time_column


_BY_WORKSPACE: weakref.WeakKeyDictionary[Workspace, RuleQueries] = weakref.WeakKeyDictionary()
_BY_WORKSPACE_LOCK = threading.Lock()


def rule_queries(ws: Workspace) -> RuleQueries:
    """The workspace's compiled rule queries (kept as long as the workspace object lives)."""
    with _BY_WORKSPACE_LOCK:
        queries = _BY_WORKSPACE.get(ws)
        if queries is None:
            queries = _BY_WORKSPACE[ws] = RuleQueries()
        return queries
