"""The function catalog: every built-in, by name and alias, from the family modules."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from kustodian.kql.functions.base import Family, FunctionSpec, Template, Udf

# One module per family; each defines `FAMILY`.
FAMILY_MODULES = (
    "core",
    "aggregates",
    "strings",
    "datetime",
    "dynamic",
    "math",
    "ip",
    "hash",
    "geo",
    "series",
)


@cache
def families() -> tuple[Family, ...]:
    out = []
    for name in FAMILY_MODULES:
        try:
            mod = import_module(f"kustodian.kql.functions.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"kustodian.kql.functions.{name}":
                continue
            raise
        out.append(mod.FAMILY)
    return tuple(out)


@cache
def registry() -> dict[str, FunctionSpec]:
    """Every built-in function by name and by alias."""
    reg: dict[str, FunctionSpec] = {}
    for fam in families():
        for spec in fam.functions:
            for n in (spec.name, *spec.aliases):
                reg[n] = spec
    return reg


@cache
def udfs() -> dict[str, Udf]:
    """Every Python UDF the families declare, by SQL name."""
    out: dict[str, Udf] = {}
    for fam in families():
        out.update(fam.udfs)
    return out


@cache
def templates(dialect: str) -> dict[str, Template]:
    """The SQL templates of the `KqlFn` operations, for one dialect."""
    out: dict[str, Template] = {}
    for fam in families():
        out.update(fam.templates.get(dialect, {}))
    return out


@cache
def untranslatable(dialect: str) -> dict[str, str]:
    """Why some operations have no template for a dialect, by operation."""
    out: dict[str, str] = {}
    for fam in families():
        out.update(fam.untranslatable.get(dialect, {}))
    return out
