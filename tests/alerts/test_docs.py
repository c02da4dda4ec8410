"""Every rule example in docs/alert-rules.md loads and compiles."""

from __future__ import annotations

import re
from pathlib import Path

from kustodian import Workspace
from kustodian.alerts import parse_text, save_rule

DOC = Path(__file__).parents[2] / "docs" / "alert-rules.md"


def test_doc_examples_load_and_compile() -> None:
    blocks = re.findall(r"```(yaml|json)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5
    ws = Workspace.open(":memory:")
    names = []
    for i, (_, text) in enumerate(blocks):
        for rule in parse_text(text, f"{DOC.name} example {i + 1}"):
            save_rule(ws, rule)
            names.append(rule.name)
    assert "break-glass-sign-in" in names and "arm-break-glass" in names
