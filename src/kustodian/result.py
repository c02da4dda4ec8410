"""Query results: Kusto-typed columns and rows encoded as the Log Analytics API encodes them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from kustodian.kql.literals import format_datetime_ns, format_timespan_ticks
from kustodian.kql.types import KType


@dataclass
class QueryResult:
    """One result table.

    `columns`: (name, Kusto type name). `rows`: values as the query API encodes them, except
    dynamic values, which are parsed JSON (see docs/architecture.md). `render`: the query's
    `render` operator as a dict, or None. `truncated`: rows were cut at the caller's row cap.
    """

    columns: list[tuple[str, str]]
    arrow: pa.Table
    render: dict[str, Any] | None = None
    tables: list[QueryResult] = field(default_factory=list)
    truncated: bool = False
    _rows: list[list[Any]] | None = None

    @property
    def rows(self) -> list[list[Any]]:
        if self._rows is None:
            self._rows = to_rows(self.arrow, [KType(t) for _, t in self.columns])
        return self._rows

    def to_arrow(self) -> pa.Table:
        """The rows as Arrow, named with the Kusto column names."""
        return self.arrow.rename_columns([n for n, _ in self.columns])

    def to_api(self, name: str = "PrimaryResult") -> dict[str, Any]:
        """The table as the Log Analytics query API returns it (dynamic as JSON text)."""
        dyn = [i for i, (_, t) in enumerate(self.columns) if t == "dynamic"]
        rows = self.rows
        if dyn:
            rows = [[_dyn_text(v) if i in dyn else v for i, v in enumerate(r)] for r in rows]
        return {
            "name": name,
            "columns": [{"name": n, "type": t} for n, t in self.columns],
            "rows": rows,
        }


def _dyn_text(v: Any) -> Any:
    return None if v is None else json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def to_rows(table: pa.Table, types: list[KType]) -> list[list[Any]]:
    columns = [_column_values(table.column(i), t) for i, t in enumerate(types)]
    return [list(r) for r in zip(*columns)] if columns else []


def _column_values(arr: pa.ChunkedArray, t: KType) -> list[Any]:
    if t is KType.DATETIME:
        ints = (
            arr.cast(pa.int64()).to_pylist() if pa.types.is_timestamp(arr.type) else arr.to_pylist()
        )
        if pa.types.is_timestamp(arr.type) and arr.type.unit != "ns":
            scale = {"s": 10**9, "ms": 10**6, "us": 10**3}[arr.type.unit]
            ints = [None if v is None else v * scale for v in ints]
        return [None if v is None else format_datetime_ns(v) for v in ints]
    values: list[Any] = arr.to_pylist()
    if t is KType.TIMESPAN:
        return [None if v is None else format_timespan_ticks(int(v)) for v in values]
    if t is KType.DYNAMIC:
        return [None if v is None else _load(v) for v in values]
    if t in (KType.GUID, KType.DECIMAL):
        return [
            None if v is None else _decimal_text(v) if t is KType.DECIMAL else str(v)
            for v in values
        ]
    if t is KType.STRING:
        return ["" if v is None else v for v in values]
    if t is KType.REAL:
        return [None if v is None else float(v) for v in values]
    return values


def _decimal_text(v: Any) -> str:
    s = format(v, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _load(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v
