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
