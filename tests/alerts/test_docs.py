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


def test_every_detection_and_saved_query_is_documented() -> None:
    from kustodian.alerts.detections import detections
    from kustodian.alerts.queries import saved_queries

    text = (DOC.parent / "detections.md").read_text(encoding="utf-8")
    for d in detections().values():
        row = next((line for line in text.splitlines() if line.startswith(f"| {d.name} |")), "")
        assert row, f"docs/detections.md has no row for {d.name}"
        assert f"| {d.doc['severity']} |" in row and all(t in row for t in d.mitre), d.name
    for name in saved_queries():
        assert f"| `{name}` |" in text, name
