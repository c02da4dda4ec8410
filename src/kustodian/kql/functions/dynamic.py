"""Dynamic values: arrays and property bags (pack_array, bag_*, array_*, set_*, zip, range...).

A dynamic value is DuckDB JSON. Array operations cast the JSON array to a `JSON[]` list, work on
the list with lambdas and turn the result back into JSON with `to_json`; bags go through
`MAP(VARCHAR, JSON)`, which keeps the keys in their order. Every operation first checks the
JSON type, so that a non-array (or non-bag) input gives Kusto's null instead of a cast error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions import spark as SP
from kustodian.kql.functions import templates
from kustodian.kql.functions.base import (
    Arg,
    Ctx,
    Family,
    FunctionSpec,
    render_template,
    to_dynamic,
    to_long,
    to_string,
    to_type,
)
from kustodian.kql.sqlnodes import cast, fn, lit
from kustodian.kql.types import KType, type_from_name

FAMILY = Family("dynamic")
add = FAMILY.add
T = FAMILY.template

MAX_RANGE = 1_048_576  # Kusto's cap on the elements of range()
NUMERIC_JSON = "('BIGINT', 'UBIGINT', 'DOUBLE')"

Lowering = Callable[[Ctx, list[Arg]], exp.Expression]


# ------------------------------------------------------------------ SQL text helpers


def _is_array(a: str) -> str:
    return f"json_type({a}) = 'ARRAY'"


def _jtype(x: str) -> str:
    """The JSON type of a list element: JSON nulls are SQL NULLs in a JSON[] list."""
    return f"COALESCE(json_type({x}), 'NULL')"


def _list(a: str) -> str:
    """The JSON[] list of a JSON array, NULL for any other value."""
    return f"(CASE WHEN {_is_array(a)} THEN CAST({a} AS JSON[]) END)"


def _entries(a: str) -> str:
    """The {key, value} entries of a JSON object, in order; NULL for any other value."""
    return f"(CASE WHEN json_type({a}) = 'OBJECT' THEN map_entries(CAST({a} AS MAP(VARCHAR, JSON))) END)"


def _object(entries: str) -> str:
    """A JSON object from a list of {key, value} entries with distinct keys."""
    return f"to_json(map_from_entries({entries}))"


def _no_entries() -> str:
    return "[]::STRUCT(key VARCHAR, value JSON)[]"


def _distinct(lst: str, var: str) -> str:
    """The distinct elements of a list, in order of first appearance."""
    return f"list_filter({lst}, lambda {var}, {var}_i: list_position({lst}, {var}) = {var}_i)"


def _core(op: str, *args: str) -> str:
    """The DuckDB text of another family's operation (text forms of values)."""
    return render_template(templates("duckdb")[op], list(args))


# ------------------------------------------------------------------ argument checks


def _dynamic_args(ctx: Ctx, args: Sequence[Arg], bag: bool = False) -> bool:
    """Kusto rejects non-dynamic arguments (a string is not parsed) at compile time."""
    for i, a in enumerate(args):
        if a.type not in (KType.DYNAMIC, KType.NULL):
            what, ks = ("a dynamic bag", "KS235") if bag else ("a dynamic array", "KS234")
            ctx.error(
                D.type_error(
                    f"argument {i + 1} of {ctx.name}() must be {what}, not {a.type}",
                    a.span,
                    "convert text with parse_json()" if a.type is KType.STRING else None,
                    ks=ks,
                )
            )
            return False
    return True


def _integer_arg(ctx: Ctx, a: Arg, what: str, ks: str = "KS134") -> bool:
    if a.type in (KType.INT, KType.LONG, KType.NULL):
        return True
    ctx.error(
        D.type_error(f"{what} of {ctx.name}() must be an integer, not {a.type}", a.span, ks=ks)
    )
    return False


def _not_constant(ctx: Ctx, what: str, a: Arg) -> exp.Expression:
    return ctx.error(
        D.Diagnostic(
            "KQL2008", f"{what} of {ctx.name}() must be a constant", a.span, ks_code="KS129"
        )
    )


def _arity(ctx: Ctx, got: int, expected: str) -> exp.Expression:
    return ctx.error(
        D.Diagnostic(
            "KQL2004",
            f"function '{ctx.name}' expects {expected} arguments, got {got}",
            ctx.span,
            ks_code="KS121",
        )
    )


def _scalar(a: Arg) -> bool:
    return not isinstance(a.sql, exp.Star)


def _dyn(a: Arg) -> exp.Expression:
    """An argument as a JSON value (Kusto's implicit conversion to dynamic)."""
    if a.type is KType.NULL:
        return cast(exp.Null(), KType.DYNAMIC)
    return to_dynamic(a)


def _bigint(a: Arg) -> exp.Expression:
    return cast(exp.Null(), KType.LONG) if a.type is KType.NULL else to_long(a)


def _dynamic_fn(op: str, bag: bool = False) -> Lowering:
    """A lowering that checks that all the arguments are dynamic (arrays, or bags)."""

    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        if not _dynamic_args(ctx, args, bag):
            return exp.Null()
        return fn(op, *(a.sql for a in args))

    return lower


# ------------------------------------------------------------------ array basics

T(
    "dyn_array_length",
    lambda a: f"CASE WHEN {_is_array(a[0])} THEN CAST(json_array_length({a[0]}) AS BIGINT) END",
    lambda a: f"CAST(json_array_length({a[0]}) AS BIGINT)",
)
add(
    FunctionSpec(
        "array_length", 1, 1, KType.LONG, _dynamic_fn("dyn_array_length"), aliases=("arraylength",)
    )
)


def _pack_array(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not all(_scalar(a) for a in args):
        return ctx.error(D.unsupported("pack_array(*)", ctx.span, "list the columns"))
    return fn("dyn_pack_array", *(_dyn(a) for a in args))


T("dyn_pack_array", "json_array({args})")
add(
    FunctionSpec(
        "pack_array",
        1,
        None,
        KType.DYNAMIC,
        _pack_array,
        status="partial",
        note="pack_array(*) is not supported",
    )
)

T("dyn_array_reverse", lambda a: f"to_json(list_reverse({_list(a[0])}))")
add(FunctionSpec("array_reverse", 1, 1, KType.DYNAMIC, _dynamic_fn("dyn_array_reverse")))


def _array_concat_sql(a: list[str]) -> str:
    arrays = " AND ".join(_is_array(x) for x in a)
    lists = ", ".join(f"CAST({x} AS JSON[])" for x in a)
    body = f"list_concat({lists})" if len(a) > 1 else f"CAST({a[0]} AS JSON[])"
    return f"CASE WHEN {arrays} THEN to_json({body}) END"


T("dyn_array_concat", _array_concat_sql)
add(
    FunctionSpec(
        "array_concat",
        1,
        64,
        KType.DYNAMIC,
        _dynamic_fn("dyn_array_concat"),
        note="null when any argument is not an array",
    )
)


def _array_slice_sql(a: list[str]) -> str:
    arr, start, end = a
    n = f"CAST(json_array_length({arr}) AS BIGINT)"
    s = f"greatest(CASE WHEN {start} < 0 THEN {n} + {start} ELSE {start} END, 0)"
    e = f"least(CASE WHEN {end} < 0 THEN {n} + {end} ELSE {end} END, {n} - 1)"
    return f"to_json(list_slice({_list(arr)}, {s} + 1, {e} + 1))"


def _array_slice(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not (
        _dynamic_args(ctx, args[:1])
        and _integer_arg(ctx, args[1], "the start")
        and _integer_arg(ctx, args[2], "the end")
    ):
        return exp.Null()
    return fn("dyn_array_slice", args[0].sql, _bigint(args[1]), _bigint(args[2]))


T("dyn_array_slice", _array_slice_sql)
add(FunctionSpec("array_slice", 3, 3, KType.DYNAMIC, _array_slice))


# ------------------------------------------------------------------ searching


def _index_of_sql(numeric: bool) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        arr, value, start, length, occurrence = a
        eq = (
            f"(json_type(__x) IN {NUMERIC_JSON} AND TRY_CAST(__x AS DOUBLE) = CAST({value} AS DOUBLE))"
            if numeric
            else f"(__x = {value})"
        )
        n = f"CAST(json_array_length({arr}) AS BIGINT)"
        s = f"greatest(CASE WHEN {start} < 0 THEN {n} + {start} ELSE {start} END, 0)"
        e = f"CASE WHEN {length} = -1 THEN {n} ELSE least({s} + {length}, {n}) END"
        hits = (
            f"list_filter(list_transform(list_slice({_list(arr)}, {s} + 1, {e}), "
            f"lambda __x, __i: CASE WHEN {eq} THEN __i END), lambda __i: __i IS NOT NULL)"
        )
        return (
            f"CASE WHEN NOT COALESCE({_is_array(arr)}, false) OR {length} < -1 OR {occurrence} < 0 THEN NULL "
            f"ELSE COALESCE(CAST(({hits})[greatest({occurrence}, 1)] AS BIGINT) + {s} - 1, -1) END"
        )

    return render


def _array_index_of(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _dynamic_args(ctx, args[:1]):
        return exp.Null()
    for a, what in zip(args[2:], ("the start", "the length", "the occurrence"), strict=False):
        if not _integer_arg(ctx, a, what):
            return exp.Null()
    value = args[1]
    start = _bigint(args[2]) if len(args) > 2 else lit(0)
    length = _bigint(args[3]) if len(args) > 3 else lit(-1)
    occurrence = _bigint(args[4]) if len(args) > 4 else lit(1)
    op = "dyn_index_of_number" if value.type.is_numeric else "dyn_index_of"
    return fn(op, args[0].sql, _lookup(value), start, length, occurrence)


def _lookup(value: Arg) -> exp.Expression:
    return value.sql if value.type.is_numeric else fn("dyn_json_normal", _dyn(value))


T("dyn_json_normal", "json({0})")
T("dyn_index_of", _index_of_sql(False))
T("dyn_index_of_number", _index_of_sql(True))
add(FunctionSpec("array_index_of", 2, 5, KType.LONG, _array_index_of))


def _set_has_element(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _dynamic_args(ctx, args[:1]):
        return exp.Null()
    op = "dyn_has_number" if args[1].type.is_numeric else "dyn_has_element"
    return fn(op, args[0].sql, _lookup(args[1]))


T("dyn_has_element", lambda a: f"COALESCE(list_contains({_list(a[0])}, {a[1]}), false)")
T(
    "dyn_has_number",
    lambda a: (
        f"COALESCE(list_bool_or(list_transform({_list(a[0])}, lambda __x: json_type(__x) IN "
        f"{NUMERIC_JSON} AND TRY_CAST(__x AS DOUBLE) = CAST({a[1]} AS DOUBLE))), false)"
    ),
)
add(FunctionSpec("set_has_element", 2, 2, KType.BOOL, _set_has_element))


# ------------------------------------------------------------------ reshaping


def _rotate_sql(sign: int) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        arr, k = a
        lst, n = _list(arr), f"len({_list(arr)})"
        shift = f"({k})" if sign > 0 else f"(-({k}))"
        idx = f"((((__i + {shift}) % {n}) + {n}) % {n}) + 1"
        return f"to_json(list_transform(range({n}), lambda __i: {lst}[{idx}]))"

    return render


def _shift_sql(sign: int) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        arr, k, default = a
        lst, n = _list(arr), f"len({_list(arr)})"
        shift = f"({k})" if sign > 0 else f"(-({k}))"
        return (
            f"to_json(list_transform(range({n}), lambda __i: CASE WHEN __i + {shift} >= 0 AND "
            f"__i + {shift} < {n} THEN {lst}[__i + {shift} + 1] ELSE {default} END))"
        )

    return render


def _moves(op: str, with_default: bool) -> Lowering:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        if not (_dynamic_args(ctx, args[:1]) and _integer_arg(ctx, args[1], "the count")):
            return exp.Null()
        sql = [args[0].sql, _bigint(args[1])]
        if with_default:
            sql.append(_dyn(args[2]) if len(args) > 2 else cast(exp.Null(), KType.DYNAMIC))
        return fn(op, *sql)

    return lower


for _name, _sign in (("left", 1), ("right", -1)):
    T(f"dyn_rotate_{_name}", _rotate_sql(_sign))
    T(f"dyn_shift_{_name}", _shift_sql(_sign))
    add(
        FunctionSpec(
            f"array_rotate_{_name}", 2, 2, KType.DYNAMIC, _moves(f"dyn_rotate_{_name}", False)
        )
    )
    add(
        FunctionSpec(
            f"array_shift_{_name}",
            2,
            3,
            KType.DYNAMIC,
            _moves(f"dyn_shift_{_name}", True),
            status="partial",
            note='the default fill value is null (Kusto uses "" for some arrays of strings)',
        )
    )


def _split_sql(a: list[str]) -> str:
    arr, bounds = a
    lst, n = _list(arr), f"len({_list(arr)})"
    clamp = f"lambda __b: least(greatest(CASE WHEN __b < 0 THEN {n} + __b ELSE __b END, 0), {n})"
    edges = f"list_concat([0], list_transform({bounds}, {clamp}), [{n}])"
    return (
        f"CASE WHEN {_is_array(arr)} THEN to_json(list_transform(range(len({edges}) - 1), "
        f"lambda __j: list_slice({lst}, {edges}[__j + 1] + 1, {edges}[__j + 2]))) END"
    )


def _array_split(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _dynamic_args(ctx, args[:1]):
        return exp.Null()
    idx = args[1]
    if idx.type is KType.DYNAMIC:
        bounds = fn("dyn_long_list", idx.sql)
    elif _integer_arg(ctx, idx, "the split index"):
        bounds = fn("dyn_one_long", _bigint(idx))
    else:
        return exp.Null()
    return fn("dyn_array_split", args[0].sql, bounds)


T("dyn_long_list", lambda a: f"list_transform({_list(a[0])}, lambda __x: TRY_CAST(__x AS BIGINT))")
T("dyn_one_long", "[{0}]")
T("dyn_array_split", _split_sql)
add(FunctionSpec("array_split", 2, 2, KType.DYNAMIC, _array_split))


def _array_sum_sql(a: list[str]) -> str:
    lst = _list(a[0])
    numeric = f"list_bool_and(list_transform({lst}, lambda __x: {_jtype('__x')} IN {NUMERIC_JSON}))"
    total = f"COALESCE(list_sum(list_transform({lst}, lambda __x: CAST(__x AS DOUBLE))), 0.0)"
    return f"CASE WHEN {_is_array(a[0])} AND COALESCE({numeric}, true) THEN {total} END"


T("dyn_array_sum", _array_sum_sql)
add(FunctionSpec("array_sum", 1, 1, KType.REAL, _dynamic_fn("dyn_array_sum")))


# ------------------------------------------------------------------ array_iff


def _array_iff(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not _dynamic_args(ctx, args[:1]):
        return exp.Null()
    cond, yes, no = args
    op = "dyn_array_iff_" + "".join("a" if a.type is KType.DYNAMIC else "s" for a in (yes, no))
    return fn(op, cond.sql, _dyn(yes), _dyn(no))


def _branch(v: str, dynamic: bool) -> str:
    """A when_true/when_false value for the element `i` (1-based): dynamic arrays are indexed,
    scalars (and dynamic non-arrays) repeat."""
    if not dynamic:
        return v
    return (
        f"CASE WHEN {_is_array(v)} THEN json_extract({v}, '$[' || CAST(__i - 1 AS VARCHAR) || ']') "
        f"ELSE {v} END"
    )


def _array_iff_sql(yes_dynamic: bool, no_dynamic: bool) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        cond, yes, no = a
        c = (
            "CASE json_type(__x) WHEN 'BOOLEAN' THEN CAST(__x AS BOOLEAN) "
            "WHEN 'BIGINT' THEN CAST(__x AS DOUBLE) <> 0 WHEN 'UBIGINT' THEN CAST(__x AS DOUBLE) <> 0 "
            "WHEN 'DOUBLE' THEN CAST(__x AS DOUBLE) <> 0 END"
        )
        return (
            f"to_json(list_transform({_list(cond)}, lambda __x, __i: CASE WHEN {c} THEN "
            f"{_branch(yes, yes_dynamic)} WHEN NOT ({c}) THEN {_branch(no, no_dynamic)} END))"
        )

    return render


for _yes in (True, False):
    for _no in (True, False):
        T(
            "dyn_array_iff_" + ("a" if _yes else "s") + ("a" if _no else "s"),
            _array_iff_sql(_yes, _no),
        )
add(FunctionSpec("array_iff", 3, 3, KType.DYNAMIC, _array_iff, aliases=("array_iif",)))


# ------------------------------------------------------------------ sorting


def _sort_key(var: str, index: str) -> str:
    """A struct that orders JSON elements as Kusto does: numbers, then strings, then the rest;
    `index` last keeps equal elements in their order."""
    category = (
        f"CASE WHEN json_type({var}) IN {NUMERIC_JSON} THEN 0 "
        f"WHEN json_type({var}) = 'VARCHAR' THEN 1 ELSE 2 END"
    )
    number = f"CASE WHEN json_type({var}) IN {NUMERIC_JSON} THEN CAST({var} AS DOUBLE) END"
    text = f"CASE WHEN json_type({var}) = 'VARCHAR' THEN json_extract_string({var}, '$') END"
    return (
        f"{{'c': {category}, 'n': {number}, 's': {text}, 'o': CAST({var} AS VARCHAR), "
        f"'i': {index}}}"
    )


def _sort_sql(descending: bool, nulls_last: bool) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        first = _list(a[0])
        # descending: the index is negated so that equal elements keep their order
        key = _sort_key(f"{first}[__i]", "-__i" if descending else "__i")
        order = "'DESC'" if descending else "'ASC'"
        values = (
            f"list_transform(list_sort(list_transform(list_filter(range(1, len({first}) + 1), "
            f"lambda __i: {_jtype(f'{first}[__i]')} <> 'NULL'), lambda __i: {key}), {order}), "
            f"lambda __k: abs(__k.i))"
        )
        nulls = f"list_filter(range(1, len({first}) + 1), lambda __i: {_jtype(f'{first}[__i]')} = 'NULL')"
        perm = (
            f"list_concat({values}, {nulls})" if nulls_last else f"list_concat({nulls}, {values})"
        )
        out = []
        for arr in a:
            lst = _list(arr)
            out.append(
                f"CASE WHEN len({lst}) = len({first}) THEN "
                f"to_json(list_transform({perm}, lambda __p: {lst}[__p])) END"
            )
        if len(out) == 1:
            return out[0]
        return f"CASE WHEN {_is_array(a[0])} THEN json_array({', '.join(out)}) END"

    return render


def _array_sort(descending: bool) -> Lowering:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        nulls_last = True
        arrays = args
        if args[-1].type is KType.BOOL:
            flag, arrays = args[-1], args[:-1]
            if not flag.is_const:
                return _not_constant(ctx, "the nulls_last argument", flag)
            nulls_last = bool(flag.const)
        if not arrays:
            return _arity(ctx, len(args), "at least 1 array and")
        if not _dynamic_args(ctx, arrays):
            return exp.Null()
        op = f"dyn_sort_{'desc' if descending else 'asc'}_{'last' if nulls_last else 'first'}"
        return fn(op, *(a.sql for a in arrays))

    return lower


for _desc in (False, True):
    for _last in (False, True):
        T(
            f"dyn_sort_{'desc' if _desc else 'asc'}_{'last' if _last else 'first'}",
            _sort_sql(_desc, _last),
        )
    add(
        FunctionSpec(
            f"array_sort_{'desc' if _desc else 'asc'}",
            1,
            65,
            KType.DYNAMIC,
            _array_sort(_desc),
            status="partial",
            note="with several arrays the result is one dynamic array of the reordered arrays "
            "(index it with [i]), not one column per array; datetimes in dynamic arrays sort as "
            "their text",
        )
    )


# ------------------------------------------------------------------ sets


def _set_sql(kind: str) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        lists = [f"COALESCE({_list(x)}, []::JSON[])" for x in a]
        if kind == "union":
            concat = "list_concat(" + ", ".join(lists) + ")"
            return f"to_json({_distinct(concat, '__x')})"
        first = _distinct(lists[0], "__x")
        test = " AND ".join(
            f"list_position({lst}, __y) IS {'NOT ' if kind == 'intersect' else ''}NULL"
            for lst in lists[1:]
        )
        return f"to_json(list_filter({first}, lambda __y: {test}))"

    return render


for _kind in ("union", "intersect", "difference"):
    T(f"dyn_set_{_kind}", _set_sql(_kind))
    add(
        FunctionSpec(
            f"set_{_kind}",
            2,
            64,
            KType.DYNAMIC,
            _dynamic_fn(f"dyn_set_{_kind}"),
            note="elements compare by their JSON text; a non-array argument counts as empty",
        )
    )


def _jaccard_sql(a: list[str]) -> str:
    x, y = (_distinct(f"COALESCE({_list(v)}, []::JSON[])", "__e") for v in a)
    inter = f"len(list_filter({x}, lambda __u: list_position({y}, __u) IS NOT NULL))"
    # Kusto types the result dynamic (a real inside)
    return f"to_json(CAST({inter} AS DOUBLE) / (len({x}) + len({y}) - {inter}))"


T("dyn_jaccard", _jaccard_sql)
add(FunctionSpec("jaccard_index", 2, 2, KType.DYNAMIC, _dynamic_fn("dyn_jaccard")))


def _zip_sql(a: list[str]) -> str:
    lists = [_list(x) for x in a]
    n = f"greatest({', '.join(f'len({x})' for x in lists)})"
    row = ", ".join(f"{x}[__i]" for x in lists)
    arrays = " AND ".join(_is_array(x) for x in a)
    return f"CASE WHEN {arrays} THEN to_json(list_transform(range(1, {n} + 1), lambda __i: json_array({row}))) END"


T("dyn_zip", _zip_sql)
add(
    FunctionSpec(
        "zip",
        2,
        64,
        KType.DYNAMIC,
        _dynamic_fn("dyn_zip"),
        note="null when any argument is not an array",
    )
)


# ------------------------------------------------------------------ property bags


def _json_path(text: str) -> list[str] | None:
    """The keys of a Kusto JSONPath to a nested bag key (`$.a.b`, `$['a']["b"]`), or None when
    it is not one (array indexes are not supported by the bag functions). A text that does not
    start with `$` is one root key."""
    if not text.startswith("$"):
        return [text]
    keys: list[str] = []
    pos = 1
    token = re.compile(
        r"""\.([^.\[\]'"]+)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]"""
    )
    while pos < len(text):
        m = token.match(text, pos)
        if m is None:
            return None
        key = next(g for g in m.groups() if g is not None)
        keys.append(re.sub(r"\\(.)", r"\1", key))
        pos = m.end()
    return keys or None


def _is_bag(a: str) -> str:
    return f"json_type({a}) = 'OBJECT'"


def _dedupe(entries: str) -> str:
    """Entries with the first occurrence of each key (the first bag wins)."""
    keys = f"list_transform({entries}, lambda __f: __f.key)"
    return f"list_filter({entries}, lambda __e, __i: list_position({keys}, __e.key) = __i)"


T("dyn_bag_keys", lambda a: f"CASE WHEN {_is_bag(a[0])} THEN to_json(json_keys({a[0]})) END")
add(FunctionSpec("bag_keys", 1, 1, KType.DYNAMIC, _dynamic_fn("dyn_bag_keys", bag=True)))

T(
    "dyn_bag_get",
    lambda a: f"CASE WHEN {_is_bag(a[0])} THEN CAST({a[0]} AS MAP(VARCHAR, JSON))[{a[1]}] END",
)
T("dyn_as_bag", lambda a: f"CASE WHEN {_is_bag(a[0])} THEN {a[0]} ELSE json('{{}}') END")
T(
    "dyn_bag_has",
    lambda a: (
        f"COALESCE(list_contains(CASE WHEN {_is_bag(a[0])} THEN json_keys({a[0]}) END, {a[1]}), false)"
    ),
)
T(
    "dyn_bag_put",  # sets a key (in place when present); NULL when the input is not a bag
    lambda a: (
        f"CASE WHEN {_is_bag(a[0])} THEN {_object(f'''CASE WHEN list_contains(json_keys({a[0]}), {a[1]}) THEN list_transform({_entries(a[0])}, lambda __e: CASE WHEN __e.key = {a[1]} THEN {{'key': __e.key, 'value': {a[2]}}} ELSE __e END) ELSE list_append({_entries(a[0])}, {{'key': {a[1]}, 'value': {a[2]}}}) END''')} END"
    ),
)
T(
    "dyn_bag_replace",  # like dyn_bag_put, but only an existing key; other values pass through
    lambda a: (
        f"CASE WHEN {_is_bag(a[0])} AND list_contains(json_keys({a[0]}), {a[1]}) THEN "
        f"{_object(f'''list_transform({_entries(a[0])}, lambda __e: CASE WHEN __e.key = {a[1]} THEN {{'key': __e.key, 'value': {a[2]}}} ELSE __e END)''')} "
        f"ELSE {a[0]} END"
    ),
)
T(
    "dyn_bag_remove",  # removes root keys (a VARCHAR[]); other values pass through
    lambda a: (
        f"CASE WHEN {_is_bag(a[0])} THEN "
        f"{_object(f'list_filter({_entries(a[0])}, lambda __e: NOT list_contains({a[1]}, __e.key))')} "
        f"ELSE {a[0]} END"
    ),
)
T("dyn_if_bag", lambda a: f"CASE WHEN {_is_bag(a[0])} THEN {a[1]} END")
T(
    "dyn_string_list",
    lambda a: f"list_transform({_list(a[0])}, lambda __x: json_extract_string(__x, '$'))",
)


def _bag_has_key(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    bag, key = args
    if not _dynamic_args(ctx, args[:1], bag=True):
        return exp.Null()
    if key.type is not KType.STRING:
        return ctx.error(
            D.type_error(
                f"the key of bag_has_key() must be a string, not {key.type}", key.span, ks="KS107"
            )
        )
    path = _json_path(key.const) if key.is_const else None
    if key.is_const and path is None:
        return ctx.error(
            D.type_error("bag_has_key() supports JSONPath keys without array indexes", key.span)
        )
    if path is None:
        return fn("dyn_bag_has", bag.sql, key.sql)
    target = bag.sql
    for k in path[:-1]:
        target = fn("dyn_bag_get", target, lit(k))
    return fn("dyn_bag_has", target, lit(path[-1]))


add(
    FunctionSpec(
        "bag_has_key",
        2,
        2,
        KType.BOOL,
        _bag_has_key,
        status="partial",
        note="a non-constant key is a root key name, not a JSONPath",
    )
)


def _set_path(bag: exp.Expression, path: list[str], value: exp.Expression) -> exp.Expression:
    if len(path) == 1:
        return fn("dyn_bag_put", bag, lit(path[0]), value)
    child = fn("dyn_as_bag", fn("dyn_bag_get", bag.copy(), lit(path[0])))
    return fn("dyn_bag_put", bag, lit(path[0]), _set_path(child, path[1:], value))


def _bag_set_key(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    bag, key, value = args
    if not _dynamic_args(ctx, args[:1], bag=True):
        return exp.Null()
    if key.type is not KType.STRING:
        return ctx.error(
            D.type_error(
                f"the key of bag_set_key() must be a string, not {key.type}", key.span, ks="KS107"
            )
        )
    if not key.is_const:
        return _not_constant(ctx, "the key", key)
    path = _json_path(key.const)
    if path is None:
        return ctx.error(
            D.type_error("bag_set_key() supports JSONPath keys without array indexes", key.span)
        )
    return _set_path(bag.sql, path, _dyn(value))


add(FunctionSpec("bag_set_key", 3, 3, KType.DYNAMIC, _bag_set_key))


# a key to remove (None) or a nested bag with keys to remove
RemoveTree = dict[str, "RemoveTree | None"]


def _remove_tree(paths: list[list[str]]) -> RemoveTree:
    tree: RemoveTree = {}
    for path in paths:
        node: RemoveTree | None = tree
        for k in path[:-1]:
            if node is None:
                break
            node = node.setdefault(k, {})
        if node is not None:
            node[path[-1]] = None
    return tree


def _remove(bag: exp.Expression, tree: RemoveTree) -> exp.Expression:
    leaves = [k for k, sub in tree.items() if sub is None]
    out = bag
    if leaves:
        out = fn("dyn_bag_remove", bag, exp.Array(expressions=[lit(k) for k in leaves]))
    for k, sub in tree.items():
        if sub is not None:
            child = _remove(fn("dyn_bag_get", out.copy(), lit(k)), sub)
            out = fn("dyn_bag_replace", out, lit(k), child)
    return out


def _bag_remove_keys(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not (_dynamic_args(ctx, args[:1], bag=True) and _dynamic_args(ctx, args[1:])):
        return exp.Null()
    bag, keys = args
    if not keys.is_const:
        return fn(
            "dyn_if_bag", bag.sql, fn("dyn_bag_remove", bag.sql, fn("dyn_string_list", keys.sql))
        )
    if not isinstance(keys.const, list) or not all(isinstance(k, str) for k in keys.const):
        return ctx.error(D.type_error("bag_remove_keys() needs an array of key names", keys.span))
    paths = [_json_path(k) for k in keys.const]
    if any(p is None for p in paths):
        return ctx.error(
            D.type_error(
                "bag_remove_keys() supports JSONPath keys without array indexes", keys.span
            )
        )
    tree = _remove_tree([p for p in paths if p is not None])
    return fn("dyn_if_bag", bag.sql, _remove(bag.sql, tree))


add(
    FunctionSpec(
        "bag_remove_keys",
        2,
        2,
        KType.DYNAMIC,
        _bag_remove_keys,
        status="partial",
        note="JSONPath keys need a constant key array; a non-constant one lists root keys",
    )
)


def _bag_merge_sql(a: list[str]) -> str:
    entries = (
        "list_concat(" + ", ".join(f"COALESCE({_entries(x)}, {_no_entries()})" for x in a) + ")"
    )
    return _object(_dedupe(entries))


T("dyn_bag_merge", _bag_merge_sql)
add(
    FunctionSpec(
        "bag_merge",
        2,
        64,
        KType.DYNAMIC,
        _dynamic_fn("dyn_bag_merge", bag=True),
        note="arguments that are not bags count as empty bags",
    )
)


def _bag_zip_sql(a: list[str]) -> str:
    keys, values = a
    entry = (
        f"CASE WHEN {_jtype('__k')} = 'VARCHAR' THEN {{'key': json_extract_string(__k, '$'), "
        f"'value': {_list(values)}[__i]}} END"
    )
    entries = f"list_filter(list_transform({_list(keys)}, lambda __k, __i: {entry}), lambda __e: __e IS NOT NULL)"
    return f"CASE WHEN {_is_array(keys)} THEN {_object(_dedupe(entries))} END"


T("dyn_bag_zip", _bag_zip_sql)
add(FunctionSpec("bag_zip", 2, 2, KType.DYNAMIC, _dynamic_fn("dyn_bag_zip")))


def _pack_pairs(ctx: Ctx, pairs: list[tuple[Arg, Arg]]) -> exp.Expression:
    """A bag from key/value pairs; a key given twice keeps its last value."""
    if all(k.is_const for k, _ in pairs):
        last: dict[str, Arg] = {}
        for k, v in pairs:
            last[str(k.const)] = v
        return fn("dyn_json_object", *(e for k, v in last.items() for e in (lit(k), _dyn(v))))
    # keys known only at run time may repeat: a JSON object must not (the MAP casts fail)
    return fn("dyn_pack_entries", *(e for k, v in pairs for e in (to_string(k), _dyn(v))))


def _pack_entries_sql(a: list[str]) -> str:
    entries = (
        "["
        + ", ".join(f"{{'key': {a[i]}, 'value': {a[i + 1]}}}" for i in range(0, len(a), 2))
        + "]"
    )
    return _object(f"list_reverse({_dedupe(f'list_reverse({entries})')})")


T("dyn_json_object", "json_object({args})")
T("dyn_pack_entries", _pack_entries_sql)


def _bag_pack(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if len(args) % 2:
        return _arity(ctx, len(args), "an even number of")
    pairs = [(args[i], args[i + 1]) for i in range(0, len(args), 2)]
    for k, _ in pairs:
        if k.type is not KType.STRING:
            return ctx.error(
                D.type_error(
                    f"the keys of {ctx.name}() must be strings, not {k.type}", k.span, ks="KS107"
                )
            )
    return _pack_pairs(ctx, pairs)


add(
    FunctionSpec("bag_pack", 2, None, KType.DYNAMIC, _bag_pack, aliases=("pack", "pack_dictionary"))
)


def _bag_pack_columns(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    from kustodian.kql import syntax as S

    pairs = []
    for a in args:
        if not isinstance(a.source, S.Name):
            return ctx.error(
                D.type_error("bag_pack_columns() takes column names", a.span, ks="KS109")
            )
        pairs.append((Arg(lit(a.source.name), KType.STRING, a.span, a.source.name), a))
    return _pack_pairs(ctx, pairs)


add(FunctionSpec("bag_pack_columns", 1, None, KType.DYNAMIC, _bag_pack_columns))


# ------------------------------------------------------------------ generated arrays

HOUR_TICKS = 36_000_000_000


def _range_count(start: str, stop: str, step: str, integer: bool) -> str:
    """How many elements start, start + step, ... up to stop has (capped); NULL for step 0."""
    if integer:
        up, down = f"({stop} - {start}) // {step} + 1", f"({start} - {stop}) // (-{step}) + 1"
    else:
        up = down = f"CAST(floor(({stop} - {start}) / {step}) AS BIGINT) + 1"
    n = (
        f"CASE WHEN {step} > 0 AND {stop} >= {start} THEN {up} "
        f"WHEN {step} < 0 AND {stop} <= {start} THEN {down} WHEN {step} <> 0 THEN 0 END"
    )
    return f"least({n}, {MAX_RANGE})"


def _range_sql(kind: str) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        start, stop, step = a
        n = _range_count(start, stop, step, kind != "real")
        value = f"{start} + __i * {step}"
        if kind == "datetime":
            value = _core("datetime_to_string", f"make_timestamp_ns({value})")
        elif kind == "timespan":
            value = _core("timespan_to_string", f"({value})")
        return f"CASE WHEN {step} <> 0 THEN to_json(list_transform(range({n}), lambda __i: {value})) END"

    return render


for _kind in ("long", "real", "datetime", "timespan"):
    T(f"dyn_range_{_kind}", _range_sql(_kind))


def _range(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    from kustodian.kql.sqlnodes import epoch_ns

    start, stop = args[0], args[1]
    step = args[2] if len(args) > 2 else None
    kind = start.type
    if kind in (KType.DATETIME, KType.TIMESPAN):
        if stop.type is not kind or (step is not None and step.type is not KType.TIMESPAN):
            return ctx.error(
                D.type_error(
                    f"range() of a {kind} needs a {kind} stop and a timespan step",
                    ctx.span,
                    ks="KS138",
                )
            )
        step_sql = cast(step.sql, KType.LONG) if step is not None else lit(HOUR_TICKS)
        if kind is KType.DATETIME:
            ns_step = exp.Mul(this=step_sql, expression=lit(100))
            return fn("dyn_range_datetime", epoch_ns(start.sql), epoch_ns(stop.sql), ns_step)
        return fn(
            "dyn_range_timespan", cast(start.sql, KType.LONG), cast(stop.sql, KType.LONG), step_sql
        )
    numbers = [a for a in (start, stop, step) if a is not None]
    for a in numbers:
        if not a.type.is_numeric:
            return ctx.error(
                D.type_error(
                    f"range() needs numbers, datetimes or timespans, not {a.type}",
                    a.span,
                    ks="KS138",
                )
            )
    step_sql = step.sql if step is not None else lit(1)
    if any(a.type in (KType.REAL, KType.DECIMAL) for a in numbers):
        sql = [cast(a.sql, KType.REAL) for a in (start, stop)] + [cast(step_sql, KType.REAL)]
        return fn("dyn_range_real", *sql)
    return fn(
        "dyn_range_long",
        cast(start.sql, KType.LONG),
        cast(stop.sql, KType.LONG),
        cast(step_sql, KType.LONG),
    )


add(
    FunctionSpec(
        "range",
        2,
        3,
        KType.DYNAMIC,
        _range,
        note="real elements are start + i * step (Kusto may accumulate rounding differently)",
    )
)


def _repeat(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    value, count = args
    if not _integer_arg(ctx, count, "the count", ks="KS107"):
        return exp.Null()
    return fn("dyn_repeat", _dyn(value), _bigint(count))


T("dyn_repeat", "CASE WHEN {1} >= 0 THEN to_json(list_transform(range({1}), lambda __i: {0})) END")
add(FunctionSpec("repeat", 2, 2, KType.DYNAMIC, _repeat, naming="prefix", prefix="repeat"))


# ------------------------------------------------------------------ paths and JSON text


def _treepath_sql(a: list[str]) -> str:
    key = r"""'\.(?:"((?:[^"\\]|\\.)*)"|([^.\[]+))'"""
    path = (
        f"regexp_replace(regexp_replace(fullkey, {key}, '[''\\1\\2'']', 'g'), "
        r"'\[[0-9]+\]', '[0]', 'g')"
    )
    paths = (
        f"(SELECT to_json(list(p ORDER BY first)) FROM (SELECT substr({path}, 2) AS p, "
        f"min(id) AS first FROM json_tree({a[0]}) WHERE id > 0 GROUP BY p))"
    )
    return f"CASE WHEN json_type({a[0]}) IN ('OBJECT', 'ARRAY') THEN {paths} END"


T("dyn_treepath", _treepath_sql)
add(
    FunctionSpec(
        "treepath",
        1,
        1,
        KType.DYNAMIC,
        _dynamic_fn("dyn_treepath", bag=True),
        naming="prefix",
        prefix="tree",
        status="partial",
        note="keys with quotes or brackets are not escaped as Kusto does",
    )
)


def _duckdb_path(path: str) -> str | None:
    """A Kusto JSONPath (`$.a[0]['b c']`) as a DuckDB JSON path, or None if unsupported."""
    if not path.startswith("$"):
        return None
    out, pos = "$", 1
    token = re.compile(
        r"""\.([^.\[\]'"]+)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(-?\d+)\s*\]"""
    )
    while pos < len(path):
        m = token.match(path, pos)
        if m is None:
            return None
        name = next((g for g in m.groups()[:3] if g is not None), None)
        if name is None:
            out += f"[{int(m.group(4))}]" if int(m.group(4)) >= 0 else f"[#{m.group(4)}]"
        else:
            name = re.sub(r"\\(.)", r"\1", name)
            out += '."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        pos = m.end()
    return out


T("dyn_extract_json", "CASE WHEN json_valid({1}) THEN json_extract(json({1}), {0}) END")


def _extract_json(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    path, text = args[0], args[1]
    if path.type is not KType.STRING or not path.is_const:
        return _not_constant(ctx, "the JSONPath", path)
    duck = _duckdb_path(str(path.const))
    if duck is None:
        return ctx.error(
            D.type_error(
                f"unsupported JSONPath '{path.const}'",
                path.span,
                "use $, .name, ['name'] and [index]",
            )
        )
    if text.type not in (KType.STRING, KType.DYNAMIC, KType.NULL):
        return ctx.error(
            D.type_error(f"{ctx.name}() reads a JSON string, not {text.type}", text.span)
        )
    source = to_string(text) if text.type is KType.DYNAMIC else text.sql
    value = Arg(fn("dyn_extract_json", lit(duck), source), KType.DYNAMIC, ctx.span)
    target = _extract_type(args)
    if target is None:
        return ctx.error(
            D.type_error(f"the type of {ctx.name}() must be typeof(<type>)", args[2].span)
        )
    return to_type(value, target)


def _extract_type(args: list[Arg]) -> KType | None:
    if len(args) < 3:
        return KType.STRING
    a = args[2]
    return type_from_name(a.const) if a.is_const and isinstance(a.const, str) else None


add(
    FunctionSpec(
        "extract_json",
        2,
        3,
        lambda a: _extract_type(a) or KType.STRING,
        _extract_json,
        aliases=("extractjson",),
        status="partial",
        note="the typeof(T) argument needs the binder to bind typeof() as a type name; "
        "JSONPath filters and wildcards are not supported",
    )
)


_PATH_PART = r"""'\.(?:"(?:[^"\\]|\\.)*"|[^.\[]+)|\[[0-9]+\]'"""


def _canonical_sql(a: list[str]) -> str:
    """JSON text with the keys of every bag sorted: the nodes of json_tree() ordered by their
    path (keys, zero-padded indexes), each container closed by a token ordered after its
    descendants, and commas where a value follows a value."""
    path = (
        f"list_transform(regexp_extract_all(fullkey, {_PATH_PART}), lambda __c: CASE "
        f"WHEN __c[1] = '[' THEN lpad(__c[2:-2], 20, '0') WHEN __c[2] = '\"' THEN __c[3:-2] ELSE __c[2:] END)"
    )
    key = "CASE WHEN id = 0 OR fullkey[-1] = ']' THEN '' ELSE to_json(key) || ':' END"
    value = (
        "CASE type WHEN 'OBJECT' THEN '{' WHEN 'ARRAY' THEN '[' "
        "ELSE COALESCE(CAST(value AS VARCHAR), 'null') END"
    )
    container = "type IN ('OBJECT', 'ARRAY')"
    return (
        f"(WITH n AS (SELECT type, {path} AS sp, {key} || {value} AS tok FROM json_tree({a[0]})), "
        f"t AS (SELECT sp AS k, CASE WHEN {container} THEN 'open' ELSE 'atom' END AS kind, tok FROM n "
        f"UNION ALL SELECT list_append(sp, chr(1114111)), 'close', "
        f"CASE type WHEN 'OBJECT' THEN '}}' ELSE ']' END FROM n WHERE {container}), "
        f"u AS (SELECT k, CASE WHEN kind <> 'close' AND lag(kind) OVER (ORDER BY k) IN ('atom', 'close') "
        f"THEN ',' ELSE '' END || tok AS tok FROM t) "
        f"SELECT string_agg(tok, '' ORDER BY k) FROM u)"
    )


T("dyn_canonical_json", lambda a: f"COALESCE({_canonical_sql(a)}, '')")


def _dynamic_to_json(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    a = args[0]
    if a.type is KType.DYNAMIC:
        return fn("dyn_canonical_json", a.sql)
    return to_string(a)


add(
    FunctionSpec(
        "dynamic_to_json",
        1,
        1,
        KType.STRING,
        _dynamic_to_json,
    )
)


# ------------------------------------------------------------------ Spark translations
# Spark holds a dynamic value as JSON text: arrays are read into array<string> of element JSON
# texts (SP.elements), bags into (key, value JSON text) structs (SP.entries), and written back
# with SP.array / SP.obj (see functions/spark.py).

SPARK = FAMILY.spark


def _sp_list(a: str, var: str = "__kql_e") -> str:
    return f"({SP.elements(a, var)})"


def _sp_numeric(x: str) -> str:
    return f"({SP.json_type(x)} IN {SP.NUMERIC})"


def _sp_core(op: str, *args: str) -> str:
    return render_template(templates("spark")[op], list(args))


SPARK(
    "dyn_pack_array",
    lambda a: "concat('[', " + ", ',', ".join(f"COALESCE({x}, 'null')" for x in a) + ", ']')",
)
SPARK("dyn_array_reverse", lambda a: SP.array(f"reverse({_sp_list(a[0])})"))
SPARK(
    "dyn_array_concat",
    lambda a: (
        "CASE WHEN "
        + " AND ".join(f"startswith({x}, '[')" for x in a)
        + " THEN "
        + SP.array(
            "concat(" + ", ".join(_sp_list(x) for x in a) + ")" if len(a) > 1 else _sp_list(a[0])
        )
        + " END"
    ),
)


def _sp_slice(a: list[str]) -> str:
    arr, start, end = a
    n = f"CAST(json_array_length({arr}) AS BIGINT)"
    s = f"greatest(CASE WHEN {start} < 0 THEN {n} + {start} ELSE {start} END, 0)"
    e = f"least(CASE WHEN {end} < 0 THEN {n} + {end} ELSE {end} END, {n} - 1)"
    return SP.array(
        f"slice({_sp_list(arr)}, CAST({s} + 1 AS INT), CAST(greatest({e} - {s} + 1, 0) AS INT))"
    )


SPARK("dyn_array_slice", _sp_slice)
SPARK("dyn_json_normal", "{0}")


def _sp_index_of(numeric: bool) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        arr, value, start, length, occurrence = a
        eq = (
            f"({_sp_numeric('__kql_x')} AND CAST(__kql_x AS DOUBLE) = CAST({value} AS DOUBLE))"
            if numeric
            else f"(__kql_x = {value})"
        )
        n = f"CAST(json_array_length({arr}) AS BIGINT)"
        s = f"greatest(CASE WHEN {start} < 0 THEN {n} + {start} ELSE {start} END, 0)"
        e = f"CASE WHEN {length} = -1 THEN {n} ELSE least({s} + {length}, {n}) END"
        window = (
            f"slice({_sp_list(arr)}, CAST({s} + 1 AS INT), CAST(greatest({e} - {s}, 0) AS INT))"
        )
        hits = (
            f"filter(transform({window}, (__kql_x, __kql_i) -> CASE WHEN {eq} THEN __kql_i END), "
            "__kql_h -> __kql_h IS NOT NULL)"
        )
        return (
            f"CASE WHEN NOT COALESCE(startswith({arr}, '['), false) OR {length} < -1 "
            f"OR {occurrence} < 0 THEN NULL ELSE COALESCE(CAST(try_element_at({hits}, "
            f"CAST(greatest({occurrence}, 1) AS INT)) AS BIGINT) + {s}, -1) END"
        )

    return render


SPARK("dyn_index_of", _sp_index_of(False))
SPARK("dyn_index_of_number", _sp_index_of(True))
SPARK("dyn_has_element", lambda a: f"COALESCE(array_contains({_sp_list(a[0])}, {a[1]}), false)")
SPARK(
    "dyn_has_number",
    lambda a: (
        f"COALESCE(exists({_sp_list(a[0])}, __kql_x -> {_sp_numeric('__kql_x')} "
        f"AND CAST(__kql_x AS DOUBLE) = CAST({a[1]} AS DOUBLE)), false)"
    ),
)


def _sp_rotate(sign: int) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        arr, k = a
        shift = f"({k})" if sign > 0 else f"(-({k}))"
        n = "size(__kql_l)"
        idx = f"CAST(((((__kql_i + {shift}) % {n}) + {n}) % {n}) + 1 AS INT)"
        body = SP.array(f"transform(__kql_l, (__kql_x, __kql_i) -> element_at(__kql_l, {idx}))")
        return SP.let(_sp_list(arr), "__kql_l", body)

    return render


def _sp_shift(sign: int) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        arr, k, default = a
        shift = f"({k})" if sign > 0 else f"(-({k}))"
        pick = (
            f"CASE WHEN __kql_i + {shift} >= 0 AND __kql_i + {shift} < size(__kql_l) "
            f"THEN element_at(__kql_l, CAST(__kql_i + {shift} + 1 AS INT)) ELSE {default} END"
        )
        return SP.let(
            _sp_list(arr), "__kql_l", SP.array(f"transform(__kql_l, (__kql_x, __kql_i) -> {pick})")
        )

    return render


for _name, _sign in (("left", 1), ("right", -1)):
    SPARK(f"dyn_rotate_{_name}", _sp_rotate(_sign))
    SPARK(f"dyn_shift_{_name}", _sp_shift(_sign))

SPARK(
    "dyn_long_list",
    lambda a: f"transform({_sp_list(a[0])}, __kql_x -> TRY_CAST(__kql_x AS BIGINT))",
)
SPARK("dyn_one_long", "array({0})")


def _sp_split(a: list[str]) -> str:
    arr, bounds = a
    n = "size(__kql_l)"
    clamp = f"__kql_b -> least(greatest(CASE WHEN __kql_b < 0 THEN {n} + __kql_b ELSE __kql_b END, 0), {n})"
    edges = f"concat(array(0), transform({bounds}, {clamp}), array({n}))"
    piece = SP.array(
        "slice(__kql_l, CAST(__kql_g[__kql_j] + 1 AS INT), "
        "CAST(greatest(__kql_g[__kql_j + 1] - __kql_g[__kql_j], 0) AS INT))",
        "__kql_p",
    )
    body = SP.let(
        edges,
        "__kql_g",
        SP.array(f"transform({SP.indexes('size(__kql_g) - 1')}, __kql_j -> {piece})"),
    )
    return f"CASE WHEN startswith({arr}, '[') THEN {SP.let(_sp_list(arr), '__kql_l', body)} END"


SPARK("dyn_array_split", _sp_split)
SPARK(
    "dyn_array_sum",
    lambda a: SP.let(
        _sp_list(a[0]),
        "__kql_l",
        f"CASE WHEN forall(__kql_l, __kql_x -> {_sp_numeric('__kql_x')}) THEN "
        "aggregate(__kql_l, 0D, (__kql_s, __kql_x) -> __kql_s + CAST(__kql_x AS DOUBLE)) END",
    ),
)


def _sp_array_iff(yes_dynamic: bool, no_dynamic: bool) -> Callable[[list[str]], str]:
    def branch(v: str, var: str, dynamic: bool) -> str:
        if not dynamic:
            return v
        return f"CASE WHEN {var} IS NULL THEN {v} ELSE try_element_at({var}, __kql_i + 1) END"

    def render(a: list[str]) -> str:
        cond, yes, no = a
        t = SP.json_type("__kql_x")
        c = (
            f"CASE WHEN {t} = 'BOOLEAN' THEN __kql_x = 'true' "
            f"WHEN {t} IN {SP.NUMERIC} THEN CAST(__kql_x AS DOUBLE) <> 0 END"
        )
        body = SP.array(
            f"transform({_sp_list(cond)}, (__kql_x, __kql_i) -> CASE WHEN {c} THEN "
            f"{branch(yes, '__kql_y', yes_dynamic)} WHEN NOT ({c}) THEN "
            f"{branch(no, '__kql_n', no_dynamic)} END)"
        )
        if no_dynamic:
            body = SP.let(_sp_list(no), "__kql_n", body)
        if yes_dynamic:
            body = SP.let(_sp_list(yes), "__kql_y", body)
        return body

    return render


for _yes in (True, False):
    for _no in (True, False):
        SPARK(
            "dyn_array_iff_" + ("a" if _yes else "s") + ("a" if _no else "s"),
            _sp_array_iff(_yes, _no),
        )


def _sp_sort(descending: bool, nulls_last: bool) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        x = "element_at(__kql_f, __kql_i)"
        t = SP.json_type(x)
        key = (
            f"named_struct('c', CASE WHEN {t} IN {SP.NUMERIC} THEN 0 WHEN {t} = 'VARCHAR' THEN 1 "
            f"ELSE 2 END, 'n', CASE WHEN {t} IN {SP.NUMERIC} THEN CAST({x} AS DOUBLE) END, "
            f"'s', CASE WHEN {t} = 'VARCHAR' THEN {SP.text(x)} END, 'o', {x}, "
            f"'i', {'-__kql_i' if descending else '__kql_i'})"
        )
        positions = "transform(__kql_f, (__kql_x, __kql_k) -> __kql_k + 1)"
        values = f"array_sort(transform(filter({positions}, __kql_i -> {x} <> 'null'), __kql_i -> {key}))"
        if descending:  # descending keys, equal ones in their order (their index was negated)
            values = f"reverse({values})"
        values = f"transform({values}, __kql_s -> abs(__kql_s.i))"
        nulls = f"filter({positions}, __kql_i -> {x} = 'null')"
        perm = f"concat({values}, {nulls})" if nulls_last else f"concat({nulls}, {values})"
        out = []
        for arr in a:
            pick = SP.array("transform(__kql_q, __kql_p -> element_at(__kql_m, __kql_p))")
            out.append(
                SP.let(
                    _sp_list(arr),
                    "__kql_m",
                    f"CASE WHEN size(__kql_m) = size(__kql_f) THEN {pick} END",
                )
            )
        body = (
            out[0]
            if len(out) == 1
            else ("concat('[', " + ", ',', ".join(f"COALESCE({o}, 'null')" for o in out) + ", ']')")
        )
        body = SP.let(perm, "__kql_q", body)
        return (
            f"CASE WHEN startswith({a[0]}, '[') THEN {SP.let(_sp_list(a[0]), '__kql_f', body)} END"
        )

    return render


for _desc in (False, True):
    for _last in (False, True):
        SPARK(
            f"dyn_sort_{'desc' if _desc else 'asc'}_{'last' if _last else 'first'}",
            _sp_sort(_desc, _last),
        )


def _sp_set(kind: str) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        lists = [f"COALESCE({_sp_list(x)}, {SP.NO_ELEMENTS})" for x in a]
        if kind == "union":
            return SP.array(f"array_distinct(concat({', '.join(lists)}))")
        test = " AND ".join(
            f"{'' if kind == 'intersect' else 'NOT '}array_contains({lst}, __kql_y)"
            for lst in lists[1:]
        )
        return SP.array(f"filter(array_distinct({lists[0]}), __kql_y -> {test})")

    return render


for _kind in ("union", "intersect", "difference"):
    SPARK(f"dyn_set_{_kind}", _sp_set(_kind))

SPARK(
    "dyn_jaccard",
    lambda a: SP.let(
        f"array_distinct(COALESCE({_sp_list(a[0])}, {SP.NO_ELEMENTS}))",
        "__kql_p",
        SP.let(
            f"array_distinct(COALESCE({_sp_list(a[1])}, {SP.NO_ELEMENTS}))",
            "__kql_q",
            SP.value(
                "CAST(size(filter(__kql_p, __kql_u -> array_contains(__kql_q, __kql_u))) AS DOUBLE) "
                "/ (size(__kql_p) + size(__kql_q) "
                "- size(filter(__kql_p, __kql_u -> array_contains(__kql_q, __kql_u))))"
            ),
        ),
    ),
)


def _sp_zip(a: list[str]) -> str:
    names = [f"__kql_z{i}" for i in range(len(a))]
    n = f"greatest({', '.join(f'size({v})' for v in names)})"
    row = (
        "concat('[', "
        + ", ',', ".join(f"COALESCE(try_element_at({v}, __kql_i + 1), 'null')" for v in names)
        + ", ']')"
    )
    body = SP.array(f"transform({SP.indexes(n)}, __kql_i -> {row})")
    for x, v in reversed(list(zip(a, names))):
        body = SP.let(_sp_list(x), v, body)
    return "CASE WHEN " + " AND ".join(f"startswith({x}, '[')" for x in a) + f" THEN {body} END"


SPARK("dyn_zip", _sp_zip)


def _sp_entries(a: str) -> str:
    return f"({SP.entries(a)})"


def _sp_put(a: list[str]) -> str:
    bag, key, value = a
    new = f"named_struct('key', {key}, 'value', {value})"
    replaced = (
        f"transform(__kql_b, __kql_x -> CASE WHEN __kql_x.key = {key} THEN {new} ELSE __kql_x END)"
    )
    body = (
        f"CASE WHEN exists(__kql_b, __kql_x -> __kql_x.key = {key}) THEN {replaced} "
        f"ELSE concat(__kql_b, array({new})) END"
    )
    return f"CASE WHEN startswith({bag}, '{{') THEN {SP.let(_sp_entries(bag), '__kql_b', SP.obj(body))} END"


def _sp_replace(a: list[str]) -> str:
    bag, key, value = a
    new = f"named_struct('key', {key}, 'value', {value})"
    replaced = (
        f"transform(__kql_b, __kql_x -> CASE WHEN __kql_x.key = {key} THEN {new} ELSE __kql_x END)"
    )
    return (
        f"CASE WHEN startswith({bag}, '{{') AND array_contains(json_object_keys({bag}), {key}) "
        f"THEN {SP.let(_sp_entries(bag), '__kql_b', SP.obj(replaced))} ELSE {bag} END"
    )


SPARK("dyn_bag_keys", "to_json(json_object_keys({0}))")
SPARK(
    "dyn_bag_get",
    lambda a: (
        f"try_element_at(filter({_sp_entries(a[0])}, __kql_x -> __kql_x.key = {a[1]}), 1).value"
    ),
)
SPARK("dyn_as_bag", "CASE WHEN startswith({0}, '{{') THEN {0} ELSE '{{}}' END")
SPARK("dyn_bag_has", "COALESCE(array_contains(json_object_keys({0}), {1}), false)")
SPARK("dyn_bag_put", _sp_put)
SPARK("dyn_bag_replace", _sp_replace)
SPARK(
    "dyn_bag_remove",
    lambda a: (
        f"CASE WHEN startswith({a[0]}, '{{') THEN "
        + SP.obj(f"filter({_sp_entries(a[0])}, __kql_x -> NOT array_contains({a[1]}, __kql_x.key))")
        + f" ELSE {a[0]} END"
    ),
)
SPARK("dyn_if_bag", "CASE WHEN startswith({0}, '{{') THEN {1} END")
SPARK("dyn_string_list", lambda a: f"transform({_sp_list(a[0])}, __kql_x -> {SP.text('__kql_x')})")
SPARK(
    "dyn_bag_merge",
    lambda a: SP.obj(
        SP.dedupe(
            "concat(" + ", ".join(f"COALESCE({_sp_entries(x)}, {SP.NO_ENTRIES})" for x in a) + ")"
        )
    ),
)


def _sp_bag_zip(a: list[str]) -> str:
    keys, values = a
    t = SP.json_type("__kql_k")
    entry = (
        f"CASE WHEN {t} = 'VARCHAR' THEN named_struct('key', {SP.text('__kql_k')}, "
        "'value', try_element_at(__kql_v, __kql_i + 1)) END"
    )
    entries = (
        f"filter(transform({_sp_list(keys)}, (__kql_k, __kql_i) -> {entry}), "
        "__kql_x -> __kql_x IS NOT NULL)"
    )
    body = SP.let(_sp_list(values), "__kql_v", SP.obj(SP.dedupe(entries)))
    return f"CASE WHEN startswith({keys}, '[') THEN {body} END"


SPARK("dyn_bag_zip", _sp_bag_zip)
SPARK("dyn_json_object", SP.object_of)
SPARK(
    "dyn_pack_entries",
    lambda a: SP.obj(
        "reverse("
        + SP.dedupe(
            "reverse(array("
            + ", ".join(
                f"named_struct('key', {a[i]}, 'value', {a[i + 1]})" for i in range(0, len(a), 2)
            )
            + "))"
        )
        + ")"
    ),
)


def _sp_range_count(start: str, stop: str, step: str, integer: bool) -> str:
    if integer:
        up, down = f"div({stop} - {start}, {step}) + 1", f"div({start} - {stop}, -{step}) + 1"
    else:
        up = down = f"CAST(floor(({stop} - {start}) / {step}) AS BIGINT) + 1"
    n = (
        f"CASE WHEN {step} > 0 AND {stop} >= {start} THEN {up} "
        f"WHEN {step} < 0 AND {stop} <= {start} THEN {down} WHEN {step} <> 0 THEN 0 END"
    )
    return f"least({n}, {MAX_RANGE})"


def _sp_range(kind: str) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        start, stop, step = a
        n = _sp_range_count(start, stop, step, kind != "real")
        value = f"{start} + __kql_i * {step}"
        if kind == "datetime":
            value = _sp_core("datetime_to_string", _sp_core("from_epoch_ns", f"({value})"))
        elif kind == "timespan":
            value = _sp_core("timespan_to_string", f"({value})")
        return f"CASE WHEN {step} <> 0 THEN to_json(transform({SP.indexes(n)}, __kql_i -> {value})) END"

    return render


for _kind in ("long", "real", "datetime", "timespan"):
    SPARK(f"dyn_range_{_kind}", _sp_range(_kind))

SPARK(
    "dyn_repeat",
    lambda a: (
        f"CASE WHEN {a[1]} >= 0 THEN {SP.array(f'array_repeat({a[0]}, CAST({a[1]} AS INT))')} END"
    ),
)
FAMILY.no_translation(
    "dyn_treepath", "spark", "treepath() walks every node of the JSON, which Spark SQL cannot"
)
FAMILY.no_translation(
    "dyn_canonical_json",
    "spark",
    "dynamic_to_json() sorts keys at every level, which Spark SQL cannot do on JSON text",
)
SPARK(
    "dyn_extract_json",
    lambda a: f"CASE WHEN {SP.is_json(a[1])} THEN {SP.path_read(a[1], a[0], False)} END",
)
