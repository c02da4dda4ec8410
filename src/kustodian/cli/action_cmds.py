"""Action group commands: `action-groups apply|list|show|delete|test`, `smtp set|show|clear`,
`outbox list|show`.

The SMTP password comes from standard input or an environment variable, never from the command
line, and is never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from kustodian.cli.main import fail, format_table, open_workspace, workspace_option


def register(sub: Any) -> None:
    ag = sub.add_parser("action-groups", help="action groups: who is notified, and how")
    cmds = ag.add_subparsers(dest="action", required=True)

    p = cmds.add_parser("apply", help="create or update groups from ARM JSON or YAML files")
    p.add_argument("files", nargs="+", metavar="FILE")
    workspace_option(p)
    p.set_defaults(func=cmd_apply)

    p = cmds.add_parser("list", help="list the action groups")
    workspace_option(p)
    p.add_argument("--json", action="store_true", help="print the groups as JSON")
    p.set_defaults(func=cmd_list)

    p = cmds.add_parser("show", help="show one group (in the YAML form, as YAML or JSON)")
    p.add_argument("name")
    workspace_option(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    p.set_defaults(func=cmd_show)

    p = cmds.add_parser("delete", help="delete a group")
    p.add_argument("name")
    workspace_option(p)
    p.set_defaults(func=cmd_delete)

    p = cmds.add_parser(
        "test",
        help="send a sample alert to every receiver of a group and report each delivery",
    )
    p.add_argument("name")
    workspace_option(p)
    p.add_argument(
        "--alert-type",
        choices=("logalertv2", "logalertv2-resolved"),
        default="logalertv2",
        help="the sample alert: a fired (default) or a resolved Log Alerts V2 alert",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per webhook call")
    p.add_argument(
        "--retry",
        action="store_true",
        help="retry failing webhooks as alerts do (5, 20, 5, 40, 5 s); default: one attempt",
    )
    p.add_argument("--json", action="store_true", help="print the deliveries as JSON")
    p.set_defaults(func=cmd_test)

    smtp = sub.add_parser("smtp", help="the SMTP server for email notifications")
    scmds = smtp.add_subparsers(dest="action", required=True)
    p = scmds.add_parser("set", help="store the SMTP server (without one, emails go to the outbox)")
    workspace_option(p)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, help="default: 587 with --starttls, 465 with --ssl, else 25")
    sec = p.add_mutually_exclusive_group()
    sec.add_argument("--starttls", dest="security", action="store_const", const="starttls")
    sec.add_argument("--ssl", dest="security", action="store_const", const="ssl")
    sec.add_argument("--no-tls", dest="security", action="store_const", const="none")
    p.add_argument("--username", default="", help="the AUTH user name (default: no AUTH)")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the AUTH password from standard input"
    )
    p.add_argument("--password-env", metavar="VAR", help="read the password from this variable")
    p.add_argument("--from", dest="sender", default="", help="the From address")
    p.add_argument("--ca-file", default="", help="CA certificates (PEM) to verify the server by")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    p.set_defaults(func=cmd_smtp_set, security="starttls")
    p = scmds.add_parser("show", help="show the SMTP settings (the password is never shown)")
    workspace_option(p)
    p.set_defaults(func=cmd_smtp_show)
    p = scmds.add_parser("clear", help="remove the SMTP server: emails go to the outbox again")
    workspace_option(p)
    p.set_defaults(func=cmd_smtp_clear)

    ob = sub.add_parser("outbox", help="emails kept locally when no SMTP server is configured")
    ocmds = ob.add_subparsers(dest="action", required=True)
    p = ocmds.add_parser("list", help="list the newest emails")
    workspace_option(p)
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_outbox_list)
    p = ocmds.add_parser("show", help="show one email (headers and text)")
    p.add_argument("id", type=int)
    workspace_option(p)
    p.add_argument("--raw", action="store_true", help="the whole message as it would be sent")
    p.set_defaults(func=cmd_outbox_show)


# -- action-groups -------------------------------------------------------------------------------


def cmd_apply(args: argparse.Namespace) -> int:
    from kustodian.actions import ActionGroupError, load_file
    from kustodian.actions.store import apply_group

    try:  # every file is checked before anything is saved
        loaded = [(path, g) for path in args.files for g in load_file(path)]
    except ActionGroupError as e:
        return fail(str(e))
    ws = open_workspace(args)
    try:
        for path, g in loaded:
            new = apply_group(ws, g, os.environ, path)
            kinds = ", ".join(f"{r.kind.value} {r.name}" for r in g.receivers) or "no receivers"
            print(f"{'created' if new else 'updated'} action group {g.name} ({kinds})")
    except ActionGroupError as e:
        return fail(str(e))
    finally:
        ws.close()
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from kustodian.actions.store import list_groups

    with open_workspace(args) as ws:
        groups = list_groups(ws)
    if args.json:
        print(json.dumps([g.to_json() for g in groups], indent=2))
        return 0
    rows = [
        [
            g.name,
            g.short_name,
            "yes" if g.enabled else "no",
            ", ".join(f"{r.kind.value}:{r.name}" for r in g.receivers),
        ]
        for g in groups
    ]
    cols = [("Name", ""), ("ShortName", ""), ("Enabled", ""), ("Receivers", "")]
    print(format_table(cols, rows))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from kustodian.actions.store import get_group

    with open_workspace(args) as ws:
        group = get_group(ws, args.name)
    if group is None:
        return fail(f"no action group named '{args.name}' (see `kustodian action-groups list`)")
    doc = group.to_redacted_json()  # webhook URLs may hold tokens
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        import yaml

        print(yaml.safe_dump(doc, sort_keys=False).rstrip())
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from kustodian.actions.store import delete_group

    with open_workspace(args) as ws:
        found = delete_group(ws, args.name)
    if not found:
        return fail(f"no action group named '{args.name}'")
    print(f"deleted action group {args.name}")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from kustodian.actions import test_group

    ws = open_workspace(args)
    try:
        deliveries = test_group(
            ws, args.name, alert_type=args.alert_type, timeout=args.timeout, retry=args.retry
        )
    except KeyError:
        return fail(f"no action group named '{args.name}' (see `kustodian action-groups list`)")
    finally:
        ws.close()
    if args.json:
        print(json.dumps([d.to_json() for d in deliveries], indent=2))
    else:
        rows = [
            [d.receiver, d.kind, d.target, d.status, str(d.attempts), _detail(d)]
            for d in deliveries
        ]
        cols = [(c, "") for c in ("Receiver", "Type", "Target", "Status", "Attempts", "Detail")]
        print(format_table(cols, rows))
    good = all(d.status in ("Succeeded", "Outbox") for d in deliveries)
    return 0 if good else 1


def _detail(d: Any) -> str:
    return f"kustodian outbox show {d.outbox_id}" if d.outbox_id is not None else str(d.detail)


# -- smtp ----------------------------------------------------------------------------------------


def cmd_smtp_set(args: argparse.Namespace) -> int:
    from kustodian.actions.email import DEFAULT_FROM, SmtpSettings, set_smtp

    password: str | None = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            return fail("--password-stdin: standard input held no password")
    elif args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            return fail(f"--password-env: the variable {args.password_env} is not set")
    if password and not args.username:
        return fail("a password needs --username (the AUTH user name)")
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[args.security]
    settings = SmtpSettings(
        host=args.host,
        port=args.port or default_port,
        security=args.security,
        username=args.username,
        sender=args.sender or args.username or DEFAULT_FROM,
        ca_file=args.ca_file,
        timeout=args.timeout,
    )
    with open_workspace(args) as ws:
        set_smtp(ws, settings, password)
    auth = f", AUTH as {settings.username}" if settings.username else ""
    print(f"SMTP server {settings.host}:{settings.port} ({settings.security}{auth})")
    return 0


def cmd_smtp_show(args: argparse.Namespace) -> int:
    from kustodian.actions.email import PASSWORD_SECRET, smtp_settings

    with open_workspace(args) as ws:
        settings = smtp_settings(ws)
        has_password = ws.get_secret(PASSWORD_SECRET) is not None
    if settings is None:
        print("no SMTP server: emails go to the outbox (`kustodian outbox list`)")
        return 0
    doc = settings.to_json()
    doc["password"] = "********" if has_password else ""
    print(json.dumps(doc, indent=2))
    return 0


def cmd_smtp_clear(args: argparse.Namespace) -> int:
    from kustodian.actions.email import set_smtp

    with open_workspace(args) as ws:
        set_smtp(ws, None)
    print("SMTP server removed: emails go to the outbox")
    return 0


# -- outbox --------------------------------------------------------------------------------------


def cmd_outbox_list(args: argparse.Namespace) -> int:
    from kustodian.actions.store import outbox

    with open_workspace(args) as ws:
        messages = outbox(ws, args.limit)
    rows = [
        [str(m.id), m.created.strftime("%Y-%m-%d %H:%M:%SZ"), m.recipient, m.subject]
        for m in messages
    ]
    cols = [("Id", ""), ("Created", ""), ("To", ""), ("Subject", "")]
    print(format_table(cols, rows))
    return 0


def cmd_outbox_show(args: argparse.Namespace) -> int:
    from kustodian.actions.store import outbox_message

    with open_workspace(args) as ws:
        m = outbox_message(ws, args.id)
    if m is None:
        return fail(f"no email {args.id} in the outbox (see `kustodian outbox list`)")
    if args.raw:
        print(m.message)
        return 0
    for header, value in m.headers().items():
        print(f"{header}: {value}")
    print()
    print(m.text())
    return 0
