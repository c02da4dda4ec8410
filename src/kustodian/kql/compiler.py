"""The pipeline: parse, bind, lower, generate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kustodian.kql.binder import Binder
from kustodian.kql.catalog import Catalog, entra_catalog
from kustodian.kql.diagnostics import KqlError, too_deep
from kustodian.kql.generate import generate
from kustodian.kql.lower import lower
from kustodian.kql.parser import parse
from kustodian.kql.plan import Node
from kustodian.kql.sqlnodes import KqlFn, fn, lit
from kustodian.kql.types import KType

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CompiledQuery:
    """SQL for one tabular result, with what is needed to run it and read its rows.

    `params` holds the named parameters the SQL uses (`kql_now`: the query's instant, as
    nanoseconds since the Unix epoch; with `window_params`, `kql_start` and `kql_end`: the
    timespan's bounds, both included, in nanoseconds); `columns` the Kusto names and types of
    the result.
    """

    sql: str
    params: dict[str, Any]
    columns: list[tuple[str, KType]]
    render: dict[str, Any] | None = None
    dialect: str = "duckdb"
    extra: list[CompiledQuery] = field(default_factory=list)

    @property
    def column_types(self) -> list[tuple[str, str]]:
        return [(n, t.value) for n, t in self.columns]


def to_ns(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def compile_all(
    query: str,
    *,
    catalog: Catalog | None = None,
    dialect: str = "duckdb",
    now: datetime | int | None = None,
    timespan: tuple[datetime | int, datetime | int] | timedelta | None = None,
    parameters: dict[str, Any] | None = None,
    pretty: bool = False,
    run_sql: Callable[[str, dict[str, Any]], list[tuple[Any, ...]]] | None = None,
    inline_now: bool = True,
    window_params: bool = False,
) -> list[CompiledQuery]:
    """Compile every tabular statement of a query.

    Args:
        query: KQL text.
        catalog: tables to bind against (default: the Entra tables).
        dialect: "duckdb" or "spark".
        now: the instant `now()` and `ago()` use (default: the current time, once per query);
            a datetime, or nanoseconds since the Unix epoch (to keep 100 ns ticks).
        timespan: restricts every table with `TimeGenerated` to this range, as the Log
            Analytics API's `timespan` does; a timedelta means the span ending at `now`.
        parameters: values for `declare query_parameters`.
        run_sql: runs trusted SQL on the data; operators whose output columns depend on the
            data (`evaluate bag_unpack`) use it to look at the data while binding.
        inline_now: write the query's instant into the SQL as a constant, so that the engine
            folds `ago()` bounds and prunes by time (zone maps); False keeps it the `kql_now`
            parameter, for SQL reused across instants.
        window_params: with a `timespan`, bound the tables by the `kql_start` and `kql_end`
            parameters instead of constants, for SQL reused across windows (alert rules'
            ticks); `params` holds this compilation's values. The default constants let the
            engine prune by time.

    Raises:
        KqlError: with every diagnostic, when the query has an error; KQL1011 when it is too
            deep for the recursive stages (a thousand nested parentheses, thousands of pipes).
    """
    try:
        return _compile_all(
            query,
            catalog,
            dialect,
            now,
            timespan,
            parameters,
            pretty,
            run_sql,
            _Instants(inline_now, window_params),
        )
    except RecursionError:
        raise KqlError([too_deep()], query) from None
    except Exception as e:
        if _from_recursion(e):  # sqlglot wraps it (TokenError, ParseError)
            raise KqlError([too_deep()], query) from None
        raise


def _from_recursion(e: BaseException | None) -> bool:
    seen = 0
    while e is not None and seen < 20:
        if isinstance(e, RecursionError):
            return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return False


def _compile_all(
    query: str,
    catalog: Catalog | None,
    dialect: str,
    now: datetime | int | None,
    timespan: tuple[datetime | int, datetime | int] | timedelta | None,
    parameters: dict[str, Any] | None,
    pretty: bool,
    run_sql: Callable[[str, dict[str, Any]], list[tuple[Any, ...]]] | None,
    how: _Instants,
) -> list[CompiledQuery]:
    cat = catalog if catalog is not None else entra_catalog()
    now_ns = now if isinstance(now, int) else to_ns(now or datetime.now(UTC))
    time_range = _time_range(timespan, now_ns)
    values = _Values(now_ns, time_range if how.window_params else None)
    tree, diags = parse(query)
    if diags:
        raise KqlError(diags, query)
    probe = _probe(run_sql, values) if run_sql is not None else None
    binder = Binder(
        cat,
        query,
        time_range=time_range,
        parameters=parameters,
        probe=probe,
        time_params=how.window_params,
    )
    plans = binder.bind_query(tree)
    if binder.diagnostics:
        raise KqlError(binder.diagnostics, query)
    out: list[CompiledQuery] = []
    for p in plans:
        tree = lower(p.root)
        if how.inline_now:
            tree = _inline_now(tree, now_ns)
        sql = generate(tree, dialect, pretty=pretty)
        params = values.used_by(tree)
        cols = [(c.name, c.type) for c in p.root.schema]
        out.append(CompiledQuery(sql, params, cols, p.render, dialect))
    return out


def compile(query: str, **kwargs: Any) -> CompiledQuery:
    """Compile a query to SQL; its first tabular result (see `compile_all`)."""
    results = compile_all(query, **kwargs)
    first = results[0]
    if len(results) > 1:
        return CompiledQuery(
            first.sql, first.params, first.columns, first.render, first.dialect, results[1:]
        )
    return first


@dataclass(frozen=True)
class _Instants:
    """Which of the query's instants the SQL takes as parameters."""

    inline_now: bool
    window_params: bool


@dataclass(frozen=True)
class _Values:
    """This compilation's values of the parameters the SQL may use."""

    now_ns: int
    time_range: tuple[int, int] | None  # the window's bounds, when they are parameters

    def used_by(self, tree: Any) -> dict[str, Any]:
        """The parameters of the lowered tree's SQL (by its operations: a string literal in
        the query that reads "kql_now" is not one)."""
        ops = {n.this for n in tree.find_all(KqlFn)}
        params: dict[str, Any] = {"kql_now": self.now_ns} if ops & {"now", "now_ns"} else {}
        if self.time_range is not None and ops & {"window_start", "window_end"}:
            params["kql_start"], params["kql_end"] = self.time_range
        return params


def _probe(
    run_sql: Callable[[str, dict[str, Any]], list[tuple[Any, ...]]], values: _Values
) -> Callable[[Node], list[tuple[Any, ...]]]:
    """Runs a sub-plan during binding (DuckDB SQL) and returns its rows."""

    def probe(node: Node) -> list[tuple[Any, ...]]:
        tree = lower(node)
        return run_sql(generate(tree, "duckdb"), values.used_by(tree))

    return probe


def _inline_now(tree: Any, now_ns: int) -> Any:
    def swap(n: Any) -> Any:
        if isinstance(n, KqlFn) and n.this == "now_ns":
            return lit(now_ns)
        if isinstance(n, KqlFn) and n.this == "now":
            return fn("datetime_literal", lit(now_ns))
        return n

    return tree.transform(swap, copy=False)


def _time_range(
    timespan: tuple[datetime | int, datetime | int] | timedelta | None, now_ns: int
) -> tuple[int, int] | None:
    if timespan is None:
        return None
    if isinstance(timespan, timedelta):
        span_ns = int(timespan.total_seconds() * 1_000_000_000)
        return (now_ns - span_ns, now_ns)
    start, end = timespan  # both ends included; ints are nanoseconds since the epoch
    return (
        start if isinstance(start, int) else to_ns(start),
        end if isinstance(end, int) else to_ns(end),
    )
