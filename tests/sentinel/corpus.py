"""The Sentinel identity queries corpus (../shared/sentinel-identity-queries)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, tzinfo=UTC)
START = datetime(2026, 11, 16, tzinfo=UTC)


def shared_dir() -> Path:
    env = os.environ.get("KUSTODIAN_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


def load_queries() -> list[dict[str, Any]]:
    path = shared_dir() / "sentinel-identity-queries" / "queries.jsonl"
    if not path.exists():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def substitute(query: str) -> str:
    """Fill the `{{StartTimeISO}}`-style placeholders that hunting queries carry."""
    return query.replace("{{StartTimeISO}}", START.strftime("%Y-%m-%dT%H:%M:%SZ")).replace(
        "{{EndTimeISO}}", NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def query_key(q: dict[str, Any]) -> str:
    return q["id"] or q["source_path"]
