"""IPv4/IPv6 functions: parsing, formatting, comparison, ranges, and IPv4 text matching.

Addresses are parsed in SQL with integer arithmetic (no DuckDB extension). A parsed IPv4 is a
struct `{ip: BIGINT, len: INTEGER}` (the address already masked to its prefix length), a parsed
IPv6 a struct `{g: INTEGER[8], len: INTEGER}` (eight 16-bit groups, masked). Invalid text parses
to NULL, which Kusto's functions turn into null (or "" for the string-returning ones). IPv4 text
is IPv6 `::ffff:a.b.c.d` whose prefix counts 96 more bits, as in Kusto.

Templates bind their arguments once with `list_transform([{...}], lambda _t: ...)[1]`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions import spark as SP
from kustodian.kql.functions.base import Arg, Ctx, Family, FunctionSpec, Template, to_string
from kustodian.kql.sqlnodes import fn as sql_fn
from kustodian.kql.sqlnodes import lit
from kustodian.kql.types import KType

FAMILY = Family("ip")
add = FAMILY.add
# the family's operations carry its prefix, so that their names cannot clash with another
# family's in the merged template tables
_OP = "ip_"


def T(op: str, duckdb: Template, spark: Template | None = None) -> None:
    FAMILY.template(_OP + op, duckdb, spark)


def fn(op: str, *args: exp.Expression) -> exp.Expression:
    return sql_fn(_OP + op, *args)


# ------------------------------------------------------------------ SQL text builders


def _let(value: str, name: str, body: str) -> str:
    """`body` with `name` bound to `value`, computed once."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def _bind(args: list[str], body: Callable[[list[str]], str]) -> str:
    """`body` over the fields `_t.a0`, `_t.a1`... bound to the template arguments."""
    fields = ", ".join(f"'a{i}': {a}" for i, a in enumerate(args))
    return _let("{" + fields + "}", "_t", body([f"_t.a{i}" for i in range(len(args))]))


_V4_RE = r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:/(\d{1,2}))?$"


def _mask4(ip: str, length: str) -> str:
    """IPv4 `ip` (a BIGINT name) with the bits after the first `length` cleared."""
    return f"({ip} - {ip} % (1::BIGINT << (32 - {length})))"


def _v4(text: str) -> str:
    """The parsed IPv4 struct of `text`, or NULL."""
    octets = ("_m.a", "_m.b", "_m.c", "_m.d")
    ok = " AND ".join(f"{o}::INTEGER <= 255" for o in octets)
    ip = f"({octets[0]}::BIGINT * 16777216 + {octets[1]}::BIGINT * 65536 + {octets[2]}::BIGINT * 256 + {octets[3]}::BIGINT)"
    length = "CASE WHEN _m.p = '' THEN 32 ELSE _m.p::INTEGER END"
    parsed = _let(
        f"{{'ip': {ip}, 'len': {length}}}",
        "_v",
        f"CASE WHEN _v.len <= 32 THEN {{'ip': {_mask4('_v.ip', '_v.len')}, 'len': _v.len}} END",
    )
    fields = "['a', 'b', 'c', 'd', 'p']"
    body = f"CASE WHEN _m.a <> '' AND {ok} THEN {parsed} END"
    return _let(f"regexp_extract({text}, '{_V4_RE}', {fields})", "_m", body)


def _v4_text(ip: str) -> str:
    parts = [f"({ip} >> {s}) % 256" for s in (24, 16, 8, 0)]
    return " || '.' || ".join(f"CAST({p} AS VARCHAR)" for p in parts)


def _in_prefix(prefix: str, lo: int, hi: int) -> str:
    return f"({prefix} BETWEEN {lo} AND {hi})"


# IPv6: the address part, then an optional IPv4 tail written as two groups
_V6_RE = r"^([0-9A-Fa-f:.]+)(?:/(\d{1,3}))?$"
_V6_TAIL_RE = r"^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$"
_HEX_GROUP = "^[0-9A-Fa-f]{1,4}$"


def _v6_groups(hexpart: str) -> str:
    """The 8 groups (INTEGER[]) of hex text with at most one `::`, or NULL."""
    side = "CASE WHEN {0} = '' THEN []::VARCHAR[] ELSE string_split({0}, ':') END"
    left, right = side.format("_s[1]"), side.format("_s[2]")
    filled = _let(
        f"[{left}, {right}]",
        "_lr",
        "CASE WHEN len(_lr[1]) + len(_lr[2]) <= 7 THEN list_concat(_lr[1], "
        "list_transform(range(8 - len(_lr[1]) - len(_lr[2])), lambda _z: '0'), _lr[2]) END",
    )
    texts = (
        f"CASE WHEN len(_s) = 1 THEN string_split(_s[1], ':') WHEN len(_s) = 2 THEN {filled} END"
    )
    groups = (
        f"CASE WHEN len(_gs) = 8 AND list_bool_and(list_transform(_gs, lambda _x: "
        f"regexp_full_match(_x, '{_HEX_GROUP}'))) "
        f"THEN list_transform(_gs, lambda _x: ('0x' || _x)::INTEGER) END"
    )
    return _let(_let(f"string_split({hexpart}, '::')", "_s", texts), "_gs", groups)


def _mask6(groups: str, length: str) -> str:
    """The groups (a name) with the bits after the first `length` cleared."""
    bits = f"greatest(least({length} - 16 * _i, 16), 0)"
    return (
        f"list_transform(range(8), lambda _i: {groups}[_i + 1] - "
        f"{groups}[_i + 1] % (1 << (16 - {bits})))"
    )


def _v6_struct(groups: str, length: str) -> str:
    return _let(
        f"{{'g': {groups}, 'len': {length}}}",
        "_w",
        f"CASE WHEN _w.g IS NOT NULL AND _w.len <= 128 "
        f"THEN {{'g': {_mask6('_w.g', '_w.len')}, 'len': _w.len}} END",
    )


def _v6_from_v4(v4: str) -> str:
    """An IPv4 struct (a name) as the IPv6 struct of `::ffff:a.b.c.d`."""
    groups = f"[0, 0, 0, 0, 0, 65535, ({v4}.ip >> 16)::INTEGER, ({v4}.ip % 65536)::INTEGER]"
    return _v6_struct(groups, f"{v4}.len + 96")


def _v6_hex() -> str:
    """The parsed IPv6 struct of text with a colon (`_m` holds its address and prefix texts)."""
    tail = f"{{'h': regexp_extract(_m.a, '{_V6_TAIL_RE}', 1), 't': regexp_extract(_m.a, '{_V6_TAIL_RE}', 2)}}"
    tail_groups = "printf('%x:%x', _q.ip >> 16, _q.ip % 65536)"
    hexpart = (
        f"CASE WHEN _n.t = '' THEN _m.a ELSE "
        f"{_let(_v4('_n.t'), '_q', f'CASE WHEN _q IS NOT NULL THEN _n.h || {tail_groups} END')} END"
    )
    # an IPv4 tail after zeros (`::a.b.c.d`, `::ffff:a.b.c.d`) is IPv4: its prefix counts 96 more
    mapped = _v6_struct(
        "[0, 0, 0, 0, 0, 65535, _g[7], _g[8]]",
        "CASE WHEN _m.p = '' THEN 128 WHEN _m.p::INTEGER <= 32 THEN 96 + _m.p::INTEGER END",
    )
    plain = _v6_struct("_g", "CASE WHEN _m.p = '' THEN 128 ELSE _m.p::INTEGER END")
    body = (
        f"CASE WHEN _g IS NULL THEN NULL WHEN _n.t <> '' AND _g[1:5] = [0, 0, 0, 0, 0] "
        f"AND _g[6] IN (0, 65535) THEN {mapped} ELSE {plain} END"
    )
    return _let(tail, "_n", _let(_v6_groups(hexpart), "_g", body))


def _v6(text: str) -> str:
    """The parsed IPv6 struct of `text` (IPv6 or IPv4), or NULL."""
    v4 = _let(_v4(text), "_q", f"CASE WHEN _q IS NOT NULL THEN {_v6_from_v4('_q')} END")
    regex = f"regexp_extract({text}, '{_V6_RE}', ['a', 'p'])"
    return _let(
        regex,
        "_m",
        f"CASE WHEN _m.a = '' THEN NULL WHEN NOT contains(_m.a, ':') THEN {v4} "
        f"ELSE {_v6_hex()} END",
    )


def _v6_text(groups: str) -> str:
    return f"array_to_string(list_transform({groups}, lambda _x: printf('%04x', _x)), ':')"


# ------------------------------------------------------------------ templates

T("ipv4_parse", lambda a: f"struct_extract({_v4(a[0])}, 'ip')")
T("ipv4_suffix", lambda a: f"struct_extract({_v4(a[0])}, 'len')")
T(
    "ipv4_parse_mask",
    lambda a: _bind(
        a,
        lambda t: _let(
            _v4(t[0]),
            "_p",
            f"CASE WHEN {_in_prefix(t[1], 0, 32)} THEN {_mask4('_p.ip', f'least(_p.len, {t[1]})')} END",
        ),
    ),
)
T(
    "ipv4_from_long",
    "CASE WHEN {0} BETWEEN 0 AND 4294967295 THEN {{'ip': CAST({0} AS BIGINT), 'len': 32}} END",
)
T("ipv4_struct", lambda a: _v4(a[0]))


def _format4(with_mask: bool) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        def body(t: list[str]) -> str:
            length = f"least(_p.len, {t[1]})" if len(t) > 1 else "_p.len"
            ok = f"_p IS NOT NULL AND {_in_prefix(t[1], 0, 32)}" if len(t) > 1 else "_p IS NOT NULL"
            masked = _let(
                f"{{'ip': {_mask4('_p.ip', length)}, 'len': {length}}}",
                "_r",
                _v4_text("_r.ip") + (" || '/' || CAST(_r.len AS VARCHAR)" if with_mask else ""),
            )
            return _let(t[0], "_p", f"CASE WHEN {ok} THEN {masked} ELSE '' END")

        return _bind(a, body)

    return render


T("ipv4_format", _format4(False))
T("ipv4_format_mask", _format4(True))


def _compare4(a: list[str]) -> str:
    def body(t: list[str]) -> str:
        length = "least(_p.a.len, _p.b.len" + (f", {t[2]})" if len(t) > 2 else ")")
        ok = f" AND {_in_prefix(t[2], 0, 32)}" if len(t) > 2 else ""
        cmp = f"sign({_mask4('_p.a.ip', length)} - {_mask4('_p.b.ip', length)})"
        parsed = f"{{'a': {_v4(t[0])}, 'b': {_v4(t[1])}}}"
        return _let(
            parsed, "_p", f"CASE WHEN _p.a IS NOT NULL AND _p.b IS NOT NULL{ok} THEN {cmp} END"
        )

    return _bind(a, body)


T("ipv4_compare", _compare4)
T(
    "ipv4_in_range",
    lambda a: _let(
        f"{{'a': {_v4(a[0])}, 'r': {_v4(a[1])}}}",
        "_p",
        f"CASE WHEN _p.a IS NOT NULL AND _p.r IS NOT NULL THEN "
        f"{_mask4('_p.a.ip', '_p.r.len')} = _p.r.ip END",
    ),
)


def _in_const_ranges(a: list[str]) -> str:
    """Address a[0] in any of the (ip, length) pairs that follow (constant numbers)."""
    conds = [f"{_mask4('_p.ip', a[i + 1])} = {a[i]}" for i in range(1, len(a) - 1, 2)] or ["false"]
    return _let(_v4(a[0]), "_p", f"CASE WHEN _p IS NOT NULL THEN ({' OR '.join(conds)}) END")


def _in_ranges(a: list[str]) -> str:
    """Address a[0] in any range of the text list a[1] (invalid ranges never match)."""
    hit = f"coalesce({_mask4('_p.ip', '_r.len')} = _r.ip, false)"
    ranges = f"list_transform({a[1]}, lambda _x: {_v4('_x')})"
    any_hit = f"coalesce(list_bool_or(list_transform({ranges}, lambda _r: {hit})), false)"
    return _let(_v4(a[0]), "_p", f"CASE WHEN _p IS NOT NULL THEN {any_hit} END")


T("ipv4_in_const_ranges", _in_const_ranges)
T("ipv4_in_ranges", _in_ranges)
T("json_text_list", "list_transform(CAST({0} AS JSON[]), lambda _j: json_extract_string(_j, '$'))")
T("text_list", "[{args}]")

_PRIVATE = (("10.0.0.0", 8), ("172.16.0.0", 12), ("192.168.0.0", 16))


def _private(a: list[str]) -> str:
    conds = [
        f"(_p.len >= {n} AND {_mask4('_p.ip', str(n))} = {int(ipaddress.IPv4Address(ip))})"
        for ip, n in _PRIVATE
    ]
    return _let(_v4(a[0]), "_p", f"CASE WHEN _p IS NOT NULL THEN ({' OR '.join(conds)}) END")


T("ipv4_is_private", _private)


def _range_to_cidr(a: list[str]) -> str:
    """The CIDR blocks covering [start, end]: greedily the largest aligned block at `cur`."""
    size = (
        "least(CASE WHEN _s.cur = 0 THEN 32 ELSE bit_count(xor(_s.cur, _s.cur - 1)) - 1 END, "
        "floor(log2(_e.ip - _s.cur + 1))::INTEGER)"
    )
    block = _v4_text("_s.cur") + " || '/' || CAST(32 - _k AS VARCHAR)"
    grow = f"{{'cur': _s.cur + (1::BIGINT << _k), 'out': list_append(_s.out, {block})}}"
    step = f"CASE WHEN _s.cur > _e.ip THEN _s ELSE {_let(size, '_k', grow)} END"
    blocks = (
        f"list_reduce(range(64), lambda _s, _i: {step}, {{'cur': _b.ip, 'out': []::VARCHAR[]}}).out"
    )
    body = _let(
        _v4(a[1]),
        "_e",
        f"CASE WHEN _e IS NULL OR _b.ip > _e.ip THEN NULL ELSE to_json({blocks}) END",
    )
    return _let(_v4(a[0]), "_b", f"CASE WHEN _b IS NULL THEN NULL ELSE {body} END")


T("ipv4_range_to_cidr", _range_to_cidr)

# IPv6
T(
    "ipv6_parse",
    lambda a: _let(_v6(a[0]), "_p", f"CASE WHEN _p IS NULL THEN '' ELSE {_v6_text('_p.g')} END"),
)


def _parse6_mask(a: list[str]) -> str:
    def body(t: list[str]) -> str:
        masked = _let(_mask6("_p.g", f"least(_p.len, {t[1]})"), "_g", _v6_text("_g"))
        ok = f"_p IS NOT NULL AND {_in_prefix(t[1], 0, 128)}"
        return _let(_v6(t[0]), "_p", f"CASE WHEN {ok} THEN {masked} ELSE '' END")

    return _bind(a, body)


T("ipv6_parse_mask", _parse6_mask)


def _compare6(a: list[str]) -> str:
    def body(t: list[str]) -> str:
        length = "least(_p.a.len, _p.b.len" + (f", {t[2]})" if len(t) > 2 else ")")
        ok = f" AND {_in_prefix(t[2], 0, 128)}" if len(t) > 2 else ""
        masked = f"{{'a': {_mask6('_p.a.g', length)}, 'b': {_mask6('_p.b.g', length)}}}"
        cmp = _let(masked, "_c", "CASE WHEN _c.a < _c.b THEN -1 WHEN _c.a > _c.b THEN 1 ELSE 0 END")
        parsed = f"{{'a': {_v6(t[0])}, 'b': {_v6(t[1])}}}"
        return _let(
            parsed, "_p", f"CASE WHEN _p.a IS NOT NULL AND _p.b IS NOT NULL{ok} THEN {cmp} END"
        )

    return _bind(a, body)


T("ipv6_compare", _compare6)


def _in_ranges6(a: list[str]) -> str:
    """Address a[0] in any range of the text list a[1] (invalid ranges never match)."""
    hit = f"coalesce({_mask6('_p.g', '_r.len')} = _r.g, false)"
    ranges = f"list_transform({a[1]}, lambda _x: {_v6('_x')})"
    any_hit = f"coalesce(list_bool_or(list_transform({ranges}, lambda _r: {hit})), false)"
    return _let(_v6(a[0]), "_p", f"CASE WHEN _p IS NOT NULL THEN {any_hit} END")


T("ipv6_in_ranges", _in_ranges6)


# ------------------------------------------------------------------ argument checks


def _text(ctx: Ctx, a: Arg) -> exp.Expression | None:
    """An address argument as SQL text, or None after reporting a type error."""
    if a.type in (KType.STRING, KType.NULL):
        return a.sql if a.type is KType.STRING else exp.Null()
    if a.type is KType.DYNAMIC:
        return to_string(a)
    ctx.error(
        D.type_error(f"{ctx.name}() needs a string IP address, not {a.type}", a.span, ks="KS107")
    )
    return None


def _prefix(ctx: Ctx, a: Arg) -> exp.Expression | None:
    if a.type in (KType.INT, KType.LONG, KType.NULL):
        return a.sql
    ctx.error(D.type_error(f"{ctx.name}() needs an integer prefix, not {a.type}", a.span))
    return None


def _texts_and_prefix(ctx: Ctx, args: list[Arg], n_text: int) -> list[exp.Expression] | None:
    out = [_text(ctx, a) for a in args[:n_text]] + [_prefix(ctx, a) for a in args[n_text:]]
    return None if any(e is None for e in out) else [e for e in out if e is not None]


def _op(name: str, n_text: int) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    """A lowering: `name` over the text arguments, then integer prefix arguments."""

    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        sql = _texts_and_prefix(ctx, args, n_text)
        return exp.Null() if sql is None else fn(name, *sql)

    return lower


def _format_lower(name: str) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        a = args[0]
        if a.type in (KType.INT, KType.LONG):
            parsed = fn("ipv4_from_long", a.sql)
        else:
            text = _text(ctx, a)
            if text is None:
                return exp.Null()
            parsed = fn("ipv4_struct", text)
        rest = [_prefix(ctx, p) for p in args[1:]]
        if any(r is None for r in rest):
            return exp.Null()
        return fn(name, parsed, *[r for r in rest if r is not None])

    return lower


# ------------------------------------------------------------------ constant ranges


def _const_v4(text: Any) -> tuple[int, int] | None:
    """A constant IPv4 (with optional prefix) as (masked ip, prefix length), as the SQL parses."""
    if not isinstance(text, str):
        return None
    m = re.fullmatch(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:/(\d{1,2}))?", text)
    if m is None or any(int(o) > 255 for o in m.groups()[:4]):
        return None
    length = int(m.group(5)) if m.group(5) is not None else 32
    if length > 32:
        return None
    ip = int.from_bytes(bytes(int(o) for o in m.groups()[:4]), "big")
    return ip - ip % (1 << (32 - length)), length


def _range_values(args: list[Arg]) -> list[Any] | None:
    """The ranges when all are constants (strings, or one dynamic array), else None."""
    if len(args) == 1 and args[0].type is KType.DYNAMIC and args[0].is_const:
        value = args[0].const
        return value if isinstance(value, list) else [value]
    if all(a.is_const and a.type in (KType.STRING, KType.NULL) for a in args):
        return [a.const for a in args]
    return None


def _range_list(ctx: Ctx, args: list[Arg]) -> exp.Expression | None:
    """Non-constant ranges as a SQL list of texts."""
    if len(args) == 1 and args[0].type is KType.DYNAMIC:
        return fn("json_text_list", args[0].sql)
    texts = [_text(ctx, a) for a in args]
    if any(t is None for t in texts):
        return None
    return fn("text_list", *[t for t in texts if t is not None])


def _is_in_any_range4(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    addr = _text(ctx, args[0])
    if addr is None:
        return exp.Null()
    values = _range_values(args[1:])
    if values is not None:
        pairs = [p for p in (_const_v4(v) for v in values) if p is not None]
        return fn("ipv4_in_const_ranges", addr, *[lit(x) for p in pairs for x in p])
    ranges = _range_list(ctx, args[1:])
    return exp.Null() if ranges is None else fn("ipv4_in_ranges", addr, ranges)


def _is_in_any_range6(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    addr = _text(ctx, args[0])
    ranges = _range_list(ctx, args[1:])
    if addr is None or ranges is None:
        return exp.Null()
    return fn("ipv6_in_ranges", addr, ranges)


# ------------------------------------------------------------------ IPv4 text matching

_DELIM_LEFT = "(^|[^0-9A-Za-z])"
_DELIM_RIGHT = "($|[^0-9A-Za-z])"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PREFIX_RE = re.compile(r"(\d{1,3}\.){1,3}|(\d{1,3}\.){3}\d{1,3}")


def _prefix_pattern(prefix: Any, full_only: bool) -> str | None:
    """The regex finding a valid IPv4 address that starts with `prefix` (a constant)."""
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
        return None
    octets = [o for o in prefix.split(".") if o]
    if any(int(o) > 255 for o in octets) or (full_only and len(octets) != 4):
        return None
    rest = "\\.".join([_OCTET] * (4 - len(octets)))
    return re.escape(prefix) + rest


def _search(source: exp.Expression, patterns: list[str]) -> exp.Expression:
    if not patterns:
        return exp.false()
    regex = _DELIM_LEFT + "(" + "|".join(patterns) + ")" + _DELIM_RIGHT
    return fn("regexp_matches", exp.Coalesce(this=source, expressions=[lit("")]), lit(regex))


T("regexp_matches", "regexp_matches({0}, {1})", "({0} RLIKE {1})")


def _has_ipv4(full_only: bool, many: bool) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        source = _text(ctx, args[0])
        if source is None:
            return exp.Null()
        items = args[1:]
        values = _range_values(items) if many else ([items[0].const] if items[0].is_const else None)
        if values is not None:
            patterns = [p for p in (_prefix_pattern(v, full_only) for v in values) if p is not None]
            return _search(source, patterns)
        texts = _range_list(ctx, items)
        if texts is None:
            return exp.Null()
        return fn(
            "has_ipv4_texts",
            exp.Coalesce(this=source, expressions=[lit("")]),
            texts,
            exp.Boolean(this=full_only),
        )

    return lower


def _has_texts(a: list[str]) -> str:
    # the octets given, then a pattern for each octet missing from a prefix
    octets = "list_filter(string_split(_ip, '.'), lambda _o: _o <> '')"
    pattern = (
        "CASE WHEN regexp_full_match(_ip, '" + _PREFIX_RE.pattern + "') "
        f"AND list_bool_and(list_transform({octets}, lambda _o: _o::INTEGER <= 255)) "
        + (f"AND len({octets}) = 4 " if a[2] == "TRUE" else "")
        + f"THEN regexp_escape(_ip) || array_to_string(list_transform(range(4 - len({octets})), "
        "lambda _o: '" + _OCTET + "'), '\\.') END"
    )
    hit = f"coalesce(regexp_matches({a[0]}, '{_DELIM_LEFT}(' || {pattern} || '){_DELIM_RIGHT}'), false)"
    return f"coalesce(list_bool_or(list_transform({a[1]}, lambda _ip: {hit})), false)"


T("has_ipv4_texts", _has_texts)


# ------------------------------------------------------------------ the functions

_S, _B, _L = KType.STRING, KType.BOOL, KType.LONG


def _spec(name: str, lo: int, hi: int | None, ret: KType, lower: Any, **kw: Any) -> None:
    add(FunctionSpec(name, lo, hi, ret, lower, **kw))


_spec("parse_ipv4", 1, 1, _L, _op("ipv4_parse", 1))
_spec("parse_ipv4_mask", 2, 2, _L, _op("ipv4_parse_mask", 1))
_spec("ipv4_netmask_suffix", 1, 1, _L, _op("ipv4_suffix", 1))
_spec("ipv4_is_private", 1, 1, _B, _op("ipv4_is_private", 1))
_spec("ipv4_compare", 2, 3, _L, _op("ipv4_compare", 2))
_spec(
    "ipv4_is_match",
    2,
    3,
    _B,
    lambda c, a: exp.EQ(this=_op("ipv4_compare", 2)(c, a), expression=lit(0)),
)
_spec("ipv4_is_in_range", 2, 2, _B, _op("ipv4_in_range", 2))
_spec("ipv4_is_in_any_range", 2, None, _B, _is_in_any_range4)
_spec("format_ipv4", 1, 2, _S, _format_lower("ipv4_format"))
_spec("format_ipv4_mask", 1, 2, _S, _format_lower("ipv4_format_mask"))
_spec("ipv4_range_to_cidr_list", 2, 2, KType.DYNAMIC, _op("ipv4_range_to_cidr", 2))
_spec("parse_ipv6", 1, 1, _S, _op("ipv6_parse", 1))
_spec("parse_ipv6_mask", 2, 2, _S, _op("ipv6_parse_mask", 1))
_spec("ipv6_compare", 2, 3, _L, _op("ipv6_compare", 2))
_spec(
    "ipv6_is_match",
    2,
    3,
    _B,
    lambda c, a: exp.EQ(this=_op("ipv6_compare", 2)(c, a), expression=lit(0)),
)


_spec("ipv6_is_in_range", 2, 2, _B, _is_in_any_range6)
_spec("ipv6_is_in_any_range", 2, None, _B, _is_in_any_range6)
_spec("has_ipv4", 2, 2, _B, _has_ipv4(True, False))
_spec("has_ipv4_prefix", 2, 2, _B, _has_ipv4(False, False))
_spec("has_any_ipv4", 2, None, _B, _has_ipv4(True, True))
_spec("has_any_ipv4_prefix", 2, None, _B, _has_ipv4(False, True))


# ------------------------------------------------------------------ Spark translations
# The same structs and algorithms in Spark SQL: `named_struct`, 0-based `arr[i]`, `transform`,
# `aggregate`; regexes are Java's, written without backslashes (Spark literals unescape them).
# Lambda variables carry a suffix where parsers nest, so that no inner lambda hides an outer one.

SPARK = FAMILY.spark
_V4_RE_S = "^([0-9]{1,3})[.]([0-9]{1,3})[.]([0-9]{1,3})[.]([0-9]{1,3})(/([0-9]{1,2}))?$"
_V6_RE_S = "^([0-9A-Fa-f:.]+)(/([0-9]{1,3}))?$"
_V6_TAIL_RE_S = "^(.*:)([0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3})$"


def _slet(value: str, name: str, body: str) -> str:
    return SP.let(value, name, body)


def _sbind(args: list[str], body: Callable[[list[str]], str]) -> str:
    fields = ", ".join(f"'a{i}', {a}" for i, a in enumerate(args))
    return _slet(
        f"named_struct({fields})", "__ip_t", body([f"__ip_t.a{i}" for i in range(len(args))])
    )


def _smask4(ip: str, length: str) -> str:
    return f"({ip} - {ip} % shiftleft(CAST(1 AS BIGINT), 32 - ({length})))"


def _sv4(text: str, tag: str = "") -> str:
    """The parsed IPv4 struct {ip BIGINT, len INT} of `text`, or NULL."""
    m, v = f"__ip_m{tag}", f"__ip_v{tag}"
    octets = [f"CAST({m}.o{i} AS BIGINT)" for i in range(4)]
    ok = " AND ".join(f"{o} <= 255" for o in octets)
    ip = f"({octets[0]} * 16777216 + {octets[1]} * 65536 + {octets[2]} * 256 + {octets[3]})"
    length = f"CASE WHEN {m}.p = '' THEN 32 ELSE CAST({m}.p AS INT) END"
    parsed = _slet(
        f"named_struct('ip', {ip}, 'len', {length})",
        v,
        f"CASE WHEN {v}.len <= 32 THEN named_struct('ip', {_smask4(f'{v}.ip', f'{v}.len')}, "
        f"'len', {v}.len) END",
    )
    groups = [f"'o{i}', regexp_extract(__ip_x{tag}, '{_V4_RE_S}', {i + 1})" for i in range(4)]
    fields = ", ".join([*groups, f"'p', regexp_extract(__ip_x{tag}, '{_V4_RE_S}', 6)"])
    body = f"CASE WHEN {m}.o0 <> '' AND {ok} THEN {parsed} END"
    return _slet(text, f"__ip_x{tag}", _slet(f"named_struct({fields})", m, body))


def _sv4_text(ip: str) -> str:
    parts = [f"CAST(shiftright({ip}, {s}) % 256 AS STRING)" for s in (24, 16, 8, 0)]
    return "concat(" + ", '.', ".join(parts) + ")"


def _sv6_groups(hexpart: str) -> str:
    """The 8 groups (array<int>) of hex text with at most one `::`, or NULL."""
    side = "CASE WHEN {0} = '' THEN CAST(array() AS array<string>) ELSE split({0}, ':') END"
    left, right = side.format("__ip_s[0]"), side.format("__ip_s[1]")
    filled = _slet(
        f"named_struct('l', {left}, 'r', {right})",
        "__ip_lr",
        "CASE WHEN size(__ip_lr.l) + size(__ip_lr.r) <= 7 THEN concat(__ip_lr.l, "
        "array_repeat('0', 8 - size(__ip_lr.l) - size(__ip_lr.r)), __ip_lr.r) END",
    )
    texts = (
        f"CASE WHEN size(__ip_s) = 1 THEN split(__ip_s[0], ':') "
        f"WHEN size(__ip_s) = 2 THEN {filled} END"
    )
    groups = (
        "CASE WHEN size(__ip_gs) = 8 AND forall(__ip_gs, __ip_h -> __ip_h RLIKE "
        "'^[0-9A-Fa-f]{1,4}$') THEN transform(__ip_gs, __ip_h -> CAST(conv(__ip_h, 16, 10) AS INT)) "
        "END"
    )
    return _slet(_slet(f"split({hexpart}, '::')", "__ip_s", texts), "__ip_gs", groups)


def _smask6(groups: str, length: str) -> str:
    bits = f"greatest(least(({length}) - 16 * __ip_i, 16), 0)"
    return f"transform({groups}, (__ip_y, __ip_i) -> __ip_y - __ip_y % shiftleft(1, 16 - {bits}))"


def _sv6_struct(groups: str, length: str) -> str:
    return _slet(
        f"named_struct('g', {groups}, 'len', {length})",
        "__ip_w",
        "CASE WHEN __ip_w.g IS NOT NULL AND __ip_w.len <= 128 "
        f"THEN named_struct('g', {_smask6('__ip_w.g', '__ip_w.len')}, 'len', __ip_w.len) END",
    )


def _sv6(text: str) -> str:
    """The parsed IPv6 struct {g array<int>, len INT} of `text` (IPv6 or IPv4), or NULL."""
    m = "__ip_m6"
    from_v4 = _sv6_struct(
        "array(0, 0, 0, 0, 0, 65535, CAST(shiftright(__ip_q.ip, 16) AS INT), "
        "CAST(__ip_q.ip % 65536 AS INT))",
        "__ip_q.len + 96",
    )
    v4 = _slet(_sv4(f"{m}.x", "4"), "__ip_q", f"CASE WHEN __ip_q IS NOT NULL THEN {from_v4} END")
    tail = (
        f"named_struct('h', regexp_extract({m}.a, '{_V6_TAIL_RE_S}', 1), "
        f"'t', regexp_extract({m}.a, '{_V6_TAIL_RE_S}', 2))"
    )
    tail_groups = "format_string('%x:%x', shiftright(__ip_q.ip, 16), __ip_q.ip % 65536)"
    hexpart = (
        f"CASE WHEN __ip_n.t = '' THEN {m}.a ELSE "
        + _slet(
            _sv4("__ip_n.t", "t"),
            "__ip_q",
            f"CASE WHEN __ip_q IS NOT NULL THEN concat(__ip_n.h, {tail_groups}) END",
        )
        + " END"
    )
    mapped = _sv6_struct(
        "array(0, 0, 0, 0, 0, 65535, __ip_g[6], __ip_g[7])",
        f"CASE WHEN {m}.p = '' THEN 128 WHEN CAST({m}.p AS INT) <= 32 "
        f"THEN 96 + CAST({m}.p AS INT) END",
    )
    plain = _sv6_struct("__ip_g", f"CASE WHEN {m}.p = '' THEN 128 ELSE CAST({m}.p AS INT) END")
    body = (
        "CASE WHEN __ip_g IS NULL THEN NULL WHEN __ip_n.t <> '' AND slice(__ip_g, 1, 5) = "
        f"array(0, 0, 0, 0, 0) AND __ip_g[5] IN (0, 65535) THEN {mapped} ELSE {plain} END"
    )
    hexed = _slet(tail, "__ip_n", _slet(_sv6_groups(hexpart), "__ip_g", body))
    fields = (
        f"'x', __ip_x6, 'a', regexp_extract(__ip_x6, '{_V6_RE_S}', 1), "
        f"'p', regexp_extract(__ip_x6, '{_V6_RE_S}', 3)"
    )
    return _slet(
        text,
        "__ip_x6",
        _slet(
            f"named_struct({fields})",
            m,
            f"CASE WHEN {m}.a = '' THEN NULL WHEN NOT contains({m}.a, ':') THEN {v4} "
            f"ELSE {hexed} END",
        ),
    )


def _sv6_text(groups: str) -> str:
    return f"array_join(transform({groups}, __ip_z -> format_string('%04x', __ip_z)), ':')"


SPARK(_OP + "ipv4_parse", lambda a: f"{_sv4(a[0])}.ip")
SPARK(_OP + "ipv4_suffix", lambda a: f"{_sv4(a[0])}.len")
SPARK(
    _OP + "ipv4_parse_mask",
    lambda a: _sbind(
        a,
        lambda t: _slet(
            _sv4(t[0]),
            "__ip_p",
            f"CASE WHEN {_in_prefix(t[1], 0, 32)} "
            f"THEN {_smask4('__ip_p.ip', f'least(__ip_p.len, {t[1]})')} END",
        ),
    ),
)
SPARK(
    _OP + "ipv4_from_long",
    "CASE WHEN {0} BETWEEN 0 AND 4294967295 "
    "THEN named_struct('ip', CAST({0} AS BIGINT), 'len', 32) END",
)
SPARK(_OP + "ipv4_struct", lambda a: _sv4(a[0]))


def _sformat4(with_mask: bool) -> Callable[[list[str]], str]:
    def render(a: list[str]) -> str:
        def body(t: list[str]) -> str:
            length = f"least(__ip_p.len, {t[1]})" if len(t) > 1 else "__ip_p.len"
            ok = "__ip_p IS NOT NULL" + (f" AND {_in_prefix(t[1], 0, 32)}" if len(t) > 1 else "")
            suffix = ", '/', CAST(__ip_r.len AS STRING)" if with_mask else ""
            masked = _slet(
                f"named_struct('ip', {_smask4('__ip_p.ip', length)}, 'len', {length})",
                "__ip_r",
                f"concat({_sv4_text('__ip_r.ip')}{suffix})",
            )
            return _slet(t[0], "__ip_p", f"CASE WHEN {ok} THEN {masked} ELSE '' END")

        return _sbind(a, body)

    return render


SPARK(_OP + "ipv4_format", _sformat4(False))
SPARK(_OP + "ipv4_format_mask", _sformat4(True))


def _scompare4(a: list[str]) -> str:
    def body(t: list[str]) -> str:
        length = "least(__ip_p.a.len, __ip_p.b.len" + (f", {t[2]})" if len(t) > 2 else ")")
        ok = f" AND {_in_prefix(t[2], 0, 32)}" if len(t) > 2 else ""
        diff = f"{_smask4('__ip_p.a.ip', length)} - {_smask4('__ip_p.b.ip', length)}"
        cmp = f"CAST(sign({diff}) AS BIGINT)"
        parsed = f"named_struct('a', {_sv4(t[0], 'a')}, 'b', {_sv4(t[1], 'b')})"
        return _slet(
            parsed,
            "__ip_p",
            f"CASE WHEN __ip_p.a IS NOT NULL AND __ip_p.b IS NOT NULL{ok} THEN {cmp} END",
        )

    return _sbind(a, body)


SPARK(_OP + "ipv4_compare", _scompare4)
SPARK(
    _OP + "ipv4_in_range",
    lambda a: _slet(
        f"named_struct('a', {_sv4(a[0], 'a')}, 'r', {_sv4(a[1], 'r')})",
        "__ip_p",
        "CASE WHEN __ip_p.a IS NOT NULL AND __ip_p.r IS NOT NULL THEN "
        f"{_smask4('__ip_p.a.ip', '__ip_p.r.len')} = __ip_p.r.ip END",
    ),
)


def _sin_const_ranges(a: list[str]) -> str:
    conds = [f"{_smask4('__ip_p.ip', a[i + 1])} = {a[i]}" for i in range(1, len(a) - 1, 2)] or [
        "false"
    ]
    return _slet(
        _sv4(a[0]), "__ip_p", f"CASE WHEN __ip_p IS NOT NULL THEN ({' OR '.join(conds)}) END"
    )


def _sin_ranges(a: list[str]) -> str:
    hit = f"coalesce({_smask4('__ip_p.ip', '__ip_r.len')} = __ip_r.ip, false)"
    ranges = f"transform({a[1]}, __ip_rx -> {_sv4('__ip_rx', 'r')})"
    any_hit = f"coalesce(exists({ranges}, __ip_r -> {hit}), false)"
    return _slet(_sv4(a[0]), "__ip_p", f"CASE WHEN __ip_p IS NOT NULL THEN {any_hit} END")


SPARK(_OP + "ipv4_in_const_ranges", _sin_const_ranges)
SPARK(_OP + "ipv4_in_ranges", _sin_ranges)
SPARK(
    _OP + "json_text_list",
    lambda a: f"transform({SP.elements(a[0], '__ip_je')}, __ip_j -> {SP.text('__ip_j')})",
)
SPARK(_OP + "text_list", "array({args})")


def _sprivate(a: list[str]) -> str:
    conds = [
        f"(__ip_p.len >= {n} AND {_smask4('__ip_p.ip', str(n))} = {int(ipaddress.IPv4Address(ip))})"
        for ip, n in _PRIVATE
    ]
    return _slet(
        _sv4(a[0]), "__ip_p", f"CASE WHEN __ip_p IS NOT NULL THEN ({' OR '.join(conds)}) END"
    )


SPARK(_OP + "ipv4_is_private", _sprivate)


def _srange_to_cidr(a: list[str]) -> str:
    size = (
        "least(CASE WHEN __ip_s.cur = 0 THEN 32 ELSE bit_count(__ip_s.cur ^ (__ip_s.cur - 1)) - 1 "
        "END, CAST(floor(log2(__ip_e.ip - __ip_s.cur + 1)) AS INT))"
    )
    block = f"concat({_sv4_text('__ip_s.cur')}, '/', CAST(32 - __ip_k AS STRING))"
    grow = (
        "named_struct('cur', __ip_s.cur + shiftleft(CAST(1 AS BIGINT), __ip_k), "
        f"'out', concat(__ip_s.out, array({block})))"
    )
    step = f"CASE WHEN __ip_s.cur > __ip_e.ip THEN __ip_s ELSE {_slet(size, '__ip_k', grow)} END"
    start = "named_struct('cur', __ip_b.ip, 'out', CAST(array() AS array<string>))"
    blocks = (
        f"aggregate(sequence(0, 63), {start}, (__ip_s, __ip_i) -> {step}, __ip_s -> __ip_s.out)"
    )
    body = _slet(
        _sv4(a[1], "e"),
        "__ip_e",
        f"CASE WHEN __ip_e IS NULL OR __ip_b.ip > __ip_e.ip THEN NULL ELSE to_json({blocks}) END",
    )
    return _slet(_sv4(a[0], "b"), "__ip_b", f"CASE WHEN __ip_b IS NULL THEN NULL ELSE {body} END")


SPARK(_OP + "ipv4_range_to_cidr", _srange_to_cidr)
SPARK(
    _OP + "ipv6_parse",
    lambda a: _slet(
        _sv6(a[0]), "__ip_p", f"CASE WHEN __ip_p IS NULL THEN '' ELSE {_sv6_text('__ip_p.g')} END"
    ),
)


def _sparse6_mask(a: list[str]) -> str:
    def body(t: list[str]) -> str:
        masked = _slet(
            _smask6("__ip_p.g", f"least(__ip_p.len, {t[1]})"), "__ip_mg", _sv6_text("__ip_mg")
        )
        ok = f"__ip_p IS NOT NULL AND {_in_prefix(t[1], 0, 128)}"
        return _slet(_sv6(t[0]), "__ip_p", f"CASE WHEN {ok} THEN {masked} ELSE '' END")

    return _sbind(a, body)


SPARK(_OP + "ipv6_parse_mask", _sparse6_mask)


def _scompare6(a: list[str]) -> str:
    def body(t: list[str]) -> str:
        length = "least(__ip_p.a.len, __ip_p.b.len" + (f", {t[2]})" if len(t) > 2 else ")")
        ok = f" AND {_in_prefix(t[2], 0, 128)}" if len(t) > 2 else ""
        masked = (
            f"named_struct('a', {_smask6('__ip_p.a.g', length)}, "
            f"'b', {_smask6('__ip_p.b.g', length)})"
        )
        cmp = _slet(
            masked,
            "__ip_c",
            "CAST(CASE WHEN __ip_c.a < __ip_c.b THEN -1 WHEN __ip_c.a > __ip_c.b THEN 1 ELSE 0 END "
            "AS BIGINT)",
        )
        parsed = f"named_struct('a', {_sv6(t[0])}, 'b', {_sv6(t[1])})"
        return _slet(
            parsed,
            "__ip_p",
            f"CASE WHEN __ip_p.a IS NOT NULL AND __ip_p.b IS NOT NULL{ok} THEN {cmp} END",
        )

    return _sbind(a, body)


SPARK(_OP + "ipv6_compare", _scompare6)


def _sin_ranges6(a: list[str]) -> str:
    hit = f"coalesce({_smask6('__ip_p.g', '__ip_r.len')} = __ip_r.g, false)"
    ranges = f"transform({a[1]}, __ip_rx -> {_sv6('__ip_rx')})"
    any_hit = f"coalesce(exists({ranges}, __ip_r -> {hit}), false)"
    return _slet(_sv6(a[0]), "__ip_p", f"CASE WHEN __ip_p IS NOT NULL THEN {any_hit} END")


SPARK(_OP + "ipv6_in_ranges", _sin_ranges6)


def _shas_texts(a: list[str]) -> str:
    octets = "filter(split(__ip_h, '[.]'), __ip_o -> __ip_o <> '')"
    prefix_re = _PREFIX_RE.pattern.replace("\\d", "[0-9]").replace("\\.", "[.]")
    pattern = (
        f"CASE WHEN __ip_h RLIKE '^({prefix_re})$' "
        f"AND forall({octets}, __ip_o -> CAST(__ip_o AS INT) <= 255) "
        + (f"AND size({octets}) = 4 " if a[2] == "TRUE" else "")
        + f"THEN concat(replace(__ip_h, '.', '[.]'), array_join(array_repeat('{_OCTET}', "
        f"4 - size({octets})), '[.]')) END"
    )
    hit = f"coalesce({a[0]} RLIKE concat('{_DELIM_LEFT}(', {pattern}, '){_DELIM_RIGHT}'), false)"
    return f"coalesce(exists({a[1]}, __ip_h -> {hit}), false)"


SPARK(_OP + "has_ipv4_texts", _shas_texts)
