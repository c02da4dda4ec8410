"""Scalar operators: arithmetic, comparison, string predicates, `in`, `between`.

Kusto's implicit conversions live here: a string column compared with a number compares as
text (`ResultType == 50053`), dynamic values take the type of what they meet, datetime and
timespan arithmetic is done on integer ticks.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql import syntax as S
from kustodian.kql.functions.base import (
    NOT_CONST,
    Arg,
    to_bool,
    to_datetime,
    to_real,
    to_string,
)
from kustodian.kql.literals import parse_datetime_ns
from kustodian.kql.sqlnodes import cast, epoch_ns, fn, lit, null_of
from kustodian.kql.types import KType, numeric_result

if TYPE_CHECKING:
    from kustodian.kql.binder import Binder


def _null(span: Any) -> Arg:
    return Arg(exp.Null(), KType.NULL, span, None)


def _bool(sql: exp.Expression, span: Any) -> Arg:
    return Arg(sql, KType.BOOL, span)


# ------------------------------------------------------------------ arithmetic


def arithmetic(b: Binder, op: str, left: Arg, right: Arg, span: Any) -> Arg:
    lt, rt = left.type, right.type
    if lt is KType.DYNAMIC:
        left, lt = Arg(to_real(left), KType.REAL, left.span), KType.REAL
    if rt is KType.DYNAMIC:
        right, rt = Arg(to_real(right), KType.REAL, right.span), KType.REAL
    if lt is KType.NULL or rt is KType.NULL:
        other = rt if lt is KType.NULL else lt
        return Arg(exp.Null(), other if other is not KType.NULL else KType.NULL, span, None)
    dt, ts = KType.DATETIME, KType.TIMESPAN
    if lt is dt and rt is dt and op == "-":
        ticks = exp.IntDiv(
            this=exp.Sub(this=epoch_ns(left.sql), expression=epoch_ns(right.sql)),
            expression=lit(100),
        )
        return Arg(ticks, ts, span)
    if lt is dt and rt is ts and op in "+-":
        return Arg(_shift(left.sql, right.sql, op), dt, span)
    if lt is ts and rt is dt and op == "+":
        return Arg(_shift(right.sql, left.sql, "+"), dt, span)
    if lt is ts and rt is ts:
        if op in "+-":
            return Arg(_arith(op, left.sql, right.sql), ts, span, _fold(op, left, right))
        if op == "/":
            return Arg(
                exp.Div(this=cast(left.sql, KType.REAL), expression=right.sql), KType.REAL, span
            )
        if op == "%":
            return Arg(exp.Mod(this=left.sql, expression=right.sql), ts, span)
    if lt is ts and rt.is_numeric and op in "*/":
        prod = _arith(op, cast(left.sql, KType.REAL), right.sql)
        return Arg(fn("real_to_long", prod), ts, span)
    if lt.is_numeric and rt is ts and op == "*":
        return Arg(fn("real_to_long", _arith(op, cast(left.sql, KType.REAL), right.sql)), ts, span)
    if lt.is_numeric and rt.is_numeric:
        t = numeric_result(lt, rt)
        if op == "/" and t in (KType.INT, KType.LONG):
            return Arg(fn("int_div", left.sql, right.sql), t, span, _fold(op, left, right, t))
        if op == "%" and t in (KType.INT, KType.LONG):
            return Arg(fn("int_mod", left.sql, right.sql), t, span, _fold(op, left, right, t))
        lsql = cast(left.sql, KType.LONG) if t is KType.LONG and op in "+-*" else left.sql
        sql = _arith(op, lsql, right.sql)  # 64-bit: 2147483647 + 1 must not overflow
        if t is KType.INT and op in "+-*":
            sql = cast(sql, KType.INT)
        return Arg(sql, t, span, _fold(op, left, right, t))
    b.error(D.type_error(f"cannot apply '{op}' to {lt} and {rt}", span, ks="KS133"))
    return _null(span)


def _fold(op: str, left: Arg, right: Arg, t: KType | None = None) -> Any:
    if not (left.is_const and right.is_const):
        return NOT_CONST
    a, c = left.const, right.const
    if not isinstance(a, int | float) or not isinstance(c, int | float):
        return NOT_CONST
    try:
        if op == "+":
            return a + c
        if op == "-":
            return a - c
        if op == "*":
            return a * c
        if op == "/" and t in (KType.INT, KType.LONG):
            return int(a / c)
        if op == "/":
            return a / c
    except ZeroDivisionError:
        return NOT_CONST
    return NOT_CONST


def _arith(op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div, "%": exp.Mod}[op]
    return exp.Paren(this=cls(this=a, expression=b))


def _shift(dt: exp.Expression, ticks: exp.Expression, op: str) -> exp.Expression:
    ns = exp.Mul(this=cast(ticks, KType.LONG), expression=lit(100))
    cls = exp.Add if op == "+" else exp.Sub
    return fn("from_epoch_ns", cls(this=epoch_ns(dt), expression=ns))


# ------------------------------------------------------------------ comparison


def unify(
    b: Binder, left: Arg, right: Arg, span: Any, ordering: bool = False
) -> tuple[exp.Expression, exp.Expression, KType] | None:
    """Bring two operands of a comparison to one type, as Kusto does."""
    lt, rt = left.type, right.type
    if lt is rt:
        return left.sql, right.sql, lt
    if lt is KType.NULL or rt is KType.NULL:
        t = rt if lt is KType.NULL else lt
        return left.sql, right.sql, t
    if lt.is_numeric and rt.is_numeric:
        return left.sql, right.sql, numeric_result(lt, rt)
    for a, c, flip in ((left, right, False), (right, left, True)):
        if a.type is KType.STRING and (c.type.is_numeric or c.type is KType.BOOL) and not ordering:
            # Sentinel compares the string ResultType with numbers: compare as text.
            other = lit(_canonical_text(c.const)) if c.is_const else to_string(c)
            return (other, a.sql, KType.STRING) if flip else (a.sql, other, KType.STRING)
        if a.type is KType.DYNAMIC:
            conv = _from_dynamic(a, c.type)
            if conv is not None:
                return (c.sql, conv, c.type) if flip else (conv, c.sql, c.type)
        if a.type is KType.DATETIME and c.type is KType.STRING:
            if c.is_const and isinstance(c.const, str):
                ns = parse_datetime_ns(c.const)
                if ns is not None:
                    other = fn("datetime_literal", lit(ns))
                    return (
                        (other, a.sql, KType.DATETIME) if flip else (a.sql, other, KType.DATETIME)
                    )
            other = to_datetime(c)
            return (other, a.sql, KType.DATETIME) if flip else (a.sql, other, KType.DATETIME)
        if a.type is KType.GUID and c.type is KType.STRING:
            g = to_string(a)
            return (
                (exp.Lower(this=c.sql), g, KType.STRING)
                if flip
                else (g, exp.Lower(this=c.sql), KType.STRING)
            )
        if a.type is KType.TIMESPAN and c.type.is_numeric:
            return (c.sql, a.sql, KType.LONG) if flip else (a.sql, c.sql, KType.LONG)
    b.error(D.type_error(f"cannot compare {lt} with {rt}", span, ks="KS106"))
    return None


def _is_null_const(a: Arg) -> bool:
    return a.is_const and a.const is None


def _canonical_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _from_dynamic(a: Arg, t: KType) -> exp.Expression | None:
    if t is KType.STRING:
        return to_string(a)
    if t.is_numeric:
        return to_real(a) if t is KType.REAL else fn("dynamic_to_real", a.sql)
    if t is KType.BOOL:
        return to_bool(a)
    if t is KType.DATETIME:
        return to_datetime(a)
    if t is KType.TIMESPAN:
        return fn("string_to_timespan", fn("dynamic_to_string", a.sql))
    if t is KType.GUID:
        return to_string(a)
    return None


_CMP = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}


def compare(b: Binder, op: str, left: Arg, right: Arg, span: Any) -> Arg:
    if op in ("==", "!=") and (_is_null_const(left) or _is_null_const(right)):
        # Kusto: a value compared with null is not equal (null only when both are null)
        other = right if _is_null_const(left) else left
        result = exp.false() if op == "==" else exp.true()
        null_case = exp.Case(
            ifs=[exp.If(this=exp.Is(this=other.sql, expression=exp.Null()), true=exp.Null())],
            default=result,
        )
        return _bool(null_case, span)
    if op == "!=" and (left.is_const or right.is_const):
        # a null value differs from a non-null constant (`where ival != 5` keeps nulls)
        u = unify(b, left, right, span)
        if u is None:
            return _null(span)
        return _bool(exp.NullSafeNEQ(this=u[0], expression=u[1]), span)
    u = unify(b, left, right, span, ordering=op not in ("==", "!="))
    if u is None:
        return _null(span)
    lsql, rsql, t = u
    if t is KType.DYNAMIC and op in ("==", "!="):
        lsql, rsql = fn("dynamic_to_string", lsql), fn("dynamic_to_string", rsql)
    if op in ("==", "!=") and t is KType.REAL:
        pass
    return _bool(_CMP[op](this=lsql, expression=rsql), span)


# ------------------------------------------------------------------ string predicates


def _needle(a: Arg) -> exp.Expression:
    return lit(a.const) if a.is_const and isinstance(a.const, str) else to_string(a)


def string_op(b: Binder, op: str, left: Arg, right: Arg, span: Any) -> Arg:
    negated = op.startswith("!")
    base = op.lstrip("!")
    if left.type is KType.NULL:
        return _bool(exp.false() if not negated else exp.true(), span)
    hay = to_string(left)
    if right.type not in (KType.STRING, KType.DYNAMIC, KType.NULL) and base not in (
        "has",
        "has_cs",
    ):
        pass
    sql = _string_predicate(base, hay, right)
    if sql is None:
        b.error(D.unsupported(f"the '{op}' operator", span))
        return _null(span)
    return _bool(exp.Not(this=exp.Paren(this=sql)) if negated else sql, span)


def _string_predicate(base: str, hay: exp.Expression, right: Arg) -> exp.Expression | None:
    cs = base.endswith("_cs")
    kind = base[:-3] if cs else base
    needle = _needle(right)
    const = right.const if right.is_const and isinstance(right.const, str) else None
    if kind == "contains":
        if cs:
            return exp.GT(this=exp.StrPosition(this=hay, substr=needle), expression=lit(0))
        if const is not None:
            return fn("ilike", hay, lit("%" + _like_escape(const) + "%"))
        return exp.GT(
            this=exp.StrPosition(this=exp.Lower(this=hay), substr=exp.Lower(this=needle)),
            expression=lit(0),
        )
    if kind in ("startswith", "endswith"):
        cls = exp.StartsWith if kind == "startswith" else exp.EndsWith
        if cs:
            return cls(this=hay, expression=needle)
        if const is not None:
            return cls(this=exp.Lower(this=hay), expression=lit(const.lower()))
        return cls(this=exp.Lower(this=hay), expression=exp.Lower(this=needle))
    if kind in ("has", "hasprefix", "hassuffix"):
        if const is not None:
            return has_regex(hay, const, kind, cs)
        return fn("has_dynamic", hay, needle, lit(kind), lit(cs))
    if kind == "matches regex":
        return exp.RegexpLike(this=hay, expression=needle)
    if kind == "like":
        return exp.Like(this=hay, expression=needle)
    if kind == "notlike":
        return exp.Not(this=exp.Like(this=hay, expression=needle))
    return None


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_TERM = "0-9A-Za-z"


def has_regex(hay: exp.Expression, term: str, kind: str, cs: bool) -> exp.Expression:
    """`has` matches whole terms: the needle bounded by non-alphanumerics or the string's ends.

    A cheap substring test goes first so that the regex runs only on candidate rows.
    """
    if term == "":
        return exp.true()
    esc = re.escape(term)
    left = f"(^|[^{_TERM}])" if term[0].isalnum() else ""
    right = f"($|[^{_TERM}])" if term[-1].isalnum() else ""
    if kind == "hasprefix":
        right = ""
    if kind == "hassuffix":
        left = ""
    pattern = ("" if cs else "(?i)") + left + esc + right
    prefilter: exp.Expression
    if cs:
        prefilter = exp.GT(this=exp.StrPosition(this=hay, substr=lit(term)), expression=lit(0))
    else:
        prefilter = fn("ilike", hay, lit("%" + _like_escape(term) + "%"))
    if not left and not right:
        return prefilter
    return exp.And(this=prefilter, expression=exp.RegexpLike(this=hay, expression=lit(pattern)))


# ------------------------------------------------------------------ binary dispatch


def bind_binary(b: Binder, e: S.Binary, left: Arg, right: Arg) -> Arg:
    op = e.op
    if op in ("and", "or"):
        cls = exp.And if op == "and" else exp.Or
        return _bool(
            exp.Paren(this=cls(this=_as_bool(b, left), expression=_as_bool(b, right))), e.span
        )
    if op in ("+", "-", "*", "/", "%"):
        return arithmetic(b, op, left, right, e.span)
    if op in _CMP:
        return compare(b, op, left, right, e.span)
    if op in ("=~", "!~"):
        return _equals_ci(op, left, right, e.span)
    return string_op(b, op, left, right, e.span)


def _as_bool(b: Binder, a: Arg) -> exp.Expression:
    if a.type is KType.BOOL:
        return a.sql
    if a.type in (KType.DYNAMIC, KType.NULL):
        return to_bool(a) if a.type is KType.DYNAMIC else exp.Null()
    b.error(D.not_boolean(str(a.type), a.span))
    return exp.false()


def _equals_ci(op: str, left: Arg, right: Arg, span: Any) -> Arg:
    ls = exp.Lower(this=to_string(left))
    rs = (
        lit(right.const.lower())
        if right.is_const and isinstance(right.const, str)
        else exp.Lower(this=to_string(right))
    )
    sql: exp.Expression = exp.EQ(this=ls, expression=rs)
    if op == "!~":
        sql = exp.NEQ(this=ls, expression=rs)
    return _bool(sql, span)


# ------------------------------------------------------------------ in, has_any, between


def _flatten(items: list[Arg]) -> list[Arg] | None:
    """Constant items, with dynamic arrays spread; None when some item is not constant."""
    out: list[Arg] = []
    for a in items:
        if not a.is_const:
            return None
        if a.type is KType.DYNAMIC and isinstance(a.const, list):
            for v in a.const:
                out.append(_const_arg(v, a.span))
        else:
            out.append(a)
    return out


def _const_arg(v: Any, span: Any) -> Arg:
    if isinstance(v, bool):
        return Arg(lit(v), KType.BOOL, span, v)
    if isinstance(v, int):
        return Arg(lit(v), KType.LONG, span, v)
    if isinstance(v, float):
        return Arg(lit(v), KType.REAL, span, v)
    if v is None:
        return Arg(exp.Null(), KType.NULL, span, None)
    if isinstance(v, str):
        return Arg(lit(v), KType.STRING, span, v)
    import json

    return Arg(lit(json.dumps(v)), KType.STRING, span, json.dumps(v))


def bind_in(b: Binder, e: S.InList, left: Arg, items: list[Arg]) -> Arg:
    from kustodian.kql.binder import PlanRef

    op = e.op
    negated = op.startswith("!")
    base = op.lstrip("!")
    if base in ("has_any", "has_all"):
        return _has_any(b, e, left, items, base == "has_all", negated)
    ci = base == "in~"
    if len(items) == 1 and isinstance(items[0].sql, PlanRef):
        sub = items[0].sql
        lsql = exp.Lower(this=to_string(left)) if ci else left.sql
        node = sub.this
        sql: exp.Expression = exp.In(
            this=lsql, query=PlanRef(this=node, mode="column_lower" if ci else "column")
        )
        if negated:
            sql = exp.Not(this=exp.Paren(this=sql))
        return _bool(sql, e.span)
    flat = _flatten(items)
    if flat is None:
        # expressions in the list, or a dynamic array value: compare one by one
        ors: list[exp.Expression] = []
        for a in items:
            if a.type is KType.DYNAMIC and not a.is_const:
                ors.append(fn("json_array_contains", a.sql, to_string(left), lit(ci)))
            elif ci:
                ors.append(_equals_ci("=~", left, a, e.span).sql)
            else:
                ors.append(compare(b, "==", left, a, e.span).sql)
        sql = _disjunction(ors)
    else:
        if not flat:
            return _bool(exp.true() if negated else exp.false(), e.span)
        if ci:
            values = [lit(_canonical_text(a.const).lower()) for a in flat if a.const is not None]
            sql = exp.In(this=exp.Lower(this=to_string(left)), expressions=values)
        else:
            values = []
            for a in flat:
                if a.const is None:
                    continue
                u = unify(b, left, a, e.span)
                if u is None:
                    return _null(e.span)
                lsql, rsql, _ = u
                values.append(rsql)
            lhs = lsql if flat and values else left.sql
            sql = exp.In(this=lhs, expressions=values) if values else exp.false()
    if negated:
        sql = exp.Not(this=exp.Paren(this=sql))
    return _bool(sql, e.span)


def _disjunction(parts: list[exp.Expression]) -> exp.Expression:
    if not parts:
        return exp.false()
    out = parts[0]
    for p in parts[1:]:
        out = exp.Or(this=out, expression=p)
    return exp.Paren(this=out)


def _has_any(b: Binder, e: S.InList, left: Arg, items: list[Arg], all_: bool, negated: bool) -> Arg:
    flat = _flatten(items)
    hay = to_string(left)
    if flat is None:
        parts = []
        for a in items:
            if a.type is KType.DYNAMIC:
                parts.append(fn("has_any_dynamic", hay, a.sql, lit(all_)))
            else:
                parts.append(fn("has_dynamic", hay, to_string(a), lit("has"), lit(False)))
    else:
        terms = [_canonical_text(a.const) for a in flat if a.const is not None]
        if (
            not all_
            and len(terms) > 1
            and all(t and t[0].isalnum() and t[-1].isalnum() for t in terms)
        ):
            # one regex with the terms as alternatives: one pass over the text, not one per term
            alternatives = "|".join(re.escape(t) for t in terms)
            pattern = f"(?i)(^|[^{_TERM}])({alternatives})($|[^{_TERM}])"
            match = exp.RegexpLike(this=hay, expression=lit(pattern))
            return _bool(exp.Not(this=match) if negated else match, e.span)
        parts = [has_regex(hay, t, "has", False) for t in terms]
    if not parts:
        sql: exp.Expression = exp.false()
    elif all_:
        sql = parts[0]
        for p in parts[1:]:
            sql = exp.And(this=sql, expression=p)
        sql = exp.Paren(this=sql)
    else:
        sql = _disjunction(parts)
    if negated:
        sql = exp.Not(this=sql)
    return _bool(sql, e.span)


def bind_between(b: Binder, e: S.Between, left: Arg, low: Arg, high: Arg) -> Arg:
    if left.type is KType.DATETIME and high.type is KType.TIMESPAN:
        high = Arg(_shift(low.sql, high.sql, "+"), KType.DATETIME, high.span)
    lo = compare(b, ">=", left, low, e.span)
    hi = compare(b, "<=", left, high, e.span)
    sql: exp.Expression = exp.Paren(this=exp.And(this=lo.sql, expression=hi.sql))
    if e.negated:
        sql = exp.Not(this=sql)
    return _bool(sql, e.span)


__all__ = [
    "arithmetic",
    "bind_between",
    "bind_binary",
    "bind_in",
    "compare",
    "has_regex",
    "null_of",
    "string_op",
]
