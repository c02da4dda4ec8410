"""docs/configuration.md documents every setting: each command's options (the parser walked
recursively), every ServerSettings field, every workspace.json key and every KUSTODIAN_*
environment variable the source reads. Each is discovered from the code, so a setting added
anywhere fails here, by name, until it is documented."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from kustodian.actions.email import SETTINGS_KEY, SmtpSettings
from kustodian.cli.main import build_parser
from kustodian.server import ServerSettings
from kustodian.workspace.config import WorkspaceConfig

ROOT = Path(__file__).parents[2]
DOC_PATH = ROOT / "docs" / "configuration.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
SOURCES = sorted((ROOT / "src" / "kustodian").rglob("*.py"))


def sections(text: str) -> dict[str, str]:
    """Each heading's text -> its body, up to the next heading of the same or a higher level."""
    heads = [
        (m.start(), len(m.group(1)), m.group(2).strip())
        for m in re.finditer(r"^(#+) (.+)$", text, re.MULTILINE)
    ]
    out = {}
    for i, (start, level, title) in enumerate(heads):
        end = next((s for s, lv, _ in heads[i + 1 :] if lv <= level), len(text))
        out[title.strip("`")] = text[start:end]
    return out


SECTIONS = sections(DOC)


def commands() -> list[tuple[str, list[str]]]:
    """(`kustodian a b`, the names its options and arguments are documented by) for every
    command that takes options or has no sub-commands."""
    found: list[tuple[str, list[str]]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        names = [
            name
            for a in parser._actions
            if not isinstance(a, argparse._SubParsersAction | argparse._HelpAction)
            and a.help != argparse.SUPPRESS
            for name in (a.option_strings or [str(a.metavar or a.dest)])
        ]
        if names or not subs:
            found.append((" ".join(path), names))
        for sub in subs:
            for name, child in sub.choices.items():
                walk(child, [*path, name])

    walk(build_parser(), ["kustodian"])
    return found


COMMANDS = commands()
OPTIONS = [(cmd, name) for cmd, names in COMMANDS for name in names]


@pytest.mark.parametrize("command", [c for c, _ in COMMANDS])
def test_every_command_has_a_section(command: str) -> None:
    assert command in SECTIONS, f"{DOC_PATH.name}: no section '### `{command}`'"


@pytest.mark.parametrize("command, option", OPTIONS, ids=[f"{c} {o}" for c, o in OPTIONS])
def test_every_command_option_is_documented(command: str, option: str) -> None:
    body = SECTIONS.get(command, "")
    assert f"`{option}`" in body, f"{DOC_PATH.name}: `{command}` does not document `{option}`"


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(ServerSettings)])
def test_every_server_setting_is_documented(field: str) -> None:
    body = SECTIONS["Server settings"]
    assert f"| `{field}` |" in body, f"{DOC_PATH.name}: ServerSettings.{field} is undocumented"


def workspace_keys() -> list[str]:
    """The keys of workspace.json: what a new workspace writes, the `settings` keys the source
    reads or writes (`config.settings.get("x")`, `.get("x", {}).get("y")`, the modules'
    SETTING constants) and the SMTP server's fields."""
    keys: set[str] = set()

    def flatten(doc: dict[str, object], prefix: str = "") -> None:
        for k, v in doc.items():
            keys.add(prefix + k)
            if isinstance(v, dict) and k != "tables" and k != "settings":
                flatten(v, f"{prefix}{k}.")

    flatten(WorkspaceConfig.new(1).to_json())
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"config\.settings(?:\.get\(|\[)\s*\"(\w+)\"", text):
            keys.add(f"settings.{m.group(1)}")
        for m in re.finditer(
            r"config\.settings\.get\(\s*\"(\w+)\",\s*\{\}\s*\)\.get\(\s*\"(\w+)\"", text
        ):
            keys.add(f"settings.{m.group(1)}.{m.group(2)}")
        for m in re.finditer(r"^SETTINGS?(?:_KEY)? = \"(\w+)\"", text, re.MULTILINE):
            keys.add(f"settings.{m.group(1)}")
    keys.update(f"settings.{SETTINGS_KEY}.{k}" for k in SmtpSettings(host="h").to_json())
    return sorted(keys)


@pytest.mark.parametrize("key", workspace_keys())
def test_every_workspace_json_key_is_documented(key: str) -> None:
    body = SECTIONS["workspace.json"]
    assert f"| `{key}` |" in body, f"{DOC_PATH.name}: workspace.json key {key} is undocumented"


def environment_variables() -> list[str]:
    found: set[str] = set()
    for path in SOURCES:
        found.update(re.findall(r"\bKUSTODIAN_[A-Z0-9_]+\b", path.read_text(encoding="utf-8")))
    return sorted(found)


@pytest.mark.parametrize("variable", environment_variables())
def test_every_environment_variable_is_documented(variable: str) -> None:
    body = SECTIONS["Environment variables"]
    assert f"| `{variable}` |" in body, f"{DOC_PATH.name}: ${variable} is undocumented"


def test_the_discovery_finds_what_it_should() -> None:
    """The walkers themselves: a few settings that exist must be found."""
    assert ("kustodian serve", "--memory-limit") in OPTIONS
    assert ("kustodian token revoke", "ID_OR_NAME") in OPTIONS
    assert {"settings.alerts.ingestion_delay", "settings.data_collection_rules"} <= set(
        workspace_keys()
    )
    assert "KUSTODIAN_SECRET_KEY" in environment_variables()
    assert len(COMMANDS) >= 30
