"""`kustodian simulate`: the subcommand as `main` will register it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from kustodian.cli import simulate as cli

ARGS = ["--days", "3", "--users", "30", "--seed", "7", "--end", "2024-05-01T00:00:00Z"]
ONE_DAY = ["--days", "1", "--users", "20", "--seed", "7", "--end", "2024-05-01T00:00:00Z"]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kustodian")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUSTODIAN_WORKSPACE", "/tmp/ws-from-env")
    args = parse(["simulate"])
    assert (args.days, args.users, args.seed, args.end, args.live) == (30, 500, 0, None, False)
    assert args.workspace == "/tmp/ws-from-env"
    assert args.run is cli.run and args.func is cli.run


def test_registers_like_the_other_command_modules() -> None:
    parser = argparse.ArgumentParser(prog="kustodian")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["simulate", "--days", "2"])
    assert args.func is cli.run and args.days == 2


@pytest.mark.parametrize("fmt", cli.EXPORTS)
def test_export(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["simulate", *ONE_DAY, "--export", str(tmp_path), "--export-format", fmt])
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "simulated 632 records" in out and "records/s" in out
    assert any(tmp_path.rglob("*.json"))


def test_export_is_reproducible(tmp_path: Path) -> None:
    for d in ("a", "b"):
        args = parse(["simulate", *ONE_DAY, "--export", str(tmp_path / d)])
        args.run(args)
    a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert a == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    body = json.loads((tmp_path / "a" / a[0]).read_text())
    assert list(body) == ["records"]


def test_no_workspace_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KUSTODIAN_WORKSPACE", raising=False)
    args = parse(["simulate", *ARGS])
    assert args.run(args) == 2
    assert "--workspace" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--end", "yesterday"], "ISO 8601"), (["--users", "3"], "at least 20")],
)
def test_bad_arguments(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = parse(["simulate", "--workspace", str(tmp_path), *argv])
    assert args.run(args) == 2
    assert message in capsys.readouterr().err


def test_ingest_into_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kustodian import Workspace

    ws_dir = tmp_path / "ws"
    args = parse(["simulate", "--workspace", str(ws_dir), *ONE_DAY])
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "simulated 632 records" in out
    assert "ingested 632, duplicates 0, rejected 0" in out
    assert args.run(args) == 0  # the same run again: all duplicates
    assert "ingested 0, duplicates 632, rejected 0" in capsys.readouterr().out
    with Workspace.open(ws_dir) as ws:
        assert ws.query("union SigninLogs, AuditLogs | count").rows != [[0]]


def test_a_directory_that_is_not_a_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    args = parse(["simulate", "--workspace", str(tmp_path), *ARGS])
    assert args.run(args) == 2
    assert "not empty" in capsys.readouterr().err


def test_live_ingests_as_it_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kustodian import Workspace

    slept: list[float] = []
    monkeypatch.setattr(cli.time, "sleep", slept.append)  # no real waiting
    args = parse(
        [
            "simulate",
            "--workspace",
            str(tmp_path / "ws"),
            "--days",
            "1",
            "--users",
            "20",
            "--live",
            "--speed",
            "100000",
        ]
    )
    assert args.run(args) == 0
    assert slept and max(slept) < 1  # at 100000x a simulated day lasts under a second
    out = capsys.readouterr().out
    total = int(out.strip().splitlines()[-1].split()[1].replace(",", ""))
    with Workspace.open(tmp_path / "ws") as ws:
        got = ws.query("union withsource=T * | where T != 'IngestionErrors' | count").rows
    assert got == [[total]]
