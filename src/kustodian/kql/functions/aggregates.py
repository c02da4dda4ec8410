"""Aggregation functions (summarize). Default output names follow Kusto: `count_`,
`dcount_X`, `set_X`, `list_X`, `percentile_X_50`."""

from __future__ import annotations

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions import spark as S
from kustodian.kql.functions.base import Arg, Ctx, Family, FunctionSpec, to_bool, to_dynamic
from kustodian.kql.sqlnodes import agg, cast, fn, lit
from kustodian.kql.types import KType

FAMILY = Family("aggregates")
add = FAMILY.add
T = FAMILY.template


def _filtered(e: exp.Expression, pred: Arg) -> exp.Expression:
    """`agg(...) FILTER (WHERE pred)`; the filter goes on the aggregate inside a cast."""
    if isinstance(e, exp.Cast):
        return exp.Cast(this=_filtered(e.this, pred), to=e.args["to"])
    return exp.Filter(this=e, expression=exp.Where(this=to_bool(pred)))


def _sum_type(args: list[Arg]) -> KType:
    t = args[0].type
    return (
        KType.LONG
        if t in (KType.INT, KType.LONG, KType.BOOL)
        else t
        if t is not KType.NULL
        else KType.LONG
    )


def _sum(e: Arg) -> exp.Expression:
    s = exp.Sum(this=e.sql)
    if e.type in (KType.INT, KType.LONG, KType.TIMESPAN):
        return cast(s, KType.LONG)
    return s


def _numeric(ctx: Ctx, a: Arg, what: str) -> bool:
    if a.type.is_numeric or a.type in (KType.TIMESPAN, KType.NULL, KType.DYNAMIC, KType.BOOL):
        return True
    ctx.error(D.type_error(f"{what}() needs a numeric argument, not {a.type}", a.span, ks="KS138"))
    return False


def _sum_lower(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    if not _numeric(ctx, a[0], "sum"):
        return exp.Null()
    return _sum(a[0])


add(
    FunctionSpec(
        "count",
        0,
        1,
        KType.LONG,
        lambda c, a: exp.Count(this=exp.Star()),
        aggregate=True,
        prefix="count",
    )
)
add(
    FunctionSpec(
        "countif",
        1,
        1,
        KType.LONG,
        lambda c, a: _filtered(exp.Count(this=exp.Star()), a[0]),
        aggregate=True,
        prefix="countif",
    )
)
add(
    FunctionSpec(
        "dcount",
        1,
        2,
        KType.LONG,
        lambda c, a: exp.Count(this=exp.Distinct(expressions=[a[0].sql])),
        aggregate=True,
        prefix="dcount",
    )
)
add(
    FunctionSpec(
        "dcountif",
        2,
        3,
        KType.LONG,
        lambda c, a: _filtered(exp.Count(this=exp.Distinct(expressions=[a[0].sql])), a[1]),
        aggregate=True,
        prefix="dcountif",
    )
)
add(FunctionSpec("sum", 1, 1, _sum_type, _sum_lower, aggregate=True, prefix="sum"))
add(
    FunctionSpec(
        "sumif",
        2,
        2,
        _sum_type,
        lambda c, a: _filtered(_sum(a[0]), a[1]),
        aggregate=True,
        prefix="sumif",
    )
)


def _avg(a: Arg) -> exp.Expression:
    if a.type is KType.TIMESPAN:
        return cast(exp.Avg(this=a.sql), KType.LONG)
    if a.type is KType.DYNAMIC:
        return exp.Avg(this=fn("dynamic_to_real", a.sql))
    return exp.Avg(this=a.sql)


def _avg_type(args: list[Arg]) -> KType:
    return KType.TIMESPAN if args[0].type is KType.TIMESPAN else KType.REAL


add(FunctionSpec("avg", 1, 1, _avg_type, lambda c, a: _avg(a[0]), aggregate=True, prefix="avg"))
add(
    FunctionSpec(
        "avgif",
        2,
        2,
        _avg_type,
        lambda c, a: _filtered(_avg(a[0]), a[1]),
        aggregate=True,
        prefix="avgif",
    )
)


def _same(args: list[Arg]) -> KType:
    return args[0].type if args[0].type is not KType.NULL else KType.STRING


for _name, _cls in [("min", exp.Min), ("max", exp.Max)]:

    def _extreme(ctx: Ctx, a: list[Arg], _cls: type = _cls) -> exp.Expression:
        return _cls(this=a[0].sql)

    def _extreme_if(ctx: Ctx, a: list[Arg], _cls: type = _cls) -> exp.Expression:
        return _filtered(_cls(this=a[0].sql), a[1])

    add(FunctionSpec(_name, 1, 1, _same, _extreme, aggregate=True, prefix=_name))
    add(FunctionSpec(_name + "if", 2, 2, _same, _extreme_if, aggregate=True, prefix=_name + "if"))
add(
    FunctionSpec(
        "take_any",
        1,
        None,
        _same,
        lambda c, a: agg("any_value", a[0].sql),
        aggregate=True,
        naming="first_arg",  # Kusto names take_any(X) after X, but any(X) any_X
    )
)
add(
    FunctionSpec(
        "any",
        1,
        None,
        _same,
        lambda c, a: agg("any_value", a[0].sql),
        aggregate=True,
        prefix="any",
        note="deprecated alias of take_any",
    )
)
add(
    FunctionSpec(
        "take_anyif",
        2,
        2,
        _same,
        lambda c, a: _filtered(agg("any_value", a[0].sql), a[1]),
        aggregate=True,
        naming="first_arg",
    )
)
T("any_value", "any_value({0})", "any_value({0})")


def _collect_sql(value: Arg, limit: Arg | None, distinct: bool, pred: Arg | None) -> exp.Expression:
    v = to_dynamic(value) if value.type is not KType.DYNAMIC else value.sql
    flat = value.type is KType.DYNAMIC
    if flat:  # make_set and make_list add the elements of an array value, not the array
        inner = agg("collect_list", fn("json_elements", v))
    else:
        inner = agg("collect_set" if distinct else "collect_list", v)
    not_null: exp.Expression = exp.Not(this=exp.Is(this=value.sql, expression=exp.Null()))
    if value.type is KType.DYNAMIC:  # JSON nulls are skipped too
        not_null = exp.and_(
            not_null, exp.NEQ(this=fn("json_type", value.sql), expression=lit("NULL"))
        )
    cond = not_null if pred is None else exp.And(this=not_null, expression=to_bool(pred))
    e = exp.Filter(this=inner, expression=exp.Where(this=cond))
    if flat:
        e = fn("flatten", e)
        if distinct:
            e = fn("list_unique_ordered", e)
    if limit is not None:
        return fn("json_list_limit", e, limit.sql)
    return fn("json_list", e)


T("collect_set", "list(DISTINCT {0})", "collect_set({0})")
T(
    "json_elements",
    "CASE json_type({0}) WHEN 'ARRAY' THEN CAST({0} AS JSON[]) ELSE [{0}] END",
    lambda a: f"CASE WHEN startswith({a[0]}, '[') THEN {S.elements(a[0])} ELSE array({a[0]}) END",
)
# distinct elements in first-seen order (list_distinct does not keep an order)
T(
    "list_unique_ordered",
    "list_filter({0}, lambda __kql_x, __kql_i: list_position({0}, __kql_x) = __kql_i)",
    "array_distinct({0})",
)
T("flatten", "flatten({0})", "flatten({0})")
T("collect_list", "list({0})", "collect_list({0})")
T(
    "list_ordered",
    "list({0} ORDER BY {1})",
    lambda a: f"transform(array_sort(collect_list(struct({a[1]} AS k, {a[0]} AS v))), s -> s.v)",
)
# Spark: the list holds JSON texts, which to_json would quote again
T("json_list", "COALESCE(to_json({0}), json('[]'))", lambda a: S.array(a[0]))
T(
    "json_list_limit",
    "COALESCE(to_json(list_slice({0}, 1, {1})), json('[]'))",
    lambda a: S.array(f"slice({a[0]}, 1, CAST({a[1]} AS INT))"),
)

for _name, _distinct, _conditional, _aliases in [
    ("make_set", True, False, ("makeset",)),
    ("make_list", False, False, ("makelist",)),
    ("make_set_if", True, True, ()),
    ("make_list_if", False, True, ()),
]:

    def _make(
        ctx: Ctx, a: list[Arg], _d: bool = _distinct, _c: bool = _conditional
    ) -> exp.Expression:
        limit = a[2 if _c else 1] if len(a) > (2 if _c else 1) else None
        return _collect_sql(a[0], limit, _d, a[1] if _c else None)

    add(
        FunctionSpec(
            _name,
            2 if _conditional else 1,
            3 if _conditional else 2,
            KType.DYNAMIC,
            _make,
            aggregate=True,
            aliases=_aliases,
            prefix="set" if _distinct else "list",
        )
    )


def _make_list_with_nulls(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    v = to_dynamic(a[0])
    return fn("json_list", agg("collect_list", fn("json_null_if_null", v)))


T("json_null_if_null", "COALESCE({0}, json('null'))", "COALESCE({0}, 'null')")
add(
    FunctionSpec(
        "make_list_with_nulls",
        1,
        2,
        KType.DYNAMIC,
        _make_list_with_nulls,
        aggregate=True,
        prefix="list",
    )
)


def _make_bag(ctx: Ctx, a: list[Arg], pred: Arg | None = None) -> exp.Expression:
    is_bag: exp.Expression = exp.EQ(this=fn("json_type", a[0].sql), expression=lit("OBJECT"))
    if pred is not None:
        is_bag = exp.and_(is_bag, to_bool(pred))
    e = exp.Filter(this=agg("bag_merge_agg", a[0].sql), expression=exp.Where(this=is_bag))
    return fn("json_bag", e)


T("bag_merge_agg", "list({0})", "collect_list({0})")
T(
    "json_bag",
    "COALESCE(list_reduce(list_prepend(json('{{}}'), {0}), lambda __kql_x, __kql_y: json_merge_patch(__kql_y, __kql_x)), json('{{}}'))",
    # the first value of a key wins, as json_merge_patch does on DuckDB (nested bags are not
    # merged: Kusto keeps an arbitrary value of a repeated key)
    lambda a: S.obj(
        f"aggregate({a[0]}, CAST(array() AS array<struct<key:string,value:string>>), "
        f"(__kql_acc, __kql_b) -> concat(__kql_acc, filter({S.entries('__kql_b')}, "
        "__kql_e -> NOT array_contains(transform(__kql_acc, __kql_x -> __kql_x.key), __kql_e.key))))"
    ),
)
add(
    FunctionSpec(
        "make_bag",
        1,
        2,
        KType.DYNAMIC,
        lambda c, a: _make_bag(c, a),
        aggregate=True,
        prefix="bag",
        note="the size limit argument is ignored",
    )
)
add(
    FunctionSpec(
        "make_bag_if",
        2,
        3,
        KType.DYNAMIC,
        lambda c, a: _make_bag(c, a[:1], a[1]),
        aggregate=True,
        prefix="bag",
    )
)


def percentile_sql(value: Arg, pct: float) -> exp.Expression:
    """Kusto's percentile is nearest-rank over the sorted values."""
    if value.type is KType.DATETIME:
        return agg("percentile_disc_datetime", value.sql, lit(pct / 100.0))
    e = agg("percentile_disc", value.sql, lit(pct / 100.0))
    # Spark's percentile_disc is a double: back to the values' type
    return cast(e, value.type) if value.type in (KType.INT, KType.LONG, KType.TIMESPAN) else e


# the same element as DuckDB's quantile_disc: index floor((n - 1) * p) of the sorted values
T("percentile_disc", "quantile_disc({0}, {1})", "percentile_disc({1}) WITHIN GROUP (ORDER BY {0})")
T(
    "percentile_disc_datetime",
    "quantile_disc({0}, {1})",
    "timestamp_micros(CAST(percentile_disc({1}) WITHIN GROUP (ORDER BY unix_micros({0})) AS BIGINT))",
)


def _percentile(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    if not a[1].is_const:
        return ctx.error(D.not_constant("the percentile", a[1].span))
    return percentile_sql(a[0], float(a[1].const))


add(FunctionSpec("percentile", 2, 2, _same, _percentile, aggregate=True, prefix="percentile"))


def _stat(name: str) -> object:
    def lower(ctx: Ctx, a: list[Arg]) -> exp.Expression:
        return agg(name, cast(a[0].sql, KType.REAL) if a[0].type is not KType.REAL else a[0].sql)

    return lower


for _name, _op, _sql_d, _sql_s in [
    ("stdev", "stddev_samp", "stddev_samp({0})", "stddev_samp({0})"),
    ("stdevp", "stddev_pop", "stddev_pop({0})", "stddev_pop({0})"),
    ("variance", "var_samp", "var_samp({0})", "var_samp({0})"),
    ("variancep", "var_pop", "var_pop({0})", "var_pop({0})"),
]:
    T(_op, _sql_d, _sql_s)
    _prefix = _name
    add(FunctionSpec(_name, 1, 1, KType.REAL, _stat(_op), aggregate=True, prefix=_prefix))  # type: ignore[arg-type]

    def _stat_if(ctx: Ctx, a: list[Arg], _op: str = _op) -> exp.Expression:
        v = cast(a[0].sql, KType.REAL) if a[0].type is not KType.REAL else a[0].sql
        return _filtered(agg(_op, v), a[1])

    add(FunctionSpec(_name + "if", 2, 2, KType.REAL, _stat_if, aggregate=True, prefix=_name + "if"))


# arg_max/arg_min and percentiles have several output columns: summarize binds them itself
def _declared_only(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    return ctx.error(
        D.type_error(f"{ctx.name}() is only valid as a top-level aggregate in summarize", ctx.span)
    )


add(FunctionSpec("arg_max", 1, None, _same, _declared_only, aggregate=True, aliases=("argmax",)))
add(FunctionSpec("arg_min", 1, None, _same, _declared_only, aggregate=True, aliases=("argmin",)))
add(FunctionSpec("percentiles", 2, None, _same, _declared_only, aggregate=True))
T("arg_max", "arg_max({0}, {1})", "max_by({0}, {1})")
T("first_value", "first({0})", "first({0})")
T("arg_min", "arg_min({0}, {1})", "min_by({0}, {1})")


# bitwise and covariance aggregates
for _name, _op, _duck, _spark in [
    ("binary_all_and", "bit_and", "bit_and({0})", "bit_and({0})"),
    ("binary_all_or", "bit_or", "bit_or({0})", "bit_or({0})"),
    ("binary_all_xor", "bit_xor", "bit_xor({0})", "bit_xor({0})"),
]:
    T(_op, _duck, _spark)

    def _bits(ctx: Ctx, a: list[Arg], _op: str = _op) -> exp.Expression:
        return agg(_op, cast(a[0].sql, KType.LONG))

    add(FunctionSpec(_name, 1, 1, KType.LONG, _bits, aggregate=True, prefix=_name))

for _name, _op in [("covariance", "covar_samp"), ("covariancep", "covar_pop")]:
    T(_op, f"{_op}({{0}}, {{1}})", f"{_op}({{0}}, {{1}})")

    def _covar(ctx: Ctx, a: list[Arg], _op: str = _op) -> exp.Expression:
        return agg(_op, cast(a[0].sql, KType.REAL), cast(a[1].sql, KType.REAL))

    def _covar_if(ctx: Ctx, a: list[Arg], _op: str = _op) -> exp.Expression:
        return _filtered(agg(_op, cast(a[0].sql, KType.REAL), cast(a[1].sql, KType.REAL)), a[2])

    add(FunctionSpec(_name, 2, 2, KType.REAL, _covar, aggregate=True, prefix=_name))
    add(
        FunctionSpec(_name + "if", 3, 3, KType.REAL, _covar_if, aggregate=True, prefix=_name + "if")
    )
