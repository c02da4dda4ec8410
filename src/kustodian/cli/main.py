"""`kustodian` command line: query a workspace with KQL."""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kustodian.cli import remote
from kustodian.kql.diagnostics import KqlError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kustodian", description="A self-hosted workspace for Entra ID logs."
    )
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("query", help="run a KQL query")
    q.add_argument("query", help="the KQL text, or - to read it from standard input")
    q.add_argument(
        "--workspace", help="workspace directory (default: $KUSTODIAN_WORKSPACE, else in-memory)"
    )
    q.add_argument("--format", choices=("table", "json", "csv"), default="table")
    q.add_argument("--now", help="pin now() to this ISO 8601 instant, for reproducible results")
    q.add_argument(
        "--timespan",
        help="ISO 8601 duration or interval applied to TimeGenerated (PT1H, P7D, start/end)",
    )
    q.add_argument(
        "--show-sql", action="store_true", help="print the generated SQL instead of running it"
    )
    q.add_argument(
        "--dialect",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="SQL dialect for --show-sql",
    )
    q.set_defaults(func=cmd_query)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


# Modules that add commands: each has `register(subparsers)`, which sets `func` on its parsers.
COMMAND_MODULES: tuple[str, ...] = (
    "kustodian.cli.workspace_cmds",
    "kustodian.cli.simulate",
    "kustodian.cli.connect_cmds",
    "kustodian.cli.storage_cmds",
    "kustodian.cli.server_cmds",
    "kustodian.cli.action_cmds",
    "kustodian.cli.alert_cmds",
    "kustodian.cli.detection_cmds",
    "kustodian.cli.content_cmds",
    "kustodian.cli.dcr_cmds",
)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if "-" in argv and not sys.stdin.isatty():
        # kept, so that a command that goes through a server (main below) can send it on
        sys.stdin = io.StringIO(sys.stdin.read())
    try:
        code: int = args.func(args)
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        sys.stderr.close()
        return 0
    except remote.HeldByAnotherProcess as held:  # a server holds it: run it through the server
        return remote.run_through_server(argv, held.root, held.message)
    return code


def open_path(
    path: str,
    *,
    create: bool = False,
    memory_limit: str | None = None,
    bulk: bool = False,
    readable: Sequence[str] = (),
) -> Any:
    """Open a workspace for a command: the served one when the command runs in the server
    (cli/remote.py); raises HeldByAnotherProcess when another process holds it, WorkspaceError
    when it cannot be opened. A dead server's stale server.json is cleared on the way."""
    from kustodian.workspace.workspace import Workspace, WorkspaceLocked

    served = remote.served_workspace()
    if served is not None:
        return served
    try:
        ws = Workspace.open(
            path, create=create, memory_limit=memory_limit, bulk=bulk, readable=readable
        )
    except WorkspaceLocked as e:
        raise remote.HeldByAnotherProcess(Path(path), str(e)) from None
    if ws.root is not None:
        from kustodian.server.handoff import clear_stale

        clear_stale(ws)
    return ws


def workspace_path(args: argparse.Namespace) -> str:
    """The --workspace option, else $KUSTODIAN_WORKSPACE; exits with a message when neither."""
    path = getattr(args, "workspace", None) or os.environ.get("KUSTODIAN_WORKSPACE")
    if not path:
        print(
            "error: no workspace: give --workspace PATH or set KUSTODIAN_WORKSPACE",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return str(path)


# DuckDB's memory cap for bulk commands (ingest, pull, simulate): streaming keeps their
# working set small, and the cap keeps DuckDB's cache from growing with the input. The row group
# being filled (about 470 MB for 4.8 KB sign-ins) spills past it; 512 MB keeps the peak RSS of
# an ingest near 0.7 GB (1 GB: about 1.0 GB, some 20% less CPU; benchmarks/RESULTS.md).
BULK_MEMORY_LIMIT = os.environ.get("KUSTODIAN_BULK_MEMORY_LIMIT", "512MB")


def open_workspace(
    args: argparse.Namespace,
    *,
    bulk: bool = False,
    memory_limit: str | None = None,
    readable: Sequence[str] = (),
) -> Any:
    """Open the command's workspace (which must exist), or exit with the reason. `readable`:
    input files and directories that ingestion may have DuckDB read itself."""
    from kustodian.engines.duckdb import check_memory_limit
    from kustodian.workspace.workspace import WorkspaceError

    limit = memory_limit or (BULK_MEMORY_LIMIT if bulk else None)
    try:
        if limit is not None:
            check_memory_limit(limit)
        return open_path(
            workspace_path(args),
            create=False,
            memory_limit=limit,
            bulk=bulk,
            readable=readable,
        )
    except ValueError as e:  # a bad $KUSTODIAN_BULK_MEMORY_LIMIT
        print(f"error: memory limit: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except WorkspaceError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def instant(text: str) -> datetime | None:
    """An ISO 8601 instant from the command line, in UTC (all 7 fraction digits read); None
    when the text is not one."""
    from kustodian.kql.literals import parse_datetime_ns

    ns = parse_datetime_ns(text)
    return None if ns is None else datetime.fromtimestamp(ns / 1e9, UTC)


WS_HELP = "workspace directory (default: $KUSTODIAN_WORKSPACE)"


def workspace_option(p: argparse.ArgumentParser) -> None:
    """The `--workspace` option of a command that works on an existing workspace."""
    p.add_argument("--workspace", help=WS_HELP)


def fail(message: str) -> int:
    """Print `error: message` on standard error; the exit status of a command that could not
    run."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_query(args: argparse.Namespace) -> int:
    from kustodian.kql.literals import parse_datetime_ns
    from kustodian.timespans import parse_timespan
    from kustodian.workspace.workspace import Workspace, WorkspaceError

    text = sys.stdin.read() if args.query == "-" else args.query
    now: datetime | int = datetime.now(UTC)
    if args.now:
        ns = parse_datetime_ns(args.now)  # nanoseconds keep all 7 fraction digits
        if ns is None:
            return fail(
                f"--now: '{args.now}' is not an ISO 8601 instant (e.g. 2024-05-01T12:00:00Z)"
            )
        now = ns
    try:
        timespan = parse_timespan(args.timespan) if args.timespan else None
    except ValueError as e:
        return fail(f"--timespan: {e}")
    path = args.workspace or os.environ.get("KUSTODIAN_WORKSPACE") or ":memory:"
    try:
        if args.show_sql:
            from kustodian.kql.compiler import compile_all

            ws_catalog = None
            if path != ":memory:":
                ws = open_path(path)
                ws_catalog = ws.catalog
            for c in compile_all(
                text,
                catalog=ws_catalog,
                dialect=args.dialect,
                now=now,
                timespan=timespan,
                pretty=True,
            ):
                print(c.sql + ";")
            return 0
        ws = open_path(path) if path != ":memory:" else Workspace.open(path)
        result = ws.query(text, now=now, timespan=timespan)
    except WorkspaceError as e:  # a mistyped --workspace must not create an empty workspace
        return fail(str(e))
    except KqlError as e:
        if args.format == "json":
            print(json.dumps(api_error(e), indent=2))
        else:
            print(
                e.render() if e.text else "\n".join(d.render(text) for d in e.diagnostics),
                file=sys.stderr,
            )
        return 2
    emit(result, args.format)
    return 0


def api_error(e: KqlError) -> dict[str, Any]:
    """The Log Analytics API's error document for a KQL error (the server's, errors.py)."""
    from kustodian.server.errors import kql_error_document

    return kql_error_document(e)


def emit(result: Any, fmt: str) -> None:
    tables = [result, *result.tables]
    if fmt == "json":
        doc: dict[str, Any] = {
            "tables": [
                t.to_api("PrimaryResult" if i == 0 else f"Table_{i}") for i, t in enumerate(tables)
            ]
        }
        if result.render:
            doc["render"] = result.render
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for i, t in enumerate(tables):
        if i:
            print()
        if fmt == "csv":
            w = csv.writer(sys.stdout)
            w.writerow([n for n, _ in t.columns])
            for r in t.rows:
                w.writerow([_text(v) for v in r])
        else:
            print(format_table(t.columns, t.rows))


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict | list):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def format_table(columns: list[tuple[str, str]], rows: list[list[Any]], limit: int = 200) -> str:
    header = [n for n, _ in columns]
    body = [[_text(v) for v in r] for r in rows[:limit]]
    widths = [max([len(h)] + [min(len(r[i]), 60) for r in body]) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in body:
        out.append(
            "  ".join((c if len(c) <= 60 else c[:57] + "...").ljust(w) for c, w in zip(r, widths))
        )
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
