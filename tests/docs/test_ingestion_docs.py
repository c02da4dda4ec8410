"""docs/ingestion.md names every ingestion format (a format nobody can find is no format)."""

from __future__ import annotations

from pathlib import Path

from kustodian.ingest.readers import formats

DOC = Path(__file__).resolve().parents[2] / "docs" / "ingestion.md"


def test_every_format_is_in_the_formats_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Formats", 1)[1].split("\n## ", 1)[0]
    listed = {
        line.split("|")[1].strip().strip("`")
        for line in table.splitlines()
        if line.startswith("| `")
    }
    assert set(formats()) <= listed, sorted(set(formats()) - listed)
