"""Data collection rules: what the Logs Ingestion API accepts, and where it lands (docs/server.md).

A rule lives in the workspace configuration (`settings.data_collection_rules`, keyed by its
immutable id `dcr-<32 hex>`). Each stream maps `Custom-<Name>` (declared columns) or
`Microsoft-<Table>` (the table's columns) to an output table, with an optional KQL transform
`source | ...`.

The transform runs with the KQL engine over the uploaded batch: the rows are ingested into a
throwaway in-memory workspace (the same type conversion as every ingestion), a table `source`
with exactly the stream's columns is bound to them, and the transform's result rows are what
the output table receives, through the normal ingestion path (dead letters, de-duplication).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kustodian.ingest.sink import IngestSummary
from kustodian.kql.catalog import STANDARD_COLUMNS, TableSchema
from kustodian.kql.types import KType, type_from_name

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

SETTING = "data_collection_rules"
_ID = re.compile(r"^dcr-[0-9a-f]{32}$")
_STREAM = re.compile(r"^(Custom|Microsoft)-([A-Za-z][A-Za-z0-9_]{0,99})$")
# Columns every table has that a stream does not carry (filled in by ingestion).
_STANDARD = {n for n, _ in STANDARD_COLUMNS} | {
    "TenantId",
    "Type",
    "SourceSystem",
    "_IsBillable",
    "_BilledSize",
}
_SOURCE_TABLE = "DcrSource_CL"


class DcrError(ValueError):
    """A rule is invalid; the message names the file and field."""


@dataclass
class Stream:
    name: str
    output_table: str
    columns: list[tuple[str, KType]] = field(default_factory=list)
    transform: str | None = None

    @property
    def custom(self) -> bool:
        return self.name.startswith("Custom-")

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"outputTable": self.output_table}
        if self.columns:
            doc["columns"] = [{"name": n, "type": t.value} for n, t in self.columns]
        if self.transform:
            doc["transform"] = self.transform
        return doc


@dataclass
class Rule:
    id: str
    name: str
    streams: dict[str, Stream]
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.description:
            doc["description"] = self.description
        doc["streams"] = {n: s.to_json() for n, s in self.streams.items()}
        return doc


def new_id() -> str:
    return f"dcr-{uuid.uuid4().hex}"


def parse_rule(data: Any, where: str = "rule") -> Rule:
    """A rule from its YAML/JSON form (see docs/server.md); raises DcrError."""
    if not isinstance(data, dict):
        raise DcrError(f"{where}: expected an object")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise DcrError(f"{where}: name: required")
    rid = data.get("id") or data.get("immutableId")
    if rid is not None:
        if not isinstance(rid, str) or not _ID.match(rid.lower()):
            raise DcrError(f"{where}: id: expected 'dcr-' and 32 hexadecimal digits")
        rid = rid.lower()
    streams_doc = data.get("streams")
    if not isinstance(streams_doc, dict) or not streams_doc:
        raise DcrError(f"{where}: streams: expected an object of stream name: mapping")
    streams: dict[str, Stream] = {}
    for sname, sdoc in streams_doc.items():
        streams[str(sname)] = _parse_stream(str(sname), sdoc, f"{where}: streams.{sname}")
    return Rule(rid or "", name, streams, str(data.get("description") or ""))


def _parse_stream(name: str, doc: Any, where: str) -> Stream:
    m = _STREAM.match(name)
    if not m:
        raise DcrError(f"{where}: stream names are Custom-<Name> or Microsoft-<Table>")
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise DcrError(f"{where}: expected an object")
    kind, base = m.groups()
    default = f"{base}_CL" if kind == "Custom" and not base.endswith("_CL") else base
    out = doc.get("outputTable", default)
    if not isinstance(out, str) or not out:
        raise DcrError(f"{where}: outputTable: expected a table name")
    if out.startswith("Custom-"):  # ARM spells custom output tables Custom-<Table>_CL
        out = out[len("Custom-") :]
    if out.startswith("Microsoft-"):
        out = out[len("Microsoft-") :]
    columns: list[tuple[str, KType]] = []
    for i, col in enumerate(doc.get("columns") or []):
        if not isinstance(col, dict) or not isinstance(col.get("name"), str):
            raise DcrError(f"{where}: columns[{i}]: expected {{name, type}}")
        ktype = type_from_name(str(col.get("type", "string")))
        if ktype is None or ktype is KType.NULL:
            raise DcrError(f"{where}: columns[{i}]: unknown type '{col.get('type')}'")
        columns.append((col["name"], ktype))
    if kind == "Custom" and not columns:
        raise DcrError(f"{where}: columns: a Custom- stream declares its columns")
    if kind == "Custom" and not out.endswith("_CL"):
        raise DcrError(f"{where}: outputTable: Custom- streams feed custom (_CL) tables")
    transform = doc.get("transform") or doc.get("transformKql")
    if transform is not None:
        if not isinstance(transform, str):
            raise DcrError(f"{where}: transform: expected KQL text")
        transform = transform.strip()
        if transform == "source":
            transform = None
        elif not re.match(r"^source\b", transform):
            raise DcrError(f"{where}: transform: must start with 'source'")
    return Stream(name, out, columns, transform)


def load_file(path: str | Path) -> list[Rule]:
    """Rules from a YAML or JSON file: one rule, or a list of rules."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        if str(path).endswith(".json"):
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as e:
        raise DcrError(f"{path}: cannot read: {e}") from None
    items = data if isinstance(data, list) else [data]
    return [
        parse_rule(item, f"{path}" + (f"[{i}]" if len(items) > 1 else ""))
        for i, item in enumerate(items)
    ]


# -- the store: the workspace configuration ---------------------------------------------------


def _stored(ws: Workspace) -> dict[str, Any]:
    rules = ws.config.settings.get(SETTING)
    return rules if isinstance(rules, dict) else {}


def list_rules(ws: Workspace) -> list[Rule]:
    return [parse_rule(doc, f"{SETTING}.{rid}") for rid, doc in sorted(_stored(ws).items())]


def get_rule(ws: Workspace, key: str) -> Rule | None:
    """A rule by immutable id (case-insensitive) or by name."""
    stored = _stored(ws)
    doc = stored.get(key.lower())
    if doc is None:
        doc = next((d for d in stored.values() if d.get("name") == key), None)
    return None if doc is None else parse_rule(doc, f"{SETTING}.{key}")


def apply_rule(ws: Workspace, rule: Rule) -> tuple[Rule, bool, list[str]]:
    """Create or update a rule (matched by id, else by name); creates missing custom tables.

    Returns the stored rule, whether it is new, and the tables created.
    """
    check_against(ws, rule)
    stored = dict(_stored(ws))
    existing = None
    if rule.id:
        existing = stored.get(rule.id)
    else:
        for rid, doc in stored.items():
            if doc.get("name") == rule.name:
                rule.id, existing = rid, doc
                break
    if not rule.id:
        rule.id = new_id()
    for rid, doc in stored.items():
        if rid != rule.id and doc.get("name") == rule.name:
            raise DcrError(f"rule '{rule.name}': another rule ({rid}) has this name")
    created = [t for s in rule.streams.values() if (t := ensure_output_table(ws, s))]
    stored[rule.id] = rule.to_json()
    ws.config.settings[SETTING] = dict(sorted(stored.items()))
    ws.save_config()
    return rule, existing is None, created


def delete_rule(ws: Workspace, key: str) -> Rule | None:
    rule = get_rule(ws, key)
    if rule is None:
        return None
    stored = dict(_stored(ws))
    del stored[rule.id]
    ws.config.settings[SETTING] = stored
    ws.save_config()
    return rule


def check_against(ws: Workspace, rule: Rule) -> None:
    """Microsoft- streams must name an existing table; transforms must compile."""
    for s in rule.streams.values():
        if not s.custom and ws.catalog.get(s.output_table) is None:
            raise DcrError(f"rule '{rule.name}', stream {s.name}: no table '{s.output_table}'")
        if s.transform:
            from kustodian.kql.diagnostics import KqlError

            try:
                with _SourceWorkspace(source_columns(ws, s)) as tmp:
                    tmp.compile(s.transform)
            except KqlError as e:
                raise DcrError(f"rule '{rule.name}', stream {s.name}: transform: {e}") from None


def ensure_output_table(ws: Workspace, stream: Stream) -> str | None:
    """Create a Custom- stream's missing `_CL` table from its declared columns."""
    if ws.catalog.get(stream.output_table) is not None or not stream.custom:
        return None
    cols = [(n, t) for n, t in stream.columns if n not in _STANDARD]
    ws.create_custom_table(stream.output_table, cols)
    return stream.output_table


def source_columns(ws: Workspace, stream: Stream) -> list[tuple[str, KType]]:
    """The columns `source` has: the declared ones, else the output table's own."""
    if stream.columns:
        return list(stream.columns)
    table = ws.catalog.get(stream.output_table)
    if table is None:
        return []
    return [(n, t) for n, t in table.columns if n not in _STANDARD]


# -- uploading ----------------------------------------------------------------------------------


def upload(
    ws: Workspace, stream: Stream, rows: Sequence[Mapping[str, Any]], *, source: str
) -> IngestSummary:
    """Ingest one uploaded batch of a stream: transform, then the normal ingestion path."""
    from kustodian.ingest import ingest_rows

    ensure_output_table(ws, stream)
    if stream.columns:  # like Azure, fields the stream does not declare are dropped
        names = {n for n, _ in stream.columns}
        rows = [{k: v for k, v in r.items() if k in names} for r in rows]
    if stream.transform and rows:
        rows = run_transform(ws, stream, rows)
    # a row without TimeGenerated gets the time it was received, as in Log Analytics
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    rows = [r if r.get("TimeGenerated") is not None else {**r, "TimeGenerated": now} for r in rows]
    return ingest_rows(ws, stream.output_table, rows, source=source)


def run_transform(
    ws: Workspace, stream: Stream, rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The transform's result over the batch, as rows for the output table.

    Raises:
        KqlError: the transform fails on this batch.
    """
    from kustodian.ingest import ingest_rows

    assert stream.transform
    with _SourceWorkspace(source_columns(ws, stream)) as tmp:
        ingest_rows(tmp, _SOURCE_TABLE, rows, source="transform")
        result = tmp.query(stream.transform)
    names = [n for n, _ in result.columns]
    return [dict(zip(names, r, strict=True)) for r in result.rows]


class _SourceWorkspace:
    """An in-memory workspace whose table `source` has exactly the stream's columns."""

    def __init__(self, columns: list[tuple[str, KType]]) -> None:
        self.columns = columns

    def __enter__(self) -> Workspace:
        from kustodian.workspace.workspace import Workspace

        tmp = Workspace.open(":memory:")
        cols = [(n, t) for n, t in self.columns if n not in _STANDARD]
        tmp.create_custom_table(_SOURCE_TABLE, cols)
        wanted = [
            n for n, _ in self.columns if n in dict(tmp.catalog.tables[_SOURCE_TABLE].columns)
        ]
        select = ", ".join(f'"{n}"' for n in wanted)
        tmp.execute(f'CREATE VIEW source AS SELECT {select} FROM "{_SOURCE_TABLE}"')
        full = dict(tmp.catalog.tables[_SOURCE_TABLE].columns)
        tmp.catalog.add(TableSchema("source", tuple((n, full[n]) for n in wanted)))
        self.ws = tmp
        return tmp

    def __exit__(self, *exc: object) -> None:
        self.ws.close()
