"""Reading connector state must leave no half-fetched result on the workspace's connection."""

from __future__ import annotations

from kustodian.ingest import ingest_records
from kustodian.workspace.workspace import Workspace

RECORD = {
    "time": "2024-06-20T05:00:00Z",
    "category": "SignInLogs",
    "properties": {"id": "3f2c0b9e-9d55-4d9e-8a60-1f0f4c2f6d11", "userPrincipalName": "a@b.c"},
}


def test_ingesting_right_after_reading_state_works() -> None:
    # DuckDB 2 keeps a result open after fetchone(); the ingestor's register() then failed.
    ws = Workspace.open(":memory:")
    ws.set_checkpoint("c", "k", "v")
    ws.save_connector("c", "storage", {})
    ws.set_secret("c", "s3cret")
    assert ws.get_checkpoint("c", "k") == "v"
    assert ingest_records(ws, [RECORD]).ingested == 1
    assert ws.connector("c") == ("storage", {})
    assert ingest_records(ws, [RECORD]).duplicates == 1
    assert ws.get_secret("c") == "s3cret"
    assert ingest_records(ws, [RECORD]).duplicates == 1
