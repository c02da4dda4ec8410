"""From incoming JSON records to Log Analytics columns.

Two record shapes reach the tables:

- `diag`: a diagnostic-settings record (spec §3.2), the shape of Event Hub bodies and storage
  archives; Graph objects and simulated records are converted to it. Its `category` picks the
  table; its fields map to columns by the rules of spec §3.3: a few envelope fields and renames
  (`properties.location` → `LocationDetails`), and otherwise the column whose name equals the
  property's, ignoring case.
- `la`: a row already in Log Analytics shape (query exports, `ingest --table`), keyed by column
  name; Log Analytics' export quirks are understood: `Col_dynamic`/`Col_string` twins and unit
  suffixes such as `CreatedDateTime [UTC]`.

A field no column takes is not dropped: the table grows an extension column for it (named after
the field, typed from its values), as Log Analytics' schemas grow.

A `Mapping` is computed per table from the field names present in a batch, and lowered to one
DuckDB `json_transform` (a single parse per record) plus a typed conversion per column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from kustodian.kql.catalog import TableSchema
from kustodian.kql.types import KType

# Diagnostic-settings category (lower case) → table.
CATEGORY_TABLES: dict[str, str] = {
    "signinlogs": "SigninLogs",
    "noninteractiveusersigninlogs": "AADNonInteractiveUserSignInLogs",
    "serviceprincipalsigninlogs": "AADServicePrincipalSignInLogs",
    "managedidentitysigninlogs": "AADManagedIdentitySignInLogs",
    "auditlogs": "AuditLogs",
    "riskyusers": "AADRiskyUsers",
    "userriskevents": "AADUserRiskEvents",
}
TABLE_CATEGORIES = {table: cat for cat, table in CATEGORY_TABLES.items()}

# Envelope fields (spec §3.2) and the columns they fill, for every table.
_ENVELOPE: dict[str, str] = {
    "time": "TimeGenerated",
    "operationName": "OperationName",
    "operationVersion": "OperationVersion",
    "category": "Category",
    "resultType": "ResultType",
    "resultSignature": "ResultSignature",
    "resultDescription": "ResultDescription",
    "durationMs": "DurationMs",
    "identity": "Identity",
    "Level": "Level",
    "location": "Location",
    "tenantId": "AADTenantId",
    "resourceId": "ResourceId",
    "correlationId": "CorrelationId",
}
# Envelope fields Log Analytics does not keep (they repeat a property).
_ENVELOPE_DROPPED = frozenset({"callerIpAddress", "level", "properties"})

# properties.<field> → column, where the name differs; per table kind.
_SIGNIN_RENAMES = {
    "location": "LocationDetails",
    "appliedConditionalAccessPolicies": "ConditionalAccessPolicies",
    "resourceId": "ResourceIdentity",
}
_PROPERTY_RENAMES: dict[str, dict[str, str]] = {
    "SigninLogs": _SIGNIN_RENAMES,
    "AADNonInteractiveUserSignInLogs": _SIGNIN_RENAMES,
    "AADServicePrincipalSignInLogs": _SIGNIN_RENAMES,
    "AADManagedIdentitySignInLogs": _SIGNIN_RENAMES,
    "AuditLogs": {"operationType": "AADOperationType"},
    "AADRiskyUsers": {},
    "AADUserRiskEvents": {},
}
# Properties that win over the envelope field of the same column.
_PROPERTY_WINS: dict[str, frozenset[str]] = {
    "AuditLogs": frozenset({"Category"}),
    "AADUserRiskEvents": frozenset({"Location"}),
}

# Constant columns of records that come from Entra ID.
_ENTRA_CONSTANTS = {
    "SourceSystem": "Azure AD",
    "Resource": "Microsoft.aadiam",
    "ResourceGroup": "Microsoft.aadiam",
    "ResourceProvider": "Microsoft.aadiam",
}

_UNIT_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")

# How a column is read from the parsed record: as text (VARCHAR) or as a JSON value.
_LEAF = {KType.DYNAMIC: "JSON"}

# Formats of Entra portal and Log Analytics display timestamps ("4/28/2021, 2:08:45.221 PM").
DATETIME_FORMATS = (
    "%m/%d/%Y, %I:%M:%S.%g %p",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%n",
    "%Y-%m-%d %H:%M:%S",
)


def diagnostic_record(
    *,
    time: Any,
    tenant: str,
    operation: str,
    category: str,
    result_type: str,
    description: str,
    ip: str,
    correlation: str,
    identity: str,
    level: int | str,
    location: str,
    properties: dict[str, Any],
) -> dict[str, Any]:
    """A diagnostic-settings record (spec §3.2 envelope) around a Graph-style `properties`
    object: what Graph objects and the simulator become before the mapping above."""
    return {
        "time": time,
        "resourceId": f"/tenants/{tenant}/providers/Microsoft.aadiam" if tenant else "",
        "operationName": operation,
        "operationVersion": "1.0",
        "category": category,
        "tenantId": tenant,
        "resultType": result_type,
        "resultSignature": "None",
        "resultDescription": description,
        "durationMs": 0,
        "callerIpAddress": ip,
        "correlationId": correlation,
        "identity": identity,
        "Level": level,
        "location": location,
        "properties": properties,
    }


@dataclass(frozen=True)
class Field:
    """A column and where its value comes from: a path of keys in the record."""

    column: str
    ktype: KType
    path: tuple[str, ...]


@dataclass(frozen=True)
class NewColumn:
    """An extension column to add before the batch is mapped."""

    column: str
    path: tuple[str, ...]


@dataclass
class Mapping:
    table: str
    fields: list[Field]
    new_columns: list[NewColumn]
    constants: dict[str, str]

    def structure(self) -> str:
        """The `json_transform` structure reading every field's path once."""
        return json.dumps(self.tree())

    def tree(self) -> dict[str, object]:
        """Every field's path once, as nested keys with a DuckDB type at each leaf."""
        tree: dict[str, object] = {}
        for f in self.fields:
            node = tree
            for key in f.path[:-1]:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):  # a path is both a leaf and a parent: read JSON
                    child = node[key] = {}
                node = child
            if not isinstance(node.get(f.path[-1]), dict):
                node[f.path[-1]] = _LEAF.get(f.ktype, "VARCHAR")
        return tree


def extension_name(key: str, taken: set[str]) -> str:
    """Column name for an unknown field: PascalCase, made unique against existing columns."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", key.strip()) or "Field"
    if base[0].isdigit():
        base = "_" + base
    base = base[0].upper() + base[1:]
    name, n = base, 1
    while name.lower() in taken:
        name = f"{base}_{n}"
        n += 1
    return name


def diag_mapping(
    schema: TableSchema,
    top_keys: set[str],
    property_keys: set[str],
    extensions: dict[str, str],
) -> Mapping:
    """Mapping for diagnostic-settings records of one table, given the keys seen in the batch.

    `extensions` maps existing extension columns to the source path they were added for.
    """
    types = dict(schema.columns)
    by_lower = {c.lower(): c for c in types}
    taken: dict[str, tuple[str, ...]] = {}
    wins = _PROPERTY_WINS.get(schema.name, frozenset())

    def take(column: str, path: tuple[str, ...], override: bool = False) -> None:
        if column in types and (column not in taken or override):
            taken[column] = path

    for key, envelope_column in _ENVELOPE.items():
        if key in top_keys:
            take(envelope_column, (key,))
    renames = _PROPERTY_RENAMES.get(schema.name, {})
    ext_by_source = {src: col for col, src in extensions.items()}
    new: list[NewColumn] = []
    for key in sorted(property_keys):
        path = ("properties", key)
        source = "properties." + key
        column: str | None = renames.get(key) or by_lower.get(key.lower())
        if source in ext_by_source:
            take(ext_by_source[source], path)
        elif column is not None and column not in _ENTRA_CONSTANTS:
            if column == "CorrelationId" or column in wins:
                take(column, path, override=True)
            elif column not in taken:
                take(column, path)
            else:  # the column is filled from the envelope; keep the property apart
                new.append(NewColumn(extension_name(key, set(by_lower)), path))
        else:
            new.append(NewColumn(extension_name(key, set(by_lower)), path))
    for key in sorted(top_keys - set(_ENVELOPE) - _ENVELOPE_DROPPED):
        source = key
        if source in ext_by_source:
            take(ext_by_source[source], (key,))
        else:
            new.append(NewColumn(extension_name(key, set(by_lower)), (key,)))
    new = _unique(new, set(by_lower))
    fields = [Field(c, types[c], p) for c, p in taken.items()]
    constants = {c: v for c, v in _ENTRA_CONSTANTS.items() if c in types and c not in taken}
    return Mapping(schema.name, fields, new, constants)


def la_mapping(schema: TableSchema, keys: set[str], extensions: dict[str, str]) -> Mapping:
    """Mapping for rows in Log Analytics shape, keyed by column name."""
    types = dict(schema.columns)
    by_lower = {c.lower(): c for c in types}
    ext_by_source = {src: col for col, src in extensions.items()}
    taken: dict[str, tuple[str, ...]] = {}
    rank: dict[str, int] = {}
    new: list[NewColumn] = []
    for key in sorted(keys):
        name = _UNIT_SUFFIX.sub("", key)
        column, r = by_lower.get(name.lower()), 0
        if column is None:
            for suffix, r_ in (("_dynamic", 1), ("_string", 2)):
                if name.lower().endswith(suffix):
                    column, r = by_lower.get(name[: -len(suffix)].lower()), r_
                    break
        if key in ext_by_source:
            column, r = ext_by_source[key], 0
        if column is None:
            new.append(NewColumn(extension_name(name, set(by_lower)), (key,)))
        elif column not in taken or r < rank[column]:
            taken[column], rank[column] = (key,), r
    new = _unique(new, set(by_lower))
    fields = [Field(c, types[c], p) for c, p in taken.items()]
    return Mapping(schema.name, fields, new, {})


def _unique(new: list[NewColumn], taken: set[str]) -> list[NewColumn]:
    out = []
    seen = set(taken)
    for n in new:
        name = extension_name(n.column, seen)
        seen.add(name.lower())
        out.append(NewColumn(name, n.path))
    return out
