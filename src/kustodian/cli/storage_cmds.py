"""`kustodian storage connect|pull|status`: the storage-account connector (docs/connectors.md).

`add_connect_arguments` and `cmd_connect` are reusable by a `kustodian connect storage` parser;
`kustodian.connectors.storage.pull(ws, name)` by a `kustodian pull` that pulls every connector.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from kustodian.cli.main import fail, open_workspace, workspace_option


def register(sub: Any) -> None:
    group = sub.add_parser(
        "storage",
        help="read Entra logs from a storage account's insights-logs-* containers",
        description="Ingest the diagnostic-settings archive of an Azure storage account, "
        "incrementally.",
    )
    cmds = group.add_subparsers(dest="storage_command", required=True)

    p = cmds.add_parser("connect", help="store a storage connector and its credential")
    add_connect_arguments(p)
    p.set_defaults(func=cmd_connect)

    p = cmds.add_parser("pull", help="ingest what the containers gained since the last pull")
    workspace_option(p)
    p.add_argument("--name", help="the connector (default: every storage connector)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress on standard error (auto: when it is a terminal)",
    )
    p.set_defaults(func=cmd_pull)

    p = cmds.add_parser("status", help="checkpoints, last pull, and what is not read yet")
    workspace_option(p)
    p.add_argument("--name", help="the connector (default: every storage connector)")
    p.add_argument(
        "--offline", action="store_true", help="do not list the account (no 'behind' counts)"
    )
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=cmd_status)


def add_connect_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `storage connect`: name, one credential source, what to read."""
    workspace_option(p)
    p.add_argument("--name", required=True, help="a name for the connector")
    cred = p.add_mutually_exclusive_group(required=True)
    cred.add_argument(
        "--connection-string-stdin",
        action="store_true",
        help="read the storage connection string from standard input",
    )
    cred.add_argument(
        "--connection-string-env", metavar="VAR", help="the connection string is in $VAR"
    )
    cred.add_argument(
        "--account-key-env", metavar="VAR", help="the account key is in $VAR (needs --account-url)"
    )
    cred.add_argument(
        "--sas-env", metavar="VAR", help="a SAS token is in $VAR (needs --account-url)"
    )
    p.add_argument("--account-url", help="blob endpoint, https://ACCOUNT.blob.core.windows.net")
    p.add_argument(
        "--containers",
        nargs="+",
        metavar="CONTAINER",
        help="containers or categories to read (signinlogs, insights-logs-auditlogs, ...); "
        "default: the account's insights-logs-* containers of the Entra categories",
    )
    p.add_argument("--api-version", help="storage REST API version (default: the client's)")
    p.add_argument(
        "--overlap-hours",
        type=int,
        default=3,
        help="hours before the last one read that each pull lists again (default 3)",
    )
    p.add_argument("--since", help="ISO 8601: the first pull starts at this hour (default: all)")
    p.add_argument(
        "--no-check", action="store_true", help="store without trying the credential first"
    )


def _credential(args: argparse.Namespace) -> tuple[str, str]:
    """(auth kind, secret) from the chosen source; never echoes the secret."""
    if args.connection_string_stdin:
        return "connection-string", sys.stdin.read().strip()
    for option, kind in (
        ("connection_string_env", "connection-string"),
        ("account_key_env", "account-key"),
        ("sas_env", "sas"),
    ):
        var = getattr(args, option)
        if var:
            value = os.environ.get(var, "").strip()
            if not value:
                raise ValueError(f"environment variable {var} is not set or empty")
            return kind, value
    raise ValueError("give a credential option")


def cmd_connect(args: argparse.Namespace) -> int:
    from kustodian.connectors.storage import StorageError, StorageSettings, connect, container_name

    try:
        auth, secret = _credential(args)
        settings = StorageSettings(
            auth=auth,
            account_url=(args.account_url or "").rstrip("/"),
            containers=tuple(
                sorted({container_name(c) for arg in args.containers or () for c in arg.split(",")})
            ),
            api_version=args.api_version or "",
            overlap_hours=args.overlap_hours,
            since=args.since or "",
        )
    except (ValueError, StorageError) as e:
        return fail(str(e))
    ws = open_workspace(args)
    try:
        found = connect(ws, args.name, settings, secret, check=not args.no_check)
    except StorageError as e:
        return fail(str(e))
    finally:
        ws.close()
    print(f"storage connector '{args.name}' saved ({auth}; the credential is stored encrypted)")
    if not args.no_check:
        print(f"  containers: {', '.join(found) if found else 'none yet (insights-logs-*)'}")
    return 0


def _names(ws: Any, name: str | None) -> list[str]:
    from kustodian.connectors.storage import KIND

    if name:
        return [name]
    return [n for n, kind, _ in ws.connectors() if kind == KIND]


def cmd_pull(args: argparse.Namespace) -> int:
    from kustodian.cli.workspace_cmds import Progress
    from kustodian.connectors.storage import StorageError, pull

    ws = open_workspace(args, bulk=True)
    enabled = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    code = 0
    try:
        names = _names(ws, args.name)
        if not names:
            return fail("no storage connector; create one with `kustodian storage connect`")
        for name in names:
            progress = Progress(enabled)
            try:
                summary = pull(ws, name, progress=progress)
            except StorageError as e:
                code = fail(f"{name}: {e}")
                continue
            finally:
                progress.done()
            if args.json:
                print(json.dumps(summary.to_json(), indent=2))
            else:
                _print_summary(summary)
            if summary.errors or summary.ingest.rejected:
                code = max(code, 1)
    finally:
        ws.close()
    return code


def _print_summary(s: Any) -> None:
    i = s.ingest
    print(
        f"{s.connector}: {s.blobs_read} of {s.blobs_listed} blobs read "
        f"({s.bytes_downloaded:,} bytes in {s.ranges} ranges, {s.lines:,} lines); "
        f"ingested {i.ingested:,}, duplicates {i.duplicates:,}, rejected {i.rejected:,} "
        f"in {s.seconds:.1f} s"
    )
    for table, n in sorted(i.tables.items()):
        print(f"  {table}: {n:,} new rows")
    if s.blobs_rewritten:
        print(f"  {s.blobs_rewritten} rewritten blobs read again from the start")
    if s.partial_bytes:
        print(f"  {s.partial_bytes:,} bytes of unfinished lines wait for the next pull")
    for error in s.errors:
        print(f"  error: {error}")
    if i.rejected:
        print(
            "  rejected records are in IngestionErrors: kustodian query "
            f"'IngestionErrors | where RunId == \"{i.run_id}\"'"
        )


def cmd_status(args: argparse.Namespace) -> int:
    from kustodian.connectors.storage import StorageError, status

    ws = open_workspace(args)
    reports, code = [], 0
    try:
        names = _names(ws, args.name)
        if not names:
            return fail("no storage connector; create one with `kustodian storage connect`")
        for name in names:
            try:
                reports.append(status(ws, name, remote=not args.offline))
            except StorageError as e:
                code = fail(f"{name}: {e}")
    finally:
        ws.close()
    if args.json:
        print(json.dumps(reports, indent=2))
    else:
        for report in reports:
            _print_status(report)
    return code or (1 if any(r["errors"] for r in reports) else 0)


def _print_status(r: dict[str, Any]) -> None:
    s = r["settings"]
    containers = ", ".join(s["containers"]) or "the Entra insights-logs-* containers found"
    print(f"{r['name']} ({s['auth']}{', ' + s['account_url'] if s['account_url'] else ''})")
    print(f"  containers: {containers}; overlap {s['overlap_hours']} h")
    last = r["last_pull"]
    if last:
        i = last["ingest"]
        print(
            f"  last pull {last['started']}: {last['blobs_read']} blobs read, "
            f"ingested {i['ingested']:,}, rejected {i['rejected']:,}, {len(last['errors'])} errors"
        )
    else:
        print("  never pulled")
    for root in r["roots"]:
        behind = (
            "not listed"
            if root["behind_blobs"] is None
            else f"{root['behind_blobs']} blobs ({root['behind_bytes']:,} bytes) behind"
        )
        print(
            f"  {root['container']}/{root['root']}: watermark {root['watermark'] or '-'}, "
            f"{root['tracked']} blobs tracked, {root['partial']} with an unfinished line, {behind}"
        )
    for error in r["errors"]:
        print(f"  error: {error}")
