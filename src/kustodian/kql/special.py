"""Calls that need more than their bound arguments: lazy typing (`iff`, `case`), the row scope
(`column_ifexists`, `pack_all`, `prev`, `next`, `row_number`), sub-queries (`toscalar`) and
the query's clock (`now`, `ago`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql import plan as P
from kustodian.kql import syntax as S
from kustodian.kql.functions.base import NOT_CONST, Arg, dynamic_of, to_bool, to_dynamic, to_type
from kustodian.kql.operators import arithmetic
from kustodian.kql.sqlnodes import col, fn, lit, null_of
from kustodian.kql.types import KType, numeric_result, type_from_name

if TYPE_CHECKING:
    from kustodian.kql.binder import Binder, Env, RowScope


def _null(e: S.Expr) -> Arg:
    return Arg(exp.Null(), KType.NULL, e.span, None)


def _arity(b: Binder, e: S.Call, lo: int, hi: int | None) -> bool:
    n = len(e.args)
    if n < lo or (hi is not None and n > hi):
        expected = (
            str(lo) if lo == hi else (f"{lo} to {hi}" if hi is not None else f"at least {lo}")
        )
        b.error(D.wrong_arg_count(e.name, n, expected, e.span))
        return False
    return True


def common_type(b: Binder, args: list[Arg], span: S.Expr) -> KType:
    t = KType.NULL
    for a in args:
        if a.type is KType.NULL:
            continue
        if t is KType.NULL:
            t = a.type
        elif t is not a.type:
            if t.is_numeric and a.type.is_numeric:
                t = numeric_result(t, a.type)
            elif KType.DYNAMIC in (t, a.type):
                # Kusto gives the other branch's type: iff(c, d.x, "n/a") is a string
                t = a.type if t is KType.DYNAMIC else t
            else:
                b.error(
                    D.type_error(
                        f"branches have different types: {t} and {a.type}",
                        span.span,
                        "convert them to one type, e.g. with tostring()",
                    )
                )
                return t
    return t


def _conform(a: Arg, t: KType) -> exp.Expression:
    if a.type is t:
        return a.sql
    if a.type is KType.NULL:
        return null_of(t) if t is not KType.NULL else exp.Null()
    return to_type(a, t)


def call_iff(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 3, 3):
        return _null(e)
    cond = b.bind_expr(e.args[0], scope, env)
    then, other = (b.bind_expr(a, scope, env) for a in e.args[1:])
    t = common_type(b, [then, other], e)
    sql = exp.Case(
        ifs=[exp.If(this=to_bool(cond), true=_conform(then, t))], default=_conform(other, t)
    )
    return Arg(sql, t, e.span, NOT_CONST, e)


def call_case(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if len(e.args) < 3 or len(e.args) % 2 == 0:
        b.error(D.wrong_arg_count("case", len(e.args), "an odd number (at least 3) of", e.span))
        return _null(e)
    args = [b.bind_expr(a, scope, env) for a in e.args]
    values = [args[i] for i in range(1, len(args) - 1, 2)] + [args[-1]]
    t = common_type(b, values, e)
    ifs = [
        exp.If(this=to_bool(args[i]), true=_conform(args[i + 1], t))
        for i in range(0, len(args) - 1, 2)
    ]
    return Arg(exp.Case(ifs=ifs, default=_conform(args[-1], t)), t, e.span, NOT_CONST, e)


def call_coalesce(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 1, 64):
        return _null(e)
    args = [b.bind_expr(a, scope, env) for a in e.args]
    t = common_type(b, args, e)
    parts = [_conform(a, t) for a in args]
    if t is KType.STRING:  # an empty string is "no value" for coalesce
        parts = [exp.Anonymous(this="NULLIF", expressions=[p, lit("")]) for p in parts]
        return Arg(exp.Coalesce(this=parts[0], expressions=[*parts[1:], lit("")]), t, e.span)
    return Arg(exp.Coalesce(this=parts[0], expressions=parts[1:]), t, e.span)


def call_column_ifexists(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 2, 2):
        return _null(e)
    name = b.bind_expr(e.args[0], scope, env)
    if not (name.is_const and isinstance(name.const, str)):
        b.error(D.not_constant("the column name", e.args[0].span))
        return _null(e)
    c = scope.find(name.const)
    default = b.bind_expr(e.args[1], scope, env)
    if c is not None:
        found = Arg(col(c.sql), c.type, e.span, NOT_CONST, S.Name(e.span, c.name))
        if default.type in (c.type, KType.NULL):
            return found
        # Kusto types the result as the default's type, whether or not the column exists
        return Arg(to_type(found, default.type), default.type, e.span)
    return default


def call_toscalar(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    from kustodian.kql.binder import PlanRef

    if not _arity(b, e, 1, 1):
        return _null(e)
    a0 = e.args[0]
    if (
        not isinstance(a0, S.TabularExpr | S.Name | S.Call)
        or (
            isinstance(a0, S.Name)
            and not isinstance(env.lookup(a0.name), P.Node)
            and b.catalog.get(a0.name) is None
        )
        or (isinstance(a0, S.Call) and not b._is_tabular_call(a0, env))
    ):
        return b.bind_expr(a0, scope, env)
    node = b.tabular_arg(a0, env)
    if not node.schema:
        b.error(D.type_error("toscalar() needs a table with at least one column", e.span))
        return _null(e)
    t = node.schema[0].type
    return Arg(PlanRef(this=node, mode="scalar"), t, e.span, NOT_CONST, e)


def call_now(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 0, 1):
        return _null(e)
    b.uses_now = True
    now = Arg(fn("now"), KType.DATETIME, e.span)
    if e.args:
        offset = b.bind_expr(e.args[0], scope, env)
        return arithmetic(b, "+", now, offset, e.span)
    return now


def call_ago(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 1, 1):
        return _null(e)
    b.uses_now = True
    span = b.bind_expr(e.args[0], scope, env)
    if span.type not in (KType.TIMESPAN, KType.NULL) and not span.type.is_numeric:
        b.error(D.type_error(f"ago() takes a timespan, not {span.type}", e.args[0].span))
        return _null(e)
    now = Arg(fn("now"), KType.DATETIME, e.span)
    if span.type is not KType.TIMESPAN:
        span = Arg(to_type(span, KType.TIMESPAN), KType.TIMESPAN, span.span)
    return arithmetic(b, "-", now, span, e.span)


def _window_input(b: Binder, e: S.Call, scope: RowScope) -> bool:
    if scope.node is None or not scope.node.ordered:
        b.error(
            D.type_error(
                f"{e.name}() needs serialized rows",
                e.span,
                "add '| serialize' or sort the rows first ('| sort by ...')",
                ks="KS229",
            )
        )
        return False
    return True


def _order() -> exp.Expression:
    return exp.Order(expressions=[exp.Ordered(this=col(P.ORD), desc=False)])


def call_prev_next(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 1, 3) or not _window_input(b, e, scope):
        return _null(e)
    value = b.bind_expr(e.args[0], scope, env)
    offset = (
        b.bind_expr(e.args[1], scope, env)
        if len(e.args) > 1
        else Arg(lit(1), KType.LONG, e.span, 1)
    )
    args: list[exp.Expression] = [value.sql, offset.sql]
    if len(e.args) > 2:
        default = b.bind_expr(e.args[2], scope, env)
        args.append(_conform(default, value.type))
    cls = exp.Lag if e.name == "prev" else exp.Lead
    func = cls(this=args[0], offset=args[1], default=args[2] if len(args) > 2 else None)
    return Arg(exp.Window(this=func, order=_order()), value.type, e.span)


def call_row_number(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 0, 2) or not _window_input(b, e, scope):
        return _null(e)
    start = b.bind_expr(e.args[0], scope, env).sql if e.args else lit(1)
    rn = exp.Window(this=exp.RowNumber(), order=_order())
    sql = exp.Add(this=exp.Sub(this=rn, expression=lit(1)), expression=start)
    return Arg(sql, KType.LONG, e.span)


def call_row_cumsum(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 1, 2) or not _window_input(b, e, scope):
        return _null(e)
    value = b.bind_expr(e.args[0], scope, env)
    if len(e.args) == 2:
        b.error(D.unsupported("row_cumsum() with a restart condition", e.args[1].span))
        return _null(e)
    spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
    sql = exp.Window(this=exp.Sum(this=value.sql), order=_order(), spec=spec)
    return Arg(sql, value.type, e.span)


def call_pack_all(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 0, 1):
        return _null(e)
    skip_nulls = False
    if e.args:
        flag = b.bind_expr(e.args[0], scope, env)
        skip_nulls = bool(flag.const) if flag.is_const else False
    if scope.node is None:
        return Arg(fn("json_literal", lit("{}")), KType.DYNAMIC, e.span)
    parts: list[exp.Expression] = []
    for c in scope.node.schema:
        a = Arg(col(c.sql), c.type, e.span)
        parts.extend([lit(c.name), to_dynamic(a)])
    sql = fn("json_object", *parts)
    if skip_nulls:
        sql = fn("json_strip_nulls", sql)
    return Arg(sql, KType.DYNAMIC, e.span)


def call_column_names_of(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    if not _arity(b, e, 1, 1):
        return _null(e)
    node = b.tabular_arg(e.args[0], env)
    names = [c.name for c in node.schema]
    return Arg(dynamic_of(names), KType.DYNAMIC, e.span, names)


def call_typeof(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    """`typeof(long)`: a type as a constant argument (extract(..., typeof(long)))."""
    if not _arity(b, e, 1, 1) or not isinstance(e.args[0], S.Name):
        b.error(D.syntax("typeof() takes a type name, e.g. typeof(long)", e.span))
        return _null(e)
    t = type_from_name(e.args[0].name)
    if t is None:
        b.error(D.type_error(f"unknown type '{e.args[0].name}'", e.args[0].span))
        return _null(e)
    return Arg(exp.Null(), KType.NULL, e.span, t)


def call_tuple(b: Binder, e: S.Call, scope: RowScope, env: Env) -> Arg:
    b.error(
        D.syntax("a parenthesized list is only valid after 'in', 'has_any' and friends", e.span)
    )
    return _null(e)


SPECIAL_CALLS: dict[str, Callable[[Binder, S.Call, RowScope, Env], Arg]] = {
    "iff": call_iff,
    "iif": call_iff,
    "case": call_case,
    "coalesce": call_coalesce,
    "column_ifexists": call_column_ifexists,
    "columnifexists": call_column_ifexists,
    "toscalar": call_toscalar,
    "now": call_now,
    "ago": call_ago,
    "prev": call_prev_next,
    "next": call_prev_next,
    "row_number": call_row_number,
    "row_cumsum": call_row_cumsum,
    "pack_all": call_pack_all,
    "__tuple": call_tuple,
    "typeof": call_typeof,
    "column_names_of": call_column_names_of,
}
