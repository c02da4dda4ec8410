"""The workspace commands, run as a user runs them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.cli.main import main
from tests.ingest.records import signin


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_ingest_query_export_retention(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    code, out, _ = run(capsys, "init", str(ws))
    assert code == 0 and "created workspace" in out
    monkeypatch.setenv("KUSTODIAN_WORKSPACE", str(ws))
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"records": [signin("a"), signin("b", result="50053")]}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(signin("c")) + "\n{truncated\n")
    code, out, _ = run(capsys, "ingest", str(body), str(bad))
    assert code == 1  # something was rejected
    assert "ingested 3, duplicates 0, rejected 1" in out and "IngestionErrors" in out
    code, out, _ = run(capsys, "ingest", str(body), "--json")
    assert code == 0 and json.loads(out)["duplicates"] == 2
    code, out, _ = run(capsys, "query", 'SigninLogs | where ResultType == "50053" | project Id')
    assert code == 0 and "b" in out.split()
    code, out, _ = run(capsys, "export", "--out", str(tmp_path / "x"), "--format", "csv")
    assert code == 0 and "SigninLogs.csv: 3 rows" in out and "IngestionErrors.csv: 1 rows" in out
    code, out, _ = run(capsys, "retention", "set", "--table", "SigninLogs", "--days", "90")
    assert code == 0
    code, out, _ = run(capsys, "retention", "show")
    assert "SigninLogs" in out and "90 days (table)" in out
    code, _, err = run(capsys, "retention", "set", "--days", "45")
    assert code == 2 and "not a Log Analytics value" in err
    code, out, _ = run(capsys, "retention", "apply", "--now", "2030-01-01T00:00:00Z", "--dry-run")
    assert "SigninLogs: would remove 3 rows past 90 days" in out
    code, out, _ = run(capsys, "tables", "create", "Doors_CL", "--column", "Door:string")
    assert code == 0 and "created Doors_CL" in out
    code, _, err = run(capsys, "tables", "create", "Doors_CL", "--column", "Door:strin")
    assert code == 2 and "unknown type" in err


def test_commands_need_an_existing_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUSTODIAN_WORKSPACE", raising=False)
    with pytest.raises(SystemExit):
        main(["ingest", "x.json"])
    assert "give --workspace" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ingest", "--workspace", str(tmp_path / "none"), "x.json"])
    assert "kustodian init" in capsys.readouterr().err


def kill_when_progress(cmd: list[str], env: dict[str, str], enough: Callable[[int], bool]) -> None:
    """Run an ingest with its progress line and kill -9 it once the line counts `enough`."""
    proc = subprocess.Popen(
        [*cmd, "--progress", "always"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    seen = b""
    while proc.poll() is None:
        seen += proc.stderr.read1(4096)
        counts = re.findall(rb"\r\s*([\d,]+) records", seen)
        if counts and enough(int(counts[-1].replace(b",", b""))):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_a_killed_ingest_keeps_whole_batches_and_resumes(tmp_path: Path) -> None:
    """kill -9 mid-ingest: committed batches stay, no half batch, a rerun completes exactly."""
    ws = tmp_path / "ws"
    Workspace.init(ws).close()
    data = tmp_path / "big.json"
    total = 60_000
    with data.open("w") as f:
        for i in range(total):
            f.write(json.dumps(signin(f"id{i:06}")) + "\n")
    # block by block (a file read whole is one transaction: the next test)
    env = {
        **os.environ,
        "KUSTODIAN_INGEST_BATCH_ROWS": "5000",
        "KUSTODIAN_INGEST_FILE_BYTES": str(1 << 40),
    }
    cmd = [sys.executable, "-m", "kustodian.cli.main", "ingest", "--workspace", str(ws), str(data)]
    # The progress line is written after each committed batch: kill once two are in.
    kill_when_progress(cmd, env, lambda n: n >= 10_000)
    with Workspace.open(ws) as w:
        kept = w.query("SigninLogs | count").rows[0][0]
    assert kept % 5000 == 0 and kept < total, kept
    done = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    assert summary["ingested"] == total - kept and summary["duplicates"] == kept
    with Workspace.open(ws) as w:
        assert w.query("SigninLogs | summarize count(), dcount(Id)").rows == [[total, total]]


def test_a_killed_ingest_of_files_read_whole_keeps_the_files_before_it(tmp_path: Path) -> None:
    """kill -9 while a file read whole is being inserted: the file before it stays whole,
    nothing of that file is kept, and a rerun completes exactly."""
    ws = tmp_path / "ws"
    Workspace.init(ws).close()
    sizes = {"a.json": 5_000, "b.json": 300_000}  # b.json's INSERT takes seconds
    for name, n in sizes.items():
        template = json.dumps(signin("@ID@"))
        with (tmp_path / name).open("w") as f:
            f.writelines(template.replace("@ID@", f"{name}-{i:06}") + "\n" for i in range(n))
    env = {**os.environ, "KUSTODIAN_INGEST_FILE_BYTES": "1"}
    files = [str(tmp_path / name) for name in sizes]
    cmd = [sys.executable, "-m", "kustodian.cli.main", "ingest", "--workspace", str(ws), *files]
    # While b.json is inserted, the progress line counts a.json and DuckDB's estimate of the
    # share of b.json done: kill on such a line (the line after the commit counts all of it).
    a, b = sizes.values()
    kill_when_progress(cmd, env, lambda n: a < n < a + b)
    with Workspace.open(ws) as w:
        assert w.query("SigninLogs | count").rows == [[sizes["a.json"]]]
    done = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    assert (summary["ingested"], summary["duplicates"]) == (sizes["b.json"], sizes["a.json"])
    with Workspace.open(ws) as w:
        total = sum(sizes.values())
        assert w.query("SigninLogs | summarize count(), dcount(Id)").rows == [[total, total]]


def test_query_does_not_create_a_mistyped_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo"
    assert main(["query", "--workspace", str(missing), "SigninLogs | count"]) == 2
    assert "kustodian init" in capsys.readouterr().err
    assert not missing.exists()
