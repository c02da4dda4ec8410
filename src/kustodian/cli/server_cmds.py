"""Server commands: serve, token create|list|revoke."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from kustodian.cli.main import fail, open_workspace, workspace_option

# DuckDB's limit for the served workspace: half the RAM (DuckDB's own default is 80%), leaving
# room for the Python side of a response (Arrow to JSON) and for the OS cache.
SERVE_MEMORY_LIMIT = "50%"


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the Log Analytics query API over HTTP(S)")
    workspace_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    p.add_argument("--tls-cert", help="PEM certificate (chain) file: serve HTTPS")
    p.add_argument("--tls-key", help="PEM private key file for --tls-cert")
    p.add_argument(
        "--max-rows",
        type=int,
        default=500_000,
        help="rows per result table; more returns the first rows and a PartialError",
    )
    p.add_argument(
        "--memory-limit",
        default=SERVE_MEMORY_LIMIT,
        help="memory the queries may use, e.g. 2GB or 50%% of RAM; a query needing more fails "
        "with KQL4003 (default: 50%%)",
    )
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    p.add_argument(
        "--simulate-live",
        type=int,
        default=0,
        metavar="USERS",
        help="while serving, add a simulated tenant of USERS accounts as its records happen "
        "(the live simulator, inside the server: it holds the workspace)",
    )
    p.add_argument("--simulate-seed", type=int, default=0, help="the live simulator's seed")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("token", help="create, list or revoke API tokens")
    tsub = p.add_subparsers(dest="token_command", required=True)
    c = tsub.add_parser("create", help="create a token and print it (once)")
    workspace_option(c)
    c.add_argument("--role", required=True, choices=("reader", "contributor", "admin"))
    c.add_argument("--name", help="a name for the token (default: token-<id>)")
    c.add_argument("--expires-in", help="ISO 8601 duration until it expires (e.g. P30D)")
    c.set_defaults(func=cmd_token_create)
    c = tsub.add_parser("list", help="list tokens (never their secrets)")
    workspace_option(c)
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=cmd_token_list)
    c = tsub.add_parser("revoke", help="revoke a token by id or name")
    c.add_argument("token", metavar="ID_OR_NAME")
    workspace_option(c)
    c.set_defaults(func=cmd_token_revoke)


def cmd_serve(args: argparse.Namespace) -> int:
    from kustodian.engines.duckdb import check_memory_limit
    from kustodian.server.app import ServerSettings
    from kustodian.server.run import serve

    if bool(args.tls_cert) != bool(args.tls_key):
        return fail("--tls-cert and --tls-key go together")
    if args.max_rows < 1:
        return fail("--max-rows must be at least 1")
    from kustodian.server.sessions import login_url

    try:
        memory_limit = check_memory_limit(args.memory_limit)
    except ValueError as e:
        return fail(f"--memory-limit: {e}")
    if args.simulate_live and args.simulate_live < 20:
        return fail(f"--simulate-live: at least 20 users (got {args.simulate_live})")
    ws = open_workspace(args, memory_limit=memory_limit)
    scheme = "https" if args.tls_cert else "http"
    print(
        f"serving workspace {ws.workspace_id} on {scheme}://{args.host}:{args.port}/v1\n"
        f"web UI, one-time sign-in link (valid 1 hour): "
        f"{login_url(ws, scheme, args.host, args.port)}",
        file=sys.stderr,
    )
    # the app closes the workspace when it shuts down (uvicorn then re-raises the signal)
    serve(
        ws,
        host=args.host,
        port=args.port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        settings=ServerSettings(max_rows=args.max_rows),
        log_level=args.log_level,
        background=_live(ws, args),
    )
    return 0


def _live(ws: Any, args: argparse.Namespace) -> list[Any]:
    from kustodian.simulate.live import LiveFeed

    if not args.simulate_live:
        return []
    return [LiveFeed(ws, users=args.simulate_live, seed=args.simulate_seed, days=30)]


def cmd_token_create(args: argparse.Namespace) -> int:
    from kustodian.server import tokens
    from kustodian.timespans import parse_duration

    try:
        expires_in = parse_duration(args.expires_in) if args.expires_in else None
    except ValueError as e:
        return fail(f"--expires-in: {e}")
    ws = open_workspace(args)
    with ws:
        if args.name and any(t.name == args.name for t in tokens.list_tokens(ws)):
            return fail(f"a token named '{args.name}' exists; revoke it or choose another name")
        text, info = tokens.create(ws, tokens.Role.parse(args.role), args.name, expires_in)
    print(text)
    expiry = f", expires {_time(info.expires)}" if info.expires else ""
    print(
        f"token {info.id} '{info.name}' ({info.role.label}{expiry}): "
        "store it now, it is not shown again",
        file=sys.stderr,
    )
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from kustodian.cli.main import format_table
    from kustodian.server import tokens

    with open_workspace(args) as ws:
        found = tokens.list_tokens(ws)
    now = datetime.now(UTC)
    rows = [
        [
            t.id,
            t.name,
            t.role.label,
            t.state(now),
            _time(t.created),
            _time(t.expires),
            _time(t.last_used),
        ]
        for t in found
    ]
    if args.json:
        keys = ("id", "name", "role", "state", "created", "expires", "last_used")
        print(json.dumps([dict(zip(keys, r)) for r in rows], indent=2))
    else:
        cols = [
            (c, "string")
            for c in ("id", "name", "role", "state", "created", "expires", "last used")
        ]
        print(format_table(cols, rows))
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from kustodian.server import tokens

    with open_workspace(args) as ws:
        revoked = tokens.revoke(ws, args.token)
    if not revoked:
        return fail(f"no active token with id or name '{args.token}' (kustodian token list)")
    for t in revoked:
        print(f"revoked token {t.id} '{t.name}'")
    return 0


def _time(v: datetime | None) -> str:
    return "" if v is None else v.strftime("%Y-%m-%dT%H:%M:%SZ")
