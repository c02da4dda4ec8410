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


# Log Analytics' standard columns that the Entra schema file does not list. (`TenantId`, `Type`,
# `SourceSystem`, `_IsBillable` and `_BilledSize` are in the file already.)
STANDARD_COLUMNS: tuple[tuple[str, KType], ...] = (
    ("_ItemId", KType.STRING),
    ("_TimeReceived", KType.DATETIME),
    ("_ResourceId", KType.STRING),
    ("_SubscriptionId", KType.STRING),
)


def with_standard_columns(table: TableSchema) -> TableSchema:
    """The table with Log Analytics' standard columns it lacks, appended."""
    have = set(table.column_names())
    base = table.columns
    for name, ktype in (("TenantId", KType.STRING), ("Type", KType.STRING)):
        if name not in have:
            base = (*base, (name, ktype))
    extra = tuple(c for c in STANDARD_COLUMNS if c[0] not in have)
    return TableSchema(table.name, base + extra)


@cache
def entra_tables() -> tuple[TableSchema, ...]:
    """The Entra ID tables as Log Analytics defines them (the shipped schema file's columns,
    then the standard columns)."""
    out = []
    for name, cols in _load_entra().items():
        typed = []
        for c in cols:
            t = type_from_name(c["type"])
            if t is None:
                raise ValueError(f"entra_schema.json: table {name}, column {c['name']}: bad type")
            typed.append((c["name"], t))
        out.append(with_standard_columns(TableSchema(name, tuple(typed))))
    return tuple(out)


def entra_catalog() -> Catalog:
    cat = Catalog()
    for t in entra_tables():
        cat.add(t)
    return cat
