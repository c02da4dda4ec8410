"""Workbooks: dashboards shipped as content, one YAML file each (docs/ui.md#workbooks).

A workbook has an `id`, a `title`, a `description`, optional `parameters` and `tiles`; a tile is a
`title`, a KQL `query`, a `visualization` (`table` or a `render` kind: timechart, barchart, ...),
an optional chart `kind` (stacked, ...) and a `size` (small, medium, wide). The UI runs each
tile's query through the query API with the page's time range and draws it.

A parameter takes its value from a built-in detection's parameter in the workspace (so the
sensitive-accounts workbook watches the break-glass accounts the detection is configured with);
`{{name}}` in a query is replaced by the value's KQL literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from kustodian.content import shipped_files

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

VISUALIZATIONS = (
    "table",
    "timechart",
    "linechart",
    "areachart",
    "scatterchart",
    "columnchart",
    "barchart",
    "piechart",
)
SIZES = ("small", "medium", "wide")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class WorkbookError(ValueError):
    """A workbook file is invalid; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class Tile:
    title: str
    query: str
    visualization: str
    kind: str | None
    size: str


@dataclass(frozen=True, slots=True)
class Source:
    """Where a parameter's value comes from: a detection's parameter."""

    detection: str
    parameter: str


@dataclass(frozen=True, slots=True)
class Workbook:
    id: str
    title: str
    description: str
    parameters: dict[str, Source]
    tiles: tuple[Tile, ...]

    def to_json(self, values: dict[str, str] | None = None) -> dict[str, Any]:
        """The workbook for the UI; `values` (name -> KQL literal) fill the queries."""
        fill = values or {}
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "tiles": [
                {
                    "title": t.title,
                    "query": _PLACEHOLDER.sub(lambda m: fill.get(m.group(1), m.group(0)), t.query),
                    "visualization": t.visualization,
                    "kind": t.kind,
                    "size": t.size,
                }
                for t in self.tiles
            ],
        }


def _text(doc: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise WorkbookError(f"{where}: {key}: required text")
    return value.strip() if key != "query" else value


def _tile(doc: Any, where: str) -> Tile:
    if not isinstance(doc, dict):
        raise WorkbookError(f"{where}: expected a mapping with title, query and visualization")
    vis = _text(doc, "visualization", where)
    if vis not in VISUALIZATIONS:
        raise WorkbookError(f"{where}: visualization: '{vis}' is not one of {VISUALIZATIONS}")
    size = _text(doc, "size", where, "medium")
    if size not in SIZES:
        raise WorkbookError(f"{where}: size: '{size}' is not one of {SIZES}")
    kind = doc.get("kind")
    return Tile(_text(doc, "title", where), _text(doc, "query", where), vis, kind, size)


def parse(text: str, where: str) -> Workbook:
    """A workbook from its YAML text.

    Raises:
        WorkbookError: a missing or invalid field, named with the file.
    """
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise WorkbookError(f"{where}: a workbook is a mapping")
    params: dict[str, Source] = {}
    for name, spec in (doc.get("parameters") or {}).items():
        at = f"{where}: parameters.{name}"
        if not isinstance(spec, dict) or not {"detection", "parameter"} <= set(spec):
            raise WorkbookError(f"{at}: expected {{detection, parameter}}")
        params[name] = Source(str(spec["detection"]), str(spec["parameter"]))
    tiles = doc.get("tiles")
    if not isinstance(tiles, list) or not tiles:
        raise WorkbookError(f"{where}: tiles: expected a list of tiles")
    parsed = tuple(_tile(t, f"{where}: tiles[{i}]") for i, t in enumerate(tiles))
    for i, t in enumerate(parsed):
        unknown = set(_PLACEHOLDER.findall(t.query)) - set(params)
        if unknown:
            raise WorkbookError(f"{where}: tiles[{i}].query: undeclared {sorted(unknown)}")
    return Workbook(
        _text(doc, "id", where),
        _text(doc, "title", where),
        str(doc.get("description") or "").strip(),
        params,
        parsed,
    )


def workbooks() -> dict[str, Workbook]:
    """The shipped workbooks, by id, in file-name order."""
    out: dict[str, Workbook] = {}
    for name, text in shipped_files(__name__, ".yaml"):
        wb = parse(text, name)
        out[wb.id] = wb
    return out


def values(ws: Workspace, wb: Workbook) -> dict[str, str]:
    """The KQL literal of each parameter, from the workspace's detection settings."""
    from kustodian.alerts.detections import get_detection, literal, state

    out: dict[str, str] = {}
    for name, src in wb.parameters.items():
        d = get_detection(src.detection)
        _, current = state(ws, d)
        out[name] = literal(d.parameters[src.parameter], current[src.parameter])
    return out


def resolved(ws: Workspace, wb: Workbook) -> dict[str, Any]:
    """The workbook's JSON with its queries filled from the workspace."""
    return wb.to_json(values(ws, wb))
