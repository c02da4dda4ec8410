"""Hashes: xxhash64 (`hash`, `hash_xxhash64`), the cryptographic digests, hash combinations.

DuckDB has no xxhash, so XXH64 (seed 0) is computed in SQL: 64-bit unsigned arithmetic on
UHUGEINT reduced modulo 2^64, over the input bytes spelled as a hex string. Lambdas
(`list_transform([e], lambda x: ...)[1]`) bind intermediate values so that each is computed once.
Kusto hashes a string's UTF-8 bytes and a datetime's 8 little-endian bytes of .NET ticks.
"""

from __future__ import annotations

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions.base import Arg, Ctx, Family, FunctionSpec, Template, to_string
from kustodian.kql.sqlnodes import epoch_ns, lit
from kustodian.kql.sqlnodes import fn as sql_fn
from kustodian.kql.types import KType

FAMILY = Family("hash")
add = FAMILY.add
# the family's operations carry its prefix, so that their names cannot clash with another
# family's in the merged template tables
_OP = "hash_"


def T(op: str, duckdb: Template, spark: Template | None = None) -> None:
    FAMILY.template(_OP + op, duckdb, spark)


def fn(op: str, *args: exp.Expression) -> exp.Expression:
    return sql_fn(_OP + op, *args)


# ------------------------------------------------------------------ XXH64 in SQL

P1 = 11400714785074694791
P2 = 14029467366897019727
P3 = 1609587929392839161
P4 = 9650029242287828579
P5 = 2870177450012600261
TWO64 = 1 << 64
EPOCH_TICKS = 621355968000000000  # .NET ticks of 1970-01-01


def _c(v: int) -> str:
    return f"{v % TWO64}::UBIGINT"


# reduced modulo 2^64 with a mask: UHUGEINT `%` is two orders of magnitude slower in DuckDB
_LOW64 = f"{TWO64 - 1}::UHUGEINT"


def _mul(a: str, k: int) -> str:
    return f"CAST((CAST({a} AS UHUGEINT) * {_c(k)}) & {_LOW64} AS UBIGINT)"


def _add(a: str, b: str) -> str:
    return f"CAST((CAST({a} AS UHUGEINT) + {b}) & {_LOW64} AS UBIGINT)"


def _xor(a: str, b: str) -> str:
    return f"xor({a}, {b})"


def _let(value: str, name: str, body: str) -> str:
    """`body` with `name` bound to `value`, computed once."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def _rotl(name: str, r: int) -> str:
    # mask first: DuckDB raises on a left shift that overflows
    return f"((({name} & {_c((1 << (64 - r)) - 1)}) << {r}) | ({name} >> {64 - r}))"


def _rotl_of(value: str, r: int) -> str:
    return _let(value, "_xr", _rotl("_xr", r))


def _round(acc: str, word: str) -> str:
    return _mul(_rotl_of(_add(acc, _mul(word, P2)), 31), P1)


def _word(rh: str, n: str, offset: str, size: int) -> str:
    """The little-endian unsigned integer of `size` bytes at byte `offset` of the input.

    `rh` names the hex string of the input's bytes in reverse order, where those bytes read
    most significant first.
    """
    return f"CAST('0x' || substr({rh}, 2 * ({n} - ({offset}) - {size}) + 1, {2 * size}) AS UBIGINT)"


def _stripes(rh: str, n: str) -> str:
    """The accumulator after the 32-byte stripes, converged (inputs of at least 32 bytes)."""
    lanes = ", ".join(
        f"'v{i}': {_round(f'_xa.v{i}', _word(rh, n, f'_xs * 32 + {8 * (i - 1)}', 8))}"
        for i in range(1, 5)
    )
    seeds = (P1 + P2, P2, 0, -P1)
    init = "{" + ", ".join(f"'v{i}': {_c(v)}" for i, v in enumerate(seeds, 1)) + "}"
    acc = f"list_reduce(range({n} // 32), lambda _xa, _xs: {{{lanes}}}, {init})"
    h = _rotl("_xv.v1", 1)
    for i, r in ((2, 7), (3, 12), (4, 18)):
        h = _add(h, _rotl(f"_xv.v{i}", r))
    for i in range(1, 5):
        h = _add(_mul(_xor(h, _round(_c(0), f"_xv.v{i}")), P1), _c(P4))
    return _let(acc, "_xv", h)


def _step(h: str, cond: str, step: str) -> str:
    """`step` (over `_xh`) applied to accumulator `h` when `cond` holds."""
    return _let(h, "_xh", f"CASE WHEN {cond} THEN {step} ELSE _xh END")


def _tail(rh: str, n: str, h: str) -> str:
    """The 8-, 4- and 1-byte steps after the stripes (at most 3, 1 and 3 of them)."""
    for i in range(3):
        word = _word(rh, n, f"{n} // 32 * 32 + {8 * i}", 8)
        step = _add(_mul(_rotl_of(_xor("_xh", _round(_c(0), word)), 27), P1), _c(P4))
        h = _step(h, f"{n} % 32 // 8 > {i}", step)
    step = _xor("_xh", _mul(_word(rh, n, f"{n} // 8 * 8", 4), P1))
    h = _step(h, f"{n} % 8 >= 4", _add(_mul(_rotl_of(step, 23), P2), _c(P3)))
    for i in range(3):
        step = _xor("_xh", _mul(_word(rh, n, f"{n} // 4 * 4 + {i}", 1), P5))
        h = _step(h, f"{n} % 4 > {i}", _mul(_rotl_of(step, 11), P1))
    return h


def _xxh64(rh: str) -> str:
    """SQL: XXH64 with seed 0 (UBIGINT) of the input whose reversed hex string is named `rh`."""
    n = f"(length({rh}) // 2)"
    h = f"CASE WHEN {n} >= 32 THEN {_stripes(rh, n)} ELSE {_c(P5)} END"
    h = _tail(rh, n, _add(h, f"CAST({n} AS UBIGINT)"))
    for shift, prime in ((33, P2), (29, P3)):
        h = _let(h, "_xz", _mul(_xor("_xz", f"_xz >> {shift}"), prime))
    return _let(h, "_xz", _xor("_xz", "_xz >> 32"))


def _signed(u: str) -> str:
    return _let(
        u,
        "_xu",
        f"CAST(CASE WHEN _xu >= {1 << 63} THEN _xu::HUGEINT - {TWO64} ELSE _xu END AS BIGINT)",
    )


def _xxh64_of_hex(a: list[str]) -> str:
    return _let(a[0], "_xrh", _signed(_xxh64("_xrh")))


def _xxh64_mod_of_hex(a: list[str]) -> str:
    # the hash is reduced as the unsigned 64-bit number XXH64 returns, so that the result is
    # in [0, mod) as documented
    reduced = f"CASE WHEN {a[1]} > 0 THEN CAST(_xu % {a[1]} AS BIGINT) END"
    return _let(a[0], "_xrh", _let(_xxh64("_xrh"), "_xu", reduced))


def _utf8_reversed_hex(a: list[str]) -> str:
    # reversing the text reverses its bytes when it is ASCII (one byte per character)
    by_byte = (
        "array_to_string(list_transform(range(length(_xb) // 2 - 1, -1, -1), "
        "lambda _i: substr(_xb, 2 * _i + 1, 2)), '')"
    )
    return _let(
        a[0],
        "_xs",
        "CASE WHEN octet_length(encode(_xs)) = length(_xs) THEN hex(encode(reverse(_xs))) "
        f"ELSE {_let('hex(encode(_xs))', '_xb', by_byte)} END",
    )


T("xxh64", _xxh64_of_hex)
T("xxh64_mod", _xxh64_mod_of_hex)
# the input bytes of XXH64, as hex in reverse byte order: the 8 little-endian bytes of a
# BIGINT reversed are its big-endian hex
T("utf8_reversed_hex", _utf8_reversed_hex)
T("long_reversed_hex", "printf('%016x', CAST({0} AS BIGINT))")
# `||` rather than concat(): a null hash makes the combination null
T("concat_text", lambda a: "(" + " || ".join(a) + ")", lambda a: "(" + " || ".join(a) + ")")
T(
    "datetime_o_string",
    "(strftime({0}, '%Y-%m-%dT%H:%M:%S.') || substr(strftime({0}, '%n'), 1, 7) || 'Z')",
    # Spark keeps microseconds: the seventh digit is 0
    "date_format({0}, \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'0Z'\")",
)
FAMILY.no_translation(
    _OP + "xxh64", "spark", "Spark's xxhash64 has a fixed seed (42); Kusto's hash uses seed 0"
)
FAMILY.no_translation(
    _OP + "xxh64_mod", "spark", "Spark's xxhash64 has a fixed seed (42); Kusto's hash uses seed 0"
)
T("md5", "md5({0})", "md5({0})")
T("sha1", "sha1({0})", "sha1({0})")
T("sha256", "sha256({0})", "sha2({0}, 256)")


def _coalesce(e: exp.Expression, default: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=e, expressions=[default])


def _bytes_hex(a: Arg) -> exp.Expression:
    """The hex spelling of the bytes Kusto hashes for a value (null for a null value)."""
    if a.type is KType.STRING:
        return fn("utf8_reversed_hex", _coalesce(a.sql, lit("")))
    if a.type is KType.DATETIME:
        ticks = exp.Add(
            this=exp.IntDiv(this=epoch_ns(a.sql), expression=lit(100)), expression=lit(EPOCH_TICKS)
        )
        return fn("long_reversed_hex", ticks)
    if a.type in (KType.LONG, KType.INT, KType.TIMESPAN):
        return fn("long_reversed_hex", a.sql)
    text = to_string(a)
    return exp.If(
        this=exp.Is(this=a.sql, expression=exp.Null()),
        true=exp.Null(),
        false=fn("utf8_reversed_hex", text),
    )


def _hashable(ctx: Ctx, a: Arg) -> bool:
    if a.type is KType.DYNAMIC:
        ctx.error(D.type_error(f"{ctx.name}() cannot hash a dynamic value", a.span, ks="KS116"))
        return False
    return True


def _hash(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    src = args[0]
    if not _hashable(ctx, src):
        return exp.Null()
    if src.type is KType.NULL:
        return exp.Null()
    if len(args) == 1:
        return fn("xxh64", _bytes_hex(src))
    mod = args[1]
    if not (mod.type in (KType.INT, KType.LONG) or mod.type is KType.NULL):
        return ctx.error(
            D.type_error(f"{ctx.name}() needs an integer mod, not {mod.type}", mod.span)
        )
    return fn("xxh64_mod", _bytes_hex(src), mod.sql)


_HASH_NOTE = (
    "string and datetime values hash as in Kusto (UTF-8 bytes, .NET ticks); int, long and "
    "timespan values hash their 8 little-endian bytes and other types their tostring() text, "
    "which may differ from Kusto's values; with mod, the unsigned hash is reduced"
)

add(FunctionSpec("hash", 1, 2, KType.LONG, _hash, status="partial", note=_HASH_NOTE))
add(FunctionSpec("hash_xxhash64", 1, 2, KType.LONG, _hash, status="partial", note=_HASH_NOTE))


# ------------------------------------------------------------------ combinations


def _combine_sql(hashes: list[exp.Expression]) -> exp.Expression:
    # XXH64 of the hashes' 8-byte little-endian encodings one after the other, whose
    # byte-reversed hex is the big-endian hex of the hashes in reverse order
    return fn("xxh64", fn("concat_text", *[fn("long_reversed_hex", h) for h in reversed(hashes)]))


def _hash_combine(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    for a in args:
        if a.type not in (KType.INT, KType.LONG, KType.NULL):
            return ctx.error(
                D.type_error(f"hash_combine() needs long hash values, not {a.type}", a.span)
            )
    return _combine_sql([a.sql for a in args])


def _hash_many(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    if not all(_hashable(ctx, a) for a in args):
        return exp.Null()
    return _combine_sql([fn("xxh64", _bytes_hex(a)) for a in args])


_COMBINE_NOTE = (
    "Kusto's combination function is undocumented: results are stable but differ from Kusto's"
)

add(
    FunctionSpec(
        "hash_combine", 2, 64, KType.LONG, _hash_combine, status="partial", note=_COMBINE_NOTE
    )
)
add(FunctionSpec("hash_many", 1, 64, KType.LONG, _hash_many, status="partial", note=_COMBINE_NOTE))


# ------------------------------------------------------------------ digests


def _digest_text(a: Arg) -> exp.Expression:
    if a.type is KType.STRING:
        return _coalesce(a.sql, lit(""))
    if a.type is KType.DATETIME:
        return fn("datetime_o_string", a.sql)
    return to_string(a)


def _digest(op: str) -> FunctionSpec:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        a = args[0]
        if not _hashable(ctx, a):
            return exp.Null()
        if a.type is KType.NULL:
            return lit("")
        digest = fn(op, _digest_text(a))
        if a.type is KType.STRING:
            return digest
        return exp.If(this=exp.Is(this=a.sql, expression=exp.Null()), true=lit(""), false=digest)

    name = {"md5": "hash_md5", "sha1": "hash_sha1", "sha256": "hash_sha256"}[op]
    return FunctionSpec(name, 1, 1, KType.STRING, lower)


for _op in ("md5", "sha1", "sha256"):
    add(_digest(_op))
