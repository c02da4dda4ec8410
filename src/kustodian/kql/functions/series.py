"""Time series: element-wise arithmetic on numeric arrays and the series_* algorithms (filling,
filters, regression, statistics, seasonality).

A series is a dynamic (DuckDB JSON) array. The element-wise functions are list lambdas in SQL:
a JSON element is numeric when `json_type` says BIGINT, UBIGINT or DOUBLE; anything else (null,
text, bool, nested value) and a missing element (arrays of different lengths) gives a null
element. Integers stay integers where Kusto keeps them (add, subtract, multiply, abs, sign) and
wrap around on overflow as Kusto's longs do; the other functions compute in doubles, with IEEE
results (1/0 is +inf, acos(2) is NaN).

The numeric algorithms are numpy UDFs taking and returning JSON text; in their results a NaN (a
missing input propagated through the arithmetic) becomes null.

Functions whose Kusto result is several columns (series_stats, series_fit_line,
series_fit_2lines, series_periods_detect, series_periods_validate, series_decompose) declare
`outputs`; their lowering returns a struct of them, which the binder expands into columns.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions import spark as SP
from kustodian.kql.functions.base import (
    Arg,
    Ctx,
    Family,
    FunctionSpec,
    to_bool,
    to_dynamic,
    to_type,
)
from kustodian.kql.sqlnodes import cast, fn, lit
from kustodian.kql.types import KType

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:

    class _LazyNumpy:
        """numpy, imported when a UDF first runs: compiling a query must not load it."""

        def __getattr__(self, name: str) -> Any:
            import numpy

            return getattr(numpy, name)

    np = _LazyNumpy()

FAMILY = Family("series")
add = FAMILY.add
T = FAMILY.template

if TYPE_CHECKING:
    Floats = npt.NDArray[np.float64]
else:
    Floats = Any
Lowering = Callable[[Ctx, list[Arg]], exp.Expression]

_INT_JSON = "('BIGINT', 'UBIGINT')"
_NUM_JSON = "('BIGINT', 'UBIGINT', 'DOUBLE')"
# lambda parameters: names no column reference can collide with
_E, _P = "kql_series_e", "kql_series_p"


# ------------------------------------------------------------------ SQL text helpers


def _is_array(a: str) -> str:
    return f"json_type({a}) = 'ARRAY'"


def _list(a: str) -> str:
    return f"CAST({a} AS JSON[])"


def _is_int(x: str) -> str:
    return f"json_type({x}) IN {_INT_JSON}"


def _is_num(x: str) -> str:
    return f"json_type({x}) IN {_NUM_JSON}"


def _dbl(x: str) -> str:
    return f"CAST({x} AS DOUBLE)"


def _wrap(h: str) -> str:
    """An integer (HUGEINT) wrapped into the long range, as .NET's unchecked arithmetic."""
    two63, two64 = "9223372036854775808", "18446744073709551616"
    return f"CAST(((({h}) + {two63}) % {two64} + {two64}) % {two64} - {two63} AS BIGINT)"


def _nan() -> str:
    return "CAST('nan' AS DOUBLE)"


def _map1(arr: str, elem: Callable[[str], str]) -> str:
    """The JSON array of `elem` applied to each element; null when `arr` is not an array."""
    mapped = f"list_transform({_list(arr)}, lambda {_E}: {elem(_E)})"
    return f"CASE WHEN {_is_array(arr)} THEN to_json({mapped}) END"


def _map2(a: str, b: str, shape: str, elem: Callable[[str, str], str]) -> str:
    """`elem` over two series (`shape` "aa"), or a series and a broadcast scalar ("as", "sa")."""
    if shape == "aa":
        zipped = f"list_zip({_list(a)}, {_list(b)})"
        body = elem(f"{_P}[1]", f"{_P}[2]")
        return (
            f"CASE WHEN {_is_array(a)} AND {_is_array(b)} THEN "
            f"to_json(list_transform({zipped}, lambda {_P}: {body})) END"
        )
    if shape == "as":
        return _map1(a, lambda e: elem(e, b))
    return _map1(b, lambda e: elem(a, e))


def _numeric_list(arr: str) -> str:
    """The numeric elements of a JSON array as DOUBLEs (others skipped)."""
    return (
        f"list_transform(list_filter({_list(arr)}, lambda {_E}: {_is_num(_E)}), "
        f"lambda {_E}: {_dbl(_E)})"
    )


# ------------------------------------------------------------------ element operations


def _arith(op: str) -> Callable[[str, str], str]:
    """+, -, *: long when both elements are integers (wrapping), else double."""

    def elem(x: str, y: str) -> str:
        return (
            f"CASE WHEN {_is_int(x)} AND {_is_int(y)} "
            f"THEN to_json({_wrap(f'CAST({x} AS HUGEINT) {op} CAST({y} AS HUGEINT)')}) "
            f"WHEN {_is_num(x)} AND {_is_num(y)} THEN to_json({_dbl(x)} {op} {_dbl(y)}) END"
        )

    return elem


def _divide(x: str, y: str) -> str:
    dx, dy = _dbl(x), _dbl(y)
    quotient = (
        f"CASE WHEN {dy} = 0 THEN CASE WHEN {dx} > 0 THEN CAST('inf' AS DOUBLE) "
        f"WHEN {dx} < 0 THEN CAST('-inf' AS DOUBLE) ELSE {_nan()} END ELSE {dx} / {dy} END"
    )
    return f"CASE WHEN {_is_num(x)} AND {_is_num(y)} THEN to_json({quotient}) END"


def _pow(x: str, y: str) -> str:
    return f"CASE WHEN {_is_num(x)} AND {_is_num(y)} THEN to_json(pow({_dbl(x)}, {_dbl(y)})) END"


def _compare(op: str) -> Callable[[str, str], str]:
    """Comparisons as .NET's: exact on longs; any comparison with NaN is false but !=."""
    nan_result = "true" if op == "<>" else "false"

    def elem(x: str, y: str) -> str:
        dx, dy = _dbl(x), _dbl(y)
        return (
            f"CASE WHEN {_is_int(x)} AND {_is_int(y)} "
            f"THEN to_json(CAST({x} AS HUGEINT) {op} CAST({y} AS HUGEINT)) "
            f"WHEN {_is_num(x)} AND {_is_num(y)} THEN to_json(CASE WHEN isnan({dx}) OR isnan({dy}) "
            f"THEN {nan_result} ELSE {dx} {op} {dy} END) END"
        )

    return elem


def _real_fn(sql_fn: str) -> Callable[[str], str]:
    return lambda x: f"CASE WHEN {_is_num(x)} THEN to_json({sql_fn}({_dbl(x)})) END"


def _abs(x: str) -> str:
    return (
        f"CASE WHEN {_is_int(x)} THEN to_json({_wrap(f'abs(CAST({x} AS HUGEINT))')}) "
        f"WHEN {_is_num(x)} THEN to_json(abs({_dbl(x)})) END"
    )


def _sign(x: str) -> str:
    d = _dbl(x)
    return (
        f"CASE WHEN {_is_int(x)} THEN to_json(CAST(sign(CAST({x} AS HUGEINT)) AS BIGINT)) "
        f"WHEN {_is_num(x)} THEN to_json(CASE WHEN isnan({d}) THEN {_nan()} "
        f"ELSE CAST(sign({d}) AS DOUBLE) END) END"
    )


# ------------------------------------------------------------------ argument checks


_NUMBERS = frozenset({KType.INT, KType.LONG, KType.REAL, KType.DECIMAL})
_INTEGERS = frozenset({KType.INT, KType.LONG})


def _series_ok(ctx: Ctx, a: Arg, what: str = "the series") -> bool:
    if a.type in (KType.DYNAMIC, KType.NULL):
        return True
    message = f"{what} of {ctx.name}() must be a dynamic array, not {a.type}"
    ctx.error(D.type_error(message, a.span, ks="KS234"))
    return False


def _number_ok(ctx: Ctx, a: Arg, what: str) -> bool:
    if a.type in _NUMBERS or a.type is KType.NULL:
        return True
    message = f"{what} of {ctx.name}() must be a number, not {a.type}"
    ctx.error(D.type_error(message, a.span, ks="KS137"))
    return False


def _integer_ok(ctx: Ctx, a: Arg, what: str) -> bool:
    if a.type in _INTEGERS or a.type is KType.NULL:
        return True
    message = f"{what} of {ctx.name}() must be an integer, not {a.type}"
    ctx.error(D.type_error(message, a.span, ks="KS134"))
    return False


def _typed_ok(ctx: Ctx, a: Arg, t: KType, what: str) -> bool:
    if a.type in (t, KType.NULL):
        return True
    message = f"{what} of {ctx.name}() must be a {t}, not {a.type}"
    ctx.error(D.type_error(message, a.span, ks="KS107"))
    return False


def _bool_ok(ctx: Ctx, a: Arg, what: str) -> bool:
    return _typed_ok(ctx, a, KType.BOOL, what)


def _string_ok(ctx: Ctx, a: Arg, what: str) -> bool:
    return _typed_ok(ctx, a, KType.STRING, what)


def _json(a: Arg) -> exp.Expression:
    """A series argument as JSON."""
    return cast(exp.Null(), KType.DYNAMIC) if a.type is KType.NULL else to_dynamic(a)


def _real(a: Arg | None, default: float | None = None) -> exp.Expression:
    if a is None or a.type is KType.NULL:
        return (
            cast(lit(default), KType.REAL) if default is not None else cast(exp.Null(), KType.REAL)
        )
    return cast(a.sql, KType.REAL)


def _long(a: Arg | None, default: int) -> exp.Expression:
    if a is None:
        return cast(lit(default), KType.LONG)
    if a.type is KType.NULL:
        return cast(exp.Null(), KType.LONG)
    if a.type is KType.REAL:
        return fn("real_to_long", a.sql)
    return cast(a.sql, KType.LONG)


def _bool(a: Arg | None) -> exp.Expression:
    """A bool argument; SQL NULL when omitted (the UDF applies Kusto's default)."""
    if a is None or a.type is KType.NULL:
        return cast(exp.Null(), KType.BOOL)
    return to_bool(a)


def _scalar_json(a: Arg) -> exp.Expression:
    """A numeric scalar as a JSON number, so that element operations treat it as an element."""
    if a.type is KType.NULL:
        return cast(exp.Null(), KType.DYNAMIC)
    t = KType.LONG if a.type in (KType.INT, KType.LONG) else KType.REAL
    return fn("to_json", cast(a.sql, t))


def _number_json(a: Arg | None, default: float | None = None) -> exp.Expression:
    """A numeric scalar as a JSON number keeping its type (fill constants and placeholders)."""
    if a is None:
        if default is None:
            return cast(exp.Null(), KType.DYNAMIC)
        return fn("json_literal", lit(json.dumps(default)))
    return _scalar_json(a)


# ------------------------------------------------------------------ element-wise functions

_UNARY: dict[str, Callable[[str], str]] = {
    "series_abs": _abs,
    "series_sign": _sign,
    "series_acos": _real_fn("acos"),
    "series_asin": _real_fn("asin"),
    "series_atan": _real_fn("atan"),
    "series_cos": _real_fn("cos"),
    "series_sin": _real_fn("sin"),
    "series_tan": _real_fn("tan"),
    "series_exp": _real_fn("exp"),
    "series_log": _real_fn("ln"),
    "series_ceiling": _real_fn("ceil"),
    "series_floor": _real_fn("floor"),
}

_BINARY: dict[str, Callable[[str, str], str]] = {
    "series_add": _arith("+"),
    "series_subtract": _arith("-"),
    "series_multiply": _arith("*"),
    "series_divide": _divide,
    "series_pow": _pow,
    "series_equals": _compare("="),
    "series_not_equals": _compare("<>"),
    "series_greater": _compare(">"),
    "series_greater_equals": _compare(">="),
    "series_less": _compare("<"),
    "series_less_equals": _compare("<="),
}


def _on_series(op: str) -> Lowering:
    """The lowering of a function of one series: the operation `op` on it as JSON."""

    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        if not _series_ok(ctx, args[0]):
            return exp.Null()
        return fn(op, _json(args[0]))

    return lower


def _shape(ctx: Ctx, args: list[Arg]) -> str | None:
    """The argument shape: "aa" for two series; "as" or "sa" when one side is a numeric scalar,
    broadcast over the other."""
    kinds = []
    for i, a in enumerate(args):
        if a.type in (KType.DYNAMIC, KType.NULL):
            kinds.append("a")
        elif a.type.is_numeric:
            kinds.append("s")
        else:
            ctx.error(
                D.type_error(
                    f"argument {i + 1} of {ctx.name}() must be a dynamic array or a number, "
                    f"not {a.type}",
                    a.span,
                    ks="KS127",
                )
            )
            return None
    shape = "".join(kinds)
    if shape == "ss":
        ctx.error(
            D.type_error(f"{ctx.name}() needs at least one dynamic array", ctx.span, ks="KS127")
        )
        return None
    return shape


def _binary(name: str) -> Lowering:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        shape = _shape(ctx, args)
        if shape is None:
            return exp.Null()
        sides = [
            _json(a) if k == "a" else _scalar_json(a) for a, k in zip(args, shape, strict=True)
        ]
        return fn(f"{name}_{shape}", *sides)

    return lower


def _unary_sql(elem: Callable[[str], str]) -> Callable[[list[str]], str]:
    return lambda a: _map1(a[0], elem)


def _binary_sql(shape: str, elem: Callable[[str, str], str]) -> Callable[[list[str]], str]:
    return lambda a: _map2(a[0], a[1], shape, elem)


for _name, _elem in _UNARY.items():
    T(_name, _unary_sql(_elem))
    add(FunctionSpec(_name, 1, 1, KType.DYNAMIC, _on_series(_name)))

for _name, _elem2 in _BINARY.items():
    for _shape_name in ("aa", "as", "sa"):
        T(f"{_name}_{_shape_name}", _binary_sql(_shape_name, _elem2))
    add(
        FunctionSpec(
            _name,
            2,
            2,
            KType.DYNAMIC,
            _binary(_name),
            note="a numeric scalar argument is broadcast",
        )
    )


# ------------------------------------------------------------------ reductions (SQL)


T(
    "series_sum",
    lambda a: (
        f"CASE WHEN {_is_array(a[0])} THEN COALESCE(list_sum({_numeric_list(a[0])}), 0.0) END"
    ),
)
T(
    "series_product",
    lambda a: (
        f"CASE WHEN {_is_array(a[0])} THEN COALESCE(list_product({_numeric_list(a[0])}), 1.0) END"
    ),
)


def _magnitude_sql(a: list[str]) -> str:
    squares = f"list_transform({_numeric_list(a[0])}, lambda {_E}: {_E} * {_E})"
    return f"CASE WHEN {_is_array(a[0])} THEN sqrt(list_sum({squares})) END"


T("series_magnitude", _magnitude_sql)
add(
    FunctionSpec(
        "series_sum",
        1,
        1,
        KType.REAL,
        _on_series("series_sum"),
        note="non-numeric elements are skipped; 0 for an empty array",
    )
)
add(
    FunctionSpec(
        "series_product",
        1,
        1,
        KType.REAL,
        _on_series("series_product"),
        note="non-numeric elements are skipped; 1 for an empty array",
    )
)
add(
    FunctionSpec(
        "series_magnitude",
        1,
        1,
        KType.REAL,
        _on_series("series_magnitude"),
        note="non-numeric elements are skipped; null for an empty array",
    )
)


def _dot_sql(shape: str) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        if shape == "aa":
            pairs = (
                f"list_filter(list_zip({_list(a[0])}, {_list(a[1])}, true), "
                f"lambda {_P}: {_is_num(f'{_P}[1]')} AND {_is_num(f'{_P}[2]')})"
            )
            products = (
                f"list_transform({pairs}, lambda {_P}: {_dbl(f'{_P}[1]')} * {_dbl(f'{_P}[2]')})"
            )
            return (
                f"CASE WHEN {_is_array(a[0])} AND {_is_array(a[1])} THEN list_sum({products}) END"
            )
        arr, scalar = (a[0], a[1]) if shape == "as" else (a[1], a[0])
        products = f"list_transform({_numeric_list(arr)}, lambda {_E}: {_E} * {scalar})"
        return f"CASE WHEN {_is_array(arr)} THEN list_sum({products}) END"

    return render


def _dot_product(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    shape = _shape(ctx, args)
    if shape is None:
        return exp.Null()
    sides = [_json(a) if k == "a" else _real(a) for a, k in zip(args, shape, strict=True)]
    return fn(f"series_dot_product_{shape}", *sides)


for _shape_name in ("aa", "as", "sa"):
    T(f"series_dot_product_{_shape_name}", _dot_sql(_shape_name))
add(
    FunctionSpec(
        "series_dot_product",
        2,
        2,
        KType.REAL,
        _dot_product,
        note="a numeric scalar argument is broadcast",
    )
)


# ------------------------------------------------------------------ Python helpers (UDFs)


def _load(text: str | None) -> list[Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    return value if isinstance(value, list) else None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _floats(items: Sequence[Any]) -> Floats:
    """The elements as doubles, NaN for anything that is not a number."""
    return np.array([float(v) if _is_number(v) else math.nan for v in items], dtype=np.float64)


def _real_out(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def _reals_out(xs: Floats) -> list[float | None]:
    return [_real_out(float(v)) for v in xs]


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _scalar_of(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _matches(v: Any, placeholder: Any) -> bool:
    """Is the element a missing value: null by default, else equal to the placeholder."""
    if placeholder is None:
        return v is None
    if _is_number(v) and _is_number(placeholder):
        return float(v) == float(placeholder)
    return bool(v == placeholder)


def _udf(op: str, func: Callable[..., Any], params: list[str], returns: str) -> None:
    """Declare the UDF kql_<op> and the operation `op` calling it."""
    name = f"kql_{op}"
    FAMILY.udf(name, func, params, returns)
    T(op, f"{name}({{args}})")
    FAMILY.no_translation(
        op, "spark", "this series algorithm is a Python function that only DuckDB registers"
    )


# ------------------------------------------------------------------ filling missing values


def _carry(items: list[Any], placeholder: Any) -> list[Any]:
    """Each missing value replaced by the last value before it (leading ones kept)."""
    last: Any = None
    have = False
    out = []
    for v in items:
        if _matches(v, placeholder):
            out.append(last if have else v)
        else:
            last, have = v, True
            out.append(v)
    return out


def _fill_forward(text: str | None, placeholder: str | None) -> str | None:
    items = _load(text)
    return None if items is None else _dump(_carry(items, _scalar_of(placeholder)))


def _fill_backward(text: str | None, placeholder: str | None) -> str | None:
    items = _load(text)
    if items is None:
        return None
    return _dump(_carry(items[::-1], _scalar_of(placeholder))[::-1])


def _fill_const(text: str | None, constant: str | None, placeholder: str | None) -> str | None:
    items = _load(text)
    if items is None:
        return None
    ph, value = _scalar_of(placeholder), _scalar_of(constant)
    return _dump([value if _matches(v, ph) else v for v in items])


def _fill_linear(
    text: str | None, placeholder: str | None, fill_edges: bool | None, constant: str | None
) -> str | None:
    items = _load(text)
    if items is None:
        return None
    ph = _scalar_of(placeholder)
    known = [i for i, v in enumerate(items) if not _matches(v, ph) and _is_number(v)]
    if not known:
        value = _scalar_of(constant)
        return _dump([value if _matches(v, ph) else v for v in items])
    # an all-integer series interpolates to integers, truncated as Kusto does
    integral = all(isinstance(items[i], int) for i in known)
    out = list(items)
    edges = True if fill_edges is None else fill_edges
    for left, right in itertools.pairwise(known):
        x0, x1 = float(items[left]), float(items[right])
        for i in range(left + 1, right):
            if _matches(items[i], ph):
                v = x0 + (x1 - x0) * (i - left) / (right - left)
                out[i] = int(v) if integral else v
    if edges:
        for i in range(known[0]):
            if _matches(items[i], ph):
                out[i] = items[known[0]]
        for i in range(known[-1] + 1, len(items)):
            if _matches(items[i], ph):
                out[i] = items[known[-1]]
    return _dump(out)


_udf("series_fill_forward_udf", _fill_forward, ["JSON", "JSON"], "JSON")
_udf("series_fill_backward_udf", _fill_backward, ["JSON", "JSON"], "JSON")
_udf("series_fill_const_udf", _fill_const, ["JSON", "JSON", "JSON"], "JSON")
_udf("series_fill_linear_udf", _fill_linear, ["JSON", "JSON", "BOOLEAN", "JSON"], "JSON")


def _numbers_ok(ctx: Ctx, args: Sequence[Arg], what: str) -> bool:
    return all(_number_ok(ctx, a, what) for a in args)


def _fill_fn(op: str) -> Lowering:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        if not (_series_ok(ctx, args[0]) and _numbers_ok(ctx, args[1:], "the placeholder")):
            return exp.Null()
        return fn(op, _json(args[0]), _number_json(args[1] if len(args) > 1 else None))

    return lower


def _fill_const_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not (_series_ok(ctx, args[0]) and _numbers_ok(ctx, args[1:], "a value")):
        return exp.Null()
    placeholder = _number_json(args[2] if len(args) > 2 else None)
    return fn("series_fill_const_udf", _json(args[0]), _number_json(args[1]), placeholder)


def _fill_linear_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not (_series_ok(ctx, args[0]) and _numbers_ok(ctx, args[1:2] + args[3:], "a value")):
        return exp.Null()
    if len(args) > 2 and not _bool_ok(ctx, args[2], "fill_edges"):
        return exp.Null()
    placeholder = _number_json(args[1] if len(args) > 1 else None)
    edges = _bool(args[2] if len(args) > 2 else None)
    constant = _number_json(args[3]) if len(args) > 3 else _number_json(None, 0.0)
    return fn("series_fill_linear_udf", _json(args[0]), placeholder, edges, constant)


def _named(name: str, lo: int, hi: int, lower: Lowering, note: str = "") -> None:
    """A function returning a series named after its first argument's column, as Kusto does."""
    add(FunctionSpec(name, lo, hi, KType.DYNAMIC, lower, naming="first_arg", note=note))


_named("series_fill_forward", 1, 2, _fill_fn("series_fill_forward_udf"))
_named("series_fill_backward", 1, 2, _fill_fn("series_fill_backward_udf"))
_named("series_fill_const", 2, 3, _fill_const_lower)
_named(
    "series_fill_linear",
    1,
    4,
    _fill_linear_lower,
    "an all-integer series gets truncated integers, as Kusto documents",
)


# ------------------------------------------------------------------ filters


def _fir(
    text: str | None, filt: str | None, normalize: bool | None, center: bool | None
) -> str | None:
    items, coeffs = _load(text), _load(filt)
    if items is None or coeffs is None or not coeffs:
        return None
    x, f = _floats(items), _floats(coeffs)
    negative = bool(np.any(f < 0))
    norm = not negative if normalize is None else normalize
    if norm:
        if negative or f.sum() == 0:
            return None
        f = f / f.sum()
    full = np.convolve(x, f)
    shift = (len(f) - 1) // 2 if center else 0
    return _dump(_reals_out(full[shift : shift + len(x)]))


def _iir(text: str | None, numerators: str | None, denominators: str | None) -> str | None:
    items, b_items, a_items = _load(text), _load(numerators), _load(denominators)
    if items is None or not b_items or not a_items:
        return None
    x, b, a = _floats(items), _floats(b_items), _floats(a_items)
    if a[0] == 0:
        return None
    y = np.zeros(len(x))
    for i in range(len(x)):
        acc = 0.0
        for j in range(min(len(b), i + 1)):
            acc += b[j] * x[i - j]
        for k in range(1, min(len(a), i + 1)):
            acc -= a[k] * y[i - k]
        y[i] = acc / a[0]
    return _dump(_reals_out(y))


_udf("series_fir_udf", _fir, ["JSON", "JSON", "BOOLEAN", "BOOLEAN"], "JSON")
_udf("series_iir_udf", _iir, ["JSON", "JSON", "JSON"], "JSON")


def _fir_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not (_series_ok(ctx, args[0]) and _series_ok(ctx, args[1], "the filter")):
        return exp.Null()
    for i, what in ((2, "normalize"), (3, "center")):
        if len(args) > i and not _bool_ok(ctx, args[i], what):
            return exp.Null()
    return fn(
        "series_fir_udf",
        _json(args[0]),
        _json(args[1]),
        _bool(args[2] if len(args) > 2 else None),
        _bool(args[3] if len(args) > 3 else None),
    )


def _iir_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    whats = ("the series", "the numerators", "the denominators")
    if not all(_series_ok(ctx, a, w) for a, w in zip(args, whats, strict=True)):
        return exp.Null()
    return fn("series_iir_udf", *(_json(a) for a in args))


add(
    FunctionSpec(
        "series_fir",
        2,
        4,
        KType.DYNAMIC,
        _fir_lower,
        naming="first_arg",
        note="zero padding before the series (and after it when centered)",
    )
)
_named("series_iir", 3, 3, _iir_lower)


# ------------------------------------------------------------------ regression


@dataclass(frozen=True)
class _Line:
    slope: float
    interception: float
    rsquare: float
    variance: float
    rvariance: float
    fit: Floats
    ss_res: float


def _sample_var(ss: float, n: int) -> float:
    return ss / (n - 1) if n > 1 else 0.0


def _fit(y: Floats) -> _Line:
    """Least squares over x = 1..n, ignoring non-finite points."""
    n = len(y)
    x = np.arange(1, n + 1, dtype=np.float64)
    ok = np.isfinite(y)
    xs, ys = x[ok], y[ok]
    m = len(ys)
    if m == 0:
        nan = math.nan
        return _Line(nan, nan, nan, nan, nan, np.full(n, nan), nan)
    sxx = float(((xs - xs.mean()) ** 2).sum())
    slope = float(((xs - xs.mean()) * (ys - ys.mean())).sum() / sxx) if sxx > 0 else 0.0
    interception = float(ys.mean() - slope * xs.mean())
    fit = slope * x + interception
    ss_res = float(((ys - fit[ok]) ** 2).sum())
    ss_tot = float(((ys - ys.mean()) ** 2).sum())
    rsquare = 1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan
    return _Line(
        slope, interception, rsquare, _sample_var(ss_tot, m), _sample_var(ss_res, m), fit, ss_res
    )


def _fit_line(text: str | None) -> str | None:
    items = _load(text)
    if items is None:
        return None
    line = _fit(_floats(items))
    return _dump(
        {
            "rsquare": _real_out(line.rsquare),
            "slope": _real_out(line.slope),
            "variance": _real_out(line.variance),
            "rvariance": _real_out(line.rvariance),
            "interception": _real_out(line.interception),
            "line_fit": _reals_out(line.fit),
        }
    )


def _side(line: _Line) -> dict[str, float | None]:
    return {
        "rsquare": _real_out(line.rsquare),
        "slope": _real_out(line.slope),
        "interception": _real_out(line.interception),
        "variance": _real_out(line.variance),
        "rvariance": _real_out(line.rvariance),
    }


def _fit_2lines(text: str | None) -> str | None:
    """Both segments are fitted over local x = 1..k; the split index is the first index of the
    right segment (series_shapes_fl in Kusto's function library relies on both)."""
    items = _load(text)
    if items is None:
        return None
    y = _floats(items)
    n = len(y)
    ok = np.isfinite(y)
    ss_tot = float(((y[ok] - y[ok].mean()) ** 2).sum()) if ok.any() else math.nan
    best: tuple[float, int, _Line, _Line] | None = None
    for split in range(2, n - 1):
        left, right = _fit(y[:split]), _fit(y[split:])
        total = left.ss_res + right.ss_res
        if best is None or total < best[0]:
            best = (total, split, left, right)
    if best is None:
        return _dump(None)
    total, split, left, right = best
    m = int(ok.sum())
    bag: dict[str, Any] = {
        "rsquare": _real_out(1.0 - total / ss_tot if ss_tot > 0 else math.nan),
        "split_idx": split,
        "variance": _real_out(_sample_var(ss_tot, m)),
        "rvariance": _real_out(_sample_var(total, m)),
        "line_fit": _reals_out(np.concatenate([left.fit, right.fit])),
        "right": _side(right),
        "left": _side(left),
    }
    return _dump(bag)


_udf("series_fit_line_udf", _fit_line, ["JSON"], "JSON")
_udf("series_fit_2lines_udf", _fit_2lines, ["JSON"], "JSON")


add(
    FunctionSpec(
        "series_fit_line_dynamic",
        1,
        1,
        KType.DYNAMIC,
        _on_series("series_fit_line_udf"),
        note="x is 1..n; variances are sample variances; non-finite points are skipped",
    )
)
add(
    FunctionSpec(
        "series_fit_2lines_dynamic",
        1,
        1,
        KType.DYNAMIC,
        _on_series("series_fit_2lines_udf"),
        status="partial",
        note="segments of at least 2 points, each fitted over local x = 1..k; "
        "Kusto's tie-breaking between equal splits is not documented",
    )
)


# ------------------------------------------------------------------ statistics


_STATS_KEYS = ("min", "min_idx", "max", "max_idx", "avg", "stdev", "variance", "sum", "len")


def _stats(text: str | None, ignore_nonfinite: bool | None) -> str | None:
    items = _load(text)
    if items is None:
        return None
    y = _floats(items)
    finite = np.isfinite(y)
    if not finite.all() and not ignore_nonfinite:
        return _dump({k: (len(items) if k == "len" else None) for k in _STATS_KEYS})
    idx = np.flatnonzero(finite)
    vals = y[idx]
    if len(vals) == 0:
        return _dump({k: (0 if k == "len" else None) for k in _STATS_KEYS})
    var = float(vals.var(ddof=1)) if len(vals) > 1 else 0.0
    bag = {
        "min": float(vals.min()),
        "min_idx": int(idx[int(np.argmin(vals))]),
        "max": float(vals.max()),
        "max_idx": int(idx[int(np.argmax(vals))]),
        "avg": float(vals.mean()),
        "stdev": math.sqrt(var),
        "variance": var,
        "sum": float(vals.sum()),
        "len": len(vals),
    }
    return _dump(bag)


_udf("series_stats_udf", _stats, ["JSON", "BOOLEAN"], "JSON")


def _stats_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _series_ok(ctx, args[0]):
        return exp.Null()
    if len(args) > 1 and not _bool_ok(ctx, args[1], "ignore_nonfinite"):
        return exp.Null()
    return fn("series_stats_udf", _json(args[0]), _bool(args[1] if len(args) > 1 else None))


add(
    FunctionSpec(
        "series_stats_dynamic",
        1,
        2,
        KType.DYNAMIC,
        _stats_lower,
        note="sample variance; with non-finite values and ignore_nonfinite=false every "
        "statistic but len is null",
    )
)


# ------------------------------------------------------------------ correlation and similarity


def _pearson(a: str | None, b: str | None) -> float | None:
    xs, ys = _load(a), _load(b)
    if xs is None or ys is None or len(xs) != len(ys) or len(xs) < 2:
        return None
    if not all(_is_number(v) for v in xs) or not all(_is_number(v) for v in ys):
        return None
    x, y = _floats(xs), _floats(ys)
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float((dx * dx).sum()) * float((dy * dy).sum()))
    return float((dx * dy).sum()) / den if den > 0 else math.nan


def _cosine(a: str | None, b: str | None, mag1: float | None, mag2: float | None) -> float | None:
    xs, ys = _load(a), _load(b)
    if xs is None or ys is None or not xs or not ys:
        return None
    n = min(len(xs), len(ys))
    pairs = [
        (float(u), float(v))
        for u, v in zip(xs[:n], ys[:n], strict=True)
        if _is_number(u) and _is_number(v)
    ]
    dot = sum(u * v for u, v in pairs)
    m1 = mag1 if mag1 is not None else math.sqrt(sum(float(u) ** 2 for u in xs if _is_number(u)))
    m2 = mag2 if mag2 is not None else math.sqrt(sum(float(v) ** 2 for v in ys if _is_number(v)))
    den = m1 * m2
    return dot / den if den != 0 else math.nan


_udf("series_pearson_udf", _pearson, ["JSON", "JSON"], "DOUBLE")
_udf("series_cosine_udf", _cosine, ["JSON", "JSON", "DOUBLE", "DOUBLE"], "DOUBLE")


def _pearson_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not all(_series_ok(ctx, a) for a in args):
        return exp.Null()
    return fn("series_pearson_udf", *(_json(a) for a in args))


def _cosine_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not (_series_ok(ctx, args[0]) and _series_ok(ctx, args[1])):
        return exp.Null()
    mags = args[2:]
    if not all(_number_ok(ctx, m, "a magnitude") for m in mags):
        return exp.Null()
    return fn(
        "series_cosine_udf",
        _json(args[0]),
        _json(args[1]),
        _real(mags[0] if mags else None),
        _real(mags[1] if len(mags) > 1 else None),
    )


add(
    FunctionSpec(
        "series_pearson_correlation",
        2,
        2,
        KType.REAL,
        _pearson_lower,
        note="null when an element is not numeric or the lengths differ",
    )
)
add(
    FunctionSpec(
        "series_cosine_similarity",
        2,
        4,
        KType.REAL,
        _cosine_lower,
        note="the longer series is truncated; non-numeric elements are skipped",
    )
)


# ------------------------------------------------------------------ outliers


def _outliers(
    text: str | None,
    kind: str | None,
    ignore: float | None,
    low: float | None,
    high: float | None,
) -> str | None:
    items = _load(text)
    if items is None:
        return None
    y = _floats(items)
    missing = ~np.isfinite(y)
    if ignore is not None:
        missing |= y == ignore
    k = (kind or "ctukey").lower()
    if k == "tukey":
        lo, hi = 25.0, 75.0
    elif k == "ctukey":
        lo = 10.0 if low is None else low
        hi = 90.0 if high is None else high
        if not (2.0 <= lo <= 98.0 and 2.0 <= hi <= 98.0 and lo < hi):
            return None
    else:
        return None
    vals = y[~missing]
    if len(vals) == 0:
        return _dump([0.0] * len(items))
    q1, q3 = (float(v) for v in np.percentile(vals, [lo, hi]))
    iqr = q3 - q1
    out: list[float] = []
    for v, miss in zip(y, missing, strict=True):
        if miss or q1 <= v <= q3:
            out.append(0.0)
        elif iqr == 0:
            out.append(math.inf if v > q3 else -math.inf)
        else:
            out.append(float((v - q3) / iqr if v > q3 else (v - q1) / iqr))
    return _dump(out)


_udf("series_outliers_udf", _outliers, ["JSON", "VARCHAR", "DOUBLE", "DOUBLE", "DOUBLE"], "JSON")


def _outliers_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _series_ok(ctx, args[0]):
        return exp.Null()
    if len(args) > 1 and not _string_ok(ctx, args[1], "the kind"):
        return exp.Null()
    nums = args[2:]
    if not all(_number_ok(ctx, a, "a numeric parameter") for a in nums):
        return exp.Null()
    kind = args[1].sql if len(args) > 1 else lit("ctukey")
    return fn(
        "series_outliers_udf",
        _json(args[0]),
        kind,
        *(_real(nums[i] if i < len(nums) else None) for i in range(3)),
    )


add(
    FunctionSpec(
        "series_outliers",
        1,
        5,
        KType.DYNAMIC,
        _outliers_lower,
        naming="first_arg",
        status="partial",
        note="Tukey fences over linearly interpolated percentiles; Kusto's own "
        "percentile estimator is not documented, so scores may differ",
    )
)


# ------------------------------------------------------------------ periods and seasonality

_MIN_PERIOD = 4
# a periodogram peak with less of the total power is noise, not a candidate period
_MIN_POWER = 0.1


def _acf(y: Floats, lag: float) -> float:
    """The autocorrelation at a (possibly fractional) lag, corrected for the shrinking
    overlap, so that a clean periodic series scores near 1 at its period."""
    n = len(y)
    lo = math.floor(lag)
    frac = lag - lo
    m = y - y.mean()
    den = float((m * m).sum())
    if den == 0 or lo < 1 or lo >= n or (frac > 0 and lo + 1 >= n):
        return 0.0

    def at(k: int) -> float:
        return float((m[:-k] * m[k:]).sum()) / den * n / (n - k)

    return at(lo) if frac == 0 else (1 - frac) * at(lo) + frac * at(lo + 1)


def _period_score(y: Floats, period: float) -> float:
    n = len(y)
    if period < _MIN_PERIOD or period * 2 >= n:
        return 0.0
    return max(0.0, min(1.0, _acf(y, period)))


def _finite(items: list[Any]) -> Floats:
    y = _floats(items)
    return y[np.isfinite(y)]


def _detect(y: Floats, min_period: float, max_period: float, count: int) -> list[tuple[int, float]]:
    """Candidate periods from the periodogram's strong peaks, each refined to the lag with the
    best autocorrelation score nearby (the AutoPeriod method); strongest first."""
    n = len(y)
    lo = max(_MIN_PERIOD, math.ceil(min_period))
    hi = min(math.floor(max_period), (n - 1) // 2)
    power = np.abs(np.fft.rfft(y - y.mean())) ** 2
    total = float(power[1:].sum())
    if hi < lo or total == 0:
        return []
    found: dict[int, float] = {}
    for k in range(1, len(power)):
        if power[k] / total < _MIN_POWER or power[k] < power[k - 1]:
            continue
        if k + 1 < len(power) and power[k] < power[k + 1]:
            continue
        near = range(
            max(lo, math.ceil(n / (k + 1))), min(hi, math.floor(n / (k - 1)) if k > 1 else hi) + 1
        )
        scored = [(p, _period_score(y, p)) for p in near]
        if scored:
            p, s = max(scored, key=lambda ps: (ps[1], -ps[0]))
            if s > 0:
                found[p] = max(s, found.get(p, 0.0))
    return sorted(found.items(), key=lambda ps: (-ps[1], ps[0]))[:count]


def _periods_detect(
    text: str | None, min_period: float | None, max_period: float | None, count: int | None
) -> str | None:
    items = _load(text)
    if items is None or min_period is None or max_period is None or count is None or count < 0:
        return None
    found = _detect(_finite(items), min_period, max_period, count)
    found += [(0, 0.0)] * (count - len(found))
    return _dump({"periods": [p for p, _ in found], "scores": [s for _, s in found]})


def _periods_validate(text: str | None, periods: str | None) -> str | None:
    items, ps = _load(text), _load(periods)
    if items is None or ps is None:
        return None
    y = _finite(items)
    scores = [_period_score(y, float(p)) if _is_number(p) else 0.0 for p in ps]
    return _dump({"periods": ps, "scores": scores})


def _seasonal_of(y: Floats, period: int) -> Floats:
    n = len(y)
    out = np.zeros(n)
    if period <= 0:
        return out
    for phase in range(min(period, n)):
        vals = y[phase::period]
        vals = vals[np.isfinite(vals)]
        out[phase::period] = float(np.median(vals)) if len(vals) else math.nan
    return out


def _auto_period(y: Floats, threshold: float) -> int:
    found = _detect(y[np.isfinite(y)], _MIN_PERIOD, len(y), 1)
    return found[0][0] if found and found[0][1] >= threshold else 0


def _seasonal(text: str | None, period: int | None) -> str | None:
    items = _load(text)
    if items is None:
        return None
    y = _floats(items)
    p = -1 if period is None else period
    if p == -1:
        p = _auto_period(y, 0.7)
    return _dump(_reals_out(_seasonal_of(y, p)))


def _decompose(
    text: str | None,
    seasonality: int | None,
    trend: str | None,
    test_points: int | None,
    threshold: float | None,
) -> str | None:
    items = _load(text)
    if items is None:
        return None
    y = _floats(items)
    n = len(y)
    test = max(0, min(test_points or 0, n))
    train = y[: n - test]
    s = -1 if seasonality is None else seasonality
    if s == -1:
        s = _auto_period(train, 0.6 if threshold is None else threshold)
    seasonal = np.zeros(n)
    if s > 0:
        pattern = _seasonal_of(train, s)
        seasonal = np.array([pattern[i % s] if i % s < len(pattern) else 0.0 for i in range(n)])
    rest = y - seasonal
    kind = (trend or "avg").lower()
    if kind == "avg":
        vals = rest[: n - test]
        vals = vals[np.isfinite(vals)]
        trend_part = np.full(n, float(vals.mean()) if len(vals) else 0.0)
    elif kind == "linefit":
        line = _fit(rest[: n - test])
        trend_part = line.slope * np.arange(1, n + 1) + line.interception
    elif kind == "none":
        trend_part = np.zeros(n)
    else:
        return None
    baseline = seasonal + trend_part
    return _dump(
        {
            "baseline": _reals_out(baseline),
            "seasonal": _reals_out(seasonal),
            "trend": _reals_out(trend_part),
            "residual": _reals_out(y - baseline),
        }
    )


_udf("series_periods_detect_udf", _periods_detect, ["JSON", "DOUBLE", "DOUBLE", "BIGINT"], "JSON")
_udf("series_periods_validate_udf", _periods_validate, ["JSON", "JSON"], "JSON")
_udf("series_seasonal_udf", _seasonal, ["JSON", "BIGINT"], "JSON")
_udf("series_decompose_udf", _decompose, ["JSON", "BIGINT", "VARCHAR", "BIGINT", "DOUBLE"], "JSON")


def _decompose_anomalies(
    text: str | None,
    threshold: float | None,
    seasonality: int | None,
    trend: str | None,
    test_points: int | None,
    method: str | None,
    seasonality_threshold: float | None,
) -> str | None:
    """Kusto's series_decompose_anomalies: decompose, then score the residual with Tukey's
    fences; a point whose score passes the threshold is flagged +1 (spike) or -1 (dip)."""
    parts = _decompose(text, seasonality, trend or "linefit", test_points, seasonality_threshold)
    loaded = json.loads(parts) if parts is not None else None
    if not isinstance(loaded, dict):
        return None
    residual = loaded["residual"]
    scores = _load(_outliers(_dump(residual), method or "ctukey", None, None, None))
    if not isinstance(scores, list):
        return None
    limit = 1.5 if threshold is None else threshold
    flags = [0 if s is None or abs(s) <= limit else (1 if s > 0 else -1) for s in scores]
    return _dump({"ad_flag": flags, "ad_score": scores, "baseline": loaded["baseline"]})


_udf(
    "series_decompose_anomalies_udf",
    _decompose_anomalies,
    ["JSON", "DOUBLE", "BIGINT", "VARCHAR", "BIGINT", "VARCHAR", "DOUBLE"],
    "JSON",
)


def _seasonal_lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _series_ok(ctx, args[0]):
        return exp.Null()
    if len(args) > 1 and not _integer_ok(ctx, args[1], "the period"):
        return exp.Null()
    return fn("series_seasonal_udf", _json(args[0]), _long(args[1] if len(args) > 1 else None, -1))


add(
    FunctionSpec(
        "series_seasonal",
        1,
        2,
        KType.DYNAMIC,
        _seasonal_lower,
        status="partial",
        note="exact for a given period; the automatic period detection is "
        "series_periods_detect's approximation",
    )
)


# ------------------------------------------------------------------ several-column functions
#
# Kusto's series_stats, series_fit_line, ... return several columns: `extend series_stats(x)`
# adds series_stats_x_min, series_stats_x_min_idx, ... and `extend (a, b) = series_stats(x)`
# names the first ones. The binder expands a spec's `outputs`; the lowering returns a struct
# with fields f0, f1, ... taken from the same bag as the *_dynamic form (DuckDB evaluates the
# repeated UDF call once).

R, L, DYN = KType.REAL, KType.LONG, KType.DYNAMIC
Column = tuple[str, str, KType]  # output suffix, path in the bag, Kusto type


def _cols(*spec: tuple[str, KType]) -> tuple[Column, ...]:
    return tuple((suffix, suffix, t) for suffix, t in spec)


def _struct_of(bag: Lowering, columns: tuple[Column, ...]) -> Lowering:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        sql = bag(ctx, args)
        if isinstance(sql, exp.Null):  # an argument error, already reported
            return sql
        fields: list[exp.Expression] = []
        for i, (_, path, t) in enumerate(columns):
            value = fn("json_extract", sql.copy(), lit(f"$.{path}"))
            fields += [lit(f"f{i}"), value if t is DYN else to_type(Arg(value, DYN, ctx.span), t)]
        return fn("struct_pack", *fields)

    return lower


def _decompose_bag(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _series_ok(ctx, args[0]):
        return exp.Null()
    ints = [a for i, a in enumerate(args) if i in (1, 3)]
    if not all(_integer_ok(ctx, a, "an integer parameter") for a in ints):
        return exp.Null()
    if len(args) > 2 and not _string_ok(ctx, args[2], "the trend"):
        return exp.Null()
    if len(args) > 4 and not _number_ok(ctx, args[4], "the threshold"):
        return exp.Null()
    return fn(
        "series_decompose_udf",
        _json(args[0]),
        _long(args[1] if len(args) > 1 else None, -1),
        args[2].sql if len(args) > 2 else lit("avg"),
        _long(args[3] if len(args) > 3 else None, 0),
        _real(args[4] if len(args) > 4 else None, 0.6),
    )


def _anomalies_bag(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _series_ok(ctx, args[0]):
        return exp.Null()

    def opt(i: int, default: exp.Expression) -> exp.Expression:
        return args[i].sql if len(args) > i else default

    return fn(
        "series_decompose_anomalies_udf",
        _json(args[0]),
        _real(args[1] if len(args) > 1 else None, 1.5),
        _long(args[2] if len(args) > 2 else None, -1),
        opt(3, lit("linefit")),
        _long(args[4] if len(args) > 4 else None, 0),
        opt(5, lit("ctukey")),
        _real(args[6] if len(args) > 6 else None, 0.6),
    )


def _periods_detect_bag(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _series_ok(ctx, args[0]):
        return exp.Null()
    if not all(_number_ok(ctx, a, "a numeric parameter") for a in args[1:]):
        return exp.Null()
    return fn(
        "series_periods_detect_udf",
        _json(args[0]),
        _real(args[1]),
        _real(args[2]),
        _long(args[3], 0),
    )


def _periods_validate_bag(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _series_ok(ctx, args[0]):
        return exp.Null()
    if not all(_number_ok(ctx, a, "a period") for a in args[1:]):
        return exp.Null()
    periods = fn("series_json_array", *(fn("to_json", _real(a)) for a in args[1:]))
    return fn("series_periods_validate_udf", _json(args[0]), periods)


T("series_json_array", "json_array({args})")

_FIT_SIDES = tuple(
    (f"{side}_{k}", f"{side}.{k}", R)
    for side in ("right", "left")
    for k in ("rsquare", "slope", "interception", "variance", "rvariance")
)

# name: (arity, bag lowering, columns, status, note)
_SEVERAL: dict[str, tuple[tuple[int, int], Lowering, tuple[Column, ...], str, str]] = {
    "series_stats": (
        (1, 2),
        _stats_lower,
        _cols(
            ("min", R),
            ("min_idx", L),
            ("max", R),
            ("max_idx", L),
            ("avg", R),
            ("stdev", R),
            ("variance", R),
        ),
        "supported",
        "sample variance; see series_stats_dynamic for non-finite values",
    ),
    "series_fit_line": (
        (1, 1),
        _on_series("series_fit_line_udf"),
        _cols(
            ("rsquare", R),
            ("slope", R),
            ("variance", R),
            ("rvariance", R),
            ("interception", R),
            ("line_fit", DYN),
        ),
        "supported",
        "x is 1..n; variances are sample variances",
    ),
    "series_fit_2lines": (
        (1, 1),
        _on_series("series_fit_2lines_udf"),
        _cols(
            ("rsquare", R), ("split_idx", L), ("variance", R), ("rvariance", R), ("line_fit", DYN)
        )
        + _FIT_SIDES,
        "partial",
        "as series_fit_2lines_dynamic",
    ),
    "series_periods_detect": (
        (4, 4),
        _periods_detect_bag,
        _cols(("periods", DYN), ("scores", DYN)),
        "partial",
        "candidate periods from the periodogram refined by autocorrelation (AutoPeriod); Kusto's "
        "scoring is not documented and its scores differ (0.84 where this gives 0.96)",
    ),
    "series_periods_validate": (
        (2, 17),
        _periods_validate_bag,
        _cols(("periods", DYN), ("scores", DYN)),
        "partial",
        "scores are overlap-corrected autocorrelations, not Kusto's undocumented score",
    ),
    "series_decompose_anomalies": (
        (1, 7),
        _anomalies_bag,
        (("ad_flag", "ad_flag", DYN), ("ad_score", "ad_score", DYN), ("baseline", "baseline", DYN)),
        "partial",
        "series_decompose's baseline, then Tukey scores of the residual (ctukey 10/90 by "
        "default); Kusto's exact scores may differ",
    ),
    "series_decompose": (
        (1, 5),
        _decompose_bag,
        _cols(("baseline", DYN), ("seasonal", DYN), ("trend", DYN), ("residual", DYN)),
        "partial",
        "seasonal = per-phase medians, trend avg/linefit/none as documented; the automatic "
        "period is series_periods_detect's approximation",
    ),
}

for _name, ((_lo, _hi), _bag, _columns, _status, _note) in _SEVERAL.items():
    add(
        FunctionSpec(
            _name,
            _lo,
            _hi,
            KType.DYNAMIC,
            _struct_of(_bag, _columns),
            status=_status,
            note=_note,
            outputs=tuple((suffix, t) for suffix, _, t in _columns),
        )
    )


# ------------------------------------------------------------------ Spark translations
# Series are JSON arrays held as text on Spark: elements are read with SP.elements and the
# results written back with SP.array. Spark's BIGINT arithmetic wraps like .NET's unchecked
# (with spark.sql.ansi.enabled false, Spark 3.5's default).

_SX, _SY = "kql_series_x", "kql_series_y"


def _sp_is_int(x: str) -> str:
    return f"({x} RLIKE '^-?[0-9]+$')"


def _sp_is_num(x: str) -> str:
    return (
        f"({x} RLIKE '^-?[0-9]+(\\\\.[0-9]+)?([eE][-+]?[0-9]+)?$' "
        f"OR {x} IN ('NaN', 'Infinity', '-Infinity'))"
    )


def _sp_dbl(x: str) -> str:
    return f"CAST({x} AS DOUBLE)"


def _sp_long(x: str) -> str:
    return f"CAST({x} AS BIGINT)"


def _sp_map1(arr: str, elem: Callable[[str], str]) -> str:
    return SP.array(f"transform({SP.elements(arr, _SX)}, {_SX} -> {elem(_SX)})", "kql_series_o")


def _sp_map2(a: str, b: str, shape: str, elem: Callable[[str, str], str]) -> str:
    if shape == "aa":
        zipped = (
            f"zip_with({SP.elements(a, _SX)}, {SP.elements(b, _SY)}, "
            f"({_SX}, {_SY}) -> {elem(_SX, _SY)})"
        )
        return f"CASE WHEN startswith({a}, '[') AND startswith({b}, '[') THEN {SP.array(zipped, 'kql_series_o')} END"
    if shape == "as":
        return _sp_map1(a, lambda e: elem(e, b))
    return _sp_map1(b, lambda e: elem(a, e))


def _sp_arith(op: str) -> Callable[[str, str], str]:
    def elem(x: str, y: str) -> str:
        return (
            f"CASE WHEN {_sp_is_int(x)} AND {_sp_is_int(y)} "
            f"THEN CAST({_sp_long(x)} {op} {_sp_long(y)} AS STRING) "
            f"WHEN {_sp_is_num(x)} AND {_sp_is_num(y)} THEN {SP.quote_number(f'{_sp_dbl(x)} {op} {_sp_dbl(y)}')} END"
        )

    return elem


def _sp_divide(x: str, y: str) -> str:
    dx, dy = _sp_dbl(x), _sp_dbl(y)
    quotient = (
        f"CASE WHEN {dy} = 0 THEN CASE WHEN {dx} > 0 THEN double('Infinity') "
        f"WHEN {dx} < 0 THEN double('-Infinity') ELSE double('NaN') END ELSE {dx} / {dy} END"
    )
    return f"CASE WHEN {_sp_is_num(x)} AND {_sp_is_num(y)} THEN {SP.quote_number(quotient)} END"


def _sp_pow(x: str, y: str) -> str:
    return f"CASE WHEN {_sp_is_num(x)} AND {_sp_is_num(y)} THEN {SP.quote_number(f'pow({_sp_dbl(x)}, {_sp_dbl(y)})')} END"


def _sp_compare(op: str) -> Callable[[str, str], str]:
    nan_result = "true" if op == "<>" else "false"

    def elem(x: str, y: str) -> str:
        dx, dy = _sp_dbl(x), _sp_dbl(y)
        return (
            f"CASE WHEN {_sp_is_int(x)} AND {_sp_is_int(y)} "
            f"THEN CAST({_sp_long(x)} {op} {_sp_long(y)} AS STRING) "
            f"WHEN {_sp_is_num(x)} AND {_sp_is_num(y)} THEN CAST(CASE WHEN isnan({dx}) OR isnan({dy}) "
            f"THEN {nan_result} ELSE {dx} {op} {dy} END AS STRING) END"
        )

    return elem


def _sp_real_fn(body: Callable[[str], str]) -> Callable[[str], str]:
    return lambda x: f"CASE WHEN {_sp_is_num(x)} THEN {SP.quote_number(body(_sp_dbl(x)))} END"


def _sp_rounding(fn_name: str) -> Callable[[str], str]:
    # Spark's ceil/floor are BIGINT: Kusto's series_ceiling/series_floor are reals
    return _sp_real_fn(
        lambda d: (
            f"CASE WHEN isnan({d}) OR abs({d}) >= 9.0E18 THEN {d} "
            f"ELSE CAST({fn_name}({d}) AS DOUBLE) END"
        )
    )


_SP_UNARY: dict[str, Callable[[str], str]] = {
    "series_abs": lambda x: (
        f"CASE WHEN {_sp_is_int(x)} THEN CAST(abs({_sp_long(x)}) AS STRING) "
        f"WHEN {_sp_is_num(x)} THEN {SP.quote_number(f'abs({_sp_dbl(x)})')} END"
    ),
    "series_sign": lambda x: (
        f"CASE WHEN {_sp_is_int(x)} THEN CAST(CAST(signum({_sp_long(x)}) AS BIGINT) AS STRING) "
        f"WHEN {_sp_is_num(x)} THEN {SP.quote_number(f'signum({_sp_dbl(x)})')} END"
    ),
    "series_acos": _sp_real_fn(lambda d: f"acos({d})"),
    "series_asin": _sp_real_fn(lambda d: f"asin({d})"),
    "series_atan": _sp_real_fn(lambda d: f"atan({d})"),
    "series_cos": _sp_real_fn(lambda d: f"cos({d})"),
    "series_sin": _sp_real_fn(lambda d: f"sin({d})"),
    "series_tan": _sp_real_fn(lambda d: f"tan({d})"),
    "series_exp": _sp_real_fn(lambda d: f"exp({d})"),
    # Spark's ln is null at and below 0
    "series_log": _sp_real_fn(
        lambda d: (
            f"CASE WHEN {d} = 0 THEN double('-Infinity') WHEN {d} < 0 THEN double('NaN') "
            f"ELSE ln({d}) END"
        )
    ),
    "series_ceiling": _sp_rounding("ceil"),
    "series_floor": _sp_rounding("floor"),
}
_SP_BINARY: dict[str, Callable[[str, str], str]] = {
    "series_add": _sp_arith("+"),
    "series_subtract": _sp_arith("-"),
    "series_multiply": _sp_arith("*"),
    "series_divide": _sp_divide,
    "series_pow": _sp_pow,
    "series_equals": _sp_compare("="),
    "series_not_equals": _sp_compare("<>"),
    "series_greater": _sp_compare(">"),
    "series_greater_equals": _sp_compare(">="),
    "series_less": _sp_compare("<"),
    "series_less_equals": _sp_compare("<="),
}


def _sp_unary_sql(elem: Callable[[str], str]) -> Callable[[list[str]], str]:
    return lambda a: _sp_map1(a[0], elem)


def _sp_binary_sql(shape: str, elem: Callable[[str, str], str]) -> Callable[[list[str]], str]:
    return lambda a: _sp_map2(a[0], a[1], shape, elem)


for _name, _sp_elem in _SP_UNARY.items():
    FAMILY.spark(_name, _sp_unary_sql(_sp_elem))
for _name, _sp_elem2 in _SP_BINARY.items():
    for _shape_name in ("aa", "as", "sa"):
        FAMILY.spark(f"{_name}_{_shape_name}", _sp_binary_sql(_shape_name, _sp_elem2))


def _sp_numbers(arr: str) -> str:
    """The numeric elements of a JSON array as doubles (others skipped)."""
    return (
        f"transform(filter({SP.elements(arr, _SX)}, {_SX} -> {_sp_is_num(_SX)}), "
        f"{_SX} -> {_sp_dbl(_SX)})"
    )


def _sp_sum(values: str, start: str) -> str:
    return f"aggregate({values}, {start}, (kql_series_s, {_SY}) -> kql_series_s + {_SY})"


FAMILY.spark(
    "series_sum",
    lambda a: f"CASE WHEN startswith({a[0]}, '[') THEN {_sp_sum(_sp_numbers(a[0]), '0D')} END",
)
FAMILY.spark(
    "series_product",
    lambda a: (
        f"CASE WHEN startswith({a[0]}, '[') THEN aggregate({_sp_numbers(a[0])}, 1D, "
        f"(kql_series_s, {_SY}) -> kql_series_s * {_SY}) END"
    ),
)
FAMILY.spark(
    "series_magnitude",
    lambda a: SP.let(
        _sp_numbers(a[0]),
        "kql_series_l",
        f"CASE WHEN size(kql_series_l) > 0 THEN sqrt("
        f"{_sp_sum(f'transform(kql_series_l, {_SX} -> {_SX} * {_SX})', '0D')}) END",
    ),
)


def _sp_dot(shape: str) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        if shape == "aa":
            products = (
                f"zip_with({SP.elements(a[0], _SX)}, {SP.elements(a[1], _SY)}, ({_SX}, {_SY}) -> "
                f"CASE WHEN {_sp_is_num(_SX)} AND {_sp_is_num(_SY)} "
                f"THEN {_sp_dbl(_SX)} * {_sp_dbl(_SY)} END)"
            )
            present = f"filter({products}, kql_series_p -> kql_series_p IS NOT NULL)"
            return SP.let(
                present,
                "kql_series_l",
                f"CASE WHEN startswith({a[0]}, '[') AND startswith({a[1]}, '[') "
                f"AND size(kql_series_l) > 0 THEN {_sp_sum('kql_series_l', '0D')} END",
            )
        arr, scalar = (a[0], a[1]) if shape == "as" else (a[1], a[0])
        return SP.let(
            _sp_numbers(arr),
            "kql_series_l",
            f"CASE WHEN size(kql_series_l) > 0 THEN "
            f"{_sp_sum(f'transform(kql_series_l, {_SX} -> {_SX} * {scalar})', '0D')} END",
        )

    return render


for _shape_name in ("aa", "as", "sa"):
    FAMILY.spark(f"series_dot_product_{_shape_name}", _sp_dot(_shape_name))
