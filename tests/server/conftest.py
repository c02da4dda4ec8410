"""A live server for the tests: uvicorn in a background thread on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from azure.core.credentials import AccessToken

from kustodian.ingest import ingest_records
from kustodian.server import ServerSettings, create_app, tokens
from kustodian.server.tokens import Role
from kustodian.workspace.workspace import Workspace
from tests.ingest.records import audit, signin
from tests.net import free_port

MAX_ROWS = 5  # the test server's row cap, so that a PartialError is cheap to provoke


class ApiKey:
    """A TokenCredential that hands the Azure SDK a Kustodian API token."""

    def __init__(self, key: str) -> None:
        self.key = key

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.key, int(time.time()) + 3600)


class AsyncApiKey(ApiKey):
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # type: ignore[override]
        return AccessToken(self.key, int(time.time()) + 3600)

    async def close(self) -> None:
        pass


@dataclass
class Live:
    """A running server: its base URL, workspace and tokens by role or state."""

    url: str
    ws: Workspace
    workspace_id: str
    keys: dict[str, str]

    @property
    def endpoint(self) -> str:
        return f"{self.url}/v1"


class ServerThread:
    def __init__(self, app: Any, **config: Any) -> None:
        self.port = free_port()
        cfg = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, access_log=False, **config
        )
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


RECORDS = [
    signin("s1", "ann@contoso.com", "2024-06-20T05:00:00Z"),
    signin("s2", "bob@contoso.com", "2024-06-20T07:00:00Z", result="50126"),
    signin("s3", "ann@contoso.com", "2024-06-21T09:00:00Z", result="50053"),
    audit("a1", time="2024-06-20T06:00:00Z"),
]


def make_workspace(path: Path) -> tuple[Workspace, dict[str, str]]:
    ws = Workspace.init(path)
    summary = ingest_records(ws, RECORDS)
    assert summary.ingested == len(RECORDS)
    keys = {role.label: tokens.create(ws, role, role.label)[0] for role in Role}
    past = datetime.now(UTC) - timedelta(days=2)
    keys["expired"] = tokens.create(ws, Role.ADMIN, "old", timedelta(days=1), now=past)[0]
    keys["revoked"] = tokens.create(ws, Role.ADMIN, "gone")[0]
    tokens.revoke(ws, "gone")
    return ws, keys


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    ws, keys = make_workspace(tmp_path_factory.mktemp("server") / "ws")
    # a generous failure limit: the auth tests fail on purpose from the same address
    app = create_app(ws, ServerSettings(max_rows=MAX_ROWS, auth_failures=1000))
    with ServerThread(app) as srv:
        yield Live(f"http://127.0.0.1:{srv.port}", ws, ws.workspace_id, keys)
    ws.close()
