"""The CLI keeps working while `kustodian serve` holds the workspace: real processes throughout.

A server runs in a subprocess on a free port; `kustodian` commands run as subprocesses against
the same workspace and go through it (server.json, POST /manage/v1/cli). Their output is the
output of direct access (measured first, or on a copy of the workspace).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from kustodian import Workspace
from kustodian.alerts import evaluate, set_enabled
from kustodian.alerts.detections import enable
from kustodian.ingest import ingest_records
from kustodian.server import handoff, tokens
from kustodian.simulate import DEFAULT_END, Simulation
from tests.net import free_port

WAIT = 60.0
NOW = "2024-05-01T00:00:00Z"
QUERY = (
    "SigninLogs | summarize n = count() by ResultType | order by n desc, ResultType asc | take 5"
)


@dataclass
class Run:
    code: int
    out: str
    err: str


def kustodian(
    *args: str, stdin: str = "", cwd: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    base = {k: v for k, v in os.environ.items() if k != "KUSTODIAN_WORKSPACE"}
    p = subprocess.run(
        [sys.executable, "-m", "kustodian.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=300,
    )
    assert "Traceback" not in p.stderr, p.stderr
    return Run(p.returncode, p.stdout, p.stderr)


COMMANDS: list[tuple[str, ...]] = [
    ("query", QUERY, "--now", NOW),
    ("query", QUERY, "--now", NOW, "--format", "json"),
    ("rules", "list"),
    ("alerts", "list"),
    ("tables",),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day of the simulated tenant, two detections evaluated (some alerts), then disabled."""
    path = tmp_path_factory.mktemp("served") / "ws"
    with Workspace.open(path) as ws:
        ingest_records(ws, Simulation(days=1, users=30, seed=5).records())
        rules = [enable(ws, "smart-lockout"), enable(ws, "break-glass")]
        evaluate(ws, DEFAULT_END)
        for rule in rules:  # so that the server's own evaluations change nothing under the test
            set_enabled(ws, rule.name, False)
    return path


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Export files of another simulated day, to ingest."""
    out = tmp_path_factory.mktemp("exports")
    run = kustodian(
        "simulate", "--days", "1", "--users", "20", "--seed", "9",
        "--end", "2024-05-02T00:00:00Z", "--export", str(out / "files"),
    )  # fmt: skip
    assert run.code == 0, run.err
    return out


class Served:
    """`kustodian serve` in a subprocess."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kustodian.cli.main", "serve", "--workspace", str(workspace),
             "--port", str(self.port), "--log-level", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + WAIT
        while not self.ready():
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def ready(self) -> bool:
        found = handoff.read(self.workspace)
        if found is None or found.pid != self.proc.pid:
            return False
        try:
            return httpx.get(f"{found.url}/health").status_code == 200
        except httpx.TransportError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()  # never leave a server behind; the test still fails
                raise


@pytest.fixture
def served(workspace: Path) -> Iterator[Served]:
    server = Served(workspace)
    try:
        yield server
    finally:
        server.stop()


def test_commands_give_the_same_output_through_the_server(workspace: Path) -> None:
    direct = [kustodian(*c, "--workspace", str(workspace)) for c in COMMANDS]
    assert all(r.code == 0 for r in direct), [r.err for r in direct]
    assert "smart-lockout" in direct[2].out.lower() or "Smart" in direct[2].out
    server = Served(workspace)
    try:
        through = [kustodian(*c, "--workspace", str(workspace)) for c in COMMANDS]
        # a query read from standard input goes along too
        piped = kustodian("query", "-", "--now", NOW, "--workspace", str(workspace), stdin=QUERY)
    finally:
        server.stop()
    for d, t in zip(direct, through, strict=True):
        assert (t.code, t.out, t.err) == (d.code, d.out, d.err)
    assert piped.out == direct[0].out


def test_ingest_through_the_server_matches_direct_ingestion(
    workspace: Path, exports: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(workspace, copy)
    direct = kustodian("ingest", "files", "--workspace", str(copy), cwd=exports)
    server = Served(workspace)
    try:
        # a relative path: resolved against the client's directory, not the server's
        through = kustodian("ingest", "files", "--workspace", str(workspace), cwd=exports)
        count = ("query", "union * | count", "--workspace")
        after = kustodian(*count, str(workspace))
    finally:
        server.stop()
    assert direct.code == 0 and through.code == 0, (direct.err, through.err)
    assert _untimed(through.out) == _untimed(direct.out)
    assert "ingested" in through.out and ", rejected 0" in through.out
    assert after.out == kustodian(*count, str(copy)).out


def _untimed(text: str) -> str:
    return re.sub(r" in [\d.]+ s \([\d,]+ records/s\)", "", text)


def test_the_server_file_is_private_and_its_token_dies_with_the_server(served: Served) -> None:
    path = served.workspace / handoff.FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    found = handoff.read(served.workspace)
    assert found is not None and found.pid == served.proc.pid
    ok = httpx.get(f"{found.url}/manage/v1/tokens", headers=_bearer(found.token))
    assert ok.status_code == 200
    served.stop(signal.SIGTERM)
    assert not path.exists()
    with Workspace.open(served.workspace, create=False) as ws:
        (local,) = [t for t in tokens.list_tokens(ws) if t.id == found.token_id]
        assert local.state(datetime.now(UTC)) == "revoked"


def test_serve_and_env_options_are_refused_through_the_server(served: Served) -> None:
    ws = str(served.workspace)
    run = kustodian("serve", "--workspace", ws, "--port", str(free_port()))
    assert run.code == 2
    assert "cannot run through the server" in run.err
    smtp = (
        "smtp",
        "set",
        "--workspace",
        ws,
        "--host",
        "h",
        "--username",
        "u",
        "--password-env",
        "X",
    )
    run = kustodian(*smtp, env={"X": "secret"})
    assert run.code == 2 and "--password-env names an environment variable" in run.err


def test_the_endpoint_needs_an_admin(served: Served) -> None:
    found = handoff.read(served.workspace)
    assert found is not None
    body = {"argv": ["rules", "list"], "cwd": "/"}
    assert httpx.post(f"{found.url}/manage/v1/cli", json=body).status_code == 401
    # another admin token may manage the server, but not run commands (and read files) in it
    made = httpx.post(
        f"{found.url}/manage/v1/tokens", json={"role": "admin"}, headers=_bearer(found.token)
    )
    other = httpx.post(
        f"{found.url}/manage/v1/cli", json=body, headers=_bearer(made.json()["token"])
    )
    assert other.status_code == 403
    assert "local CLI credential" in other.json()["error"]["message"]
    bad = httpx.post(f"{found.url}/manage/v1/cli", json={"argv": []}, headers=_bearer(found.token))
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "BadArgumentError"


def test_a_killed_server_leaves_a_stale_file_that_the_cli_clears(workspace: Path) -> None:
    server = Served(workspace)
    found = handoff.read(workspace)
    assert found is not None
    server.stop(signal.SIGKILL)  # no shutdown: the file and the token stay behind
    assert (workspace / handoff.FILE).exists()
    run = kustodian("rules", "list", "--workspace", str(workspace))
    assert run.code == 0 and "Name" in run.out
    assert not (workspace / handoff.FILE).exists()
    with Workspace.open(workspace, create=False) as ws:
        (left,) = [t for t in tokens.list_tokens(ws) if t.id == found.token_id]
        assert left.revoked is not None


def test_a_lock_held_by_another_process_is_named_without_a_traceback(workspace: Path) -> None:
    with Workspace.open(workspace, create=False):  # this process holds the database
        run = kustodian("rules", "list", "--workspace", str(workspace))
    assert run.code == 2
    assert f"PID {os.getpid()})" in run.err or f"process {os.getpid()}" in run.err
    assert "no server.json" in run.err and "wait for that process" in run.err


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_server_json_names_the_url_and_process(served: Served) -> None:
    doc = json.loads((served.workspace / handoff.FILE).read_text())
    assert doc["url"] == f"http://127.0.0.1:{served.port}"
    assert doc["pid"] == served.proc.pid and doc["token"].startswith("kst_")


@pytest.fixture
def served_empty(tmp_path: Path) -> Iterator[Served]:
    """A server on a new workspace: no rules, so no alert catch-up keeps it busy."""
    Workspace.open(tmp_path / "empty").close()
    server = Served(tmp_path / "empty")
    try:
        yield server
    finally:
        server.stop()


def test_simulate_live_streams_through_the_server_and_stops_with_the_client(
    served_empty: Served,
) -> None:
    ws = str(served_empty.workspace)
    env = {k: v for k, v in os.environ.items() if k != "KUSTODIAN_WORKSPACE"}
    live = subprocess.Popen(
        [sys.executable, "-m", "kustodian.cli.main", "simulate", "--live", "--workspace", ws,
         "--users", "20", "--days", "1", "--speed", "20000", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    assert live.stdout is not None
    first = live.stdout.readline()
    assert first.startswith("live demo tenant: 20 accounts")
    progress = live.stdout.readline()  # "<time>  N records": streamed while the command runs
    assert progress.rstrip().endswith("records"), progress
    live.send_signal(signal.SIGINT)
    _, err = live.communicate(timeout=WAIT)
    assert live.returncode == 130 and "Traceback" not in err
    # the server stops the command at its next output: the row count settles
    counts = []
    for _ in range(3):
        time.sleep(3)
        run = kustodian("query", "AADNonInteractiveUserSignInLogs | count", "--workspace", ws)
        counts.append(run.out)
    assert counts[1] == counts[2]
