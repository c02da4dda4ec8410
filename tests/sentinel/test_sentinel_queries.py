"""Every `identity_only` Sentinel query compiles and runs on the empty Entra tables.

Queries that do not run yet are listed in known_failures.txt with the reason; the list must
stay true (a listed query that now runs fails the test until it is removed from the list).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.kql import KqlError

from .corpus import NOW, load_queries, query_key, substitute

QUERIES = [q for q in load_queries() if q["identity_only"]]
KNOWN = Path(__file__).with_name("known_failures.txt")
# The target: at least 100 of the 118 run.
FLOOR = 100


def known_failures() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in KNOWN.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, reason = line.partition("\t")
            out[key] = reason
    return out


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return Workspace.open(":memory:")


def run(ws: Workspace, q: dict[str, object]) -> str | None:
    """None when the query runs, else the first diagnostic."""
    try:
        ws.query(substitute(str(q["query"])), now=NOW)
    except KqlError as e:
        d = e.diagnostics[0]
        return f"{d.code}: {d.message}"
    return None


@pytest.mark.skipif(not QUERIES, reason="shared/sentinel-identity-queries not found")
def test_identity_queries_run(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    known = known_failures()
    passed, new_failures, fixed = 0, [], []
    for q in QUERIES:
        key = query_key(q)
        error = run(ws, q)
        if error is None:
            passed += 1
            if key in known:
                fixed.append(f"{key} ({q['name']})")
        elif key not in known:
            new_failures.append(f"{key}\t{q['name']}: {error}")
    with capsys.disabled():
        print(
            f"\nSentinel identity queries: {passed}/{len(QUERIES)} run (floor {FLOOR}, target 100)"
        )
    assert not new_failures, "queries that no longer run:\n" + "\n".join(new_failures)
    assert not fixed, "listed in known_failures.txt but now run (remove them):\n" + "\n".join(fixed)
    assert passed >= FLOOR
