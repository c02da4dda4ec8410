"""Connector commands: `connect graph` (store or show a connector) and `pull` (fetch new logs).

Secrets come from standard input or an environment variable, never from the command line (it
would stay in shell history and process lists), and are never printed: `--show` masks them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kustodian.cli.main import fail, instant, open_workspace, workspace_option

MASK = "********"


def register(sub: Any) -> None:
    p = sub.add_parser("connect", help="store a connector that pulls logs (Microsoft Graph)")
    kinds = p.add_subparsers(dest="kind", required=True)
    g = kinds.add_parser(
        "graph",
        help="Microsoft Graph: sign-ins and directory audits of an Entra ID tenant",
        description="Store (or update) a Graph connector. Needs an app registration with the "
        "application permissions AuditLog.Read.All and Directory.Read.All (admin consent), "
        "and an Entra ID P1/P2 licence for sign-in logs. See docs/connectors.md.",
    )
    workspace_option(g)
    g.add_argument("--name", default="graph", help="the connector's name (default: graph)")
    g.add_argument("--tenant-id", help="the tenant's GUID (or its domain)")
    g.add_argument("--client-id", help="the app registration's application (client) id")
    secret = g.add_mutually_exclusive_group()
    secret.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the client secret from standard input (prompted, hidden, on a terminal)",
    )
    secret.add_argument(
        "--client-secret-env", metavar="VAR", help="read the client secret from this variable"
    )
    secret.add_argument(
        "--certificate",
        metavar="PEMFILE",
        help="a PEM file with the app's certificate and its (unencrypted) private key",
    )
    # Caught only to refuse it: a secret on the command line leaks into history and `ps`.
    secret.add_argument("--client-secret", nargs="?", const="", help=argparse.SUPPRESS)
    g.add_argument("--authority-host", help="default: https://login.microsoftonline.com")
    g.add_argument("--graph-url", help="default: https://graph.microsoft.com")
    g.add_argument(
        "--signins-version",
        choices=("beta", "v1.0"),
        help="API version for interactive sign-ins (default beta: it has authenticationDetails, "
        "authenticationRequirement, signInEventTypes)",
    )
    g.add_argument("--tables", help="comma-separated tables to pull by default (default: all)")
    g.add_argument("--overlap-minutes", type=int, help="re-read this much before the checkpoint")
    g.add_argument("--lookback-days", type=int, help="how far back a first pull starts")
    g.add_argument("--window-hours", type=int, help="span of one listing (checkpoint step)")
    g.add_argument("--page-size", type=int, help="$top, 1 to 1000 (default 1000)")
    g.add_argument("--max-retries", type=int, help="retries of a throttled or failed request")
    g.add_argument("--check", action="store_true", help="fetch a token now to test the credential")
    g.add_argument("--show", action="store_true", help="print the stored settings (secret masked)")
    g.set_defaults(func=cmd_connect_graph)
    from kustodian.cli import storage_cmds

    st = kinds.add_parser(
        "storage", help="an Azure storage account's diagnostic-settings archive (insights-logs-*)"
    )
    storage_cmds.add_connect_arguments(st)
    st.set_defaults(func=storage_cmds.cmd_connect)

    p = sub.add_parser("pull", help="pull new logs from the stored connectors (every kind)")
    workspace_option(p)
    p.add_argument("--name", help="the connector to pull (default: every stored connector)")
    p.add_argument("--since", help="pull from this ISO 8601 instant instead of the checkpoints")
    p.add_argument(
        "--tables",
        help="comma-separated tables, e.g. SigninLogs,AADNonInteractiveUserSignInLogs,AuditLogs",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="log each request")
    p.set_defaults(func=cmd_pull)


# -- connect graph -----------------------------------------------------------------------------

# Options that set the connector's settings of the same name.
_OPTIONS = (
    "tenant_id",
    "client_id",
    "authority_host",
    "graph_url",
    "signins_version",
    "overlap_minutes",
    "lookback_days",
    "window_hours",
    "page_size",
    "max_retries",
)


def cmd_connect_graph(args: argparse.Namespace) -> int:
    from kustodian.connectors.graph import KIND, ConnectorError

    if args.client_secret is not None:
        return fail(
            "--client-secret: a secret on the command line stays in shell history; use "
            "--client-secret-stdin or --client-secret-env VAR"
        )
    with open_workspace(args) as ws:
        if args.show:
            return _show(ws, args.name)
        existing = ws.connector(args.name)
        if existing is not None and existing[0] != KIND:
            return fail(f"connector '{args.name}' is a {existing[0]} connector")
        try:
            return _connect(ws, args, existing[1] if existing else None)
        except ConnectorError as e:
            return fail(str(e))


def _connect(ws: Any, args: argparse.Namespace, stored: dict[str, Any] | None) -> int:
    from kustodian.connectors.auth import AuthError
    from kustodian.connectors.graph import (
        ConnectorError,
        GraphSettings,
        check_credentials,
        configure,
        load,
    )

    values: dict[str, Any] = dict(stored or {})
    for option in _OPTIONS:
        if getattr(args, option) is not None:
            values[option] = getattr(args, option)
    if args.tables is not None:
        values["tables"] = [t.strip() for t in args.tables.split(",") if t.strip()]
    for required in ("tenant_id", "client_id"):
        if not values.get(required):
            return fail(f"give --{required.replace('_', '-')} (a new connector needs it)")
    try:
        credential = _credential(args)
    except ValueError as e:
        return fail(str(e))
    settings = GraphSettings.from_json(values)
    if credential is None:
        if stored is None:
            return fail(
                "give the app's credential: --client-secret-stdin, --client-secret-env VAR "
                "or --certificate PEMFILE"
            )
        _, credential = load(ws, args.name)  # keep the stored secret
    if args.check:
        try:
            claims = check_credentials(settings, credential)
        except AuthError as e:
            return fail(f"{e}\n(nothing was stored)")
        roles = claims.get("roles")
        print(f"token ok for tenant {claims.get('tid', settings.tenant_id)}; roles: {roles or '-'}")
    try:
        configure(ws, args.name, settings, credential)
    except ConnectorError as e:
        return fail(str(e))
    what = "certificate" if credential.kind == "certificate" else "client secret"
    print(f"stored connector '{args.name}' ({what} encrypted in the workspace)")
    print(f"pull with: kustodian pull --name {args.name}")
    return 0


def _credential(args: argparse.Namespace) -> Any:
    """The credential the options give, or None; ValueError with a message when unusable."""
    from kustodian.connectors.auth import ClientCertificate, ClientSecret

    if args.certificate:
        try:
            pem = Path(args.certificate).read_bytes()
        except OSError as e:
            raise ValueError(
                f"--certificate: cannot read {args.certificate}: {e.strerror}"
            ) from None
        try:
            return ClientCertificate(pem)
        except ValueError as e:
            raise ValueError(f"--certificate {args.certificate}: {e}") from None
    if args.client_secret_env:
        value = os.environ.get(args.client_secret_env)
        if not value:
            raise ValueError(f"--client-secret-env: ${args.client_secret_env} is not set or empty")
        return ClientSecret(value)
    if args.client_secret_stdin:
        if sys.stdin.isatty():
            value = getpass.getpass("client secret (hidden): ")
        else:
            value = sys.stdin.readline()
        if not value.strip():
            raise ValueError("--client-secret-stdin: standard input held no secret")
        return ClientSecret(value)
    return None


def _show(ws: Any, name: str) -> int:
    from kustodian.connectors.graph import secret_name

    found = ws.connector(name)
    if found is None:
        return fail(f"no connector '{name}' in this workspace")
    kind, settings = found
    print(f"connector: {name} ({kind})")
    for key, value in settings.items():
        if key == "certificate_thumbprint" and not value:
            continue
        shown = ",".join(value) if isinstance(value, list) else value
        print(f"  {key}: {shown}")
    auth = str(settings.get("auth", "client_secret"))
    stored = ws.get_secret(secret_name(name, auth)) is not None
    label = "private key" if auth == "certificate" else "client secret"
    print(f"  {label}: {MASK + ' (stored encrypted)' if stored else '(missing)'}")
    for _, table, value, updated in ws.checkpoints(name):
        if table == "last-pull":  # the last pull's summary, not a table's checkpoint
            continue
        print(f"  checkpoint {table}: {value} (updated {updated:%Y-%m-%d %H:%M:%S})")
    return 0


# -- pull ------------------------------------------------------------------------------------


@contextmanager
def _logging_to_stderr(verbose: bool) -> Iterator[None]:
    """The connectors' warnings (retries, gaps) on standard error while the command runs."""
    logger = logging.getLogger("kustodian.connectors")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    level = logging.DEBUG if verbose else logging.WARNING
    handler.setLevel(level)
    old = logger.level
    logger.setLevel(min(level, old) if old else level)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def cmd_pull(args: argparse.Namespace) -> int:
    """Pull every stored connector (or --name), whatever its kind: Graph, storage account."""
    from kustodian.cli import storage_cmds
    from kustodian.connectors import graph, storage

    since = None
    if args.since:
        since = instant(args.since)
        if since is None:
            return fail(f"--since: '{args.since}' is not an ISO 8601 instant")
    tables = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
    ws = open_workspace(args, bulk=True)
    code = 0
    out: list[dict[str, Any]] = []
    try:
        known = {n: k for n, k, _ in ws.connectors()}
        if args.name and args.name not in known:
            return fail(
                f"no connector '{args.name}' in this workspace; `kustodian connect` stores one"
            )
        names = [args.name] if args.name else sorted(known)
        if not names:
            return fail(
                "no connectors in this workspace; add one with `kustodian connect graph` "
                "or `kustodian connect storage`"
            )
        with _logging_to_stderr(args.verbose):
            for name in names:
                if known[name] == storage.KIND:
                    try:
                        ss = storage.pull(ws, name)
                    except storage.StorageError as e:
                        code = max(code, fail(f"{name}: {e}"))
                        continue
                    if args.json:
                        out.append(ss.to_json())
                    else:
                        storage_cmds._print_summary(ss)
                    if ss.errors or ss.ingest.rejected:
                        code = max(code, 1)
                    continue
                try:
                    gs = graph.pull(ws, name, tables=tables, since=since)
                except graph.ConnectorError as e:
                    code = max(code, fail(str(e)))
                    continue
                if args.json:
                    out.append(gs.to_json())
                else:
                    _print_summary(gs)
                if not gs.ok or gs.rejected:
                    code = max(code, 1)
    finally:
        ws.close()
    if args.json:
        print(json.dumps(out, indent=2))
    return code


def _print_summary(s: Any) -> None:
    print(f"connector {s.connector}:")
    for t in s.tables:
        if t.error:
            print(f"  {t.table:32} error: {t.error}")
            if t.pages:
                print(f"  {'':32} (kept: {t.ingested:,} rows from {t.pages} pages before it)")
            continue
        print(
            f"  {t.table:32} pulled {t.pulled:,}  ingested {t.ingested:,}  duplicates "
            f"{t.duplicates:,}  rejected {t.rejected:,}  pages {t.pages}  retries {t.retries}  "
            f"checkpoint {t.checkpoint or '-'}"
        )
    if s.rejected:
        print("  rejected records are in IngestionErrors: kustodian query 'IngestionErrors'")
