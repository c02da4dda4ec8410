"""Math: rounding, powers and logarithms, trigonometry, special functions (gamma, erf, the beta
distribution), bitwise operations, max_of/min_of, random numbers and unit conversions.

Kusto computes in .NET doubles: where DuckDB would differ (sqrt or log of a negative number,
rounding to a number of digits) the SQL follows Kusto. Iterative special functions (erf, the
beta distribution) are evaluated with fixed-length `list_reduce` loops.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import sqlglot
from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions import spark as SP
from kustodian.kql.functions.base import Arg, Ctx, Family, FunctionSpec, Template, to_real, to_type
from kustodian.kql.sqlnodes import cast, lit
from kustodian.kql.sqlnodes import fn as sql_fn
from kustodian.kql.types import KType

FAMILY = Family("math")
add = FAMILY.add
# the family's operations carry its prefix, so that their names cannot clash with another
# family's in the merged template tables
_OP = "math_"


def T(op: str, duckdb: Template, spark: Template | None = None) -> None:
    FAMILY.template(_OP + op, duckdb, spark)


def fn(op: str, *args: exp.Expression) -> exp.Expression:
    return sql_fn(_OP + op, *args)


_INTS = (KType.INT, KType.LONG)
_NUMERIC = (KType.INT, KType.LONG, KType.REAL, KType.DECIMAL)


def _let(value: str, name: str, body: str) -> str:
    """`body` with `name` bound to `value`, computed once."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def _check(ctx: Ctx, args: list[Arg], allowed: tuple[KType, ...], what: str) -> bool:
    """Whether every argument has an allowed type (or is a bare null); reports the first not."""
    for a in args:
        if a.type not in allowed and a.type is not KType.NULL:
            ctx.error(D.type_error(f"{ctx.name}() needs {what}, not {a.type}", a.span))
            return False
    return True


def _reals(ctx: Ctx, args: list[Arg]) -> list[exp.Expression] | None:
    if not _check(ctx, args, _NUMERIC, "numbers"):
        return None
    return [to_real(a) for a in args]


# Kusto names an unnamed result of these after their first argument (`project sqrt(x)` gives a
# column `x`); the others get `Column1`
_NAMED_BY_ARG = frozenset(
    (
        "abs",
        "ceiling",
        "round",
        "sqrt",
        "exp",
        "exp2",
        "exp10",
        "log",
        "log2",
        "log10",
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "gamma",
        "loggamma",
        "erf",
        "erfc",
        "pow",
        "atan2",
        "binary_and",
        "binary_or",
        "binary_xor",
        "binary_not",
        "binary_shift_left",
        "binary_shift_right",
        "bitset_count_ones",
        "tohex",
        "rand",
    )
)


def _spec(name: str, lo: int, hi: int | None, returns: Any, lower: Any) -> None:
    naming = "first_arg" if name in _NAMED_BY_ARG else "none"
    add(FunctionSpec(name, lo, hi, returns, lower, naming=naming))


def _real_fn(name: str, op: str, arity: int = 1) -> None:
    """A function of numbers returning real: the operation `op` over the arguments as reals."""

    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        reals = _reals(ctx, args)
        return exp.Null() if reals is None else fn(op, *reals)

    _spec(name, arity, arity, KType.REAL, lower)


# ------------------------------------------------------------------ powers, logs, trigonometry

# Kusto: null for the square root or logarithm of a negative number (DuckDB gives NaN)
T(
    "sqrt",
    "CASE WHEN {0} < 0 THEN NULL ELSE sqrt({0}) END",
    "CASE WHEN {0} < 0 THEN NULL ELSE sqrt({0}) END",
)
for _op, _sql in (("log", "ln"), ("log2", "log2"), ("log10", "log10")):
    T(
        _op,
        f"CASE WHEN {{0}} < 0 THEN NULL ELSE {_sql}({{0}}) END",
        f"CASE WHEN {{0}} < 0 THEN NULL WHEN {{0}} = 0 THEN double('-inf') ELSE {_sql}({{0}}) END",
    )
T("pow", "pow({0}, {1})", "pow({0}, {1})")
T("exp", "exp({0})", "exp({0})")
T("exp2", "pow(2.0, {0})", "pow(2.0, {0})")
T("exp10", "pow(10.0, {0})", "pow(10.0, {0})")
for _op in ("sin", "cos", "tan", "asin", "acos", "atan", "degrees", "radians"):
    T(_op, f"{_op}({{0}})", f"{_op}({{0}})")
T("cot", "cot({0})", "(1 / tan({0}))")
T("atan2", "atan2({0}, {1})", "atan2({0}, {1})")
T("pi", "pi()", "pi()")
T("gamma", "gamma({0})", None)
T("lgamma", "lgamma({0})", None)

for _name in (
    "sqrt",
    "exp",
    "exp2",
    "exp10",
    "log",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "cot",
    "degrees",
    "radians",
):
    _real_fn(_name, _name)
_real_fn("pow", "pow", 2)
_real_fn("atan2", "atan2", 2)
_real_fn("gamma", "gamma")
_real_fn("loggamma", "lgamma")
_spec("pi", 0, 0, KType.REAL, lambda c, a: fn("pi"))


# ------------------------------------------------------------------ sign, nan/inf tests


def _sign(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    reals = _reals(ctx, args)
    return exp.Null() if reals is None else cast(fn("sign", reals[0]), KType.REAL)


T("sign", "sign({0})", "signum({0})")
_spec("sign", 1, 1, KType.REAL, _sign)


def _float_test(op: str) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        reals = _reals(ctx, args)
        return exp.Null() if reals is None else fn(op, reals[0])

    return lower


T("isnan", "isnan({0})", "isnan({0})")
T("isinf", "isinf({0})", "({0} IN (double('inf'), double('-inf')))")
T("isfinite", "isfinite({0})", "NOT (isnan({0}) OR {0} IN (double('inf'), double('-inf')))")
for _op in ("isnan", "isinf", "isfinite"):
    _spec(_op, 1, 1, KType.BOOL, _float_test(_op))


# ------------------------------------------------------------------ abs, ceiling, round


def _abs_type(args: list[Arg]) -> KType:
    t = args[0].type
    return KType.LONG if t in (KType.INT, KType.NULL) else t


def _abs(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    a = args[0]
    if not _check(ctx, args, (*_NUMERIC, KType.TIMESPAN), "a number or a timespan"):
        return exp.Null()
    return exp.Abs(this=cast(a.sql, KType.LONG) if a.type in (KType.INT, KType.NULL) else a.sql)


_spec("abs", 1, 1, _abs_type, _abs)


def _same_numeric(args: list[Arg]) -> KType:
    t = args[0].type
    return KType.LONG if t is KType.NULL else t


def _ceiling(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    a = args[0]
    if not _check(ctx, args, _NUMERIC, "a number"):
        return exp.Null()
    if a.type in _INTS:
        return a.sql
    if a.type is KType.NULL:
        return cast(exp.Null(), KType.LONG)
    return cast(exp.Ceil(this=a.sql), a.type)


_spec("ceiling", 1, 1, _same_numeric, _ceiling)


def _round_real(a: list[str]) -> str:
    # as .NET's Math.Round(value, digits): scale by 10^digits, round half away from zero, scale
    # back (so that round(2.15, 1) is 2.2 although 2.15 is below 2.15 in binary); Kusto also
    # takes negative digits
    body = (
        "CASE WHEN _r.p > 15 OR abs(_r.x) >= 1e16 THEN _r.x "
        "WHEN _r.p >= 0 THEN round(_r.x * pow(10.0, _r.p)) / pow(10.0, _r.p) "
        "ELSE round(_r.x / pow(10.0, -_r.p)) * pow(10.0, -_r.p) END"
    )
    return _let(f"{{'x': {a[0]}, 'p': {a[1]}}}", "_r", body)


T(
    "round_real",
    _round_real,
    "CASE WHEN {1} > 15 OR abs({0}) >= 1e16 THEN {0} "
    "WHEN {1} >= 0 THEN round({0} * pow(10, {1})) / pow(10, {1}) "
    "ELSE round({0} / pow(10, -{1})) * pow(10, -{1}) END",
)
T("round_int", "round({0}, {1})", "round({0}, {1})")


def _round(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    a = args[0]
    if not _check(ctx, args[:1], _NUMERIC, "a number") or not _check(
        ctx, args[1:], _INTS, "an integer precision"
    ):
        return exp.Null()
    digits = args[1].sql if len(args) > 1 else lit(0)
    if a.type is KType.NULL:
        return cast(exp.Null(), KType.LONG)
    if a.type is KType.REAL:
        return fn("round_real", a.sql, digits)
    if a.type in _INTS and len(args) == 1:
        return a.sql
    return cast(fn("round_int", a.sql, digits), a.type)


_spec("round", 1, 2, _same_numeric, _round)


# ------------------------------------------------------------------ max_of, min_of


def _common_type(args: list[Arg]) -> KType | None:
    """The type all arguments convert to, or None when they cannot be compared."""
    types = {a.type for a in args if a.type is not KType.NULL}
    if not types:
        return KType.NULL
    if len(types) == 1:
        return types.pop()
    if types <= set(_NUMERIC):
        for t in (KType.DECIMAL, KType.REAL, KType.LONG):
            if t in types:
                return t
    return None


def _extremum(op: str) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        t = _common_type(args)
        if t is None or t is KType.DYNAMIC:
            types = ", ".join(sorted({a.type.value for a in args}))
            return ctx.error(
                D.type_error(
                    f"{ctx.name}() needs arguments of one type, not {types}", ctx.span, ks="KS232"
                )
            )
        values = [a.sql if a.type in (t, KType.NULL) else to_type(a, t) for a in args]
        # greatest/least skip nulls, as Kusto's max_of/min_of
        return fn(op, *values)

    return lower


def _extremum_type(args: list[Arg]) -> KType:
    t = _common_type(args)
    return KType.LONG if t in (None, KType.NULL) else t


T("greatest", "greatest({args})", "greatest({args})")
T("least", "least({args})", "least({args})")
_spec("max_of", 2, 64, _extremum_type, _extremum("greatest"))
_spec("min_of", 2, 64, _extremum_type, _extremum("least"))


# ------------------------------------------------------------------ rand


def _rand(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not args:
        return fn("rand")
    if not _check(ctx, args, _INTS, "an integer range"):
        return exp.Null()
    return fn("rand_below", args[0].sql)


T("rand", "random()", "rand()")
T(
    "rand_below",
    "CASE WHEN {0} > 0 THEN floor(random() * {0}) END",
    "CASE WHEN {0} > 0 THEN floor(rand() * {0}) END",
)
_spec("rand", 0, 1, KType.REAL, _rand)


# ------------------------------------------------------------------ bitwise


def _ints(ctx: Ctx, args: list[Arg]) -> list[exp.Expression] | None:
    if not _check(ctx, args, _INTS, "integers"):
        return None
    # a long constant may be an INTEGER literal in SQL: cast, so that bits count in 64
    return [cast(a.sql, KType.LONG) for a in args]


def _bitwise(name: str, op: str, arity: int) -> None:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        ints = _ints(ctx, args)
        return exp.Null() if ints is None else fn(op, *ints)

    _spec(name, arity, arity, KType.LONG, lower)


# a shift counts modulo 64 and a negative count gives null (Kusto's documented semantics);
# left shifts wrap around in 64 bits, which DuckDB's `<<` refuses: shift in 128 bits, keep 64
_WRAP64 = _let(
    "({0}::HUGEINT * (1::HUGEINT << ({1} % 64))) & 18446744073709551615::HUGEINT",
    "_u",
    "CAST(CASE WHEN _u >= 9223372036854775808 THEN _u - 18446744073709551616 ELSE _u END AS BIGINT)",
)
T("bit_and", "({0} & {1})", "({0} & {1})")
T("bit_or", "({0} | {1})", "({0} | {1})")
T("bit_xor", "xor({0}, {1})", "({0} ^ {1})")
T("bit_not", "(~{0})", "(~{0})")
T(
    "shift_left",
    lambda a: f"CASE WHEN {a[1]} < 0 THEN NULL ELSE {_WRAP64.format(a[0], a[1])} END",
    "CASE WHEN {1} < 0 THEN NULL ELSE shiftleft({0}, {1} % 64) END",
)
T(
    "shift_right",
    "CASE WHEN {1} < 0 THEN NULL ELSE ({0} >> ({1} % 64)) END",
    "CASE WHEN {1} < 0 THEN NULL ELSE shiftright({0}, {1} % 64) END",
)
T("bit_count", "CAST(bit_count({0}) AS BIGINT)", "CAST(bit_count({0}) AS BIGINT)")
_bitwise("binary_and", "bit_and", 2)
_bitwise("binary_or", "bit_or", 2)
_bitwise("binary_xor", "bit_xor", 2)
_bitwise("binary_not", "bit_not", 1)
_bitwise("binary_shift_left", "shift_left", 2)
_bitwise("binary_shift_right", "shift_right", 2)
_bitwise("bitset_count_ones", "bit_count", 1)


def _tohex(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _check(ctx, args, _INTS, "integers"):
        return exp.Null()
    v = args[0]
    # an int's negative values show its 32-bit two's complement, a long's its 64-bit one
    digits = fn("hex32" if v.type is KType.INT else "hex64", v.sql)
    if len(args) == 2:
        digits = fn("hex_pad", digits, args[1].sql)
    return exp.Coalesce(this=digits, expressions=[lit("")])


T("hex64", "lower(to_hex(CAST({0} AS BIGINT)))", "lower(hex({0}))")
T(
    "hex32",
    "lower(to_hex(CASE WHEN {0} < 0 THEN {0}::BIGINT + 4294967296 ELSE {0}::BIGINT END))",
    "lower(hex(CASE WHEN {0} < 0 THEN CAST({0} AS BIGINT) + 4294967296 ELSE {0} END))",
)
T(
    "hex_pad",
    "CASE WHEN length({0}) < least({1}, 16) THEN lpad({0}, least({1}, 16), '0') ELSE {0} END",
    "CASE WHEN length({0}) < least({1}, 16) THEN lpad({0}, least({1}, 16), '0') ELSE {0} END",
)
_spec("tohex", 1, 2, KType.STRING, _tohex)


# ------------------------------------------------------------------ erf, erfc


def _erf_series(x: str) -> str:
    """erf(x) for |x| < 2: 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)), whose
    terms are all positive (no cancellation)."""
    x = f"({x})"
    step = f"_s.t * 2 * {x} * {x} / (2 * _k + 3)"
    acc = (
        f"list_reduce(range(80), lambda _s, _k: {{'t': {step}, 's': _s.s + {step}}}, "
        f"{{'t': {x}, 's': {x}}}).s"
    )
    return f"(2 / sqrt(pi()) * exp(-{x} * {x}) * {acc})"


def _erfc_fraction(x: str) -> str:
    """erfc(x) for x >= 2: Laplace's continued fraction e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x
    + (3/2)/(x + ...)))), evaluated from its 80th term back."""
    x = f"({x})"
    t = f"list_reduce(range(80), lambda _c, _k: {x} + ((80 - _k) / 2) / _c, {x})"
    return f"(exp(-{x} * {x}) / (sqrt(pi()) * {t}))"


T(
    "erf",
    lambda a: _let(
        a[0],
        "_e",
        f"CASE WHEN isnan(_e) THEN _e WHEN abs(_e) < 2 THEN {_erf_series('_e')} "
        f"ELSE sign(_e) * (1 - {_erfc_fraction('abs(_e)')}) END",
    ),
)
T(
    "erfc",
    lambda a: _let(
        a[0],
        "_e",
        f"CASE WHEN isnan(_e) THEN _e WHEN abs(_e) < 2 THEN 1 - {_erf_series('_e')} "
        f"WHEN _e > 0 THEN {_erfc_fraction('_e')} ELSE 2 - {_erfc_fraction('-_e')} END",
    ),
)
_real_fn("erf", "erf")
_real_fn("erfc", "erfc")


# ------------------------------------------------------------------ beta distribution

_BETA_OK = "(_b.a > 0 AND _b.a <= 10000 AND _b.b > 0 AND _b.b <= 10000)"


def _beta_fraction(a: str, b: str, x: str, steps: int = 100) -> str:
    """The continued fraction of the incomplete beta function (Lentz's method, as in Numerical
    Recipes' betacf), two half-steps per term."""

    def tiny(v: str) -> str:
        return f"CASE WHEN abs({v}) < 1e-300 THEN 1e-300 ELSE {v} END"

    m = "(_k // 2 + 1)"
    aa = (
        f"CASE WHEN _k % 2 = 0 THEN {m} * ({b} - {m}) * {x} / (({a} - 1 + 2 * {m}) * ({a} + 2 * {m})) "
        f"ELSE -({a} + {m}) * ({a} + {b} + {m}) * {x} / (({a} + 2 * {m}) * ({a} + 1 + 2 * {m})) END"
    )
    d = f"1 / ({tiny('1 + _q * _f.d')})"
    c = tiny("1 + _q / _f.c")
    step = _let(aa, "_q", f"{{'c': {c}, 'd': {d}, 'h': _f.h * ({d}) * ({c})}}")
    d0 = f"1 / ({tiny(f'1 - ({a} + {b}) * {x} / ({a} + 1)')})"
    init = _let(d0, "_d0", "{'c': 1.0::DOUBLE, 'd': _d0, 'h': _d0}")
    return f"list_reduce(range({2 * steps}), lambda _f, _k: {step}, {init}).h"


def _beta_cdf_of(x: str) -> str:
    """I_x(a, b) for `_b.a`, `_b.b` and x in (0, 1), from the side where the fraction converges."""
    front = (
        f"exp(lgamma(_b.a + _b.b) - lgamma(_b.a) - lgamma(_b.b) "
        f"+ _b.a * ln({x}) + _b.b * ln(1 - {x}))"
    )
    low = f"{front} * {_beta_fraction('_b.a', '_b.b', x)} / _b.a"
    high = f"1 - {front} * {_beta_fraction('_b.b', '_b.a', f'(1 - {x})')} / _b.b"
    return f"CASE WHEN {x} < (_b.a + 1) / (_b.a + _b.b + 2) THEN {low} ELSE {high} END"


def _beta_args(a: list[str], body: str) -> str:
    return _let(f"{{'x': {a[0]}, 'a': {a[1]}, 'b': {a[2]}}}", "_b", body)


def _beta_cdf(a: list[str]) -> str:
    return _beta_args(
        a,
        f"CASE WHEN NOT {_BETA_OK} OR _b.x < 0 OR _b.x > 1 THEN 'nan'::DOUBLE "
        f"WHEN _b.x = 0 THEN 0.0 WHEN _b.x = 1 THEN 1.0 ELSE {_beta_cdf_of('_b.x')} END",
    )


def _beta_pdf(a: list[str]) -> str:
    log_pdf = (
        "(_b.a - 1) * ln(_b.x) + (_b.b - 1) * ln(1 - _b.x) "
        "- (lgamma(_b.a) + lgamma(_b.b) - lgamma(_b.a + _b.b))"
    )
    # at the ends the density is 0, the constant 1/B(1, b) = b, or infinite
    edge = "CASE WHEN {p} < 1 THEN 'inf'::DOUBLE WHEN {p} = 1 THEN {q} ELSE 0.0 END"
    return _beta_args(
        a,
        f"CASE WHEN NOT {_BETA_OK} OR _b.x < 0 OR _b.x > 1 THEN 'nan'::DOUBLE "
        f"WHEN _b.x = 0 THEN {edge.format(p='_b.a', q='_b.b')} "
        f"WHEN _b.x = 1 THEN {edge.format(p='_b.b', q='_b.a')} ELSE exp({log_pdf}) END",
    )


def _beta_inv_guess() -> str:
    """A first approximation of the inverse (Numerical Recipes' invbetai)."""
    normal = _let(
        "sqrt(-2 * ln(CASE WHEN _b.x < 0.5 THEN _b.x ELSE 1 - _b.x END))",
        "_t",
        "(CASE WHEN _b.x < 0.5 THEN -1 ELSE 1 END) * "
        "((2.30753 + _t * 0.27061) / (1 + _t * (0.99229 + _t * 0.04481)) - _t)",
    )
    w = _let(
        f"{{'x': {normal}, 'h': 2 / (1 / (2 * _b.a - 1) + 1 / (2 * _b.b - 1))}}",
        "_n",
        "(_n.x * sqrt((_n.x * _n.x - 3) / 6 + _n.h) / _n.h) - (1 / (2 * _b.b - 1) - 1 / (2 * _b.a - 1))"
        " * ((_n.x * _n.x - 3) / 6 + 5 / 6 - 2 / (3 * _n.h))",
    )
    large = f"_b.a / (_b.a + _b.b * exp(2 * {w}))"
    small = _let(
        "{'t': exp(_b.a * ln(_b.a / (_b.a + _b.b))) / _b.a, "
        "'u': exp(_b.b * ln(_b.b / (_b.a + _b.b))) / _b.b}",
        "_n",
        "CASE WHEN _b.x < _n.t / (_n.t + _n.u) THEN pow(_b.a * (_n.t + _n.u) * _b.x, 1 / _b.a) "
        "ELSE 1 - pow(_b.b * (_n.t + _n.u) * (1 - _b.x), 1 / _b.b) END",
    )
    return f"CASE WHEN _b.a >= 1 AND _b.b >= 1 THEN {large} ELSE {small} END"


def _beta_inv(a: list[str]) -> str:
    # Halley steps on the distribution function from invbetai's first guess
    density = (
        "exp((_b.a - 1) * ln(_i) + (_b.b - 1) * ln(1 - _i) "
        "- lgamma(_b.a) - lgamma(_b.b) + lgamma(_b.a + _b.b))"
    )
    u = f"(({_beta_cdf_of('_i')}) - _b.x) / {density}"
    step = _let(
        u,
        "_u",
        "_u / (1 - 0.5 * least(1, _u * ((_b.a - 1) / _i - (_b.b - 1) / (1 - _i))))",
    )
    moved = _let(
        step,
        "_s",
        "CASE WHEN _i - _s <= 0 THEN 0.5 * _i WHEN _i - _s >= 1 THEN 0.5 * (_i + 1) ELSE _i - _s END",
    )
    newton = (
        f"list_reduce(range(10), lambda _i, _n: CASE WHEN _i <= 0 OR _i >= 1 THEN _i ELSE {moved} END, "
        f"{_beta_inv_guess()})"
    )
    return _beta_args(
        a,
        f"CASE WHEN _b.x < 0 OR _b.x > 1 THEN NULL WHEN NOT {_BETA_OK} THEN 'nan'::DOUBLE "
        f"WHEN _b.x = 0 THEN 0.0 WHEN _b.x = 1 THEN 1.0 ELSE {newton} END",
    )


T("beta_cdf", _beta_cdf)
T("beta_pdf", _beta_pdf)
T("beta_inv", _beta_inv)
_real_fn("beta_cdf", "beta_cdf", 3)
_real_fn("beta_pdf", "beta_pdf", 3)
_real_fn("beta_inv", "beta_inv", 3)


# ------------------------------------------------------------------ unit conversions

# Kusto converts units with UnitsNet (version 4.135, whose unit names the docs list): a value
# goes to the quantity's base unit and from there to the target unit, with these formulas over x.
_UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "angle": {
        "Arcminute": ("x / 60", "x * 60"),
        "Arcsecond": ("x / 3600", "x * 3600"),
        "Centiradian": ("(x * 180 / pi()) * 1e-2", "(x / 180 * pi()) / 1e-2"),
        "Deciradian": ("(x * 180 / pi()) * 1e-1", "(x / 180 * pi()) / 1e-1"),
        "Degree": ("x", "x"),
        "Gradian": ("x * 0.9", "x / 0.9"),
        "Microdegree": ("(x) * 1e-6", "(x) / 1e-6"),
        "Microradian": ("(x * 180 / pi()) * 1e-6", "(x / 180 * pi()) / 1e-6"),
        "Millidegree": ("(x) * 1e-3", "(x) / 1e-3"),
        "Milliradian": ("(x * 180 / pi()) * 1e-3", "(x / 180 * pi()) / 1e-3"),
        "Nanodegree": ("(x) * 1e-9", "(x) / 1e-9"),
        "Nanoradian": ("(x * 180 / pi()) * 1e-9", "(x / 180 * pi()) / 1e-9"),
        "NatoMil": ("x * 9 / 160", "x * 160 / 9"),
        "Radian": ("x * 180 / pi()", "x / 180 * pi()"),
        "Revolution": ("x * 360", "x / 360"),
        "Tilt": ("asin(x) * 180 / pi()", "sin(x / 180 * pi())"),
    },
    "energy": {
        "BritishThermalUnit": ("x * 1055.05585262", "x / 1055.05585262"),
        "Calorie": ("x * 4.184", "x / 4.184"),
        "DecathermEc": ("(x * 1.05505585262e8) * 1e1", "(x / 1.05505585262e8) / 1e1"),
        "DecathermImperial": ("(x * 1.05505585257348e8) * 1e1", "(x / 1.05505585257348e8) / 1e1"),
        "DecathermUs": ("(x * 1.054804e8) * 1e1", "(x / 1.054804e8) / 1e1"),
        "ElectronVolt": ("x * 1.602176565e-19", "x / 1.602176565e-19"),
        "Erg": ("x * 1e-7", "x / 1e-7"),
        "FootPound": ("x * 1.355817948", "x / 1.355817948"),
        "GigabritishThermalUnit": ("(x * 1055.05585262) * 1e9", "(x / 1055.05585262) / 1e9"),
        "GigaelectronVolt": ("(x * 1.602176565e-19) * 1e9", "(x / 1.602176565e-19) / 1e9"),
        "Gigajoule": ("(x) * 1e9", "(x) / 1e9"),
        "GigawattDay": ("(x * 24 * 3600) * 1e9", "(x / (24 * 3600)) / 1e9"),
        "GigawattHour": ("(x * 3600) * 1e9", "(x / 3600) / 1e9"),
        "HorsepowerHour": ("x * 2.6845195377e6", "x / 2.6845195377e6"),
        "Joule": ("x", "x"),
        "KilobritishThermalUnit": ("(x * 1055.05585262) * 1e3", "(x / 1055.05585262) / 1e3"),
        "Kilocalorie": ("(x * 4.184) * 1e3", "(x / 4.184) / 1e3"),
        "KiloelectronVolt": ("(x * 1.602176565e-19) * 1e3", "(x / 1.602176565e-19) / 1e3"),
        "Kilojoule": ("(x) * 1e3", "(x) / 1e3"),
        "KilowattDay": ("(x * 24 * 3600) * 1e3", "(x / (24 * 3600)) / 1e3"),
        "KilowattHour": ("(x * 3600) * 1e3", "(x / 3600) / 1e3"),
        "MegabritishThermalUnit": ("(x * 1055.05585262) * 1e6", "(x / 1055.05585262) / 1e6"),
        "Megacalorie": ("(x * 4.184) * 1e6", "(x / 4.184) / 1e6"),
        "MegaelectronVolt": ("(x * 1.602176565e-19) * 1e6", "(x / 1.602176565e-19) / 1e6"),
        "Megajoule": ("(x) * 1e6", "(x) / 1e6"),
        "MegawattDay": ("(x * 24 * 3600) * 1e6", "(x / (24 * 3600)) / 1e6"),
        "MegawattHour": ("(x * 3600) * 1e6", "(x / 3600) / 1e6"),
        "Millijoule": ("(x) * 1e-3", "(x) / 1e-3"),
        "TeraelectronVolt": ("(x * 1.602176565e-19) * 1e12", "(x / 1.602176565e-19) / 1e12"),
        "TerawattDay": ("(x * 24 * 3600) * 1e12", "(x / (24 * 3600)) / 1e12"),
        "TerawattHour": ("(x * 3600) * 1e12", "(x / 3600) / 1e12"),
        "ThermEc": ("x * 1.05505585262e8", "x / 1.05505585262e8"),
        "ThermImperial": ("x * 1.05505585257348e8", "x / 1.05505585257348e8"),
        "ThermUs": ("x * 1.054804e8", "x / 1.054804e8"),
        "WattDay": ("x * 24 * 3600", "x / (24 * 3600)"),
        "WattHour": ("x * 3600", "x / 3600"),
    },
    "force": {
        "Decanewton": ("(x) * 1e1", "(x) / 1e1"),
        "Dyn": ("x / 1e5", "x * 1e5"),
        "KiloPond": ("x * 9.80665002864", "x / 9.80665002864"),
        "KilogramForce": ("x * 9.80665002864", "x / 9.80665002864"),
        "Kilonewton": ("(x) * 1e3", "(x) / 1e3"),
        "KilopoundForce": (
            "(x * 4.4482216152605095551842641431421) * 1e3",
            "(x / 4.4482216152605095551842641431421) / 1e3",
        ),
        "Meganewton": ("(x) * 1e6", "(x) / 1e6"),
        "Micronewton": ("(x) * 1e-6", "(x) / 1e-6"),
        "Millinewton": ("(x) * 1e-3", "(x) / 1e-3"),
        "Newton": ("x", "x"),
        "OunceForce": ("x * 2.780138509537812e-1", "x / 2.780138509537812e-1"),
        "PoundForce": (
            "x * 4.4482216152605095551842641431421",
            "x / 4.4482216152605095551842641431421",
        ),
        "Poundal": (
            "x * 0.13825502798973041652092282466083",
            "x / 0.13825502798973041652092282466083",
        ),
        "ShortTonForce": ("x * 8.896443230521e3", "x / 8.896443230521e3"),
        "TonneForce": ("x * 9.80665002864e3", "x / 9.80665002864e3"),
    },
    "length": {
        "Angstrom": ("x * 1e-10", "x / 1e-10"),
        "AstronomicalUnit": ("x * 1.4959787070e11", "x / 1.4959787070e11"),
        "Centimeter": ("(x) * 1e-2", "(x) / 1e-2"),
        "Chain": ("x * 20.1168", "x / 20.1168"),
        "DataMile": ("x * 1828.8", "x / 1828.8"),
        "Decameter": ("(x) * 1e1", "(x) / 1e1"),
        "Decimeter": ("(x) * 1e-1", "(x) / 1e-1"),
        "DtpPica": ("x / 236.220472441", "x * 236.220472441"),
        "DtpPoint": ("(x / 72) * 2.54e-2", "(x / 2.54e-2) * 72"),
        "Fathom": ("x * 1.8288", "x / 1.8288"),
        "Foot": ("x * 0.3048", "x / 0.3048"),
        "Hand": ("x * 1.016e-1", "x / 1.016e-1"),
        "Hectometer": ("(x) * 1e2", "(x) / 1e2"),
        "Inch": ("x * 2.54e-2", "x / 2.54e-2"),
        "KilolightYear": ("(x * 9.46073047258e15) * 1e3", "(x / 9.46073047258e15) / 1e3"),
        "Kilometer": ("(x) * 1e3", "(x) / 1e3"),
        "Kiloparsec": ("(x * 3.08567758128e16) * 1e3", "(x / 3.08567758128e16) / 1e3"),
        "LightYear": ("x * 9.46073047258e15", "x / 9.46073047258e15"),
        "MegalightYear": ("(x * 9.46073047258e15) * 1e6", "(x / 9.46073047258e15) / 1e6"),
        "Megaparsec": ("(x * 3.08567758128e16) * 1e6", "(x / 3.08567758128e16) / 1e6"),
        "Meter": ("x", "x"),
        "Microinch": ("x * 2.54e-8", "x / 2.54e-8"),
        "Micrometer": ("(x) * 1e-6", "(x) / 1e-6"),
        "Mil": ("x * 2.54e-5", "x / 2.54e-5"),
        "Mile": ("x * 1609.34", "x / 1609.34"),
        "Millimeter": ("(x) * 1e-3", "(x) / 1e-3"),
        "Nanometer": ("(x) * 1e-9", "(x) / 1e-9"),
        "NauticalMile": ("x * 1852", "x / 1852"),
        "Parsec": ("x * 3.08567758128e16", "x / 3.08567758128e16"),
        "PrinterPica": ("x / 237.106301584", "x * 237.106301584"),
        "PrinterPoint": ("(x / 72.27) * 2.54e-2", "(x / 2.54e-2) * 72.27"),
        "Shackle": ("x * 27.432", "x / 27.432"),
        "SolarRadius": ("x * 6.95510000E+08", "x / 6.95510000E+08"),
        "Twip": ("x / 56692.913385826", "x * 56692.913385826"),
        "UsSurveyFoot": ("x * 1200 / 3937", "x * 3937 / 1200"),
        "Yard": ("x * 0.9144", "x / 0.9144"),
    },
    "mass": {
        "Centigram": ("(x / 1e3) * 1e-2", "(x * 1e3) / 1e-2"),
        "Decagram": ("(x / 1e3) * 1e1", "(x * 1e3) / 1e1"),
        "Decigram": ("(x / 1e3) * 1e-1", "(x * 1e3) / 1e-1"),
        "EarthMass": ("x * 5.9722E+24", "x / 5.9722E+24"),
        "Grain": ("x / 15432.358352941431", "x * 15432.358352941431"),
        "Gram": ("x / 1e3", "x * 1e3"),
        "Hectogram": ("(x / 1e3) * 1e2", "(x * 1e3) / 1e2"),
        "Kilogram": ("(x / 1e3) * 1e3", "(x * 1e3) / 1e3"),
        "Kilopound": ("(x * 0.45359237) * 1e3", "(x / 0.45359237) / 1e3"),
        "Kilotonne": ("(x * 1e3) * 1e3", "(x / 1e3) / 1e3"),
        "LongHundredweight": ("x / 0.01968413055222121", "x * 0.01968413055222121"),
        "LongTon": ("x * 1.0160469088e3", "x / 1.0160469088e3"),
        "Megapound": ("(x * 0.45359237) * 1e6", "(x / 0.45359237) / 1e6"),
        "Megatonne": ("(x * 1e3) * 1e6", "(x / 1e3) / 1e6"),
        "Microgram": ("(x / 1e3) * 1e-6", "(x * 1e3) / 1e-6"),
        "Milligram": ("(x / 1e3) * 1e-3", "(x * 1e3) / 1e-3"),
        "Nanogram": ("(x / 1e3) * 1e-9", "(x * 1e3) / 1e-9"),
        "Ounce": ("x / 35.2739619", "x * 35.2739619"),
        "Pound": ("x * 0.45359237", "x / 0.45359237"),
        "ShortHundredweight": ("x / 0.022046226218487758", "x * 0.022046226218487758"),
        "ShortTon": ("x * 9.0718474e2", "x / 9.0718474e2"),
        "Slug": ("x / 6.852176556196105e-2", "x * 6.852176556196105e-2"),
        "SolarMass": ("x * 1.98947e30", "x / 1.98947e30"),
        "Stone": ("x / 0.1574731728702698", "x * 0.1574731728702698"),
        "Tonne": ("x * 1e3", "x / 1e3"),
    },
    "speed": {
        "CentimeterPerHour": ("(x / 3600) * 1e-2", "(x * 3600) / 1e-2"),
        "CentimeterPerMinute": ("(x / 60) * 1e-2", "(x * 60) / 1e-2"),
        "CentimeterPerSecond": ("(x) * 1e-2", "(x) / 1e-2"),
        "DecimeterPerMinute": ("(x / 60) * 1e-1", "(x * 60) / 1e-1"),
        "DecimeterPerSecond": ("(x) * 1e-1", "(x) / 1e-1"),
        "FootPerHour": ("x * 0.3048 / 3600", "x / 0.3048 * 3600"),
        "FootPerMinute": ("x * 0.3048 / 60", "x / 0.3048 * 60"),
        "FootPerSecond": ("x * 0.3048", "x / 0.3048"),
        "InchPerHour": ("(x / 3600) * 2.54e-2", "(x / 2.54e-2) * 3600"),
        "InchPerMinute": ("(x / 60) * 2.54e-2", "(x / 2.54e-2) * 60"),
        "InchPerSecond": ("x * 2.54e-2", "x / 2.54e-2"),
        "KilometerPerHour": ("(x / 3600) * 1e3", "(x * 3600) / 1e3"),
        "KilometerPerMinute": ("(x / 60) * 1e3", "(x * 60) / 1e3"),
        "KilometerPerSecond": ("(x) * 1e3", "(x) / 1e3"),
        "Knot": ("x * 0.514444", "x / 0.514444"),
        "MeterPerHour": ("x / 3600", "x * 3600"),
        "MeterPerMinute": ("x / 60", "x * 60"),
        "MeterPerSecond": ("x", "x"),
        "MicrometerPerMinute": ("(x / 60) * 1e-6", "(x * 60) / 1e-6"),
        "MicrometerPerSecond": ("(x) * 1e-6", "(x) / 1e-6"),
        "MilePerHour": ("x * 0.44704", "x / 0.44704"),
        "MillimeterPerHour": ("(x / 3600) * 1e-3", "(x * 3600) / 1e-3"),
        "MillimeterPerMinute": ("(x / 60) * 1e-3", "(x * 60) / 1e-3"),
        "MillimeterPerSecond": ("(x) * 1e-3", "(x) / 1e-3"),
        "NanometerPerMinute": ("(x / 60) * 1e-9", "(x * 60) / 1e-9"),
        "NanometerPerSecond": ("(x) * 1e-9", "(x) / 1e-9"),
        "UsSurveyFootPerHour": ("(x * 1200 / 3937) / 3600", "(x * 3937 / 1200) * 3600"),
        "UsSurveyFootPerMinute": ("(x * 1200 / 3937) / 60", "(x * 3937 / 1200) * 60"),
        "UsSurveyFootPerSecond": ("x * 1200 / 3937", "x * 3937 / 1200"),
        "YardPerHour": ("x * 0.9144 / 3600", "x / 0.9144 * 3600"),
        "YardPerMinute": ("x * 0.9144 / 60", "x / 0.9144 * 60"),
        "YardPerSecond": ("x * 0.9144", "x / 0.9144"),
    },
    "temperature": {
        "DegreeCelsius": ("x + 273.15", "x - 273.15"),
        "DegreeDelisle": ("x * -2 / 3 + 373.15", "(x - 373.15) * -3 / 2"),
        "DegreeFahrenheit": ("x * 5 / 9 + 459.67 * 5 / 9", "(x - 459.67 * 5 / 9) * 9 / 5"),
        "DegreeNewton": ("x * 100 / 33 + 273.15", "(x - 273.15) * 33 / 100"),
        "DegreeRankine": ("x * 5 / 9", "x * 9 / 5"),
        "DegreeReaumur": ("x * 5 / 4 + 273.15", "(x - 273.15) * 4 / 5"),
        "DegreeRoemer": (
            "x * 40 / 21 + 273.15 - 7.5 * 40 / 21",
            "(x - (273.15 - 7.5 * 40 / 21)) * 21 / 40",
        ),
        "Kelvin": ("x", "x"),
        "MillidegreeCelsius": ("x / 1000 + 273.15", "(x - 273.15) * 1000"),
        "SolarTemperature": ("x * 5778", "x / 5778"),
    },
    "volume": {
        "AcreFoot": ("x / 0.000810714", "x * 0.000810714"),
        "AuTablespoon": ("x * 2e-5", "x / 2e-5"),
        "BoardFoot": ("x * 2.3597372158e-3", "x / 2.3597372158e-3"),
        "Centiliter": ("(x / 1e3) * 1e-2", "(x * 1e3) / 1e-2"),
        "CubicCentimeter": ("x / 1e6", "x * 1e6"),
        "CubicDecimeter": ("x / 1e3", "x * 1e3"),
        "CubicFoot": ("x * 2.8316846592e-2", "x / 2.8316846592e-2"),
        "CubicHectometer": ("x * 1e6", "x / 1e6"),
        "CubicInch": ("x * 1.6387 * 1e-5", "x / (1.6387 * 1e-5)"),
        "CubicKilometer": ("x * 1e9", "x / 1e9"),
        "CubicMeter": ("x", "x"),
        "CubicMicrometer": ("x / 1e18", "x * 1e18"),
        "CubicMile": ("x * 4.16818182544058e9", "x / 4.16818182544058e9"),
        "CubicMillimeter": ("x / 1e9", "x * 1e9"),
        "CubicYard": ("x * 0.764554858", "x / 0.764554858"),
        "Decaliter": ("(x / 1e3) * 1e1", "(x * 1e3) / 1e1"),
        "DecausGallon": ("(x * 0.00378541) * 1e1", "(x / 0.00378541) / 1e1"),
        "Deciliter": ("(x / 1e3) * 1e-1", "(x * 1e3) / 1e-1"),
        "DeciusGallon": ("(x * 0.00378541) * 1e-1", "(x / 0.00378541) / 1e-1"),
        "HectocubicFoot": ("(x * 2.8316846592e-2) * 1e2", "(x / 2.8316846592e-2) / 1e2"),
        "HectocubicMeter": ("(x) * 1e2", "(x) / 1e2"),
        "Hectoliter": ("(x / 1e3) * 1e2", "(x * 1e3) / 1e2"),
        "HectousGallon": ("(x * 0.00378541) * 1e2", "(x / 0.00378541) / 1e2"),
        "ImperialBeerBarrel": ("x * 0.16365924", "x / 0.16365924"),
        "ImperialGallon": (
            "x * 0.00454609000000181429905810072407",
            "x / 0.00454609000000181429905810072407",
        ),
        "ImperialOunce": (
            "x * 2.8413062499962901241875439064617e-5",
            "x / 2.8413062499962901241875439064617e-5",
        ),
        "ImperialPint": ("x * 5.6826125e-4", "x / 5.6826125e-4"),
        "KilocubicFoot": ("(x * 2.8316846592e-2) * 1e3", "(x / 2.8316846592e-2) / 1e3"),
        "KilocubicMeter": ("(x) * 1e3", "(x) / 1e3"),
        "KiloimperialGallon": (
            "(x * 0.00454609000000181429905810072407) * 1e3",
            "(x / 0.00454609000000181429905810072407) / 1e3",
        ),
        "Kiloliter": ("(x / 1e3) * 1e3", "(x * 1e3) / 1e3"),
        "KilousGallon": ("(x * 0.00378541) * 1e3", "(x / 0.00378541) / 1e3"),
        "Liter": ("x / 1e3", "x * 1e3"),
        "MegacubicFoot": ("(x * 2.8316846592e-2) * 1e6", "(x / 2.8316846592e-2) / 1e6"),
        "MegaimperialGallon": (
            "(x * 0.00454609000000181429905810072407) * 1e6",
            "(x / 0.00454609000000181429905810072407) / 1e6",
        ),
        "Megaliter": ("(x / 1e3) * 1e6", "(x * 1e3) / 1e6"),
        "MegausGallon": ("(x * 0.00378541) * 1e6", "(x / 0.00378541) / 1e6"),
        "MetricCup": ("x * 0.00025", "x / 0.00025"),
        "MetricTeaspoon": ("x * 0.5e-5", "x / 0.5e-5"),
        "Microliter": ("(x / 1e3) * 1e-6", "(x * 1e3) / 1e-6"),
        "Milliliter": ("(x / 1e3) * 1e-3", "(x * 1e3) / 1e-3"),
        "OilBarrel": ("x * 0.158987294928", "x / 0.158987294928"),
        "UkTablespoon": ("x * 1.5e-5", "x / 1.5e-5"),
        "UsBeerBarrel": ("x * 0.1173477658", "x / 0.1173477658"),
        "UsCustomaryCup": ("x * 0.0002365882365", "x / 0.0002365882365"),
        "UsGallon": ("x * 0.00378541", "x / 0.00378541"),
        "UsLegalCup": ("x * 0.00024", "x / 0.00024"),
        "UsOunce": (
            "x * 2.957352956253760505068307980135e-5",
            "x / 2.957352956253760505068307980135e-5",
        ),
        "UsPint": ("x * 4.73176473e-4", "x / 4.73176473e-4"),
        "UsQuart": ("x * 9.46352946e-4", "x / 9.46352946e-4"),
        "UsTablespoon": ("x * 1.478676478125e-5", "x / 1.478676478125e-5"),
        "UsTeaspoon": ("x * 4.92892159375e-6", "x / 4.92892159375e-6"),
    },
}


@cache
def _formula(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="duckdb")


def _apply(text: str, x: exp.Expression) -> exp.Expression:
    """A conversion formula with its variable replaced by `x`."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name == "x":
            return exp.Paren(this=x.copy())
        return node

    return _formula(text).copy().transform(swap)


def _by_unit(unit: exp.Expression, units: dict[str, exp.Expression]) -> exp.Expression:
    ifs = [
        exp.If(this=exp.EQ(this=unit.copy(), expression=lit(n)), true=e) for n, e in units.items()
    ]
    return exp.Case(ifs=ifs)


T("bind_real", lambda a: _let(a[0], "_v", a[1]))


def _convert(quantity: str) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    table = _UNITS[quantity]

    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        value, src, dst = args
        if not _check(ctx, [value], _NUMERIC, "a number"):
            return exp.Null()
        if not _check(ctx, [src, dst], (KType.STRING,), "unit names"):
            return exp.Null()
        x = to_real(value)
        if src.is_const and dst.is_const:
            if src.const not in table or dst.const not in table:
                return cast(exp.Null(), KType.REAL)  # Kusto: null for an unknown unit
            return _apply(table[dst.const][1], _apply(table[src.const][0], x))
        base = _by_unit(src.sql, {n: _apply(f[0], x) for n, f in table.items()})
        v = exp.column("_v")
        return fn(
            "bind_real", base, _by_unit(dst.sql, {n: _apply(f[1], v) for n, f in table.items()})
        )

    return lower


for _q in _UNITS:
    _spec(f"convert_{_q}", 3, 3, KType.REAL, _convert(_q))


# ------------------------------------------------------------------ Spark translations


def _sp_erf_series(x: str) -> str:
    x = f"({x})"
    step = f"_s.t * 2 * {x} * {x} / (2 * _k + 3)"
    acc = (
        f"aggregate(sequence(0, 79), named_struct('t', CAST({x} AS DOUBLE), 's', "
        f"CAST({x} AS DOUBLE)), (_s, _k) -> named_struct('t', {step}, 's', _s.s + {step})).s"
    )
    return f"(2 / sqrt(pi()) * exp(-{x} * {x}) * {acc})"


def _sp_erfc_fraction(x: str) -> str:
    x = f"({x})"
    t = f"aggregate(sequence(0, 79), CAST({x} AS DOUBLE), (_c, _k) -> {x} + ((80 - _k) / 2) / _c)"
    return f"(exp(-{x} * {x}) / (sqrt(pi()) * {t}))"


FAMILY.spark(
    _OP + "erf",
    lambda a: SP.let(
        a[0],
        "_e",
        f"CASE WHEN isnan(_e) THEN _e WHEN abs(_e) < 2 THEN {_sp_erf_series('_e')} "
        f"ELSE signum(_e) * (1 - {_sp_erfc_fraction('abs(_e)')}) END",
    ),
)
FAMILY.spark(
    _OP + "erfc",
    lambda a: SP.let(
        a[0],
        "_e",
        f"CASE WHEN isnan(_e) THEN _e WHEN abs(_e) < 2 THEN 1 - {_sp_erf_series('_e')} "
        f"WHEN _e > 0 THEN {_sp_erfc_fraction('_e')} ELSE 2 - {_sp_erfc_fraction('-_e')} END",
    ),
)
FAMILY.spark(_OP + "bind_real", lambda a: SP.let(a[0], "_v", a[1]))
