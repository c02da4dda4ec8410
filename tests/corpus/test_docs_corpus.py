"""Conformance against the KQL reference-docs examples (see tests/corpus/runner.py).

Gates: tier A must pass >= 95% and tier B >= 70%; every failure of tiers A and B must be
listed in known_failures.txt and every listed example must still fail. Tier C is reported only.
"""

from __future__ import annotations

import warnings

import pytest

from . import runner


class CorpusSummary(UserWarning):
    """Carries the pass counts to the terminal under pytest-xdist (worker output is hidden)."""


def _show(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], text: str) -> None:
    if hasattr(request.config, "workerinput"):  # an xdist worker: only warnings get through
        warnings.warn(CorpusSummary("\n" + text), stacklevel=2)
        return
    with capsys.disabled():
        print("\n" + text)


def test_docs_corpus(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    path = runner.corpus_path()
    if path is None:
        pytest.skip("docs corpus not found (../shared/kql-docs-corpus or $KUSTODIAN_SHARED)")
    unavailable = runner.engine_unavailable_reason()
    if unavailable is not None:
        pytest.skip(f"engine not there yet: {unavailable}")

    outcomes, stats = runner.run_corpus(runner.load_corpus(path), tiers=("A", "B", "C"))
    summary = runner.format_summary(outcomes, stats)
    _show(request, capsys, summary)

    problems = runner.gate_problems(outcomes, runner.read_known_failures())
    if problems:
        listed = "\n".join(problems[:60])
        more = f"\n... and {len(problems) - 60} more" if len(problems) > 60 else ""
        pytest.fail(
            f"{len(problems)} docs-corpus problem(s):\n{listed}{more}\n\n{summary}\n"
            "(after triage: python -m tests.corpus.runner --write-known-failures)",
            pytrace=False,
        )
