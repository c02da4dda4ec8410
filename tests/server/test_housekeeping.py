"""While serving, retention is applied on a timer (once a day)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from kustodian import Workspace
from kustodian.ingest import ingest_records
from kustodian.server.app import ServerSettings, create_app
from tests.ingest.records import signin


def test_the_server_applies_retention(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ingest_records(
            ws, [signin("old", time="2020-01-01T00:00:00Z"), signin("new", time=yesterday)]
        )
        app = create_app(ws, ServerSettings(retention_check=0.05))
        with TestClient(app):
            deadline = time.monotonic() + 10
            while ws.get_checkpoint("retention", "last_applied") is None:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert ws.query("SigninLogs | project Id").rows == [["new"]]
