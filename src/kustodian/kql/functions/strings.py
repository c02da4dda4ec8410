"""String functions: length, case, slicing, concatenation, splitting, replacing, regular
expressions, encodings (URL, base64, code points, Punycode) and parsers of text formats (URL,
path, CSV, command line, version).

Kusto's regular expressions are RE2, as DuckDB's are, so patterns pass through (named groups
respelled `(?P<name>`). Punycode and command lines are Python UDFs (DuckDB only).
Kusto strings are never null: functions returning a string give '' where Kusto gives an empty
or a null string. Lambda parameters in the templates are named `__kql_*` because DuckDB binds a
column name (even quoted) to a lambda parameter of the same name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.diagnostics import Diagnostic
from kustodian.kql.functions import spark as SP
from kustodian.kql.functions.base import (
    Arg,
    Ctx,
    Family,
    FunctionSpec,
    Lowering,
    NoTranslation,
    ReturnRule,
    to_long,
    to_real,
    to_string,
    to_type,
)
from kustodian.kql.sqlnodes import fn, lit, null_of
from kustodian.kql.types import KType

FAMILY = Family("strings")
T = FAMILY.template


# ------------------------------------------------------------------ argument checking


class _Reject(Exception):
    """An argument error found while lowering; `_checked` reports it as a diagnostic."""

    def __init__(self, diag: Diagnostic) -> None:
        super().__init__(diag.message)
        self.diag = diag


def _checked(lower: Lowering) -> Lowering:
    def checked(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        try:
            return lower(ctx, args)
        except _Reject as r:
            return ctx.error(r.diag)

    return checked


def _add(
    name: str, lo: int, hi: int | None, returns: ReturnRule, lower: Lowering, **kw: Any
) -> FunctionSpec:
    return FAMILY.add(FunctionSpec(name, lo, hi, returns, _checked(lower), **kw))


def _type_error(ctx: Ctx, a: Arg, what: str, expected: str, ks: str = "KS107") -> _Reject:
    msg = f"{ctx.name}(): the {what} must be {expected}, not {a.type.value}"
    return _Reject(D.type_error(msg, a.span, ks=ks))


def _str(a: Arg) -> exp.Expression:
    """tostring() of any scalar. A string column can still be SQL NULL (the unmatched side of
    an outer join): Kusto's strings are never null, so it reads as ''."""
    if a.type is KType.STRING and not isinstance(a.sql, exp.Literal):
        return exp.Coalesce(this=a.sql, expressions=[lit("")])
    return to_string(a)


def _text(ctx: Ctx, a: Arg, what: str, ks: str = "KS107") -> exp.Expression:
    """A parameter Kusto declares as string: a string, or a dynamic value as its text."""
    if a.type in (KType.STRING, KType.DYNAMIC, KType.NULL):
        return _str(a)
    raise _type_error(ctx, a, what, "a string", ks)


def _integer(ctx: Ctx, a: Arg, what: str) -> exp.Expression:
    if a.type in (KType.INT, KType.LONG):
        return a.sql
    if a.type is KType.DYNAMIC:
        return to_long(a)
    if a.type is KType.NULL:
        return null_of(KType.LONG)
    raise _type_error(ctx, a, what, "an integer", "KS134")


def _dynamic(ctx: Ctx, a: Arg, what: str) -> exp.Expression:
    if a.type is KType.DYNAMIC:
        return a.sql
    if a.type is KType.NULL:
        return null_of(KType.DYNAMIC)
    raise _type_error(ctx, a, what, "a dynamic array", "KS234")


def _const(ctx: Ctx, a: Arg, what: str) -> Any:
    if not a.is_const:
        raise _Reject(D.not_constant(f"the {what} of {ctx.name}()", a.span))
    return a.const


def _const_text(ctx: Ctx, a: Arg, what: str) -> str:
    value = _const(ctx, a, what)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _type_error(ctx, a, what, "a string")
    return value


def _const_int(ctx: Ctx, a: Arg, what: str) -> int:
    value = _const(ctx, a, what)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(ctx, a, what, "an integer constant", "KS134")
    return value


# ------------------------------------------------------------------ SQL text helpers


def _let(value: str, name: str, body: str) -> str:
    """`body` with `name` bound to `value`, evaluated once (DuckDB has no scalar let)."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def _jtext(v: str) -> str:
    """A JSON value's text as tostring() gives it: strings unquoted, JSON null as NULL."""
    return (
        f"CASE json_type({v}) WHEN 'VARCHAR' THEN json_extract_string({v}, '$') "
        f"WHEN 'NULL' THEN NULL ELSE CAST({v} AS VARCHAR) END"
    )


def _jlist(d: str) -> str:
    """A JSON array as a list of JSON values; NULL when `d` is not an array."""
    return f"CASE WHEN json_type({d}) = 'ARRAY' THEN CAST({d} AS JSON[]) END"


def _jlong(v: str) -> str:
    return f"TRY_CAST(json_extract_string({v}, '$') AS BIGINT)"


def _group_openings(pattern: str) -> list[tuple[int, str | None]]:
    """The offset of each capturing group's '(' in an RE2 pattern, with the group's name."""
    out: list[tuple[int, str | None]] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1 if pattern[i + 1 : i + 2] == "^" else 0
            i += 1 if pattern[i + 1 : i + 2] == "]" else 0  # a leading ] is literal
        elif c == "(":
            after = pattern[i + 1 : i + 4]
            if after.startswith("?P<") or (after.startswith("?<") and after[2:3] not in "=!"):
                start = pattern.index("<", i) + 1
                out.append((i, pattern[start : pattern.find(">", start)]))
            elif not after.startswith("?"):
                out.append((i, None))
        i += 1
    return out


def _capture_groups(pattern: str) -> tuple[int, dict[str, int]]:
    """The number of capturing groups of an RE2 pattern and the index of each named group."""
    groups = _group_openings(pattern)
    return len(groups), {name: k + 1 for k, (_, name) in enumerate(groups) if name}


def _re2(pattern: str) -> str:
    """The pattern with `(?<name>` spelled `(?P<name>`, the only form DuckDB's RE2 knows."""
    for at, name in reversed(_group_openings(pattern)):
        if name is not None and pattern.startswith("(?<", at):
            pattern = pattern[:at] + "(?P<" + pattern[at + 3 :]
    return pattern


def _regex(ctx: Ctx, a: Arg) -> str:
    return _re2(_const_text(ctx, a, "regular expression"))


# ------------------------------------------------------------------ length and case

T("str_length", "CAST(length({0}) AS BIGINT)", "CAST(char_length({0}) AS BIGINT)")
T("str_size", "CAST(strlen({0}) AS BIGINT)", "CAST(octet_length({0}) AS BIGINT)")

# Kusto counts code points (as DuckDB's length does) and names `strlen(x)` `strlen_x`.
_add(
    "strlen",
    1,
    1,
    KType.LONG,
    lambda c, a: fn("str_length", _text(c, a[0], "string", "KS141")),
    naming="prefix",
    prefix="strlen",
)
_add(
    "string_size",
    1,
    1,
    KType.LONG,
    lambda c, a: fn("str_size", _text(c, a[0], "string", "KS141")),
    naming="prefix",
    prefix="string_size",
)
_add("tolower", 1, 1, KType.STRING, lambda c, a: exp.Lower(this=_str(a[0])))
_add("toupper", 1, 1, KType.STRING, lambda c, a: exp.Upper(this=_str(a[0])))


# ------------------------------------------------------------------ substring


def _substring_sql(a: list[str]) -> str:
    s, start = a[0], a[1]
    first = f"(CASE WHEN {start} < 0 THEN greatest(length({s}) + {start}, 0) ELSE {start} END) + 1"
    if len(a) == 2:
        return f"COALESCE(substring({s}, {first}), '')"
    return f"COALESCE(substring({s}, {first}, greatest({a[2]}, 0)), '')"


T("str_substring", _substring_sql, _substring_sql)


def _substring(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    args = [_str(a[0]), _integer(ctx, a[1], "start")]
    if len(a) == 3:
        args.append(_integer(ctx, a[2], "length"))
    return fn("str_substring", *args)


_add("substring", 2, 3, KType.STRING, _substring)


# ------------------------------------------------------------------ concatenation

T("str_concat", "concat({args})", "concat({args})")
T("str_concat_ws", "concat_ws({args})", "concat_ws({args})")
T(
    "str_join_array",
    lambda a: (
        f"COALESCE(array_to_string(list_transform({_jlist(a[0])}, "
        f"lambda __kql_e: COALESCE({_jtext('__kql_e')}, '')), {a[1]}), '')"
    ),
)

_add("strcat", 1, 64, KType.STRING, lambda c, a: fn("str_concat", *(_str(x) for x in a)))
_add(
    "strcat_delim",
    3,
    65,
    KType.STRING,
    lambda c, a: fn("str_concat_ws", *(_str(x) for x in a)),
)
_add(
    "strcat_array",
    2,
    2,
    KType.STRING,
    aliases=("array_strcat",),
    lower=lambda c, a: fn("str_join_array", _dynamic(c, a[0], "array"), _str(a[1])),
)


def _strrep_sql(a: list[str]) -> str:
    v, n = a[0], a[1]
    d = a[2] if len(a) > 2 else "''"
    # Kusto repeats at most 1024 times.
    return (
        f"CASE WHEN {n} >= 1 THEN concat(repeat(concat({v}, {d}), least({n}, 1024) - 1), {v}) "
        "ELSE '' END"
    )


T("str_repeat", _strrep_sql, _strrep_sql)


def _strrep(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    args = [_str(a[0]), _integer(ctx, a[1], "multiplier")]
    if len(a) == 3:
        args.append(_str(a[2]))
    return fn("str_repeat", *args)


_add("strrep", 2, 3, KType.STRING, _strrep)


# ------------------------------------------------------------------ comparing, reversing

_STRCMP = "CAST(CASE WHEN {0} < {1} THEN -1 WHEN {0} > {1} THEN 1 ELSE 0 END AS BIGINT)"
T("str_compare", _STRCMP, _STRCMP)
_add("strcmp", 2, 2, KType.LONG, lambda c, a: fn("str_compare", _str(a[0]), _str(a[1])))

# DuckDB's reverse() keeps grapheme clusters together; Kusto reverses characters.
T("str_reverse", "array_to_string(list_reverse(string_split({0}, '')), '')", "reverse({0})")
_add("reverse", 1, 1, KType.STRING, lambda c, a: fn("str_reverse", _str(a[0])))


def _translate_sql(a: list[str]) -> str:
    # A replacement list shorter than the search list repeats its last character.
    search, repl = a[0], a[1]
    padded = (
        f"CASE WHEN {repl} = '' OR length({repl}) >= length({search}) THEN {repl} "
        f"ELSE rpad({repl}, CAST(length({search}) AS INTEGER), right({repl}, 1)) END"
    )
    return f"translate({a[2]}, {search}, {padded})"


T("str_translate", _translate_sql, _translate_sql)
_add(
    "translate",
    3,
    3,
    KType.STRING,
    lambda c, a: fn(
        "str_translate",
        _text(c, a[0], "search list"),
        _text(c, a[1], "replacement list"),
        _text(c, a[2], "source"),
    ),
)


# ------------------------------------------------------------------ split


def _split_sql(a: list[str]) -> str:
    parts = f"CASE WHEN {a[1]} = '' THEN [{a[0]}] ELSE string_split({a[0]}, {a[1]}) END"
    if len(a) == 2:
        return f"to_json({parts})"
    i = a[2]
    picked = (
        f"CASE WHEN {i} >= 0 AND {i} < len(__kql_p) THEN [__kql_p[{i} + 1]] ELSE []::VARCHAR[] END"
    )
    return f"to_json({_let(parts, '__kql_p', picked)})"


def _split_spark(a: list[str]) -> str:
    # Spark's split() takes a regex: quote the delimiter
    parts = (
        f"CASE WHEN {a[1]} = '' THEN array({a[0]}) "
        f"ELSE split({a[0]}, concat('\\\\Q', {a[1]}, '\\\\E'), -1) END"
    )
    if len(a) == 2:
        return f"to_json({parts})"
    i = a[2]
    return (
        f"to_json(CASE WHEN {i} >= 0 AND {i} < size({parts}) "
        f"THEN array(element_at({parts}, CAST({i} AS INT) + 1)) ELSE array() END)"
    )


FAMILY.template("str_split", _split_sql, _split_spark)


def _split(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    args = [_str(a[0]), _text(ctx, a[1], "delimiter")]
    if len(a) == 3:
        args.append(_integer(ctx, a[2], "index"))
    return fn("str_split", *args)


_add("split", 2, 3, KType.DYNAMIC, _split, naming="first_arg")


# ------------------------------------------------------------------ replace


T("str_replace", "replace({0}, {1}, {2})", "replace({0}, {1}, {2})")


def _sp_regex(r: str) -> str:
    """An RE2 regex (SQL text) as Java's: named groups are (?<name>...)."""
    return r.replace("(?P<", "(?<")


def _java_rewrite(r: str) -> str:
    """Kusto's rewrite text (\\1 for a group) as Java's ($1; backslashes and $ escaped)."""
    lone = rf"regexp_replace({r}, '\\\\(?![0-9])', '\\\\\\\\')"
    return rf"regexp_replace(replace({lone}, '$', '\\$'), '\\\\([0-9])', '\\$$1')"


FAMILY.template(
    "str_regex_replace_all",
    "regexp_replace({0}, {1}, {2}, 'g')",
    lambda a: f"regexp_replace({a[0]}, {_sp_regex(a[1])}, {_java_rewrite(a[2])})",
)
T("str_regex_replace_first", "regexp_replace({0}, {1}, {2})")

_add(
    "replace_string",
    3,
    3,
    KType.STRING,
    lambda c, a: fn(
        "str_replace", _text(c, a[0], "text"), _text(c, a[1], "lookup"), _text(c, a[2], "rewrite")
    ),
)


def _replace_regex(ctx: Ctx, text: Arg, regex: Arg, rewrite: Arg) -> exp.Expression:
    # RE2 rewrites (\0, \1...) are Kusto's rewrite syntax too.
    return fn(
        "str_regex_replace_all",
        _text(ctx, text, "source"),
        lit(_regex(ctx, regex)),
        lit(_const_text(ctx, rewrite, "rewrite pattern")),
    )


_add("replace_regex", 3, 3, KType.STRING, lambda c, a: _replace_regex(c, a[0], a[1], a[2]))
# The deprecated replace() takes (regex, rewrite, text).
_add("replace", 3, 3, KType.STRING, lambda c, a: _replace_regex(c, a[2], a[0], a[1]))


def _replace_strings_sql(a: list[str]) -> str:
    """Each lookup, in order, claims its non-overlapping matches in the text not yet claimed.

    The text is a list of segments {s: text, r: replaced}; a lookup splits the unclaimed ones.
    A lookup that is not a string (or is empty) is ignored; a rewrite that is not a string
    keeps the matched text (the match still claims it).
    """
    look = "json_extract_string(__kql_lr[1], '$')"
    rewrite = (
        f"CASE WHEN json_type(__kql_lr[2]) = 'VARCHAR' "
        f"THEN json_extract_string(__kql_lr[2], '$') ELSE {look} END"
    )
    piece = (
        "CASE WHEN __kql_j % 2 = 0 THEN {'s': __kql_parts[__kql_j // 2 + 1], 'r': false} "
        f"ELSE {{'s': {rewrite}, 'r': true}} END"
    )
    split = _let(
        f"string_split(__kql_seg.s, {look})",
        "__kql_parts",
        f"list_transform(range(2 * len(__kql_parts) - 1), lambda __kql_j: {piece})",
    )
    step = (
        f"CASE WHEN json_type(__kql_lr[1]) IS DISTINCT FROM 'VARCHAR' OR {look} = '' "
        "THEN __kql_acc ELSE flatten(list_transform(__kql_acc, lambda __kql_seg: "
        f"CASE WHEN __kql_seg.r THEN [__kql_seg] ELSE {split} END)) END"
    )
    pairs = f"list_zip({_jlist(a[1])}, {_jlist(a[2])})"
    segments = (
        f"list_reduce({pairs}, lambda __kql_acc, __kql_lr: {step}, [{{'s': {a[0]}, 'r': false}}])"
    )
    text = f"array_to_string(list_transform({segments}, lambda __kql_g: __kql_g.s), '')"
    return f"COALESCE({text}, {a[0]})"


T("str_replace_strings", _replace_strings_sql)
_add(
    "replace_strings",
    3,
    3,
    KType.STRING,
    lambda c, a: fn(
        "str_replace_strings",
        _text(c, a[0], "text"),
        _dynamic(c, a[1], "lookups"),
        _dynamic(c, a[2], "rewrites"),
    ),
)


# ------------------------------------------------------------------ trim


def _trim(start: bool, end: bool) -> Lowering:
    """Kusto trims every leading (trailing) match of the regular expression."""

    def lower(ctx: Ctx, a: list[Arg]) -> exp.Expression:
        regex = _regex(ctx, a[0])
        s = _text(ctx, a[1], "source")
        if start:
            s = fn("str_regex_replace_first", s, lit(f"^(?:{regex})+"), lit(""))
        if end:
            s = fn("str_regex_replace_first", s, lit(f"(?:{regex})+$"), lit(""))
        return s

    return lower


_add("trim", 2, 2, KType.STRING, _trim(True, True))
_add("trim_start", 2, 2, KType.STRING, _trim(True, False))
_add("trim_end", 2, 2, KType.STRING, _trim(False, True))


# ------------------------------------------------------------------ regular expressions


T(
    "str_extract",
    "regexp_extract({0}, {1}, {2})",
    lambda a: f"regexp_extract({a[0]}, {_sp_regex(a[1])}, {a[2]})",
)


def _extract(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    regex = _regex(ctx, a[0])
    group = _const_int(ctx, a[1], "capture group")
    if group < 0:
        raise _type_error(ctx, a[1], "capture group", "0 or more", "KS134")
    found = fn("str_extract", _text(ctx, a[2], "source"), lit(regex), lit(group))
    if len(a) < 4:
        return found
    target = _type_literal(ctx, a[3])
    return to_type(Arg(found, KType.STRING, a[2].span), target)


def _type_literal(ctx: Ctx, a: Arg) -> KType:
    if isinstance(a.const, KType):
        return a.const
    raise _Reject(D.type_error(f"{ctx.name}(): the 4th argument must be typeof(<type>)", a.span))


def _extract_type(args: list[Arg]) -> KType:
    if len(args) == 4 and isinstance(args[3].const, KType):
        return args[3].const
    return KType.STRING


_add(
    "extract",
    3,
    4,
    _extract_type,
    _extract,
    status="partial",
    note="the capture group must be a constant; typeof(T) needs the binder to bind type literals",
)


def _extract_all_sql(a: list[str]) -> str:
    s, regex, groups = a[0], a[1], a[2:]
    if len(groups) == 1:
        one = f"regexp_extract_all({s}, {regex}, {groups[0]})"
        return _let(
            one, "__kql_m", "CASE WHEN len(__kql_m) = 0 THEN NULL ELSE to_json(__kql_m) END"
        )
    lists = "[" + ", ".join(f"regexp_extract_all({s}, {regex}, {g})" for g in groups) + "]"
    rows = (
        "list_transform(range(1, len(__kql_g[1]) + 1), "
        "lambda __kql_i: list_transform(__kql_g, lambda __kql_l: __kql_l[__kql_i]))"
    )
    return _let(
        lists, "__kql_g", f"CASE WHEN len(__kql_g[1]) = 0 THEN NULL ELSE to_json({rows}) END"
    )


T("str_extract_all", _extract_all_sql)


def _extract_all(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    regex = _regex(ctx, a[0])
    count, names = _capture_groups(regex)
    if count == 0:
        raise _Reject(
            D.type_error(
                f"{ctx.name}(): the regular expression needs at least one capture group", a[0].span
            )
        )
    groups = list(range(1, count + 1))
    if len(a) == 3:
        groups = _capture_group_list(ctx, a[1], count, names)
    source = _text(ctx, a[-1], "source")
    return fn("str_extract_all", source, lit(regex), *(lit(g) for g in groups))


def _capture_group_list(ctx: Ctx, a: Arg, count: int, names: dict[str, int]) -> list[int]:
    value = _const(ctx, a, "capture groups")
    if not isinstance(value, list) or not value:
        raise _type_error(ctx, a, "capture groups", "a non-empty dynamic array", "KS234")
    groups = []
    for g in value:
        index = names.get(g) if isinstance(g, str) else g
        if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= count:
            raise _Reject(
                D.type_error(
                    f"{ctx.name}(): {g!r} is not a capture group of the regular expression", a.span
                )
            )
        groups.append(index)
    return groups


_add(
    "extract_all",
    2,
    3,
    KType.DYNAMIC,
    _extract_all,
    aliases=("extractall",),
    status="partial",
    note="the capture groups must be a constant array",
)


# ------------------------------------------------------------------ indexof


def _search_window(s: str, start: str, length: str) -> str:
    return (
        f"substring({s}, {start} + 1, CASE WHEN {length} = -1 THEN length({s}) ELSE {length} END)"
    )


def _indexof_sql(a: list[str]) -> str:
    """Occurrence k is searched from one past occurrence k-1, `length` characters at most
    (as .NET IndexOf(value, start, count) called k times); -2 marks "not found" while folding."""
    s, m, start, length, k = a[0], a[1], a[2], a[3], int(a[4])

    def find(frm: str, found: str, missing: str) -> str:
        body = f"CASE WHEN __kql_p = 0 THEN {missing} ELSE {found} END"
        return _let(f"strpos({_search_window(s, frm, length)}, {m})", "__kql_p", body)

    if k == 1:
        search = find("__kql_st", "__kql_st + __kql_p - 1", "-1")
    else:
        next_one = find("__kql_acc + 1", "__kql_acc + __kql_p", "-2")
        step = f"CASE WHEN __kql_acc = -2 THEN -2 ELSE {next_one} END"
        fold = f"list_reduce(range({k}), lambda __kql_acc, __kql_i: {step}, __kql_st - 1)"
        search = f"COALESCE(NULLIF({fold}, -2), -1)"
    body = (
        f"CASE WHEN __kql_st IS NULL OR {length} IS NULL THEN NULL "
        f"WHEN __kql_st < 0 OR {length} < -1 THEN NULL "
        f"WHEN __kql_st > length({s}) THEN -1 ELSE {search} END"
    )
    first = f"CASE WHEN {start} < 0 THEN length({s}) + {start} ELSE {start} END"
    return f"CAST({_let(first, '__kql_st', body)} AS BIGINT)"


T("str_indexof", _indexof_sql)


def _indexof_regex_sql(a: list[str]) -> str:
    """Like indexof, but matches do not overlap: the next search starts after the match."""
    s, regex, prefixed, start, length, k = a[0], a[1], a[2], a[3], a[4], int(a[5])
    if k == 1:
        window = _search_window(s, "__kql_st", length)
        hit = f"__kql_st + length(regexp_extract(__kql_w, {prefixed}, 1))"
        search = _let(
            window, "__kql_w", f"CASE WHEN regexp_matches(__kql_w, {regex}) THEN {hit} ELSE -1 END"
        )
    else:
        window = _search_window(s, "__kql_acc.n", length)
        found = (
            "{'p': __kql_acc.n + length(__kql_x.pre), "
            "'n': __kql_acc.n + length(__kql_x.pre) + greatest(length(__kql_x.hit), 1)}"
        )
        matched = _let(f"regexp_extract(__kql_w, {prefixed}, ['pre', 'hit'])", "__kql_x", found)
        step = _let(
            window,
            "__kql_w",
            f"CASE WHEN regexp_matches(__kql_w, {regex}) THEN {matched} "
            "ELSE {'p': CAST(-2 AS BIGINT), 'n': CAST(0 AS BIGINT)} END",
        )
        fold = (
            f"list_reduce(range({k}), lambda __kql_acc, __kql_i: "
            f"CASE WHEN __kql_acc.p = -2 THEN __kql_acc ELSE {step} END, "
            "{'p': CAST(-1 AS BIGINT), 'n': CAST(__kql_st AS BIGINT)})"
        )
        search = f"COALESCE(NULLIF(({fold}).p, -2), -1)"
    body = (
        f"CASE WHEN __kql_st IS NULL OR {length} IS NULL OR __kql_st < 0 OR {length} < -1 "
        f"THEN NULL WHEN __kql_st > length({s}) THEN -1 ELSE {search} END"
    )
    return f"CAST({_let(start, '__kql_st', body)} AS BIGINT)"


T("str_indexof_regex", _indexof_regex_sql)


def _search_bounds(ctx: Ctx, a: list[Arg]) -> tuple[exp.Expression, exp.Expression, int]:
    start = _integer(ctx, a[2], "start") if len(a) > 2 else lit(0)
    length = _integer(ctx, a[3], "length") if len(a) > 3 else lit(-1)
    occurrence = _const_int(ctx, a[4], "occurrence") if len(a) > 4 else 1
    return start, length, occurrence


def _indexof(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    start, length, k = _search_bounds(ctx, a)
    if k <= 0:
        return null_of(KType.LONG) if k < 0 else lit(-1)
    return fn("str_indexof", _str(a[0]), _str(a[1]), start, length, lit(k))


def _indexof_regex(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    regex = _regex(ctx, a[1])
    start, length, k = _search_bounds(ctx, a)
    if k <= 0:
        return null_of(KType.LONG) if k < 0 else lit(-1)
    # The shortest prefix before a match is where the leftmost match starts.
    prefixed = f"^((?s:.)*?)({regex})"
    return fn("str_indexof_regex", _str(a[0]), lit(regex), lit(prefixed), start, length, lit(k))


_add("indexof", 2, 5, KType.LONG, _indexof)
_add("indexof_regex", 2, 5, KType.LONG, _indexof_regex)


# ------------------------------------------------------------------ countof


def _overlaps_itself(s: str) -> bool:
    """Whether two occurrences of `s` can overlap (a proper prefix is also a suffix)."""
    return any(s[:n] == s[-n:] for n in range(1, len(s)))


T(
    "str_count_disjoint",
    "CAST((length({0}) - length(replace({0}, {1}, ''))) // length({1}) AS BIGINT)",
    "CAST(div(length({0}) - length(replace({0}, {1}, '')), length({1})) AS BIGINT)",
)
T(
    "str_count_overlapping",
    lambda a: (
        f"CAST(CASE WHEN length({a[1]}) = 0 THEN 0 ELSE len(list_filter("
        f"range(1, length({a[0]}) - length({a[1]}) + 2), "
        f"lambda __kql_i: substring({a[0]}, __kql_i, length({a[1]})) = {a[1]})) END AS BIGINT)"
    ),
)
T("str_count_regex", "CAST(len(regexp_extract_all({0}, {1})) AS BIGINT)")


def _countof(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    source, search = _text(ctx, a[0], "source"), _text(ctx, a[1], "search")
    kind = _const_text(ctx, a[2], "kind") if len(a) > 2 else "normal"
    if kind == "regex":
        pattern = lit(_re2(a[1].const)) if isinstance(a[1].const, str) else search
        return fn("str_count_regex", source, pattern)
    if kind != "normal":
        raise _Reject(
            D.type_error(
                f"{ctx.name}(): the kind must be 'normal' or 'regex'", a[2].span, ks="KS140"
            )
        )
    word = a[1].const if a[1].is_const else None
    if isinstance(word, str) and word and not _overlaps_itself(word):
        return fn("str_count_disjoint", source, search)
    return fn("str_count_overlapping", source, search)


_add("countof", 2, 3, KType.LONG, _countof)


# ------------------------------------------------------------------ has_any_index

_TERM_EDGE_BEFORE = "'(?i)(^|[^0-9A-Za-z])'"
_TERM_EDGE_AFTER = "'($|[^0-9A-Za-z])'"
T(
    "str_has_any_index",
    lambda a: (
        f"CAST(COALESCE(list_position(list_transform({_jlist(a[1])}, lambda __kql_t: "
        f"regexp_matches({a[0]}, {_TERM_EDGE_BEFORE} || regexp_escape({_jtext('__kql_t')}) "
        f"|| {_TERM_EDGE_AFTER})), true) - 1, -1) AS BIGINT)"
    ),
)
_add(
    "has_any_index",
    2,
    2,
    KType.LONG,
    lambda c, a: fn(
        "str_has_any_index", _text(c, a[0], "source", "KS141"), _dynamic(c, a[1], "values")
    ),
)


# ------------------------------------------------------------------ URL encoding


def _url_encode_sql(space: str) -> Callable[[list[str]], str]:
    """.NET HttpUtility.UrlEncode: lowercase hex of the UTF-8 bytes, `-_.!*()` kept."""

    def sql(a: list[str]) -> str:
        byte = r"regexp_replace(lower(hex(encode(__kql_c))), '(..)', '%\1', 'g')"
        char = (
            "CASE WHEN regexp_matches(__kql_c, '^[A-Za-z0-9_.!*()-]$') THEN __kql_c "
            f"WHEN __kql_c = ' ' THEN '{space}' ELSE {byte} END"
        )
        return (
            f"array_to_string(list_transform(string_split({a[0]}, ''), lambda __kql_c: {char}), '')"
        )

    return sql


T("str_url_encode", _url_encode_sql("+"))
T("str_url_encode_component", _url_encode_sql("%20"))
T("str_url_decode", "COALESCE(try(url_decode(replace({0}, '+', ' '))), '')")

_add("url_encode", 1, 1, KType.STRING, lambda c, a: fn("str_url_encode", _text(c, a[0], "url")))
_add(
    "url_encode_component",
    1,
    1,
    KType.STRING,
    lambda c, a: fn("str_url_encode_component", _text(c, a[0], "url")),
)
_add(
    "url_decode",
    1,
    1,
    KType.STRING,
    lambda c, a: fn("str_url_decode", _text(c, a[0], "url")),
    status="partial",
    note="a decoded byte sequence that is not UTF-8 gives ''",
)


# ------------------------------------------------------------------ base64

T("str_base64_encode", "to_base64(encode({0}))", "base64(encode({0}, 'UTF-8'))")
T("str_base64_decode", "COALESCE(try(decode(from_base64({0}))), '')")
T(
    "str_base64_to_array",
    lambda a: _let(
        f"hex(try(from_base64({a[0]})))",
        "__kql_h",
        "to_json(list_transform(range(0, length(__kql_h) // 2), "
        "lambda __kql_i: CAST('0x' || substring(__kql_h, 2 * __kql_i + 1, 2) AS BIGINT)))",
    ),
)
T(
    "str_base64_from_array",
    lambda a: (
        "COALESCE("
        + _let(
            f"list_transform({_jlist(a[0])}, lambda __kql_e: {_jlong('__kql_e')})",
            "__kql_b",
            "CASE WHEN list_bool_and(list_transform(__kql_b, "
            "lambda __kql_v: __kql_v BETWEEN 0 AND 255)) "
            "THEN to_base64(unhex(array_to_string(list_transform(__kql_b, "
            "lambda __kql_v: lpad(to_hex(__kql_v), 2, '0')), ''))) END",
        )
        + ", '')"
    ),
)


def _guid_bytes(h: str, fields: int = 3) -> str:
    """A GUID's hex digits with the first `fields` fields byte-reversed (.NET's byte order
    reverses three), or back."""
    pairs = [7, 5, 3, 1, 11, 9, 15, 13][: (4, 6, 8)[fields - 1]]
    rest = 1 + 2 * len(pairs)
    return " || ".join([f"substring({h}, {p}, 2)" for p in pairs] + [f"substring({h}, {rest})"])


T(
    "str_base64_from_guid",
    lambda a: (
        "COALESCE("
        + _let(
            f"replace(CAST({a[0]} AS VARCHAR), '-', '')",
            "__kql_h",
            f"to_base64(unhex({_guid_bytes('__kql_h')}))",
        )
        + ", '')"
    ),
)
T(
    "str_base64_to_guid",
    lambda a: _let(
        f"lower(hex(try(from_base64({a[0]}))))",
        "__kql_h",
        "CASE WHEN length(__kql_h) = 32 THEN "
        # The docs' example reverses only the first two fields when decoding.
        + _let(
            _guid_bytes("__kql_h", 2),
            "__kql_g",
            "CAST(substring(__kql_g, 1, 8) || '-' || substring(__kql_g, 9, 4) || '-' || "
            "substring(__kql_g, 13, 4) || '-' || substring(__kql_g, 17, 4) || '-' || "
            "substring(__kql_g, 21, 12) AS UUID)",
        )
        + " END",
    ),
)


def _guid_arg(ctx: Ctx, a: Arg) -> exp.Expression:
    if a.type is KType.GUID:
        return a.sql
    if a.type is KType.NULL:
        return null_of(KType.GUID)
    raise _type_error(ctx, a, "argument", "a guid")


_add(
    "base64_encode_tostring",
    1,
    1,
    KType.STRING,
    aliases=("base64_encodestring",),
    lower=lambda c, a: fn("str_base64_encode", _text(c, a[0], "string")),
)
_add(
    "base64_decode_tostring",
    1,
    1,
    KType.STRING,
    aliases=("base64_decodestring",),
    lower=lambda c, a: fn("str_base64_decode", _text(c, a[0], "base64 string")),
)
_add(
    "base64_decode_toarray",
    1,
    1,
    KType.DYNAMIC,
    lambda c, a: fn("str_base64_to_array", _text(c, a[0], "base64 string")),
)
_add(
    "base64_encode_fromarray",
    1,
    1,
    KType.STRING,
    lambda c, a: fn("str_base64_from_array", _dynamic(c, a[0], "array")),
)
_add(
    "base64_encode_fromguid",
    1,
    1,
    KType.STRING,
    lambda c, a: fn("str_base64_from_guid", _guid_arg(c, a[0])),
)
_add(
    "base64_decode_toguid",
    1,
    1,
    KType.GUID,
    lambda c, a: fn("str_base64_to_guid", _text(c, a[0], "base64 string")),
)


# ------------------------------------------------------------------ code points and checks

T(
    "str_codepoints",
    "to_json(list_transform(string_split({0}, ''), "
    "lambda __kql_c: CAST(unicode(__kql_c) AS BIGINT)))",
)
T(
    "str_from_codepoints",
    lambda a: (
        "COALESCE("
        + _let(
            "flatten([" + ", ".join(a) + "])",
            "__kql_l",
            "CASE WHEN list_bool_and(list_transform(__kql_l, lambda __kql_c: "
            "__kql_c BETWEEN 0 AND 1114111 AND NOT __kql_c BETWEEN 55296 AND 57343)) "
            "THEN array_to_string(list_transform(__kql_l, "
            "lambda __kql_c: chr(CAST(__kql_c AS INTEGER))), '') END",
        )
        + ", '')"
    ),
)
T(
    "str_json_longs",
    lambda a: (
        f"CASE json_type({a[0]}) WHEN 'ARRAY' THEN list_transform(CAST({a[0]} AS JSON[]), "
        f"lambda __kql_e: {_jlong('__kql_e')}) ELSE [{_jlong(a[0])}] END"
    ),
)
T("str_long_list", "[CAST({0} AS BIGINT)]")


def _codepoint_list(ctx: Ctx, a: Arg) -> exp.Expression:
    if a.type in (KType.INT, KType.LONG, KType.NULL):
        return fn("str_long_list", a.sql)
    if a.type is KType.DYNAMIC:
        return fn("str_json_longs", a.sql)
    raise _type_error(ctx, a, "argument", "an integer or a dynamic array", "KS136")


_add(
    "unicode_codepoints_from_string",
    1,
    1,
    KType.DYNAMIC,
    aliases=("to_utf8",),
    lower=lambda c, a: fn("str_codepoints", _str(a[0])),
)
_add(
    "unicode_codepoints_to_string",
    1,
    64,
    KType.STRING,
    aliases=("make_string",),
    lower=lambda c, a: fn("str_from_codepoints", *(_codepoint_list(c, x) for x in a)),
)

T("str_isascii", "NOT regexp_matches({0}, '[^\\x00-\\x7F]')")
# DuckDB text is valid UTF-8 by construction.
T("str_isutf8", "({0} IS NOT NULL)", "({0} IS NOT NULL)")
T("str_regex_quote", "regexp_escape({0})")

_add("isascii", 1, 1, KType.BOOL, lambda c, a: fn("str_isascii", _text(c, a[0], "value")))
_add("isutf8", 1, 1, KType.BOOL, lambda c, a: fn("str_isutf8", _text(c, a[0], "value")))
_add(
    "regex_quote",
    1,
    1,
    KType.STRING,
    lambda c, a: fn("str_regex_quote", _str(a[0])),
    status="partial",
    note="escapes every ASCII character but letters, digits and '_' (RE2 QuoteMeta)",
)


# ------------------------------------------------------------------ parsers

# scheme://user:password@host:port/path?query#fragment; Kusto recognizes the user part only
# with a password, and takes the port after the last ':' of the authority.
_URL = (
    r"^([A-Za-z][A-Za-z0-9+.-]*)://(?:([^:@/?#]*):([^@/?#]*)@)?"
    r"(?:([^/?#]*):([^:/?#]*)|([^/?#]*))(/[^?#]*)?(?:\?([^#]*))?(?:#((?s:.)*))?$"
)
_URL_PARTS = ["scheme", "user", "password", "host", "port", "host2", "path", "query", "fragment"]


def _query_object(q: str) -> str:
    """`k1=v1&k2=v2` as a JSON object; a pair without '=' is dropped, the last of equal keys
    wins."""
    pairs = (
        f"list_transform(list_filter(string_split({q}, '&'), "
        "lambda __kql_q: contains(__kql_q, '=')), "
        "lambda __kql_q: [split_part(__kql_q, '=', 1), "
        "substring(__kql_q, strpos(__kql_q, '=') + 1)])"
    )
    last = (
        "list_filter(__kql_kv, lambda __kql_p, __kql_i: NOT list_contains("
        "list_transform(list_slice(__kql_kv, __kql_i + 1, len(__kql_kv)), "
        "lambda __kql_o: __kql_o[1]), "
        "__kql_p[1]))"
    )
    members = (
        f"list_transform({last}, lambda __kql_p: to_json(__kql_p[1]) || ':' || to_json(__kql_p[2]))"
    )
    return _let(pairs, "__kql_kv", f"json('{{' || array_to_string({members}, ',') || '}}')")


def _parse_url_sql(a: list[str]) -> str:
    names = "[" + ", ".join(f"'{n}'" for n in _URL_PARTS) + "]"
    u = "__kql_u"
    obj = (
        f"json_object('Scheme', {u}.scheme, 'Host', {u}.host || {u}.host2, 'Port', {u}.port, "
        f"'Path', {u}.path, 'Username', {u}.user, 'Password', {u}.password, "
        f"'Query Parameters', {_query_object(f'{u}.query')}, 'Fragment', {u}.fragment)"
    )
    return _let(f"regexp_extract({a[0]}, {a[1]}, {names})", u, obj)


T("str_parse_url", _parse_url_sql)
T(
    "str_parse_urlquery",
    lambda a: (
        f"json_object('Query Parameters', {_query_object(f'ltrim({a[0]}, {chr(39)}?{chr(39)})')})"
    ),
)
_add(
    "parse_url",
    1,
    1,
    KType.DYNAMIC,
    aliases=("parseurl",),
    status="partial",
    note="regular-expression parsing; query values are not URL-decoded",
    lower=lambda c, a: fn("str_parse_url", _text(c, a[0], "url"), lit(_URL)),
)
_add(
    "parse_urlquery",
    1,
    1,
    KType.DYNAMIC,
    aliases=("parseurlquery",),
    status="partial",
    note="query values are not URL-decoded",
    lower=lambda c, a: fn("str_parse_urlquery", _text(c, a[0], "query")),
)


def _parse_path_sql(a: list[str]) -> str:
    obj = (
        "json_object('Scheme', __kql_s, 'RootPath', regexp_extract(__kql_r, '^([A-Za-z]:)', 1), "
        "'DirectoryPath', __kql_d, 'DirectoryName', regexp_extract(__kql_d, '([^\\\\/]*)$', 1), "
        "'Filename', split_part(__kql_n, ':', 1), "
        "'Extension', regexp_extract(split_part(__kql_n, ':', 1), '\\.([^.]*)$', 1), "
        "'AlternateDataStreamName', regexp_extract(__kql_n, ':(.*)$', 1))"
    )
    parts = _let(
        "regexp_extract(__kql_r, '^(.*)[\\\\/]', 1)",
        "__kql_d",
        _let("regexp_extract(__kql_r, '([^\\\\/]*)$', 1)", "__kql_n", obj),
    )
    rest = "CASE WHEN __kql_s = '' THEN {0} ELSE substring({0}, length(__kql_s) + 4) END".format(
        a[0]
    )
    scheme = f"regexp_extract({a[0]}, '^([A-Za-z][A-Za-z0-9+.-]+)://', 1)"
    return _let(scheme, "__kql_s", _let(rest, "__kql_r", parts))


T("str_parse_path", _parse_path_sql)
_add(
    "parse_path",
    1,
    1,
    KType.DYNAMIC,
    status="partial",
    note="long paths (\\\\?\\) and drive-relative paths are not recognized",
    lower=lambda c, a: fn("str_parse_path", _text(c, a[0], "path")),
)


# The first record: quoted fields may hold commas, quotes ("") and line breaks.
_CSV_RECORD = r"""^((?:"(?:[^"]|"")*"|[^\r\n])*)"""
_CSV_FIELD = r"""(?:^|,)("(?:[^"]|"")*"|[^,]*)"""
T(
    "str_parse_csv",
    lambda a: (
        f"to_json(list_transform(regexp_extract_all(regexp_extract({a[0]}, {a[1]}, 1), {a[2]}, 1), "
        "lambda __kql_f: CASE WHEN length(__kql_f) >= 2 AND starts_with(__kql_f, '\"') "
        "AND ends_with(__kql_f, '\"') "
        "THEN replace(substring(__kql_f, 2, length(__kql_f) - 2), '\"\"', '\"') ELSE __kql_f END))"
    ),
)
_add(
    "parse_csv",
    1,
    1,
    KType.DYNAMIC,
    naming="first_arg",
    lower=lambda c, a: fn(
        "str_parse_csv", _text(c, a[0], "csv text"), lit(_CSV_RECORD), lit(_CSV_FIELD)
    ),
)


def _command_line_args(line: str | None) -> str | None:
    """CommandLineToArgvW: the program name ends at a space or tab (or at its closing quote if
    it starts with one); in the other arguments 2n backslashes before a quote are n
    backslashes and the quote toggles quoting, 2n+1 are n backslashes and a literal quote, and
    a quote right after a closing quote is literal."""
    if line is None:
        return None
    args: list[str] = []
    i, n = 0, len(line)
    if n and line[0] == '"':
        end = line.find('"', 1)
        end = n if end < 0 else end
        args.append(line[1:end])
        i = end + 1
    elif n:
        while i < n and line[i] not in " \t":
            i += 1
        args.append(line[:i])
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return json.dumps(args, ensure_ascii=False)
        arg, i = _command_line_arg(line, i)
        args.append(arg)


def _command_line_arg(line: str, i: int) -> tuple[str, int]:
    """One argument from offset `i`, as Wine's CommandLineToArgvW reads it: `quotes` counts
    the quotes of a run, and a third quote in a run is a literal one."""
    out: list[str] = []
    quotes, n = 0, len(line)
    while i < n and (quotes or line[i] not in " \t"):
        if line[i] == "\\":
            j = i
            while j < n and line[j] == "\\":
                j += 1
            escaped = j < n and line[j] == '"'
            out.append("\\" * ((j - i) // 2 if escaped else j - i))
            if escaped and (j - i) % 2:
                out.append('"')
                j += 1
            i = j
        elif line[i] == '"':
            quotes, i = quotes + 1, i + 1
            while i < n and line[i] == '"':
                quotes, i = quotes + 1, i + 1
                if quotes == 3:
                    out.append('"')
                    quotes = 0
            quotes = 0 if quotes == 2 else quotes
        else:
            out.append(line[i])
            i += 1
    return "".join(out), i


FAMILY.udf("kql_str_command_line", _command_line_args, ["VARCHAR"], "VARCHAR")
T("str_parse_command_line", "json(kql_str_command_line({0}))")
FAMILY.no_translation(
    "str_parse_command_line",
    "spark",
    "parse_command_line() is a Python function (Windows argument rules) that only DuckDB registers",
)


def _parse_command_line(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    if _const_text(ctx, a[1], "parser type").lower() != "windows":
        raise _Reject(D.type_error(f"{ctx.name}(): the only parser type is 'windows'", a[1].span))
    return fn("str_parse_command_line", _str(a[0]))


_add("parse_command_line", 2, 2, KType.DYNAMIC, _parse_command_line)


# Four parts of eight digits: "1.2.3.4" -> 1 00000002 00000003 00000004. DECIMAL(38, 18) cannot
# hold 32 integer digits, so the value is a DECIMAL(38, 0).
T(
    "str_parse_version",
    "CASE WHEN regexp_full_match({0}, '[0-9]{{1,8}}(\\.[0-9]{{1,8}}){{0,3}}') THEN "
    "CAST(array_to_string(list_transform("
    "list_concat(string_split({0}, '.'), ['0', '0', '0'])[1:4], "
    "lambda __kql_p: lpad(__kql_p, 8, '0')), '') AS DECIMAL(38, 0)) END",
)
_add(
    "parse_version",
    1,
    1,
    KType.DECIMAL,
    lambda c, a: fn("str_parse_version", _text(c, a[0], "version")),
)


# ------------------------------------------------------------------ format_bytes

_BYTE_UNITS = ("Bytes", "KB", "MB", "GB", "TB", "PB", "EB")
_AUTO_UNIT = len(_BYTE_UNITS)  # the unit index meaning "choose by magnitude"


def _unit_index(a: list[str]) -> str:
    if a[-1] != str(_AUTO_UNIT):
        return a[-1]
    steps = " ".join(
        f"WHEN abs({a[0]}) >= {1024**k}.0 THEN {k}" for k in range(len(_BYTE_UNITS) - 1, 0, -1)
    )
    return f"CASE {steps} ELSE 0 END"


T("str_bytes_value", lambda a: f"round({a[0]} / pow(1024, {_unit_index([a[0], a[2]])}), {a[1]})")
T(
    "str_bytes_unit",
    lambda a: (
        "CASE "
        + _unit_index(a)
        + " "
        + " ".join(f"WHEN {k} THEN '{u}'" for k, u in enumerate(_BYTE_UNITS))
        + " END"
    ),
)


def _format_bytes(ctx: Ctx, a: list[Arg]) -> exp.Expression:
    if not (a[0].type.is_numeric or a[0].type in (KType.NULL, KType.DYNAMIC)):
        raise _type_error(ctx, a[0], "size", "a number", "KS137")
    precision = _const_int(ctx, a[1], "precision") if len(a) > 1 else 0
    if precision < 0:
        raise _type_error(ctx, a[1], "precision", "0 or more", "KS134")
    unit = _const_text(ctx, a[2], "units") if len(a) > 2 else ""
    known = {u.lower(): k for k, u in enumerate(_BYTE_UNITS)}
    if unit and unit.lower() not in known:
        raise _Reject(
            D.type_error(
                f"{ctx.name}(): the units must be one of {', '.join(_BYTE_UNITS)}", a[2].span
            )
        )
    size, index = to_real(a[0]), lit(known[unit.lower()] if unit else _AUTO_UNIT)
    value = fn("str_bytes_value", size, lit(precision), index)
    return fn(
        "str_concat", fn("real_to_string", value), lit(" "), fn("str_bytes_unit", size, index)
    )


_add(
    "format_bytes",
    1,
    3,
    KType.STRING,
    _format_bytes,
    naming="first_arg",
    status="partial",
    note="rounds halves away from zero",
)


# ------------------------------------------------------------------ principal


_add(
    "current_principal",
    0,
    0,
    KType.STRING,
    lambda c, a: lit("aaduser=kustodian-local;local"),
    status="partial",
    note="a fixed principal: the local engine has no identities",
)


# ------------------------------------------------------------------ punycode (Python UDFs)

# Label separators: '.', and the ideographic, fullwidth and halfwidth full stops.
_LABEL_DOT = re.compile("[.\u3002\uff0e\uff61]")


def _punycode_encode(s: str | None) -> str | None:
    return None if s is None else s.encode("punycode").decode("ascii")


def _punycode_decode(s: str | None) -> str | None:
    return None if s is None else s.encode("ascii").decode("punycode")


def _domain_encode(s: str | None) -> str | None:
    """Labels that are not ASCII become `xn--` and their Punycode; no IDNA case folding."""
    if s is None:
        return None
    labels = _LABEL_DOT.split(s)
    return ".".join(x if x.isascii() else f"xn--{_punycode_encode(x)}" for x in labels)


def _domain_decode(s: str | None) -> str | None:
    if s is None:
        return None
    labels = s.split(".")
    return ".".join(_punycode_decode(x[4:]) or "" if x[:4].lower() == "xn--" else x for x in labels)


def _punycode(name: str, func: Callable[[str | None], str | None]) -> None:
    """A string function computed by a Python UDF; a failure (a UDF error) gives ''."""
    udf = f"kql_str_{name}"
    FAMILY.udf(udf, func, ["VARCHAR"], "VARCHAR")
    T(f"str_{name}", f"COALESCE({udf}({{0}}), '')")
    FAMILY.no_translation(
        f"str_{name}", "spark", f"{name}() is a Python function that only DuckDB registers"
    )
    _add(name, 1, 1, KType.STRING, lambda c, a: fn(f"str_{name}", _text(c, a[0], "string")))


_punycode("punycode_from_string", _punycode_encode)
_punycode("punycode_to_string", _punycode_decode)
_punycode("punycode_domain_to_string", _domain_encode)
_punycode("punycode_domain_from_string", _domain_decode)


# ------------------------------------------------------------------ Spark translations
# Spark's regexes are Java's; Kusto's (RE2) differ only in rarely used syntax. Dynamic values
# are JSON text (see functions/spark.py).

SPARK = FAMILY.spark


def _sp_quote_regex(s: str) -> str:
    """A string as a Java regex matching it literally."""
    return f"concat('\\\\Q', replace({s}, '\\\\E', '\\\\E\\\\\\\\E\\\\Q'), '\\\\E')"


def _sp_replace_first(a: list[str]) -> str:
    s, regex, rewrite = a
    if rewrite != "''":  # only the trim functions use it, with an empty rewrite
        raise NoTranslation("a first-match regex replacement with a rewrite")
    return (
        f"CASE WHEN regexp_instr({s}, {regex}) = 0 THEN {s} ELSE concat(substr({s}, 1, "
        f"regexp_instr({s}, {regex}) - 1), substr({s}, regexp_instr({s}, {regex}) + "
        f"length(regexp_extract({s}, {regex}, 0)))) END"
    )


def _sp_extract_all(a: list[str]) -> str:
    s, regex, groups = a[0], _sp_regex(a[1]), a[2:]
    if len(groups) == 1:
        return SP.let(
            f"regexp_extract_all({s}, {regex}, {groups[0]})",
            "__kql_m",
            "CASE WHEN size(__kql_m) = 0 THEN NULL ELSE to_json(__kql_m) END",
        )
    lists = "array(" + ", ".join(f"regexp_extract_all({s}, {regex}, {g})" for g in groups) + ")"
    rows = (
        "transform(__kql_g[0], (__kql_x, __kql_i) -> "
        "transform(__kql_g, __kql_l -> element_at(__kql_l, __kql_i + 1)))"
    )
    return SP.let(
        lists, "__kql_g", f"CASE WHEN size(__kql_g[0]) = 0 THEN NULL ELSE to_json({rows}) END"
    )


def _sp_window(s: str, start: str, length: str) -> str:
    return (
        f"substring({s}, {start} + 1, CASE WHEN {length} = -1 THEN length({s}) ELSE {length} END)"
    )


def _sp_indexof(a: list[str]) -> str:
    s, m, start, length, k = a[0], a[1], a[2], a[3], int(a[4])

    def find(frm: str, found: str, missing: str) -> str:
        body = f"CASE WHEN __kql_p = 0 THEN {missing} ELSE {found} END"
        return SP.let(f"instr({_sp_window(s, frm, length)}, {m})", "__kql_p", body)

    if k == 1:
        search = find("__kql_st", "__kql_st + __kql_p - 1", "-1")
    else:
        next_one = find("__kql_acc + 1", "__kql_acc + __kql_p", "-2")
        step = f"CASE WHEN __kql_acc = -2 THEN -2 ELSE {next_one} END"
        fold = f"aggregate(array_repeat(0, {k}), __kql_st - 1, (__kql_acc, __kql_i) -> {step})"
        search = f"COALESCE(NULLIF({fold}, -2), -1)"
    body = (
        f"CASE WHEN __kql_st IS NULL OR {length} IS NULL THEN NULL "
        f"WHEN __kql_st < 0 OR {length} < -1 THEN NULL "
        f"WHEN __kql_st > length({s}) THEN -1 ELSE {search} END"
    )
    first = f"CAST(CASE WHEN {start} < 0 THEN length({s}) + {start} ELSE {start} END AS BIGINT)"
    return f"CAST({SP.let(first, '__kql_st', body)} AS BIGINT)"


SPARK("str_regex_replace_first", _sp_replace_first)
SPARK("str_extract_all", _sp_extract_all)
SPARK("str_indexof", _sp_indexof)
SPARK("str_count_regex", "CAST(size(regexp_extract_all({0}, {1}, 0)) AS BIGINT)")
SPARK(
    "str_count_overlapping",
    lambda a: (
        f"CAST(CASE WHEN length({a[1]}) = 0 THEN 0 ELSE size(filter("
        f"{SP.indexes(f'length({a[0]}) - length({a[1]}) + 1')}, "
        f"__kql_i -> substring({a[0]}, __kql_i + 1, length({a[1]})) = {a[1]})) END AS BIGINT)"
    ),
)
SPARK(
    "str_join_array",
    lambda a: (
        f"COALESCE(array_join(transform({SP.elements(a[0])}, "
        f"__kql_x -> COALESCE({SP.text('__kql_x')}, '')), {a[1]}), '')"
    ),
)
SPARK(
    "str_base64_decode",
    lambda a: SP.let(
        f"{_sp_from_base64(a[0])}",
        "__kql_b",
        # text that is not UTF-8 decodes to "" (a round trip tells)
        "CASE WHEN encode(decode(__kql_b, 'UTF-8'), 'UTF-8') = __kql_b "
        "THEN decode(__kql_b, 'UTF-8') ELSE '' END",
    ),
)
SPARK("str_isascii", "NOT {0} RLIKE '[^\\\\x00-\\\\x7F]'")
# RE2's QuoteMeta: every ASCII character but letters, digits and _ escaped
SPARK("str_regex_quote", "regexp_replace({0}, '([\\\\p{{ASCII}}&&[^A-Za-z0-9_]])', '\\\\\\\\$1')")
SPARK(
    "str_has_any_index",
    lambda a: (
        f"CAST(array_position(transform({SP.elements(a[1])}, __kql_t -> {a[0]} RLIKE "
        f"concat('(?i)(^|[^0-9A-Za-z])', {_sp_quote_regex(SP.text('__kql_t'))}, "
        "'($|[^0-9A-Za-z])')), true) - 1 AS BIGINT)"
    ),
)
SPARK(
    "str_parse_version",
    "CASE WHEN {0} RLIKE '^[0-9]{{1,8}}(\\\\.[0-9]{{1,8}}){{0,3}}$' THEN CAST(array_join("
    "transform(slice(concat(split({0}, '\\\\.'), array('0', '0', '0')), 1, 4), "
    "__kql_p -> lpad(__kql_p, 8, '0')), '') AS DECIMAL(38, 0)) END",
)
SPARK(
    "str_codepoints",
    "to_json(transform(filter(split({0}, ''), __kql_c -> __kql_c <> ''), "
    "__kql_c -> CAST(ascii(__kql_c) AS BIGINT)))",
)
FAMILY.no_translation(
    "str_url_decode", "spark", "Spark's url_decode fails the query on malformed escapes"
)


# .NET's Convert.FromBase64String wants the padding; Spark's decoder would take text without it
_SP_BASE64 = "'^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$'"


def _sp_from_base64(s: str) -> str:
    return f"CASE WHEN {s} RLIKE {_SP_BASE64} THEN try_to_binary({s}, 'base64') END"


def _sp_jlong(v: str) -> str:
    """A JSON text's integer value (a number or a string of one), else NULL."""
    return f"CAST({SP.text(v)} AS BIGINT)"


def _sp_replace_strings(a: list[str]) -> str:
    """As the DuckDB template: each lookup splits the segments not yet claimed."""
    look = SP.text("__kql_lr.l")
    rewrite = f"CASE WHEN startswith(__kql_lr.r, '\"') THEN {SP.text('__kql_lr.r')} ELSE {look} END"
    piece = (
        "CASE WHEN __kql_j % 2 = 0 THEN named_struct('s', __kql_parts[div(__kql_j, 2)], "
        f"'r', false) ELSE named_struct('s', {rewrite}, 'r', true) END"
    )
    split = SP.let(
        f"split(__kql_seg.s, {_sp_quote_regex(look)}, -1)",
        "__kql_parts",
        f"transform({SP.indexes('2 * size(__kql_parts) - 1', '__kql_ri')}, __kql_j -> {piece})",
    )
    step = (
        f"CASE WHEN NOT COALESCE(startswith(__kql_lr.l, '\"'), false) OR {look} = '' "
        "THEN __kql_acc ELSE flatten(transform(__kql_acc, __kql_seg -> "
        f"CASE WHEN __kql_seg.r THEN array(__kql_seg) ELSE {split} END)) END"
    )
    lookups, rewrites = SP.elements(a[1], "__kql_e1"), SP.elements(a[2], "__kql_e2")
    pairs = (
        f"transform({lookups}, (__kql_l, __kql_i) -> named_struct('l', __kql_l, "
        f"'r', COALESCE(element_at({rewrites}, __kql_i + 1), 'null')))"
    )
    start = f"array(named_struct('s', {a[0]}, 'r', false))"
    segments = f"aggregate({pairs}, {start}, (__kql_acc, __kql_lr) -> {step})"
    text = f"array_join(transform({segments}, __kql_g -> __kql_g.s), '')"
    return f"COALESCE({text}, {a[0]})"


def _sp_indexof_regex(a: list[str]) -> str:
    s, regex, prefixed, start, length, k = a[0], a[1], a[2], a[3], a[4], int(a[5])
    regex, prefixed = _sp_regex(regex), _sp_regex(prefixed)
    if k == 1:
        window = _sp_window(s, "__kql_st", length)
        hit = f"__kql_st + length(regexp_extract(__kql_w, {prefixed}, 1))"
        search = SP.let(
            window, "__kql_w", f"CASE WHEN __kql_w RLIKE {regex} THEN {hit} ELSE -1 END"
        )
    else:
        window = _sp_window(s, "__kql_acc.n", length)
        found = (
            "named_struct('p', __kql_acc.n + length(__kql_x.pre), 'n', __kql_acc.n + "
            "length(__kql_x.pre) + greatest(length(__kql_x.hit), 1))"
        )
        matched = SP.let(
            f"named_struct('pre', regexp_extract(__kql_w, {prefixed}, 1), "
            f"'hit', regexp_extract(__kql_w, {prefixed}, 2))",
            "__kql_x",
            found,
        )
        step = SP.let(
            window,
            "__kql_w",
            f"CASE WHEN __kql_w RLIKE {regex} THEN {matched} "
            "ELSE named_struct('p', CAST(-2 AS BIGINT), 'n', CAST(0 AS BIGINT)) END",
        )
        fold = (
            f"aggregate(array_repeat(0, {k}), named_struct('p', CAST(-1 AS BIGINT), "
            "'n', CAST(__kql_st AS BIGINT)), (__kql_acc, __kql_i) -> "
            f"CASE WHEN __kql_acc.p = -2 THEN __kql_acc ELSE {step} END)"
        )
        search = f"COALESCE(NULLIF(({fold}).p, -2), -1)"
    body = (
        f"CASE WHEN __kql_st IS NULL OR {length} IS NULL OR __kql_st < 0 OR {length} < -1 "
        f"THEN NULL WHEN __kql_st > length({s}) THEN -1 ELSE {search} END"
    )
    return f"CAST({SP.let(f'CAST({start} AS BIGINT)', '__kql_st', body)} AS BIGINT)"


def _sp_url_encode(space: str) -> Callable[[list[str]], str]:
    def sql(a: list[str]) -> str:
        byte = "regexp_replace(lower(hex(encode(__kql_c, 'UTF-8'))), '(..)', '%$1')"
        char = (
            "CASE WHEN __kql_c RLIKE '^[A-Za-z0-9_.!*()-]$' THEN __kql_c "
            f"WHEN __kql_c = ' ' THEN '{space}' ELSE {byte} END"
        )
        chars = f"filter(split({a[0]}, ''), __kql_c -> __kql_c <> '')"
        return f"array_join(transform({chars}, __kql_c -> {char}), '')"

    return sql


def _sp_guid_bytes(h: str, fields: int = 3) -> str:
    pairs = [7, 5, 3, 1, 11, 9, 15, 13][: (4, 6, 8)[fields - 1]]
    rest = 1 + 2 * len(pairs)
    return (
        "concat("
        + ", ".join([f"substr({h}, {p}, 2)" for p in pairs] + [f"substr({h}, {rest})"])
        + ")"
    )


def _sp_query_object(q: str) -> str:
    pairs = (
        f"transform(filter(split({q}, '&'), __kql_q -> contains(__kql_q, '=')), "
        "__kql_q -> named_struct('key', split_part(__kql_q, '=', 1), "
        "'value', substr(__kql_q, instr(__kql_q, '=') + 1)))"
    )
    last = (
        "filter(__kql_kv, (__kql_p, __kql_i) -> NOT array_contains(transform(slice(__kql_kv, "
        "__kql_i + 2, size(__kql_kv)), __kql_o -> __kql_o.key), __kql_p.key))"
    )
    members = f"transform({last}, __kql_p -> named_struct('key', __kql_p.key, 'value', {SP.quote('__kql_p.value')}))"
    return SP.let(pairs, "__kql_kv", SP.obj(members))


def _sp_parse_url(a: list[str]) -> str:
    u = "__kql_u"
    fields = ", ".join(
        f"'{n}', regexp_extract({u}0, {a[1]}, {i + 1})" for i, n in enumerate(_URL_PARTS)
    )
    obj = SP.object_of(
        [
            "'Scheme'", SP.quote(f"{u}.scheme"),
            "'Host'", SP.quote(f"concat({u}.host, {u}.host2)"),
            "'Port'", SP.quote(f"{u}.port"),
            "'Path'", SP.quote(f"{u}.path"),
            "'Username'", SP.quote(f"{u}.user"),
            "'Password'", SP.quote(f"{u}.password"),
            "'Query Parameters'", _sp_query_object(f"{u}.query"),
            "'Fragment'", SP.quote(f"{u}.fragment"),
        ]
    )  # fmt: skip
    return SP.let(a[0], f"{u}0", SP.let(f"named_struct({fields})", u, obj))


def _sp_parse_path(a: list[str]) -> str:
    obj = SP.object_of(
        [
            "'Scheme'", SP.quote("__kql_s"),
            "'RootPath'", SP.quote("regexp_extract(__kql_r, '^([A-Za-z]:)', 1)"),
            "'DirectoryPath'", SP.quote("__kql_d"),
            "'DirectoryName'", SP.quote("regexp_extract(__kql_d, '([^\\\\\\\\/]*)$', 1)"),
            "'Filename'", SP.quote("split_part(__kql_n, ':', 1)"),
            "'Extension'", SP.quote("regexp_extract(split_part(__kql_n, ':', 1), '[.]([^.]*)$', 1)"),
            "'AlternateDataStreamName'", SP.quote("regexp_extract(__kql_n, ':(.*)$', 1)"),
        ]
    )  # fmt: skip
    parts = SP.let(
        "regexp_extract(__kql_r, '^(.*)[\\\\\\\\/]', 1)",
        "__kql_d",
        SP.let("regexp_extract(__kql_r, '([^\\\\\\\\/]*)$', 1)", "__kql_n", obj),
    )
    rest = "CASE WHEN __kql_s = '' THEN __kql_p ELSE substr(__kql_p, length(__kql_s) + 4) END"
    scheme = "regexp_extract(__kql_p, '^([A-Za-z][A-Za-z0-9+.-]+)://', 1)"
    body = SP.let(scheme, "__kql_s", SP.let(rest, "__kql_r", parts))
    return SP.let(a[0], "__kql_p", body)


SPARK("str_replace_strings", _sp_replace_strings)
SPARK("str_indexof_regex", _sp_indexof_regex)
SPARK("str_url_encode", _sp_url_encode("+"))
SPARK("str_url_encode_component", _sp_url_encode("%20"))
SPARK(
    "str_base64_to_array",
    lambda a: SP.let(
        f"hex({_sp_from_base64(a[0])})",
        "__kql_h",
        f"to_json(transform({SP.indexes('div(length(__kql_h), 2)')}, __kql_i -> "
        "CAST(conv(substr(__kql_h, 2 * __kql_i + 1, 2), 16, 10) AS BIGINT)))",
    ),
)
SPARK(
    "str_base64_from_array",
    lambda a: (
        "COALESCE("
        + SP.let(
            f"transform({SP.elements(a[0])}, __kql_x -> {_sp_jlong('__kql_x')})",
            "__kql_b",
            "CASE WHEN forall(__kql_b, __kql_v -> __kql_v BETWEEN 0 AND 255) "
            "THEN base64(unhex(array_join(transform(__kql_b, "
            "__kql_v -> lpad(hex(__kql_v), 2, '0')), ''))) END",
        )
        + ", '')"
    ),
)
SPARK(
    "str_base64_from_guid",
    lambda a: (
        "COALESCE("
        + SP.let(
            f"replace({a[0]}, '-', '')",
            "__kql_h",
            f"base64(unhex({_sp_guid_bytes('__kql_h')}))",
        )
        + ", '')"
    ),
)
SPARK(
    "str_base64_to_guid",
    lambda a: SP.let(
        f"lower(hex({_sp_from_base64(a[0])}))",
        "__kql_h",
        "CASE WHEN length(__kql_h) = 32 THEN "
        + SP.let(
            _sp_guid_bytes("__kql_h", 2),
            "__kql_g",
            "concat_ws('-', substr(__kql_g, 1, 8), substr(__kql_g, 9, 4), "
            "substr(__kql_g, 13, 4), substr(__kql_g, 17, 4), substr(__kql_g, 21, 12))",
        )
        + " END",
    ),
)
SPARK(
    "str_from_codepoints",
    lambda a: (
        "COALESCE("
        + SP.let(
            "flatten(array(" + ", ".join(a) + "))",
            "__kql_l",
            "CASE WHEN forall(__kql_l, __kql_c -> "
            "__kql_c BETWEEN 0 AND 1114111 AND NOT __kql_c BETWEEN 55296 AND 57343) "
            "THEN array_join(transform(__kql_l, "
            "__kql_c -> format_string('%c', CAST(__kql_c AS INT))), '') END",
        )
        + ", '')"
    ),
)
SPARK(
    "str_json_longs",
    lambda a: (
        f"CASE WHEN startswith({a[0]}, '[') THEN transform({SP.elements(a[0])}, "
        f"__kql_x -> {_sp_jlong('__kql_x')}) ELSE array({_sp_jlong(a[0])}) END"
    ),
)
SPARK("str_long_list", "array(CAST({0} AS BIGINT))")
SPARK("str_parse_url", _sp_parse_url)
SPARK(
    "str_parse_urlquery",
    lambda a: SP.object_of(
        ["'Query Parameters'", _sp_query_object(f"regexp_replace({a[0]}, '^[?]+', '')")]
    ),
)
SPARK("str_parse_path", _sp_parse_path)
SPARK(
    "str_parse_csv",
    lambda a: (
        f"to_json(transform(regexp_extract_all(regexp_extract({a[0]}, {a[1]}, 1), {a[2]}, 1), "
        "__kql_f -> CASE WHEN length(__kql_f) >= 2 AND startswith(__kql_f, '\"') "
        "AND endswith(__kql_f, '\"') "
        "THEN replace(substr(__kql_f, 2, length(__kql_f) - 2), '\"\"', '\"') ELSE __kql_f END))"
    ),
)
SPARK("str_bytes_unit", FAMILY.templates["duckdb"]["str_bytes_unit"])
SPARK(
    "str_bytes_value",
    lambda a: f"round({a[0]} / pow(1024, {_unit_index([a[0], a[2]])}), {a[1]})",
)
