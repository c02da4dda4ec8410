"""The schema catalog the binder binds against: tables, their Kusto columns and types.

The catalog is data. The Entra tables come from `workspace/schemas/entra_schema.json`, which the
workspace uses to create its tables too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from kustodian.kql.types import KType, type_from_name


@dataclass(frozen=True, slots=True)
class TableSchema:
    name: str
    columns: tuple[tuple[str, KType], ...]

    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]


@dataclass
class Catalog:
    tables: dict[str, TableSchema] = field(default_factory=dict)
    time_column: str = "TimeGenerated"

    def add(self, table: TableSchema) -> None:
        self.tables[table.name] = table

    def get(self, name: str) -> TableSchema | None:
        return self.tables.get(name)

    def names(self) -> list[str]:
        return list(self.tables)


def _load_entra() -> dict[str, list[dict[str, str]]]:
    text = resources.files("kustodian.workspace").joinpath("schemas/entra_schema.json").read_text()
    data: dict[str, list[dict[str, str]]] = json.loads(text)
    return data


@cache
def entra_tables() -> tuple[TableSchema, ...]:
    """The Entra ID tables as Log Analytics defines them (from the shipped schema file)."""
    out = []
    for name, cols in _load_entra().items():
        typed = []
        for c in cols:
            t = type_from_name(c["type"])
            if t is None:
                raise ValueError(f"entra_schema.json: table {name}, column {c['name']}: bad type")
            typed.append((c["name"], t))
        out.append(TableSchema(name, tuple(typed)))
    return tuple(out)


def entra_catalog() -> Catalog:
    cat = Catalog()
    for t in entra_tables():
        cat.add(t)
    return cat
