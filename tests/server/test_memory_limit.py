"""The memory limit: a query needing more than it fails with KQL4003 and a hint, the server
stays healthy, and what DuckDB spills stays inside the workspace directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kustodian import Workspace
from kustodian.cli.main import main
from kustodian.kql import KqlError
from kustodian.server import ServerSettings, create_app, tokens
from kustodian.server.tokens import Role
from tests.server.conftest import ServerThread

LIMIT = "64MB"
# a list aggregate cannot spill: 20M longs need about 160 MB at once
GREEDY = (
    "range x from 1 to 20000000 step 1 | summarize l = make_list(x) | project n = array_length(l)"
)
# grouping 20M keys spills to the temp directory, then still needs more than 64 MB
SPILLING = "range x from 1 to 20000000 step 1 | summarize c = count() by x | count"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.open(tmp_path_factory.mktemp("mem") / "ws", memory_limit=LIMIT)
    yield ws
    ws.close()


def test_a_query_over_the_limit_fails_cleanly(small: Workspace) -> None:
    for kql in (GREEDY, SPILLING):
        with pytest.raises(KqlError) as info:
            small.query(kql)
        d = info.value.diagnostics[0]
        assert d.code == "KQL4003"
        assert "memory limit" in d.message
        assert "--memory-limit" in (d.hint or "")
    assert small.query(
        "range x from 1 to 1000 step 1 | summarize l = make_list(x) | project n = array_length(l)"
    ).rows == [[1000]]


def test_spilling_stays_in_the_workspace(small: Workspace) -> None:
    root = Path(small.path).resolve()
    setting = small.execute("SELECT current_setting('temp_directory')").fetchone()
    assert setting == (str(root / "tmp"),)
    with pytest.raises(KqlError):
        small.query(SPILLING)
    assert (root / "tmp").is_dir()  # DuckDB spilled there before it gave up
    memory = Workspace.open(":memory:")
    # an in-memory workspace never spills (DuckDB's default would be ./.tmp, wherever we run)
    assert memory.execute("SELECT current_setting('temp_directory')").fetchone() == ("",)
    memory.close()


def test_the_server_stays_healthy_after_running_out_of_memory(small: Workspace) -> None:
    key, _ = tokens.create(small, Role.READER, "mem-reader")
    app = create_app(small, ServerSettings(alert_check=0))
    with ServerThread(app) as srv:
        base = f"http://127.0.0.1:{srv.port}"
        url = f"{base}/v1/workspaces/{small.workspace_id}/query"
        auth = {"Authorization": f"Bearer {key}"}
        r = httpx.post(url, json={"query": GREEDY}, headers=auth, timeout=60)
        assert r.status_code == 400
        inner = r.json()["error"]["innererror"]["innererror"]
        assert inner["code"] == "KQL4003"
        assert "--memory-limit" in inner["hint"]
        assert httpx.get(f"{base}/health", timeout=10).json() == {"status": "ok"}
        r = httpx.post(url, json={"query": "print x = 1"}, headers=auth, timeout=60)
        assert r.json()["tables"][0]["rows"] == [[1]]


def test_serve_refuses_a_bad_memory_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Workspace.init(tmp_path / "ws").close()
    code = main(["serve", "--workspace", str(tmp_path / "ws"), "--memory-limit", "lots"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--memory-limit: 'lots' is not a memory size" in err
    assert "50%" in err
