"""Dialect-neutral SQL building blocks for the lowering.

Where sqlglot has a node with Kusto's meaning (`exp.Lower`, `exp.StartsWith`...) the lowering
uses it. Everything else is a `KqlFn` node: a named operation whose SQL each dialect defines in
its template table (`kustodian.kql.generate`). Nothing here knows a dialect.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kustodian.kql.types import KType


class KqlFn(exp.Expression, exp.Func):  # type: ignore[misc]
    """A named engine operation, e.g. `KqlFn("epoch_ns", x)`; each dialect renders it."""

    arg_types = {"this": True, "expressions": False}
    is_var_len_args = True


class KqlAggFn(exp.Expression, exp.AggFunc):  # type: ignore[misc]
    """Like `KqlFn`, for aggregates (so that sqlglot treats it as one)."""

    arg_types = {"this": True, "expressions": False}
    is_var_len_args = True


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A `KqlFn` node for the operation `name` with SQL arguments."""
    return KqlFn(this=name, expressions=list(args))


def agg(name: str, *args: exp.Expression) -> exp.Expression:
    return KqlAggFn(this=name, expressions=list(args))


def lit(value: Any) -> exp.Expression:
    """A SQL literal for a Python value, quoted by sqlglot (never spliced text)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            text = "nan" if value != value else ("inf" if value > 0 else "-inf")
            return exp.cast(exp.Literal.string(text), exp.DataType.Type.DOUBLE)
        return exp.Literal.number(repr(value))
    return exp.Literal.string(str(value))


# SQL types of each Kusto type, named by sqlglot's neutral type names; `TIMESTAMP_NS` and `JSON`
# are mapped per dialect in the generator.
SQL_TYPES: dict[KType, str] = {
    KType.BOOL: "BOOLEAN",
    KType.INT: "INT",
    KType.LONG: "BIGINT",
    KType.REAL: "DOUBLE",
    KType.DECIMAL: "DECIMAL(38, 18)",
    KType.STRING: "TEXT",
    KType.DATETIME: "TIMESTAMP_NS",
    KType.TIMESPAN: "BIGINT",
    KType.GUID: "UUID",
    KType.DYNAMIC: "JSON",
    KType.NULL: "TEXT",
}


def sql_type(t: KType) -> exp.DataType:
    if t is KType.DATETIME:
        return exp.DataType(this=exp.DataType.Type.TIMESTAMP_NS)
    return exp.DataType.build(SQL_TYPES[t])


def cast(e: exp.Expression, t: KType) -> exp.Expression:
    return exp.Cast(this=e, to=sql_type(t))


def try_cast(e: exp.Expression, t: KType) -> exp.Expression:
    return exp.TryCast(this=e, to=sql_type(t))


def null_of(t: KType) -> exp.Expression:
    return cast(exp.Null(), t)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def func(name: str, *args: exp.Expression) -> exp.Expression:
    """A plain SQL function known by the same name in every dialect we generate."""
    return exp.Anonymous(this=name, expressions=list(args))


def epoch_ns(dt: exp.Expression) -> exp.Expression:
    """Nanoseconds since the epoch of a datetime expression, without a round trip when the
    expression was itself built from nanoseconds (literals, `now()`, arithmetic)."""
    if isinstance(dt, KqlFn):
        if dt.this in ("from_epoch_ns", "datetime_literal"):
            return dt.expressions[0].copy()
        if dt.this == "now":
            return fn("now_ns")
    return fn("epoch_ns", dt)


def _same_connector(parent: exp.Expression, child: exp.Expression | None) -> bool:
    inner = child.this if isinstance(child, exp.Paren) else child
    return type(inner) is type(parent)


def parenthesize(tree: exp.Expression) -> exp.Expression:
    """Wrap operands of binary operators in parentheses, so that trees built by hand keep
    their meaning whatever the generator's precedence rules."""

    def wrap(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Binary) and not isinstance(n, exp.Dot):
            for key in ("this", "expression"):
                child = n.args.get(key)
                if isinstance(n, exp.And | exp.Or) and _same_connector(n, child):
                    # associative: without parentheses sqlglot writes a long `or` chain
                    # iteratively (each parenthesis costs its generator a level of recursion)
                    if isinstance(child, exp.Paren):
                        n.set(key, child.this)
                    continue
                if isinstance(child, exp.Binary | exp.Not | exp.Neg) and not isinstance(
                    child, exp.Dot
                ):
                    n.set(key, exp.Paren(this=child))
        return n

    return tree.transform(wrap, copy=False)
