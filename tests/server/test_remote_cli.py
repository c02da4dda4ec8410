"""A CLI command run in the server's process (cli/remote.py `run_in_process`), without HTTP:
output routed per thread, paths from the client's directory, the workspace lent, refusals."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.cli.remote import run_in_process


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.open(tmp_path / "ws")


def run(ws: Workspace, *argv: str, cwd: Path, stdin: str = "") -> tuple[int, str, str]:
    out: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def emit(stream: str, text: str) -> None:
        out[stream].append(text)

    result: list[int] = []
    # a thread of its own, like the server's: routing is per thread
    t = threading.Thread(
        target=lambda: result.append(run_in_process(ws, list(argv), str(cwd), emit, stdin=stdin))
    )
    t.start()
    t.join(120)
    return result[0], "".join(out["stdout"]), "".join(out["stderr"])


def test_relative_paths_are_the_clients_and_the_workspace_stays_open(
    ws: Workspace, tmp_path: Path
) -> None:
    client = tmp_path / "client"
    (client / "logs").mkdir(parents=True)
    rows = [{"TimeGenerated": "2024-05-01T10:00:00Z", "Id": f"r{i}"} for i in range(3)]
    (client / "logs" / "rows.json").write_text(json.dumps(rows))
    code, out, err = run(ws, "ingest", "logs/rows.json", "--table", "SigninLogs", cwd=client)
    assert code == 0, err
    assert "ingested 3" in out
    # `ingest` closes the workspace it opened; the lent one is still open
    assert ws.query("SigninLogs | count").rows == [[3]]


def test_standard_input_and_exit_status(ws: Workspace, tmp_path: Path) -> None:
    code, out, _ = run(ws, "query", "-", "--format", "csv", cwd=tmp_path, stdin="print x = 41 + 1")
    assert (code, out.splitlines()) == (0, ["x", "42"])
    code, _, err = run(ws, "query", "print x = nope", cwd=tmp_path)
    assert code == 2 and "error[KQL" in err and "nope" in err


def test_commands_that_cannot_run_in_the_server_say_why(ws: Workspace, tmp_path: Path) -> None:
    code, _, err = run(ws, "init", str(tmp_path / "new"), cwd=tmp_path)
    assert code == 2 and "cannot run through the server" in err
    code, _, err = run(ws, "no-such-command", cwd=tmp_path)
    assert code == 2 and "invalid choice" in err  # argparse's usage error, as a status
