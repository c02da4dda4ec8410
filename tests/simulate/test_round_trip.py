"""Records written in an export shape and ingested back give the rows of the records themselves
(Graph pages wait for the Graph reader of the ingestion package)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.ingest import ingest_paths, ingest_records
from kustodian.ingest.mapping import CATEGORY_TABLES
from kustodian.simulate import write_event_hub, write_storage_archive
from tests.simulate.conftest import Run

Writer = Callable[[list[dict[str, Any]], Path], object]
WRITERS: dict[str, Writer] = {
    "eventhub": lambda records, d: write_event_hub(records, d, per_body=100),
    "eventhub-gzip": lambda records, d: write_event_hub(records, d, per_body=100, gzip=True),
    "archive": lambda records, d: write_storage_archive(records, d),
}


def table_rows(ws: Workspace) -> dict[str, list[list[Any]]]:
    # TenantId is the workspace's id; _TimeReceived is the ingestion's own, and so is
    # _BilledSize, the length of the text as received (each writer spaces its JSON its own way).
    # _ItemId comes from the natural key, so it must agree.
    out = {}
    drop = "TenantId, _TimeReceived, _BilledSize"
    for table in CATEGORY_TABLES.values():
        q = f"{table} | project-away {drop} | order by TimeGenerated asc, Id asc"
        out[table] = ws.query(q).rows
    return out


@pytest.fixture(scope="module")
def first_day(small: Run) -> list[dict[str, Any]]:
    return [r for r in small.records if r["time"] < "2024-04-29"]


@pytest.fixture(scope="module")
def direct(first_day: list[dict[str, Any]]) -> dict[str, list[list[Any]]]:
    with Workspace.open(":memory:") as ws:
        ingest_records(ws, first_day)
        return table_rows(ws)


@pytest.mark.parametrize("shape", list(WRITERS))
def test_export_and_ingest_back(
    shape: str,
    first_day: list[dict[str, Any]],
    direct: dict[str, list[list[Any]]],
    tmp_path: Path,
) -> None:
    WRITERS[shape](first_day, tmp_path)
    with Workspace.open(":memory:") as ws:
        summary = ingest_paths(ws, [str(tmp_path)])
        assert (summary.ingested, summary.rejected) == (len(first_day), 0)
        assert table_rows(ws) == direct
