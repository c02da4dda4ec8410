"""Fixtures for the ingestion tests: the Sentinel sample data and throwaway workspaces."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kustodian.workspace.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]


def sample_dir() -> Path | None:
    """`../shared/sentinel-sample-data` (also from a worktree one level deeper), or
    `$KUSTODIAN_SHARED/sentinel-sample-data`."""
    env = os.environ.get("KUSTODIAN_SHARED")
    bases = [Path(env)] if env else [ROOT.parent / "shared", ROOT.parent.parent / "shared"]
    for base in bases:
        path = base / "sentinel-sample-data"
        if (path / "sign-in_adelete.csv").exists():
            return path
    return None


@pytest.fixture(scope="session")
def samples() -> Path:
    path = sample_dir()
    if path is None:
        pytest.skip("shared/sentinel-sample-data not found (set KUSTODIAN_SHARED)")
    return path


@pytest.fixture
def ws() -> Iterator[Workspace]:
    with Workspace.open(":memory:") as w:
        yield w


def rows(ws: Workspace, kql: str) -> list[dict[str, Any]]:
    """A query's rows as dicts keyed by column name."""
    result = ws.query(kql)
    return [dict(zip([c for c, _ in result.columns], r, strict=True)) for r in result.rows]
