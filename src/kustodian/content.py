"""Content shipped as package data: detections, saved queries, workbooks."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources


def shipped_files(package: str, suffix: str) -> Iterator[tuple[str, str]]:
    """(file name, text) of the package's files ending in `suffix`, in file-name order."""
    for f in sorted(resources.files(package).iterdir(), key=lambda f: f.name):
        if f.name.endswith(suffix):
            yield f.name, f.read_text(encoding="utf-8")
