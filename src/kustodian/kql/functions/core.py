"""Core: conversions (to*), null and emptiness tests, bin(), and the engine operations the
binder itself relies on (time arithmetic, dynamic access, text forms of values)."""

from __future__ import annotations

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions import spark as S
from kustodian.kql.functions.base import (
    Arg,
    Ctx,
    Family,
    FunctionSpec,
    to_string,
    to_type,
)
from kustodian.kql.sqlnodes import cast, epoch_ns, fn, lit
from kustodian.kql.types import KType

FAMILY = Family("core")
add = FAMILY.add
T = FAMILY.template


# ------------------------------------------------------------------ engine operations

# time: datetime is a nanosecond timestamp, timespan an integer count of 100 ns ticks.
# Spark timestamps have microseconds: nanoseconds are floored to them (also before 1970).


def _spark_from_ns(ns: str) -> str:
    return f"timestamp_micros(div({ns}, 1000) - CASE WHEN {ns} % 1000 < 0 THEN 1 ELSE 0 END)"


T("now", "make_timestamp_ns($kql_now)", _spark_from_ns(":kql_now"))
T("datetime_literal", "make_timestamp_ns({0})", lambda a: _spark_from_ns(a[0]))
T("epoch_ns", "epoch_ns({0})", "(unix_micros({0}) * 1000)")
T("now_ns", "$kql_now", ":kql_now")
# the timespan restriction's bounds as parameters (compile_all(window_params=True)), included
T("window_start", "make_timestamp_ns($kql_start)", _spark_from_ns(":kql_start"))
T("window_end", "make_timestamp_ns($kql_end)", _spark_from_ns(":kql_end"))
T(
    "from_epoch_ns",
    "make_timestamp_ns(CAST({0} AS BIGINT))",
    lambda a: _spark_from_ns(f"CAST({a[0]} AS BIGINT)"),
)
T("int_div", "({0} // {1})", "div({0}, {1})")
T("int_mod", "((({0}) % ({1}) + abs({1})) % abs({1}))", "((({0}) % ({1}) + abs({1})) % abs({1}))")
T(
    "real_to_long",
    "TRY_CAST(trunc({0}) AS BIGINT)",
    "CASE WHEN isnan({0}) OR abs({0}) >= 9.223372036854776E18 THEN NULL ELSE CAST({0} AS BIGINT) END",
)
T("long_to_int", "TRY_CAST({0} AS INTEGER)", "TRY_CAST({0} AS INT)")

# text forms (tostring)
T(
    "dynamic_to_string",
    "json_extract_string({0}, '$')",  # a string's text unquoted, null for null, else JSON text
    lambda a: S.text(a[0]),
)
T(
    "datetime_to_string",
    "(strftime({0}, '%Y-%m-%dT%H:%M:%S.') || substr(strftime({0}, '%n'), 1, 7) || 'Z')",
    # Spark has microseconds: the seventh fraction digit is always 0
    "date_format({0}, \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'0Z'\")",
)
T(
    "timespan_to_string",
    lambda a: (
        f"(CASE WHEN {a[0]} < 0 THEN '-' ELSE '' END || "
        f"CASE WHEN abs({a[0]}) >= 864000000000 THEN CAST(abs({a[0]}) // 864000000000 AS VARCHAR) || '.' ELSE '' END || "
        f"lpad(CAST((abs({a[0]}) // 36000000000) % 24 AS VARCHAR), 2, '0') || ':' || "
        f"lpad(CAST((abs({a[0]}) // 600000000) % 60 AS VARCHAR), 2, '0') || ':' || "
        f"lpad(CAST((abs({a[0]}) // 10000000) % 60 AS VARCHAR), 2, '0') || "
        f"CASE WHEN abs({a[0]}) % 10000000 = 0 THEN '' ELSE '.' || lpad(CAST(abs({a[0]}) % 10000000 AS VARCHAR), 7, '0') END)"
    ),
    lambda a: (
        f"concat(CASE WHEN {a[0]} < 0 THEN '-' ELSE '' END, "
        f"CASE WHEN abs({a[0]}) >= 864000000000 THEN concat(CAST(div(abs({a[0]}), 864000000000) AS STRING), '.') ELSE '' END, "
        f"lpad(CAST(div(abs({a[0]}), 36000000000) % 24 AS STRING), 2, '0'), ':', "
        f"lpad(CAST(div(abs({a[0]}), 600000000) % 60 AS STRING), 2, '0'), ':', "
        f"lpad(CAST(div(abs({a[0]}), 10000000) % 60 AS STRING), 2, '0'), "
        f"CASE WHEN abs({a[0]}) % 10000000 = 0 THEN '' ELSE concat('.', lpad(CAST(abs({a[0]}) % 10000000 AS STRING), 7, '0')) END)"
    ),
)
T(
    "real_to_string",
    "CASE WHEN isnan({0}) THEN 'NaN' WHEN isinf({0}) THEN CASE WHEN {0} > 0 THEN 'Infinity' ELSE '-Infinity' END "
    "WHEN {0} = trunc({0}) AND abs({0}) < 1e15 THEN CAST(CAST({0} AS BIGINT) AS VARCHAR) "
    "ELSE CAST({0} AS VARCHAR) END",
    "CASE WHEN isnan({0}) THEN 'NaN' WHEN {0} = double('Infinity') THEN 'Infinity' "
    "WHEN {0} = double('-Infinity') THEN '-Infinity' "
    "WHEN {0} = floor({0}) AND abs({0}) < 1e15 THEN CAST(CAST({0} AS BIGINT) AS STRING) "
    "ELSE CAST({0} AS STRING) END",
)
T(
    "bool_to_string",
    "CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END",
    "CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END",
)
T("guid_to_string", "lower(CAST({0} AS VARCHAR))", "lower({0})")

# parsing text and dynamic values
T(
    "dynamic_to_real",
    "TRY_CAST(json_extract_string({0}, '$') AS DOUBLE)",
    lambda a: f"TRY_CAST({S.text(a[0])} AS DOUBLE)",
)
T(
    "dynamic_to_long",
    "TRY_CAST(trunc(TRY_CAST(json_extract_string({0}, '$') AS DOUBLE)) AS BIGINT)",
    lambda a: f"CAST(TRY_CAST({S.text(a[0])} AS DOUBLE) AS BIGINT)",
)
_TEXT_BOOL = (
    "CASE lower({0}) WHEN 'true' THEN true WHEN 'false' THEN false WHEN '1' THEN true "
    "WHEN '0' THEN false END"
)
T(
    "dynamic_to_bool",
    _TEXT_BOOL.format("json_extract_string({0}, '$')"),
    lambda a: _TEXT_BOOL.format(S.text(a[0])),
)
T("string_to_real", "TRY_CAST(trim({0}) AS DOUBLE)", "TRY_CAST(trim({0}) AS DOUBLE)")
T(
    "string_to_long",
    "TRY_CAST(trim({0}) AS BIGINT)",
    # Spark's cast would truncate "1.5" to 1; DuckDB's (and Kusto's) gives null
    "CASE WHEN {0} RLIKE '^\\s*[-+]?[0-9]+\\s*$' THEN TRY_CAST(trim({0}) AS BIGINT) END",
)
T("string_to_bool", _TEXT_BOOL.format("trim({0})"), _TEXT_BOOL.format("trim({0})"))
T(
    "string_to_datetime",
    "CASE WHEN regexp_matches({0}, '[+-][0-9]{{2}}:?[0-9]{{2}}$') AND regexp_matches({0}, '[0-9]{{2}}:[0-9]{{2}}') "
    "THEN CAST(TRY_CAST({0} AS TIMESTAMPTZ) AS TIMESTAMP_NS) ELSE COALESCE(TRY_CAST(trim({0}) AS TIMESTAMP_NS), "
    "CAST(try_strptime(trim({0}), ['%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y', "
    "'%m-%d-%Y', '%a, %d %b %Y %H:%M:%S GMT', '%d %b %Y %H:%M:%S', '%Y%m%d']) AS TIMESTAMP_NS)) END",
    "to_timestamp({0})",
)
T(
    "string_to_timespan",
    lambda a: (
        f"(CASE WHEN regexp_matches({a[0]}, '^\\s*-?([0-9]+\\.)?[0-9]+:[0-9]+(:[0-9]+(\\.[0-9]+)?)?\\s*$') THEN "
        f"(CASE WHEN starts_with(trim({a[0]}), '-') THEN -1 ELSE 1 END) * ("
        f"COALESCE(TRY_CAST(NULLIF(regexp_extract({a[0]}, '([0-9]+)\\.[0-9]+:', 1), '') AS BIGINT), 0) * 864000000000 + "
        f"TRY_CAST(regexp_extract({a[0]}, '([0-9]+):[0-9]+', 1) AS BIGINT) * 36000000000 + "
        f"TRY_CAST(regexp_extract({a[0]}, '[0-9]+:([0-9]+)', 1) AS BIGINT) * 600000000 + "
        f"COALESCE(TRY_CAST(NULLIF(regexp_extract({a[0]}, '[0-9]+:[0-9]+:([0-9]+)', 1), '') AS BIGINT), 0) * 10000000 + "
        f"COALESCE(TRY_CAST(NULLIF(rpad(regexp_extract({a[0]}, ':[0-9]+\\.([0-9]+)', 1), 7, '0'), '0000000') AS BIGINT), 0)) "
        f"END)"
    ),
)
T(
    "string_to_guid",
    "TRY_CAST({0} AS UUID)",
    "CASE WHEN {0} RLIKE '^[0-9a-fA-F]{{8}}-?([0-9a-fA-F]{{4}}-?){{3}}[0-9a-fA-F]{{12}}$' "
    "THEN lower(regexp_replace({0}, "
    "'^(.{{8}})-?(.{{4}})-?(.{{4}})-?(.{{4}})-?(.{{12}})$', '$1-$2-$3-$4-$5')) END",
)

# dynamic (JSON)
# Spark holds dynamic values as JSON text (see functions/spark.py)
T("to_json", "to_json({0})", lambda a: S.value(a[0]))
T("json_literal", "json({0})", "{0}")
T("json_extract", "json_extract({0}, {1})", lambda a: S.path_read(a[0], a[1], False))
T(
    "json_extract_text",
    "json_extract_string({0}, {1})",
    lambda a: S.path_read(a[0], a[1], True),
)
T(
    "json_extract_lenient",
    "TRY(json_extract({0}, {1}))",
    lambda a: S.path_read(a[0], a[1], False),
)
T(
    "json_extract_text_list",
    "json_extract_string({0}, {1})",
    lambda a: S.paths_read(a[0], a[1]),
)
T(
    "json_extract_text_list_lenient",
    "TRY(json_extract_string({0}, {1}))",
    lambda a: S.paths_read(a[0], a[1]),
)
T("list_at", "({0})[{1}]", "element_at({0}, {1})")
T(
    "json_extract_text_lenient",
    "TRY(json_extract_string({0}, {1}))",
    lambda a: S.path_read(a[0], a[1], True),
)
T(
    "json_index",
    lambda a: (
        f"json_extract({a[0]}, '$[' || CASE WHEN {a[1]} < 0 THEN '#' || CAST({a[1]} AS VARCHAR) "
        f"ELSE CAST({a[1]} AS VARCHAR) END || ']')"
    ),
    lambda a: S.extract(
        a[0],
        f"concat('$[', CASE WHEN {a[1]} < 0 THEN json_array_length({a[0]}) + {a[1]} "
        f"ELSE {a[1]} END, ']')",
    ),
)
T(
    "json_key",
    "json_extract({0}, '$.\"' || replace({1}, '\"', '\\\"') || '\"')",
    lambda a: S.extract(a[0], f"concat('$[\\'', {a[1]}, '\\']')"),
)
T(
    "json_to_list",
    lambda a: (
        f"CASE json_type({a[0]}) WHEN 'ARRAY' THEN CAST({a[0]} AS JSON[]) "
        f"WHEN 'OBJECT' THEN list_transform(json_keys({a[0]}), lambda __kql_k: "
        + (
            f"json_array(__kql_k, json_extract({a[0]}, '$.\"' || __kql_k || '\"'))"
            if a[1] == "TRUE"
            else f"json_object(__kql_k, json_extract({a[0]}, '$.\"' || __kql_k || '\"'))"
        )
        + f") WHEN 'NULL' THEN [CAST(NULL AS JSON)] ELSE [{a[0]}] END"
    ),
    lambda a: (
        f"CASE WHEN {a[0]} IS NULL THEN NULL WHEN startswith({a[0]}, '[') "
        f"THEN {S.elements(a[0])} WHEN startswith({a[0]}, '{{') THEN transform({S.entries(a[0])}, "
        + (
            "__kql_kv -> concat('[', " + S.quote("__kql_kv.key") + ", ',', __kql_kv.value, ']'))"
            if a[1] == "TRUE"
            else "__kql_kv -> concat('{', "
            + S.quote("__kql_kv.key")
            + ", ':', __kql_kv.value, '}'))"
        )
        + f" WHEN {a[0]} = 'null' THEN array(CAST(NULL AS STRING)) ELSE array({a[0]}) END"
    ),
)
T("json_object", "json_object({args})", S.object_of)
T("json_strip_nulls", "{0}", "{0}")
T(
    "json_array_contains",
    lambda a: (
        f"list_contains(list_transform(CAST({a[0]} AS JSON[]), lambda __kql_x: "
        + ("lower(" if a[2] == "TRUE" else "(")
        + "json_extract_string(__kql_x, '$'))), "
        + (f"lower({a[1]}))" if a[2] == "TRUE" else f"{a[1]})")
    ),
)
T(
    "has_dynamic",
    lambda a: (
        f"regexp_matches({a[0]}, "
        + ("'(?i)' || " if a[3] == "FALSE" else "")
        + ("'(^|[^0-9A-Za-z])' || " if a[2] in ("'has'", "'hasprefix'") else "")
        + f"regexp_escape({a[1]})"
        + (" || '($|[^0-9A-Za-z])'" if a[2] in ("'has'", "'hassuffix'") else "")
        + ")"
    ),
)
T(
    "has_any_dynamic",
    lambda a: (
        f"{'list_bool_and' if a[2] == 'TRUE' else 'list_bool_or'}(list_transform(CAST({a[1]} AS JSON[]), "
        f"lambda __kql_t: regexp_matches({a[0]}, '(?i)(^|[^0-9A-Za-z])' || regexp_escape(json_extract_string(__kql_t, '$')) "
        f"|| '($|[^0-9A-Za-z])')))"
    ),
)
T("ilike", "ilike_escape({0}, {1}, '\\')", "({0} ILIKE {1})")
T(
    "struct_pack",
    lambda a: "{" + ", ".join(f"{a[i]}: {a[i + 1]}" for i in range(0, len(a), 2)) + "}",
    "named_struct({args})",
)
T("struct_get", "struct_extract({0}, {1})", lambda a: f"{a[0]}.{a[1].strip(chr(39))}")


# ------------------------------------------------------------------ conversion functions


def _convert(t: KType, name: str, aliases: tuple[str, ...] = ()) -> FunctionSpec:
    """A to*() conversion: Kusto's semantics of converting to `t`, named after its argument."""

    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        return to_type(args[0], t)

    return FunctionSpec(name, 1, 1, t, lower, aliases=aliases, naming="first_arg")


for _t, _name, _aliases in [
    (KType.STRING, "tostring", ()),
    (KType.INT, "toint", ()),
    (KType.LONG, "tolong", ()),
    (KType.REAL, "toreal", ("todouble",)),
    (KType.BOOL, "tobool", ("toboolean",)),
    (KType.DATETIME, "todatetime", ()),
    (KType.TIMESPAN, "totimespan", ("totime",)),
    (KType.GUID, "toguid", ()),
    (KType.DECIMAL, "todecimal", ()),
]:
    add(_convert(_t, _name, _aliases))


def _parse_json(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    a = args[0]
    if a.type is KType.DYNAMIC:
        return a.sql
    if a.type is not KType.STRING:
        return to_type(a, KType.DYNAMIC)
    return fn("parse_json", a.sql)


# one parse: text that is not JSON becomes a dynamic string, as Kusto's parse_json does
T(
    "parse_json",
    "COALESCE(TRY_CAST({0} AS JSON), to_json({0}))",
    lambda a: (
        f"CASE WHEN {S.is_json(a[0])} THEN {S.extract(a[0], chr(39) + '$' + chr(39))} "
        f"ELSE {S.quote(a[0])} END"
    ),
)
add(
    FunctionSpec(
        "parse_json",
        1,
        1,
        KType.DYNAMIC,
        _parse_json,
        aliases=("parsejson", "todynamic", "toobject"),
        naming="first_arg",
    )
)


# ------------------------------------------------------------------ null and emptiness


def _isnull(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    a = args[0]
    if a.type is KType.DYNAMIC:
        return exp.Or(
            this=exp.Is(this=a.sql, expression=exp.Null()),
            expression=exp.EQ(this=fn("json_type", a.sql), expression=lit("NULL")),
        )
    if a.type is KType.STRING:
        return exp.false() if not isinstance(a.sql, exp.Null) else exp.true()
    return exp.Is(this=a.sql, expression=exp.Null())


def _isempty(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    a = args[0]
    if a.type is KType.STRING:
        return exp.Paren(
            this=exp.Or(
                this=exp.Is(this=a.sql, expression=exp.Null()),
                expression=exp.EQ(this=a.sql, expression=lit("")),
            )
        )
    if a.type is KType.DYNAMIC:
        s = to_string(a)
        return exp.EQ(this=s, expression=lit(""))
    return exp.Is(this=a.sql, expression=exp.Null())


T("json_type", "json_type({0})", lambda a: S.json_type(a[0]))
add(FunctionSpec("isnull", 1, 1, KType.BOOL, _isnull))
add(
    FunctionSpec(
        "isnotnull",
        1,
        1,
        KType.BOOL,
        lambda c, a: exp.Not(this=exp.Paren(this=_isnull(c, a))),
        aliases=("notnull",),
    )
)
add(FunctionSpec("isempty", 1, 1, KType.BOOL, _isempty))
add(
    FunctionSpec(
        "isnotempty",
        1,
        1,
        KType.BOOL,
        lambda c, a: exp.Not(this=exp.Paren(this=_isempty(c, a))),
        aliases=("notempty",),
    )
)


# ------------------------------------------------------------------ bin


def _bin(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    v, size = args
    if v.type is KType.DATETIME:
        if size.type is not KType.TIMESPAN:
            return ctx.error(D.type_error("bin() of a datetime needs a timespan size", size.span))
        width = exp.Mul(this=size.sql, expression=lit(100))
        ns = epoch_ns(v.sql)
        return fn(
            "from_epoch_ns", exp.Mul(this=fn("floor_div", ns, width), expression=width.copy())
        )
    if v.type is KType.TIMESPAN or v.type in (KType.LONG, KType.INT):
        if size.type is KType.REAL:
            return exp.Mul(
                this=exp.Floor(this=exp.Div(this=cast(v.sql, KType.REAL), expression=size.sql)),
                expression=size.sql,
            )
        return exp.Mul(this=fn("floor_div", v.sql, size.sql), expression=size.sql)
    if v.type in (KType.REAL, KType.DECIMAL):
        return exp.Mul(
            this=exp.Floor(this=exp.Div(this=v.sql, expression=size.sql)), expression=size.sql
        )
    if v.type is KType.NULL:
        return exp.Null()
    return ctx.error(D.type_error(f"bin() cannot round a {v.type} value", v.span))


def _bin_type(args: list[Arg]) -> KType:
    t = args[0].type
    if t in (KType.INT, KType.LONG) and any(a.type is KType.REAL for a in args[1:]):
        return KType.REAL  # bin(5, 2.5) and bin_at(5, 2, 1.5) are real
    if t is KType.INT:
        return KType.LONG
    return t


# integer floor division (exact on nanoseconds, which doubles are not)
T(
    "floor_div",
    "(({0}) // ({1}) - CASE WHEN ({0}) % ({1}) < 0 THEN 1 ELSE 0 END)",
    "(div({0}, {1}) - CASE WHEN ({0}) % ({1}) < 0 THEN 1 ELSE 0 END)",
)
add(FunctionSpec("bin", 2, 2, _bin_type, _bin, aliases=("floor",), naming="first_arg"))


def _bin_at(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    v, size, at = args
    if v.type is KType.DATETIME:
        width = exp.Mul(this=size.sql, expression=lit(100))
        off = epoch_ns(at.sql)
        ns = exp.Sub(this=epoch_ns(v.sql), expression=off)
        return fn(
            "from_epoch_ns",
            exp.Add(
                this=exp.Mul(this=fn("floor_div", ns, width), expression=width.copy()),
                expression=off.copy(),
            ),
        )
    shifted = exp.Sub(this=v.sql, expression=at.sql)
    if KType.REAL in (v.type, size.type, at.type) or KType.DECIMAL in (v.type, at.type):
        base = exp.Mul(
            this=exp.Floor(this=exp.Div(this=shifted, expression=size.sql)), expression=size.sql
        )
    else:
        base = exp.Mul(this=fn("floor_div", shifted, size.sql), expression=size.sql)
    return exp.Add(this=base, expression=at.sql)


add(FunctionSpec("bin_at", 3, 3, _bin_type, _bin_at, naming="first_arg"))


# ------------------------------------------------------------------ relational helpers (lowering)
T(
    "bag_keys_unnest",
    "unnest(CASE json_type({0}) WHEN 'OBJECT' THEN json_keys({0}) END)",
    "explode(map_keys(from_json({0}, 'map<string,string>')))",
)
T("unnest_list", "unnest({0})", "explode({0})")
T("list_head", "list_slice({0}, 1, {1})", "slice({0}, 1, {1})")
T(
    "list_indexes",
    lambda a: (
        "range(0, greatest(" + ", ".join(f"len({x})" for x in a) + ", 0))"
        if len(a) > 1
        else f"range(0, len({a[0]}))"
    ),
)


add(
    FunctionSpec(
        "not",
        1,
        1,
        KType.BOOL,
        lambda c, a: exp.Not(this=exp.Paren(this=to_type(a[0], KType.BOOL))),
    )
)


# ------------------------------------------------------------------ small utilities
T("new_guid", "uuid()", "uuid()")
add(
    FunctionSpec(
        "new_guid", 0, 0, KType.GUID, lambda c, a: fn("new_guid"), note="a new random guid per row"
    )
)

_GETTYPE = {
    KType.BOOL: "bool",
    KType.INT: "int",
    KType.LONG: "long",
    KType.REAL: "real",
    KType.DECIMAL: "decimal",
    KType.STRING: "string",
    KType.DATETIME: "datetime",
    KType.TIMESPAN: "timespan",
    KType.GUID: "guid",
}
T(
    "dynamic_type_name",
    "CASE json_type({0}) WHEN 'OBJECT' THEN 'dictionary' WHEN 'ARRAY' THEN 'array' "
    "WHEN 'VARCHAR' THEN 'string' WHEN 'DOUBLE' THEN 'real' WHEN 'BOOLEAN' THEN 'bool' "
    "WHEN 'NULL' THEN 'null' ELSE 'long' END",
)


def _gettype(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    a = args[0]
    if a.type is KType.DYNAMIC:
        return exp.Coalesce(this=fn("dynamic_type_name", a.sql), expressions=[lit("null")])
    return lit(_GETTYPE.get(a.type, "null"))


add(FunctionSpec("gettype", 1, 1, KType.STRING, _gettype))


def _around(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    value, center, delta = args
    if value.type is KType.DATETIME:
        lo = fn(
            "from_epoch_ns",
            exp.Sub(
                this=epoch_ns(center.sql),
                expression=exp.Mul(this=cast(delta.sql, KType.LONG), expression=lit(100)),
            ),
        )
        hi = fn(
            "from_epoch_ns",
            exp.Add(
                this=epoch_ns(center.sql),
                expression=exp.Mul(this=cast(delta.sql, KType.LONG), expression=lit(100)),
            ),
        )
    else:
        lo = exp.Sub(this=center.sql, expression=delta.sql)
        hi = exp.Add(this=center.sql, expression=delta.sql)
    return exp.Between(this=value.sql, low=lo, high=hi)


add(FunctionSpec("around", 3, 3, KType.BOOL, _around))


# ------------------------------------------------------------------ Spark translations
# (operations above whose Spark SQL needs more than a one-line template)


def _sp_literal_regex(s: str) -> str:
    return f"concat('\\\\Q', replace({s}, '\\\\E', '\\\\E\\\\\\\\E\\\\Q'), '\\\\E')"


def _sp_has_dynamic(a: list[str]) -> str:
    parts = ["'(?i)'"] if a[3] == "FALSE" else []
    if a[2] in ("'has'", "'hasprefix'"):
        parts.append("'(^|[^0-9A-Za-z])'")
    parts.append(_sp_literal_regex(a[1]))
    if a[2] in ("'has'", "'hassuffix'"):
        parts.append("'($|[^0-9A-Za-z])'")
    return f"({a[0]} RLIKE concat({', '.join(parts)}))"


def _sp_has_any_dynamic(a: list[str]) -> str:
    term = (
        f"{a[0]} RLIKE concat('(?i)(^|[^0-9A-Za-z])', "
        f"{_sp_literal_regex(S.text('__kql_t'))}, '($|[^0-9A-Za-z])')"
    )
    quantifier = "forall" if a[2] == "TRUE" else "exists"
    return f"{quantifier}({S.elements(a[1], '__kql_t')}, __kql_t -> {term})"


def _sp_array_contains(a: list[str]) -> str:
    ci = a[2] == "TRUE"
    value = f"lower({a[1]})" if ci else a[1]
    text = f"lower({S.text('__kql_x')})" if ci else S.text("__kql_x")
    return f"array_contains(transform({S.elements(a[0], '__kql_x')}, __kql_x -> {text}), {value})"


def _sp_string_to_timespan(a: list[str]) -> str:
    s = a[0]
    return (
        f"(CASE WHEN {s} RLIKE '^\\\\s*-?([0-9]+\\\\.)?[0-9]+:[0-9]+(:[0-9]+(\\\\.[0-9]+)?)?\\\\s*$' THEN "
        f"(CASE WHEN startswith(trim({s}), '-') THEN -1 ELSE 1 END) * ("
        f"COALESCE(TRY_CAST(NULLIF(regexp_extract({s}, '([0-9]+)\\\\.[0-9]+:', 1), '') AS BIGINT), 0) * 864000000000 + "
        f"TRY_CAST(regexp_extract({s}, '([0-9]+):[0-9]+', 1) AS BIGINT) * 36000000000 + "
        f"TRY_CAST(regexp_extract({s}, '[0-9]+:([0-9]+)', 1) AS BIGINT) * 600000000 + "
        f"COALESCE(TRY_CAST(NULLIF(regexp_extract({s}, '[0-9]+:[0-9]+:([0-9]+)', 1), '') AS BIGINT), 0) * 10000000 + "
        f"COALESCE(TRY_CAST(NULLIF(rpad(regexp_extract({s}, ':[0-9]+\\\\.([0-9]+)', 1), 7, '0'), '0000000') AS BIGINT), 0)) "
        f"END)"
    )


FAMILY.spark("has_dynamic", _sp_has_dynamic)
FAMILY.spark("has_any_dynamic", _sp_has_any_dynamic)
FAMILY.spark("json_array_contains", _sp_array_contains)
FAMILY.spark("string_to_timespan", _sp_string_to_timespan)
FAMILY.spark(
    "list_indexes",
    lambda a: (
        S.indexes(f"greatest({', '.join(f'size({x})' for x in a)}, 0)")
        if len(a) > 1
        else S.indexes(f"size({a[0]})")
    ),
)
FAMILY.spark(
    "dynamic_type_name",
    lambda a: (
        f"CASE {S.json_type(a[0])} WHEN 'OBJECT' THEN 'dictionary' WHEN 'ARRAY' THEN 'array' "
        "WHEN 'VARCHAR' THEN 'string' WHEN 'DOUBLE' THEN 'real' WHEN 'BOOLEAN' THEN 'bool' "
        "WHEN 'NULL' THEN 'null' ELSE 'long' END"
    ),
)
