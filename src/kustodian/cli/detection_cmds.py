"""`kustodian detections list|show NAME|enable NAME [--param k=v ...]|disable NAME`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kustodian.cli.main import open_workspace, workspace_option


def register(sub: Any) -> None:
    p = sub.add_parser("detections", help="built-in identity detections: list, show, enable")
    p.add_argument("action", choices=("list", "show", "enable", "disable"))
    p.add_argument("name", nargs="?", help="the detection's name")
    p.add_argument("--param", action="append", default=[], metavar="K=V", help="a parameter")
    p.add_argument(
        "--action-group",
        action="append",
        default=[],
        metavar="NAME",
        help="an action group its alerts notify (enable; repeatable)",
    )
    workspace_option(p)
    p.set_defaults(func=cmd_detections)


def cmd_detections(args: argparse.Namespace) -> int:
    import yaml

    from kustodian.alerts import RuleError
    from kustodian.alerts.detections import detections, disable, enable, get_detection

    try:
        if args.action == "list":
            for d in detections().values():
                print(f"{d.name:34} {d.display_name}")
            return 0
        if not args.name:
            print(f"error: detections {args.action}: give a name", file=sys.stderr)
            return 2
        if args.action == "show":
            doc = get_detection(args.name).to_doc()
            print(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), end="")
            return 0
        params = dict(kv.split("=", 1) for kv in args.param)
        with open_workspace(args) as ws:
            if args.action == "enable":
                rule = enable(ws, args.name, params, args.action_group)
                print(f"enabled {rule.name}")
            else:
                disable(ws, args.name)
                print(f"disabled {get_detection(args.name).rule_name}")
        return 0
    except (RuleError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
