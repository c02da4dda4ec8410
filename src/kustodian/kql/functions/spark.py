"""Spark SQL text for dynamic values, which Spark holds as JSON text (STRING).

Spark 3.5 has no JSON type: `get_json_object` and `from_json(..., 'array<string>')` return a
string element's text without its quotes, which would make the string "1" and the number 1 the
same text. So that a dynamic value stays exact JSON, the readers here first mark every string
value (not the keys) with a private-use character after its opening quote; an element that
comes back starting with the mark was a string and is quoted again, any other has the marks of
its nested strings removed. Values that are not JSON (none should be) read as strings.

Every helper returns Spark SQL text over the SQL text of its arguments; lambda variables are
named by the caller where helpers nest, so that an inner lambda never hides an outer one.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from kustodian.kql.functions.base import NoTranslation

MARK = "\ufdd0"  # a Unicode noncharacter: never in interchanged text
# a JSON string token (Java regex, inside a Spark SQL string literal: backslashes doubled)
_STRING = r'"((?:[^"\\\\]|\\\\.)*+)"'
_MARKED_KEY = r'"' + MARK + r'((?:[^"\\\\]|\\\\.)*+)"(\\s*:)'


def let(value: str, var: str, body: str) -> str:
    """`body` with `var` bound to `value`, which is computed once."""
    return f"element_at(transform(array({value}), {var} -> {body}), 1)"


def quote(s: str) -> str:
    """The JSON string literal of a Spark string (NULL for NULL)."""
    return f"regexp_replace(to_json(array({s})), '^\\\\[|\\\\]$', '')"


def value(x: str) -> str:
    """The JSON text of a Spark scalar or struct/array/map value (NULL for NULL)."""
    return f"CASE WHEN {x} IS NULL THEN NULL ELSE {quote(x)} END"


def is_json(x: str) -> str:
    """Whether text is one JSON value."""
    return f"(json_array_length(concat('[', {x}, ']')) = 1)"


def normalize(x: str) -> str:
    """Text as a dynamic value: JSON text as is, any other text as a JSON string."""
    return f"CASE WHEN {is_json(x)} THEN {x} ELSE {quote(x)} END"


def mark(x: str) -> str:
    """JSON text with each string value's content prefixed by MARK (keys unchanged)."""
    every = f"regexp_replace({x}, '{_STRING}', '\"{MARK}$1\"')"
    return f"regexp_replace({every}, '{_MARKED_KEY}', '\"$1\"$2')"


def unmark(r: str) -> str:
    """The exact JSON text of an element read from marked text (a JSON null stays NULL)."""
    return (
        f"CASE WHEN startswith({r}, '{MARK}') THEN {quote(f'substr({r}, 2)')} "
        f"ELSE replace({r}, '{MARK}', '') END"
    )


def extract(x: str, path: str, var: str = "__kql_v") -> str:
    """The JSON text at a JSONPath of a JSON text, NULL when there is none."""
    return let(f"get_json_object({mark(x)}, {path})", var, unmark(var))


def json_type(x: str) -> str:
    """The JSON type of a JSON text, named as DuckDB's json_type names them."""
    return (
        f"CASE WHEN {x} IS NULL THEN NULL WHEN {x} = 'null' THEN 'NULL' "
        f"WHEN startswith({x}, '{{') THEN 'OBJECT' WHEN startswith({x}, '[') THEN 'ARRAY' "
        f"WHEN startswith({x}, '\"') THEN 'VARCHAR' WHEN {x} IN ('true', 'false') THEN 'BOOLEAN' "
        f"WHEN {x} RLIKE '^-?[0-9]+$' THEN 'BIGINT' "
        f"WHEN {x} RLIKE '^-?[0-9.]+([eE][-+]?[0-9]+)?$' OR {x} IN ('NaN', 'Infinity', '-Infinity') "
        f"THEN 'DOUBLE' ELSE 'VARCHAR' END"
    )


def text(x: str) -> str:
    """Kusto's tostring() of a JSON text: a string's content, other values' JSON, NULL for null."""
    return (
        f"CASE WHEN {x} = 'null' THEN NULL WHEN startswith({x}, '\"') "
        f"THEN COALESCE(get_json_object(concat('[', {x}, ']'), '$[0]'), {x}) ELSE {x} END"
    )


def elements(x: str, var: str = "__kql_e") -> str:
    """The elements (JSON texts) of a JSON array as an array<string>; NULL for other values."""
    return (
        f"CASE WHEN startswith({x}, '[') THEN transform(from_json({mark(x)}, 'array<string>'), "
        f"{var} -> COALESCE({unmark(var)}, 'null')) END"
    )


def entries(x: str, var: str = "__kql_e") -> str:
    """The (key, value JSON text) structs of a JSON object in order; NULL for other values."""
    return (
        f"CASE WHEN startswith({x}, '{{') THEN transform(map_entries(from_json({mark(x)}, "
        f"'map<string,string>')), {var} -> named_struct('key', {var}.key, 'value', "
        f"COALESCE({unmark(f'{var}.value')}, 'null'))) END"
    )


def array(elems: str, var: str = "__kql_a") -> str:
    """A JSON array from an array<string> of element JSON texts (NULL elements: null)."""
    return (
        f"concat('[', array_join(transform({elems}, {var} -> COALESCE({var}, 'null')), ','), ']')"
    )


def obj(pairs: str, var: str = "__kql_o") -> str:
    """A JSON object from an array of (key, value JSON text) structs with distinct keys."""
    return (
        f"concat('{{', array_join(transform({pairs}, {var} -> concat({quote(f'{var}.key')}, ':', "
        f"COALESCE({var}.value, 'null'))), ','), '}}')"
    )


def object_of(args: list[str]) -> str:
    """A JSON object from key, value JSON text, key, value ... (keys distinct)."""
    parts = [
        f"{quote(args[i])}, ':', COALESCE({args[i + 1]}, 'null')" for i in range(0, len(args), 2)
    ]
    return "concat('{', " + ", ',', ".join(parts) + ", '}')" if parts else "'{}'"


def indexes(n: str, var: str = "__kql_r") -> str:
    """The array 0, 1, ..., n - 1 (empty when n <= 0; Spark's sequence(0, -1) counts down)."""
    return f"filter(sequence(0, greatest({n}, 0)), {var} -> {var} < {n})"


def dedupe(entries: str) -> str:
    """(key, value) structs with the first occurrence of each key."""
    keys = f"transform({entries}, __kql_f -> __kql_f.key)"
    return f"filter({entries}, (__kql_d, __kql_i) -> array_position({keys}, __kql_d.key) = __kql_i + 1)"


NO_ENTRIES = "CAST(array() AS array<struct<key:string,value:string>>)"
NO_ELEMENTS = "CAST(array() AS array<string>)"
NUMERIC = "('BIGINT', 'UBIGINT', 'DOUBLE')"


# ------------------------------------------------------------------ JSON paths

# the lowering writes DuckDB's JSONPath: .key, ."any key", [0], [#-1] (from the end)
_DUCK_PIECE = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\."((?:[^"\\]|\\.)*)"|\[(\d+)\]|\[#(-\d+)\]')


def _literal(sql: str) -> str | None:
    """The value of a SQL string literal, or None when `sql` is not one."""
    try:
        e = sqlglot.parse_one(sql, read="spark")
    except sqlglot.errors.ParseError:
        return None
    return e.this if isinstance(e, exp.Literal) and e.is_string else None


def _sql_string(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _spark_pieces(path: str) -> list[str | int]:
    """A DuckDB JSONPath as Spark path pieces (`.k`, `['k']`, `[0]`) and negative indexes."""
    if not path.startswith("$"):
        raise NoTranslation(f"the JSONPath {path!r} has no Spark form")
    out: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _DUCK_PIECE.match(path, pos)
        if m is None:
            raise NoTranslation(f"the JSONPath {path!r} has no Spark form")
        ident, quoted, index, back = m.groups()
        if ident is not None:
            out.append("." + ident)
        elif quoted is not None:
            key = re.sub(r"\\(.)", r"\1", quoted)
            if "'" in key or "]" in key:
                raise NoTranslation(f"Spark's JSONPath cannot name the key {key!r}")
            out.append(f"['{key}']")
        elif index is not None:
            out.append(f"[{index}]")
        else:
            out.append(int(back))
        pos = m.end()
    return out


def path_read(x: str, path: str, text_at_end: bool) -> str:
    """The value at a (DuckDB) JSONPath of a JSON text: its JSON text, or with `text_at_end`
    its text as get_json_object gives it (a string unquoted). `path` is SQL text."""
    value = _literal(path)
    if value is None:  # a path computed at run time is passed as is
        return f"get_json_object({x}, {path})" if text_at_end else extract(x, path)
    pieces = _spark_pieces(value)
    current, static = x, "$"
    for i, p in enumerate(pieces):
        if isinstance(p, str):
            static += p
            continue
        if static != "$":
            current = extract(current, _sql_string(static))
            static = "$"
        last = i == len(pieces) - 1 and text_at_end
        at = f"concat('$[', json_array_length(__kql_n) + ({p}), ']')"
        read = f"get_json_object(__kql_n, {at})" if last else extract("__kql_n", at)
        current = let(
            current, "__kql_n", f"CASE WHEN json_array_length(__kql_n) + ({p}) >= 0 THEN {read} END"
        )
    if static == "$" and pieces and not isinstance(pieces[-1], str):
        return current
    if text_at_end:
        return f"get_json_object({current}, {_sql_string(static)})"
    return extract(current, _sql_string(static)) if static != "$" else current


def paths_read(x: str, paths: str) -> str:
    """The texts at several JSONPaths (an array literal of path strings) of a JSON text."""
    try:
        e = sqlglot.parse_one(paths, read="spark")
    except sqlglot.errors.ParseError:
        e = None
    if not isinstance(e, exp.Array):
        return f"transform({paths}, __kql_p -> get_json_object({x}, __kql_p))"
    items = [path_read(x, item.sql(dialect="spark"), True) for item in e.expressions]
    return f"array({', '.join(items)})"


def quote_number(d: str) -> str:
    """The JSON text of a double (NaN and infinities as .NET writes them)."""
    return f"CAST({d} AS STRING)"
