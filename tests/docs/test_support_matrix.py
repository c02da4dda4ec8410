"""docs/kql-support.md is generated from the catalog and covers the docs corpus' names."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path

import pytest

from kustodian.kql.functions import registry
from kustodian.kql.functions.support_doc import OPERATOR_STATUS, SOURCES, render
from kustodian.kql.functions.unsupported import UNSUPPORTED_FUNCTIONS
from kustodian.kql.parser import KNOWN_OPERATORS
from kustodian.kql.special import SPECIAL_CALLS

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "kql-docs-corpus" / "examples.jsonl"


def test_support_doc_is_current() -> None:
    doc = (ROOT / "docs" / "kql-support.md").read_text(encoding="utf-8")
    assert doc == render(), "docs/kql-support.md is stale: run `make docs`"


def test_supported_operators_are_known_to_the_parser() -> None:
    assert set(OPERATOR_STATUS) <= KNOWN_OPERATORS


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not found")
def test_every_corpus_name_is_in_the_matrix() -> None:
    known = set(registry()) | set(SPECIAL_CALLS) | {"materialize", "table", "view"}
    missing_fns: set[str] = set()
    missing_ops: set[str] = set()
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        ex = json.loads(line)
        defined = set()
        for m in __import__("re").finditer(r"let\s+(\w+)\s*=", ex["query"]):
            defined.add(m.group(1))
        for f in ex["functions"]:
            if f in known or f in defined or f.endswith("_fl"):
                continue
            if not any(fnmatch(f, pat) for pat in UNSUPPORTED_FUNCTIONS):
                missing_fns.add(f)
        missing_ops.update(
            op for op in ex["operators"] if op not in KNOWN_OPERATORS and op not in SOURCES
        )
    assert not missing_ops, f"operators missing from the matrix: {sorted(missing_ops)}"
    assert not missing_fns, f"functions missing from the matrix: {sorted(missing_fns)}"
