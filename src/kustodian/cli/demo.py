"""`make demo`: a demo tenant in a workspace directory, the admin queries over it, the built-in
detections on, and the workspace served while the live simulator keeps adding sign-ins.

The first run creates `.demo/workspace` (or $KUSTODIAN_DEMO_WORKSPACE): 30 days of a 500-user
tenant from `kustodian simulate` (seed 1), written through the ingestion path. Later runs reuse it
(and enable the built-in detections if an older run did not). The queries run as of the
simulated window's end, so their answers do not age. KUSTODIAN_DEMO_SERVE=0 stops after the
queries; KUSTODIAN_DEMO_LIVE=0 serves without the live simulator.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kustodian.cli.main import format_table
from kustodian.kql.diagnostics import KqlError
from kustodian.workspace.workspace import Workspace

if TYPE_CHECKING:
    from kustodian.simulate import Tenant

DEMO = Path(os.environ.get("KUSTODIAN_DEMO_WORKSPACE", ".demo/workspace"))
DAYS, USERS, SEED = 30, 500, 1

DEMO_GROUP = "demo-admins"
BACKFILL = timedelta(hours=24)  # the rules are evaluated over this much of the window's end
INGESTION_DELAY = "PT2M"  # live records are ingested as their time comes: let them count
SAVED_QUERIES = ("mfa-trend", "guest-invitations", "smart-lockouts")
BREAK_GLASS_QUERY = (
    "union SigninLogs, AADNonInteractiveUserSignInLogs "
    "| where UserPrincipalName in ({breakglass}) "
    "| project TimeGenerated, UserPrincipalName, AppDisplayName, IPAddress, ResultType "
    "| sort by TimeGenerated desc | take 10"
)


def detection_parameters(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """What the demo tenant's admin sets on the built-in detections: the break-glass accounts,
    the directory's admins as privileged accounts (break-glass ones have their own detection),
    the scan-to-email account allowed legacy authentication."""
    return {
        "break-glass": {"accounts": list(tenant.break_glass)},
        "privileged-single-factor": {
            "accounts": [u.upn for u in tenant.admins],
            "excluded_accounts": list(tenant.break_glass),
        },
        "legacy-auth-success": {"allowed_accounts": [u.upn for u in tenant.of_kind("service")]},
    }


def enable_detections(ws: Workspace, tenant: Tenant) -> list[str]:
    """Turn the built-in detections on with the demo's setup: the offices as trusted named
    locations, an action group emailing the Global Administrator (into the outbox: no SMTP),
    and an ingestion delay for the live records. Returns the enabled rules' names."""
    from kustodian.actions import parse_document
    from kustodian.actions.store import save_group
    from kustodian.alerts.detections import detections, enable
    from kustodian.workspace.named_locations import set_named_location

    for loc in tenant.named_locations:
        if loc.trusted:
            set_named_location(ws, loc.name, list(loc.ips))
    admin = next(a for a in tenant.admins if a.role == "Global Administrator")
    (group,) = parse_document(
        {"name": DEMO_GROUP, "email": [{"name": "demo-admin", "address": admin.upn}]}, "demo"
    )
    save_group(ws, group, "make demo")
    params = detection_parameters(tenant)
    names = [enable(ws, n, params.get(n), [DEMO_GROUP]).name for n in detections()]
    backfill(ws, names)
    ws.config.settings.setdefault("alerts", {})["ingestion_delay"] = INGESTION_DELAY
    ws.config.settings.setdefault("demo", {})["detections"] = sorted(detections())
    ws.save_config()
    return names


def backfill(ws: Workspace, rules: list[str]) -> None:
    """Evaluate the rules over the simulated window's last BACKFILL, as if they had been on,
    so that the demo opens with alerts (and their emails in the outbox) instead of waiting
    for the live simulator's first ones."""
    from kustodian.alerts import store
    from kustodian.alerts.evaluate import evaluate
    from kustodian.alerts.notify import notifier

    if "end" not in ws.config.settings.get("demo", {}):
        return  # not a demo workspace made by create()
    end = datetime.fromisoformat(ws.config.settings["demo"]["end"])
    started = time.monotonic()
    with ws.transaction() as con:
        for name in rules:
            store.set_last_tick(con, name, end - BACKFILL)
    changes = evaluate(ws, end, rules=rules, notify=notifier(ws))
    fired = sum(1 for c in changes if c.change == "Fired")
    print(
        f"Evaluated them over the last {BACKFILL.total_seconds() / 3600:.0f} hours of the "
        f"window: {fired} alerts fired ({time.monotonic() - started:.0f} s)"
    )


def create(path: Path) -> datetime:
    """Simulate the demo tenant into a new workspace; returns the window's end."""
    from kustodian.ingest import ingest_records
    from kustodian.simulate import Simulation

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    print(f"Creating the demo workspace {path}: {DAYS} days, {USERS} users, seed {SEED} ...")
    started = time.monotonic()
    sim = Simulation(DAYS, USERS, SEED, end)
    with Workspace.init(path, memory_limit="512MB") as ws:
        summary = ingest_records(ws, sim.records(), source="simulate")
        ws.config.settings["demo"] = {"end": end.isoformat(), "days": DAYS, "users": USERS}
        ws.config.settings["demo"]["break_glass"] = list(sim.tenant.break_glass)
        ws.save_config()
    print(
        f"  {summary.ingested:,} records in {time.monotonic() - started:.0f} s "
        f"({', '.join(f'{t} {n:,}' for t, n in sorted(summary.tables.items()))})\n"
    )
    return end


def main() -> int:
    from kustodian.alerts.detections import detections
    from kustodian.simulate import build_tenant

    if not DEMO.exists():
        create(DEMO)
    ws = Workspace.open(DEMO, create=False)
    demo = ws.config.settings.get("demo", {})
    now = datetime.fromisoformat(demo["end"]) if "end" in demo else datetime.now(UTC)
    tenant = build_tenant(int(demo.get("users", USERS)), SEED)
    print(f"Kustodian demo: workspace {DEMO} ({ws.workspace_id}), as of {now.isoformat()}\n")
    if demo.get("detections") != sorted(detections()):
        names = enable_detections(ws, tenant)
        print(
            f"Built-in detections on: {len(names)} rules (kustodian detections list), notifying "
            f"the action group '{DEMO_GROUP}' (email to the Global Administrator; no SMTP "
            "server, so into the outbox: kustodian outbox list)\n"
        )
    if print_queries(ws, now, tenant) != 0:
        return 1
    print(f"Query it yourself: kustodian query --workspace {DEMO} 'SigninLogs | take 5'")
    if os.environ.get("KUSTODIAN_DEMO_SERVE", "1") == "0":
        ws.close()
        return 0
    return serve_demo(ws, tenant)


def print_queries(ws: Workspace, now: datetime, tenant: Tenant) -> int:
    """Run the saved queries the demo shows, and the break-glass sign-ins; 1 on an error."""
    from kustodian.alerts.queries import get_saved_query

    shown = [(q.title, q.query) for q in map(get_saved_query, SAVED_QUERIES)]
    accounts = ", ".join(f'"{a}"' for a in tenant.break_glass)
    shown.append(("Break-glass account sign-ins", BREAK_GLASS_QUERY.format(breakglass=accounts)))
    for title, kql in shown:
        print(f"== {title}\n{kql}\n")
        try:
            result = ws.query(kql, now=now)
        except KqlError as e:
            print(e.render())
            return 1
        print(format_table(result.columns, result.rows))
        if result.render:
            print(f"render: {result.render}")
        print()
    return 0


def serve_demo(ws: Workspace, tenant: Tenant) -> int:
    """Serve the demo workspace on 127.0.0.1 (the web UI and the Logs Query API), with a
    one-time sign-in link for the UI and a reader token, printed once, and the live simulator
    adding the tenant's records as they happen (the detections evaluate every 30 s). Ctrl+C
    stops it."""
    from kustodian.server import tokens
    from kustodian.server.run import serve
    from kustodian.server.sessions import login_url
    from kustodian.simulate.live import LiveFeed

    port = int(os.environ.get("KUSTODIAN_DEMO_PORT", "8080"))
    secret, _ = tokens.create(ws, tokens.Role.READER, "demo", None)
    base = f"http://127.0.0.1:{port}/v1/workspaces/{ws.workspace_id}"
    live = os.environ.get("KUSTODIAN_DEMO_LIVE", "1") != "0"
    users = int(ws.config.settings.get("demo", {}).get("users", USERS))
    alerts = "Alerts | project TimeGenerated, AlertRule, Severity, MonitorCondition, Dimensions"
    print(
        f"\nServing the demo workspace on http://127.0.0.1:{port} (Ctrl+C stops it).\n"
        f"Open the web UI (one-time sign-in link, valid 1 hour):\n"
        f"  {login_url(ws, 'http', '127.0.0.1', port)}\n"
        f"A reader token for it (shown once): {secret}\n"
        f"  curl -s -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"query": "SigninLogs | summarize count() by ResultType"}}\' {base}/query\n'
        + (
            "The live simulator adds the tenant's sign-ins and audit events as they happen;\n"
            "the built-in detections fire on them (SMS MFA within minutes, attacks during the\n"
            f"day). Alerts: the query '{alerts}' through the same API;\n"
            f"their emails: kustodian outbox list --workspace {DEMO} (after Ctrl+C).\n"
            if live
            else "KUSTODIAN_DEMO_LIVE=0: no live simulator.\n"
        )
        + "Alert rules and action groups: see docs/alert-rules.md and docs/action-groups.md.\n"
        "KUSTODIAN_DEMO_SERVE=0 make demo only prints the queries."
    )
    feed = [LiveFeed(ws, users=users, seed=SEED, days=1)] if live else []
    serve(ws, host="127.0.0.1", port=port, background=feed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
