"""`kustodian queries list|show|run` (the shipped saved queries) and
`kustodian named-locations list|set|remove` (the workspace's named locations)."""

from __future__ import annotations

import argparse
from typing import Any

from kustodian.cli.main import cmd_query, fail, open_workspace, workspace_option


def register(sub: Any) -> None:
    p = sub.add_parser("queries", help="saved queries shipped with Kustodian: list, show, run")
    p.add_argument("action", choices=("list", "show", "run"))
    p.add_argument("name", nargs="?", help="the saved query's name")
    workspace_option(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--now", help="pin now() to this ISO 8601 instant (run)")
    p.set_defaults(func=cmd_queries)

    p = sub.add_parser(
        "named-locations", help="named locations (IP ranges) that detections treat as trusted"
    )
    p.add_argument("action", choices=("list", "set", "remove"))
    p.add_argument("name", nargs="?", help="the named location's name")
    p.add_argument("ranges", nargs="*", metavar="CIDR", help="IPv4 ranges or addresses (set)")
    p.add_argument(
        "--untrusted", action="store_true", help="a named location that is not trusted (set)"
    )
    workspace_option(p)
    p.set_defaults(func=cmd_named_locations)


def cmd_queries(args: argparse.Namespace) -> int:
    from kustodian.alerts.queries import get_saved_query, saved_queries

    if args.action == "list":
        for q in saved_queries().values():
            print(f"{q.name:22} {q.title}")
        return 0
    if not args.name:
        return fail(f"queries {args.action}: give a name (kustodian queries list shows them)")
    try:
        q = get_saved_query(args.name)
    except LookupError as e:
        return fail(str(e.args[0]))
    if args.action == "show":
        print(f"// {q.title}\n// {q.description}\n{q.query}")
        return 0
    run = argparse.Namespace(
        query=q.query,
        workspace=args.workspace,
        format=args.format,
        now=args.now,
        timespan=None,
        show_sql=False,
        dialect="duckdb",
    )
    return cmd_query(run)


def cmd_named_locations(args: argparse.Namespace) -> int:
    from kustodian.alerts.detections import refresh
    from kustodian.workspace.named_locations import (
        NamedLocationError,
        named_locations,
        remove_named_location,
        set_named_location,
    )

    if args.action != "list" and not args.name:
        return fail(f"named-locations {args.action}: give a name")
    ws = open_workspace(args)
    try:
        if args.action == "list":
            for loc in named_locations(ws):
                kind = "trusted" if loc.trusted else "untrusted"
                print(f"{loc.name:24} {kind:9} {', '.join(loc.ranges)}")
            return 0
        if args.action == "set":
            loc = set_named_location(ws, args.name, args.ranges, trusted=not args.untrusted)
            print(f"named location '{loc.name}': {', '.join(loc.ranges)}")
        else:
            remove_named_location(ws, args.name)
            print(f"removed named location '{args.name}'")
        for rule in refresh(ws):
            print(f"updated {rule} (it reads the trusted named locations)")
        return 0
    except NamedLocationError as e:
        return fail(str(e))
    finally:
        ws.close()
