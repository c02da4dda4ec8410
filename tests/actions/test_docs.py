"""docs/action-groups.md: every command option and ActionDeliveries column is documented, its
KQL example runs, and its signature verification code accepts what Kustodian sends."""

from __future__ import annotations

import argparse
import re
import time

import pytest

from kustodian import Workspace
from kustodian.actions.webhook import sign
from kustodian.cli.main import build_parser
from kustodian.workspace.tables import ACTION_DELIVERIES
from tests.actions.test_model import DOC, doc_blocks

TEXT = DOC.read_text()


def options(*path: str) -> list[str]:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return [
        o
        for a in parser._actions
        for o in a.option_strings
        if o.startswith("--") and o not in ("--help", "--workspace", "--json")
    ]


@pytest.mark.parametrize("option", options("smtp", "set"))
def test_every_smtp_option_is_documented(option: str) -> None:
    assert f"`{option}" in TEXT


@pytest.mark.parametrize("option", options("action-groups", "test"))
def test_every_test_option_is_documented(option: str) -> None:
    assert option in TEXT or (option == "--alert-type" and "action-groups test" in TEXT)


@pytest.mark.parametrize("column", [c for c, _ in ACTION_DELIVERIES.columns][:-3])
def test_every_delivery_column_is_documented(column: str) -> None:
    assert f"`{column}`" in TEXT


def test_kql_example_runs() -> None:
    [query] = doc_blocks("kusto")
    with Workspace.open(":memory:") as ws:
        assert ws.query(query).rows == []


def test_verification_snippet_accepts_our_signature() -> None:
    [code] = doc_blocks("python")[:1]
    scope: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), scope)
    verify = scope["verify"]
    assert callable(verify)
    body = b'{"schemaId":"azureMonitorCommonAlertSchema"}'
    ts = int(time.time())
    assert verify(b"k", body, str(ts), sign("k", body, ts))
    assert not verify(b"k", body + b"x", str(ts), sign("k", body, ts))
    assert not verify(b"k", body, str(ts - 600), sign("k", body, ts - 600))


def test_statuses_are_documented() -> None:
    for status in ("Succeeded", "Outbox", "Retrying", "Failed", "Suppressed", "Skipped"):
        assert re.search(rf"`{status}`", TEXT), status
