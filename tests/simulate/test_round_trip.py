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
    # TenantId is the workspace's id; _TimeReceived is the ingestion's own. _BilledSize counts
    # the values, not the text as received (each writer spaces its JSON its own way), and
    # _ItemId comes from the natural key: both must agree.
    out = {}
    drop = "TenantId, _TimeReceived"
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


def test_exports_of_a_simulated_day_ingest_back_to_the_same_rows(
    first_day: list[dict[str, Any]], direct: dict[str, list[list[Any]]], tmp_path: Path
) -> None:
    """Log Analytics shapes: `kustodian export` CSV and Parquet-free CSV per table, and the
    query API's JSON document, ingested into another workspace."""
    import json

    from kustodian.workspace.export import export_tables

    with Workspace.open(":memory:") as source:
        ingest_records(source, first_day)
        export_tables(source, list(CATEGORY_TABLES.values()), tmp_path / "csv", "csv")
        (tmp_path / "json").mkdir()
        for table in CATEGORY_TABLES.values():
            doc = {"tables": [source.query(table).to_api("PrimaryResult")]}
            (tmp_path / "json" / f"{table}.json").write_text(json.dumps(doc))
    for folder in ("csv", "json"):
        with Workspace.open(":memory:") as ws:
            summary = ingest_paths(ws, [str(tmp_path / folder)])
            assert (summary.ingested, summary.rejected) == (len(first_day), 0), folder
            assert table_rows(ws) == direct, folder


def test_portal_json_downloads_of_simulated_sign_ins_ingest_to_the_same_rows(
    first_day: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The portal's JSON download is the Graph objects: the `properties` of the records."""
    import json

    interactive = [r for r in first_day if r["category"] == "SignInLogs"]
    (tmp_path / "InteractiveSignIns_2024-04-28_2024-04-29.json").write_text(
        json.dumps([r["properties"] for r in interactive])
    )
    with Workspace.open(":memory:") as ws:
        ingest_records(ws, interactive)
        expected = ws.query(
            "SigninLogs | project-away TenantId, _TimeReceived, _BilledSize, AADTenantId, "
            "ResourceId | order by TimeGenerated asc, Id asc"
        ).rows
    with Workspace.open(":memory:") as ws:
        summary = ingest_paths(ws, [str(tmp_path)], fmt="portal-json")
        assert (summary.ingested, summary.rejected) == (len(interactive), 0)
        got = ws.query(
            "SigninLogs | project-away TenantId, _TimeReceived, _BilledSize, AADTenantId, "
            "ResourceId | order by TimeGenerated asc, Id asc"
        ).rows
    assert got == expected
