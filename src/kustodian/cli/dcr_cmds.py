"""Data collection rule commands: `dcr apply FILE...`, `dcr list`, `dcr show`, `dcr delete`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kustodian.cli.main import fail, format_table, open_workspace, workspace_option


def register(sub: Any) -> None:
    g = sub.add_parser("dcr", help="data collection rules for the Logs Ingestion API")
    cmds = g.add_subparsers(dest="action", required=True)
    p = cmds.add_parser("apply", help="create or update rules from YAML or JSON files")
    p.add_argument("files", nargs="+", metavar="FILE")
    workspace_option(p)
    p.set_defaults(func=cmd_apply)
    p = cmds.add_parser("list", help="list the rules and their streams")
    workspace_option(p)
    p.add_argument("--json", action="store_true", help="print the rules as JSON")
    p.set_defaults(func=cmd_list)
    p = cmds.add_parser("show", help="show one rule (by id or name)")
    p.add_argument("rule")
    workspace_option(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    p.set_defaults(func=cmd_show)
    p = cmds.add_parser("delete", help="delete a rule (its tables and rows stay)")
    p.add_argument("rule")
    workspace_option(p)
    p.set_defaults(func=cmd_delete)


def cmd_apply(args: argparse.Namespace) -> int:
    from kustodian.ingest.dcr import DcrError, apply_rule, load_file

    try:  # every file is read before anything is saved
        rules = [r for path in args.files for r in load_file(path)]
    except (DcrError, OSError) as e:
        return fail(str(e))
    ws = open_workspace(args)
    try:
        for rule in rules:
            stored, new, created = apply_rule(ws, rule)
            verb = "created" if new else "updated"
            print(f"{verb} data collection rule {stored.name} ({stored.id})")
            for s in stored.streams.values():
                note = " (transform)" if s.transform else ""
                print(f"  {s.name} -> {s.output_table}{note}")
            for t in created:
                print(f"  created table {t}")
    except DcrError as e:
        return fail(str(e))
    finally:
        ws.close()
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from kustodian.ingest.dcr import list_rules

    with open_workspace(args) as ws:
        rules = list_rules(ws)
    if args.json:
        print(json.dumps([r.to_json() for r in rules], indent=2))
        return 0
    rows = [
        [r.id, r.name, ", ".join(f"{s.name} -> {s.output_table}" for s in r.streams.values())]
        for r in rules
    ]
    print(format_table([("id", "string"), ("name", "string"), ("streams", "string")], rows))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from kustodian.ingest.dcr import get_rule

    with open_workspace(args) as ws:
        rule = get_rule(ws, args.rule)
    if rule is None:
        return fail(f"no data collection rule '{args.rule}'")
    if args.json:
        print(json.dumps(rule.to_json(), indent=2))
    else:
        import yaml

        print(yaml.safe_dump(rule.to_json(), sort_keys=False), end="")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from kustodian.ingest.dcr import delete_rule

    with open_workspace(args) as ws:
        rule = delete_rule(ws, args.rule)
    if rule is None:
        return fail(f"no data collection rule '{args.rule}'")
    print(f"deleted data collection rule {rule.name} ({rule.id})")
    return 0
