"""docs/connectors.md documents every Graph connector setting and every command option."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from kustodian.cli.main import build_parser
from kustodian.connectors.graph import STREAMS, GraphSettings

DOC = (Path(__file__).parents[2] / "docs" / "connectors.md").read_text()


def options(*path: str) -> list[str]:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return [
        o
        for a in parser._actions
        if a.help != argparse.SUPPRESS
        for o in a.option_strings
        if o.startswith("--") and o not in ("--help", "--workspace")
    ]


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(GraphSettings)])
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC


@pytest.mark.parametrize("option", options("connect", "graph") + options("pull"))
def test_every_option_is_documented(option: str) -> None:
    assert f"`{option}" in DOC


@pytest.mark.parametrize("table", list(STREAMS))
def test_every_table_is_documented(table: str) -> None:
    assert f"| `{table}` |" in DOC
