"""docs/demo-tenant.md: its Python example runs, and it names every scenario and writer."""

from __future__ import annotations

import re
from pathlib import Path

import kustodian.simulate as simulate_pkg

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo-tenant.md"


def test_python_example_runs() -> None:
    text = DOC.read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, re.S)
    scope: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), scope)
    sim = scope["sim"]
    assert sim.truth.records  # type: ignore[attr-defined]


def test_every_public_name_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in simulate_pkg.__all__:
        if name in ("DEFAULT_END", "Outcome", "User"):
            continue
        assert f"`{name}" in text, name
