"""docs/server.md documents every command option, endpoint and LAQueryLogs column."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from starlette.routing import Route

from kustodian.cli.main import build_parser
from kustodian.server import create_app
from kustodian.workspace.tables import LA_QUERY_LOGS
from kustodian.workspace.workspace import Workspace

DOC = (Path(__file__).parents[2] / "docs" / "server.md").read_text()


def options(*path: str) -> list[str]:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return [o for a in parser._actions for o in a.option_strings if o.startswith("--")]


def routes() -> list[str]:
    with Workspace.open(":memory:") as ws:
        app = create_app(ws)
        return [
            f"{m} {r.path}"
            for r in app.routes
            if isinstance(r, Route)
            for m in sorted(r.methods or ())
            if m != "HEAD"
        ]


@pytest.mark.parametrize(
    "option",
    sorted(
        set(options("serve") + options("token", "create") + options("token", "list")) - {"--help"}
    ),
)
def test_every_option_is_documented(option: str) -> None:
    assert f"`{option}" in DOC


@pytest.mark.parametrize("route", routes())
def test_every_endpoint_is_documented(route: str) -> None:
    method, path = route.split(" ")
    path = re.sub(r"\{[^}]*\}", "{}", path)
    rows = [re.sub(r"\{[^}]*\}", "{}", line) for line in DOC.splitlines() if line.startswith("| `")]
    rows = [row for row in rows if f"{path}`" in row or f"{path}?" in row]
    assert any(method in row for row in rows), route


@pytest.mark.parametrize("column", [c for c, _ in LA_QUERY_LOGS.columns])
def test_every_query_log_column_is_documented(column: str) -> None:
    assert f"`{column}`" in DOC
