"""The built wheel carries the web UI's build, so installing it needs no Node."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.ui.conftest import ROOT, STATIC


def test_the_wheel_carries_every_built_asset(tmp_path: Path) -> None:
    if not STATIC.is_file():
        pytest.fail(f"the web UI is not built ({STATIC} is missing): run `make ui`")
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)]
    built_wheel = subprocess.run(cmd, timeout=600, capture_output=True, text=True)
    assert built_wheel.returncode == 0, built_wheel.stderr[-3000:]
    [wheel] = tmp_path.glob("kustodian-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    static = STATIC.parent
    built = {
        f"kustodian/server/static/{p.relative_to(static).as_posix()}"
        for p in static.rglob("*")
        if p.is_file() and not p.name.startswith(".")  # .build-stamp is make's
    }
    assert any(n.endswith(".js") and "kusto.worker" in n for n in built)
    assert built <= names, sorted(built - names)
    workbooks = {
        f"kustodian/workbooks/{p.name}"
        for p in (ROOT / "src" / "kustodian" / "workbooks").glob("*.yaml")
    }
    assert len(workbooks) == 4 and workbooks <= names  # content the workbook pages load
