"""The last check before generated SQL runs: one read-only SELECT over the workspace's tables.

The compiler quotes every user string by construction (sqlglot literals and identifiers), and
the connection cannot reach files, the network or its settings (duckdb.py). This guard is the
proof that neither ever fails silently: it parses the SQL with DuckDB's own parser (the one
that will run it, so no two parsers can disagree about where a statement ends) and refuses

- anything but exactly one SELECT statement (no DDL, DML, ATTACH, COPY, PRAGMA, SET, CALL);
- a table that is neither one of the catalog's nor a CTE of the query itself (the internal
  schema `_kustodian`, with tokens and secrets, is never readable from a user query);
- a table function other than the generators the compiler uses (`range`, `unnest`), which
  keeps out `read_csv`, `glob`, `duckdb_settings()`, `checkpoint()` and every other;
- the scalar functions that read the engine's settings or environment.

A refusal is an internal error (KQL4004): reaching it means the compiler has a bug.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb

from kustodian.kql.diagnostics import KqlError, sandbox_violation

# Table functions the lowering emits: generators of rows (lower.index_rows, UNNEST) and the
# JSON walkers of the dynamic functions (over values, never files).
TABLE_FUNCTIONS = frozenset({"range", "unnest", "json_tree", "json_each"})
# Scalar functions that would reveal the engine's configuration or the process environment.
SCALAR_DENYLIST = frozenset({"current_setting", "getenv"})
_DENY_PREFIXES = ("duckdb_", "pragma_")


def check_select(con: duckdb.DuckDBPyConnection, sql: str, tables: frozenset[str]) -> None:
    """Raise KqlError (KQL4004) unless `sql` is one SELECT reading only `tables` and its CTEs.

    Args:
        con: a connection to parse with (`json_serialize_sql` runs nothing).
        tables: the names the query may read, lower-cased (the catalog's tables).
    """
    statements = duckdb.extract_statements(sql)
    if len(statements) != 1:
        raise _refuse(f"{len(statements)} statements instead of one SELECT")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise _refuse(f"a statement of type {statements[0].type.name} instead of a SELECT")
    rows = con.execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchall()
    tree: dict[str, Any] = json.loads(rows[0][0]) if rows else {"error": True}
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        raise _refuse(str(tree.get("error_message", "DuckDB could not serialize it")))
    nodes = list(_walk(tree["statements"][0]))
    allowed = tables | _cte_names(nodes)
    for node in nodes:
        problem = _problem(node, allowed)
        if problem is not None:
            raise _refuse(problem)


def _problem(node: dict[str, Any], allowed: frozenset[str]) -> str | None:
    kind = node.get("type")
    if kind == "BASE_TABLE":
        name = str(node.get("table_name", ""))
        where = [str(node.get(k) or "") for k in ("catalog_name", "schema_name")]
        if any(w and w.lower() != "main" for w in where) or name.lower() not in allowed:
            return f"it reads the table '{'.'.join([*filter(None, where), name])}'"
    elif kind == "TABLE_FUNCTION":
        name = _function_name(node.get("function") or {})
        if name not in TABLE_FUNCTIONS:
            return f"it calls the table function '{name}'"
    elif node.get("class") == "FUNCTION":
        name = _function_name(node)
        if name in SCALAR_DENYLIST or name.startswith(_DENY_PREFIXES):
            return f"it calls the function '{name}'"
    return None


def _function_name(node: dict[str, Any]) -> str:
    schema = str(node.get("schema") or node.get("catalog") or "")
    name = str(node.get("function_name", "")).lower()
    return f"{schema}.{name}" if schema else name


def _cte_names(nodes: list[dict[str, Any]]) -> frozenset[str]:
    names: set[str] = set()
    for node in nodes:
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            names.update(str(e.get("key", "")).lower() for e in cte_map.get("map", []))
    return frozenset(names)


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the serialized tree (depth first, iteratively: queries nest)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            yield v
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _refuse(why: str) -> KqlError:
    return KqlError([sandbox_violation(why)])
