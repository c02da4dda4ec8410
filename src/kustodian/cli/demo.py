"""`make demo`: a demo tenant in a workspace directory, and the admin queries over it.

The first run creates `.demo/workspace` (or $KUSTODIAN_DEMO_WORKSPACE): 30 days of a 500-user
tenant from `kustodian simulate` (seed 1), written through the ingestion path. Later runs reuse it.
The queries run as of the simulated window's end, so their answers do not age.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from kustodian.cli.main import format_table
from kustodian.kql.diagnostics import KqlError
from kustodian.workspace.workspace import Workspace

DEMO = Path(os.environ.get("KUSTODIAN_DEMO_WORKSPACE", ".demo/workspace"))
DAYS, USERS, SEED = 30, 500, 1

QUERIES: list[tuple[str, str]] = [
    (
        "MFA vs single-factor sign-ins, last 14 days",
        "SigninLogs | where TimeGenerated > ago (14d) | summarize ['Single-factor Auth.']="
        "countif(AuthenticationRequirement == \"singleFactorAuthentication\"), ['MFA']="
        'countif(AuthenticationRequirement == "multiFactorAuthentication") by bin(TimeGenerated, 1d) '
        '| render timechart with (ytitle="Amount", title="MFA vs non-mfa last 14 days")',
    ),
    (
        "Break-glass account sign-ins",
        'SigninLogs | where UserPrincipalName == "{breakglass}" | where ResultType == "0" '
        "| project TimeGenerated, UserPrincipalName, AppDisplayName, IPAddress",
    ),
    (
        "Smart Lockout events (ResultType 50053)",
        'SigninLogs | where ResultType == "50053" '
        "| summarize Lockouts = count() by UserPrincipalName, IPAddress | top 5 by Lockouts",
    ),
    (
        "Who invited which guest, and was it redeemed?",
        "AuditLogs\n"
        '| where OperationName == "Invite external user" and Result == "success"\n'
        "| extend InvitedBy = tostring(InitiatedBy.user.userPrincipalName),"
        " InvitationId = tostring(AdditionalDetails[0].value)\n"
        "| join kind=leftouter (AuditLogs\n"
        '    | where OperationName == "Redeem external user invite"\n'
        '    | parse kind=regex TargetResources[0].displayName with * "InvitationId: " InvitationId:string ","\n'
        "    | project RedeemedAt = TimeGenerated, InvitationId) on InvitationId\n"
        "| project TimeGenerated, InvitedBy, Guest = tostring(TargetResources[0].displayName),"
        " Redeemed = isnotnull(RedeemedAt)\n"
        "| sort by TimeGenerated desc",
    ),
]


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
    if not DEMO.exists():
        create(DEMO)
    ws = Workspace.open(DEMO, create=False)
    demo = ws.config.settings.get("demo", {})
    now = datetime.fromisoformat(demo["end"]) if "end" in demo else datetime.now(UTC)
    breakglass = (demo.get("break_glass") or ["breakglass1@contoso.com"])[0]
    print(f"Kustodian demo: workspace {DEMO} ({ws.workspace_id}), as of {now.isoformat()}\n")
    for title, kql in QUERIES:
        kql = kql.replace("{breakglass}", breakglass)
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
    print(f"Query it yourself: kustodian query --workspace {DEMO} 'SigninLogs | take 5'")
    if os.environ.get("KUSTODIAN_DEMO_SERVE", "1") == "0":
        ws.close()
        return 0
    return serve_demo(ws)


def serve_demo(ws: Workspace) -> int:
    """Serve the demo workspace on 127.0.0.1 (the web UI and the Logs Query API), with a
    one-time sign-in link for the UI and a reader token, printed once. Ctrl+C stops it."""
    from kustodian.server import tokens
    from kustodian.server.run import serve
    from kustodian.server.sessions import login_url

    port = int(os.environ.get("KUSTODIAN_DEMO_PORT", "8080"))
    secret, _ = tokens.create(ws, tokens.Role.READER, "demo", None)
    base = f"http://127.0.0.1:{port}/v1/workspaces/{ws.workspace_id}"
    print(
        f"\nServing the demo workspace on http://127.0.0.1:{port} (Ctrl+C stops it).\n"
        f"Open the web UI (one-time sign-in link, valid 1 hour):\n"
        f"  {login_url(ws, 'http', '127.0.0.1', port)}\n"
        f"A reader token for it (shown once): {secret}\n"
        f"  curl -s -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"query": "SigninLogs | summarize count() by ResultType"}}\' {base}/query\n'
        "Alert rules and action groups: see docs/alert-rules.md and docs/action-groups.md.\n"
        "KUSTODIAN_DEMO_SERVE=0 make demo only prints the queries."
    )
    serve(ws, host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
