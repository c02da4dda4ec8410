"""docs/operations.md: the systemd unit it shows is the shipped file, systemd accepts it, its
W^X hardening holds for a real workspace and server, and the backup by export restores."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.cli.main import main

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
UNIT = ROOT / "deploy" / "systemd" / "kustodian.service"
ANALYZE = shutil.which("systemd-analyze")


def test_the_doc_shows_the_shipped_unit() -> None:
    block = re.search(r"```ini\n(.*?)```", DOC, re.DOTALL)
    assert block is not None
    assert block.group(1) == UNIT.read_text(encoding="utf-8")


def installed_unit(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this environment's `kustodian` (systemd checks that
    the program exists)."""
    program = Path(sys.executable).with_name("kustodian")
    assert program.exists()
    text = UNIT.read_text(encoding="utf-8").replace(
        "/opt/kustodian/venv/bin/kustodian", str(program)
    )
    path = tmp_path / "kustodian.service"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(ANALYZE is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_unit_and_rates_it_ok(tmp_path: Path) -> None:
    unit = installed_unit(tmp_path)
    verify = subprocess.run(
        [str(ANALYZE), "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert verify.returncode == 0, verify.stderr
    security = subprocess.run(
        [str(ANALYZE), "security", "--offline=true", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for kustodian\.service: ([\d.]+)", security.stdout)
    assert found is not None, security.stdout[-500:]
    documented = re.search(r"rates its exposure\s+([\d.]+)", DOC)
    assert documented is not None
    assert float(found.group(1)) <= float(documented.group(1))


W_XOR_X = textwrap.dedent(
    """
    import ctypes, sys
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
        print("unsupported"); sys.exit(0)
    from starlette.testclient import TestClient
    from kustodian import Workspace
    from kustodian.server import create_app, tokens
    ws = Workspace.open(sys.argv[1])
    ws.set_secret("probe", "value")
    assert ws.get_secret("probe") == "value"
    rows = ws.query("range x from 1 to 100000 step 1 | summarize n = count() "
                    "| extend cell = geo_point_to_h3cell(1.0, 2.0, 5)").rows
    assert rows == [[100000, "8575457bfffffff"]], rows
    key, _ = tokens.create(ws, tokens.Role.READER, "probe")
    with TestClient(create_app(ws)) as c:
        r = c.post(f"/v1/workspaces/{ws.workspace_id}/query", json={"query": "print x = 1"},
                   headers={"Authorization": f"Bearer {key}"})
        assert r.json()["tables"][0]["rows"] == [[1]], r.text
    print("ok")
    """
)


def test_memory_deny_write_execute_holds(tmp_path: Path) -> None:
    """The unit's MemoryDenyWriteExecute=yes: the workspace and the app run with the kernel
    refusing writable-executable memory (prctl PR_SET_MDWE, Linux 6.3+)."""
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", W_XOR_X, str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    if result.stdout.strip() == "unsupported":
        pytest.skip("the kernel has no PR_SET_MDWE")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_a_csv_export_restores_into_a_new_workspace(tmp_path: Path) -> None:
    old, new, out = tmp_path / "old", tmp_path / "new", tmp_path / "export"
    assert main(["init", str(old)]) == 0
    args = ["--workspace", str(old), "--days", "1", "--users", "20"]
    assert main(["simulate", *args, "--end", "2024-06-21T00:00:00Z"]) == 0
    assert main(["export", "--workspace", str(old), "--out", str(out), "--format", "csv"]) == 0
    assert main(["init", str(new)]) == 0
    assert main(["ingest", "--workspace", str(new), str(out)]) == 0
    kql = "union withsource=T * | summarize n = count(), last = max(TimeGenerated) by T | sort by T asc"
    with Workspace.open(old, create=False) as a, Workspace.open(new, create=False) as b:
        before, after = a.query(kql).rows, b.query(kql).rows
    assert len(before) >= 5
    assert after == before
