"""Workspace commands: init, ingest, export, tables, retention."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from kustodian.cli.main import fail, instant, open_workspace, workspace_option, workspace_path


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a workspace directory")
    p.add_argument("path", nargs="?", help="the directory (default: $KUSTODIAN_WORKSPACE)")
    p.add_argument("--workspace-id", help="use this GUID as the workspace id (default: a new one)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("ingest", help="ingest exported logs: files or directory trees")
    p.add_argument("paths", nargs="+", metavar="PATH")
    workspace_option(p)
    p.add_argument("--format", default="auto", help="auto (default), or a format name")
    p.add_argument("--table", help="rows in Log Analytics shape for this table")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on standard error (auto: when it is a terminal)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("formats", help="list the ingestion formats")
    p.set_defaults(func=cmd_formats)

    p = sub.add_parser("export", help="write tables to Parquet or CSV files")
    p.add_argument("tables", nargs="*", metavar="TABLE", help="default: every non-empty table")
    workspace_option(p)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    p.add_argument("--since", help="only rows with TimeGenerated >= this ISO 8601 instant")
    p.add_argument("--until", help="only rows with TimeGenerated < this ISO 8601 instant")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("tables", help="list tables, or declare a custom *_CL table")
    workspace_option(p)
    p.add_argument("action", nargs="?", choices=("list", "create"), default="list")
    p.add_argument("name", nargs="?", help="custom table name (ends in _CL)")
    p.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="NAME:TYPE",
        help="a column of the custom table (types: string, long, int, real, bool, datetime, "
        "timespan, dynamic, guid, decimal)",
    )
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("retention", help="show, set or apply data retention")
    p.add_argument("action", choices=("show", "set", "apply"))
    workspace_option(p)
    p.add_argument("--table", help="the table to set (default: the workspace default)")
    p.add_argument("--days", help="days to keep; 'default' returns a table to the workspace's")
    p.add_argument("--now", help="apply as of this ISO 8601 instant (default: now)")
    p.add_argument("--dry-run", action="store_true", help="report without deleting")
    p.set_defaults(func=cmd_retention)


def cmd_init(args: argparse.Namespace) -> int:
    from kustodian.workspace.config import ConfigError
    from kustodian.workspace.workspace import Workspace, WorkspaceError

    path = args.path or workspace_path(args)
    try:
        with Workspace.init(path, workspace_id=args.workspace_id) as ws:
            print(f"created workspace {ws.workspace_id} in {path}")
    except (WorkspaceError, ConfigError) as e:
        return fail(str(e))
    return 0


class Progress:
    """A one-line progress report on standard error: records, rate, rejected."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = 0.0

    def __call__(self, s: Any) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        total = s.ingested + s.duplicates + s.rejected
        sys.stderr.write(
            f"\r{total:>12,} records  {s.rate:>10,.0f}/s  ingested {s.ingested:,}  "
            f"duplicates {s.duplicates:,}  rejected {s.rejected:,}   "
        )
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\n")


def cmd_ingest(args: argparse.Namespace) -> int:
    from kustodian.ingest import ingest_paths
    from kustodian.ingest.readers import ReadError

    ws = open_workspace(args, bulk=True, readable=args.paths)
    enabled = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    progress = Progress(enabled)
    try:
        summary = ingest_paths(ws, args.paths, fmt=args.format, table=args.table, progress=progress)
    except (ReadError, KeyError) as e:
        return fail(str(e).strip("'\""))
    finally:
        progress.done()
        ws.close()
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(
            f"ingested {summary.ingested:,}, duplicates {summary.duplicates:,}, "
            f"rejected {summary.rejected:,} in {summary.seconds:.1f} s "
            f"({summary.rate:,.0f} records/s)"
        )
        for table, n in sorted(summary.tables.items()):
            print(f"  {table}: {n:,} new rows")
        for col in summary.new_columns:
            print(f"  new column {col} (a field no column took)")
        if summary.rejected:
            print(
                "  rejected records are in IngestionErrors: kustodian query "
                f"'IngestionErrors | where RunId == \"{summary.run_id}\"'"
            )
    return 1 if summary.rejected else 0


def cmd_formats(args: argparse.Namespace) -> int:
    from kustodian.ingest.readers import formats

    for f in sorted(formats().values(), key=lambda f: f.priority):
        print(f"{f.name:14} {f.description}")
    return 0


def _instant(text: str | None, option: str) -> datetime | None:
    """The instant of an optional option; a ValueError names the option."""
    if text is None:
        return None
    when = instant(text)
    if when is None:
        raise ValueError(f"{option}: '{text}' is not an ISO 8601 instant")
    return when


def cmd_export(args: argparse.Namespace) -> int:
    from kustodian.workspace.export import export_tables

    try:
        since = _instant(args.since, "--since")
        until = _instant(args.until, "--until")
    except ValueError as e:
        return fail(str(e))
    ws = open_workspace(args)
    try:
        written = export_tables(
            ws,
            args.tables or None,
            Path(args.out),
            args.format,
            since=since.replace(tzinfo=None) if since else None,
            until=until.replace(tzinfo=None) if until else None,
        )
    except (KeyError, OSError) as e:
        return fail(str(e).strip("'\""))
    finally:
        ws.close()
    for path, rows in written:
        print(f"{path}: {rows:,} rows")
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    from kustodian.kql.types import type_from_name

    with open_workspace(args) as ws:
        if args.action == "create":
            if not args.name:
                return fail("tables create: give the table name (ending in _CL)")
            cols = []
            for spec in args.column:
                name, _, tname = spec.partition(":")
                ktype = type_from_name(tname.strip() or "string")
                if ktype is None:
                    return fail(f"--column {spec}: unknown type '{tname}'")
                cols.append((name.strip(), ktype))
            try:
                schema = ws.create_custom_table(args.name, cols)
            except ValueError as e:
                return fail(str(e))
            print(f"created {schema.name} ({len(schema.columns)} columns)")
            return 0
        from kustodian.workspace.retention import show

        for t in show(ws):
            print(
                f"{t.table:34} {t.rows:>12,} rows  {len(ws.catalog.tables[t.table].columns):>4} cols"
            )
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from kustodian.workspace import retention
    from kustodian.workspace.config import ConfigError

    with open_workspace(args) as ws:
        if args.action == "show":
            print(f"workspace default: {ws.config.retention_days} days")
            for t in retention.show(ws):
                source = "default" if t.source == "workspace" else t.source
                oldest = t.oldest.isoformat() + "Z" if t.oldest else "-"
                print(
                    f"{t.table:34} {t.days:>4} days ({source})  {t.rows:>12,} rows  oldest {oldest}"
                )
            return 0
        if args.action == "set":
            if args.days is None:
                return fail("retention set: give --days")
            try:
                if args.table:
                    days = None if args.days == "default" else int(args.days)
                    retention.set_table_days(ws, args.table, days)
                    print(f"{args.table}: {args.days} days")
                else:
                    retention.set_workspace_days(ws, int(args.days))
                    print(f"workspace default: {args.days} days")
            except (ConfigError, ValueError) as e:
                return fail(str(e))
            return 0
        try:
            now = _instant(args.now, "--now")
        except ValueError as e:
            return fail(str(e))
        removed = retention.apply(ws, now, args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        if not removed:
            print(f"nothing past retention; {verb} 0 rows")
        for table, n in removed.items():
            print(f"{table}: {verb} {n:,} rows past {retention.retention_of(ws, table)[0]} days")
    return 0
