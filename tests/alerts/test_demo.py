"""`make demo` wiring: the built-ins enabled with the demo tenant's setup (KUSTODIAN_DEMO_SERVE=0,
no server), and the live simulator feeding a workspace from a thread: with an injected clock,
a simulated day whose alerts land in the Alerts table and whose emails land in the outbox; with
the real clock, a thread that stops promptly when the server stops it."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.actions.store import get_group, outbox
from kustodian.alerts import evaluate, list_rules
from kustodian.alerts.detections import detections
from kustodian.alerts.notify import notifier
from kustodian.cli import demo
from kustodian.ingest import ingest_records
from kustodian.server import tokens
from kustodian.server.app import ServerSettings, create_app
from kustodian.simulate import Simulation, build_tenant
from kustodian.simulate.live import LiveFeed
from kustodian.workspace.named_locations import trusted_ranges
from tests.server.conftest import ServerThread

USERS = 25
FLUSH = timedelta(minutes=15)  # records reach the workspace in batches this far apart
END = datetime(2024, 5, 1, tzinfo=UTC)


def test_demo_enables_the_builtins_without_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo"
    with Workspace.init(path) as ws:  # a small demo workspace, as create() makes a big one
        ingest_records(ws, Simulation(2, USERS, demo.SEED, END).records())
        ws.config.settings["demo"] = {"end": END.isoformat(), "days": 2, "users": USERS}
        ws.save_config()
    monkeypatch.setattr(demo, "DEMO", path)
    monkeypatch.setattr(demo, "BACKFILL", timedelta(hours=6))  # the demo's 24 h, shortened
    monkeypatch.setenv("KUSTODIAN_DEMO_SERVE", "0")
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert f"Built-in detections on: {len(detections())} rules" in out
    assert "== MFA vs single-factor sign-ins, last 14 days" in out
    assert "== Break-glass account sign-ins" in out
    fired = re.search(r"over the last 6 hours of the window: (\d+) alerts fired", out)
    assert fired is not None, out
    tenant = build_tenant(USERS, demo.SEED)
    admin = next(a for a in tenant.admins if a.role == "Global Administrator")
    with Workspace.open(path, create=False) as ws:
        rules = {r.name: r for r in list_rules(ws)}
        assert set(rules) == {f"builtin-{n}" for n in detections()}
        assert all(r.enabled and r.action_groups == (demo.DEMO_GROUP,) for r in rules.values())
        assert '"breakglass1@contoso.com", "breakglass2@contoso.com"' in (
            rules["builtin-break-glass"].query
        )
        assert admin.upn in rules["builtin-privileged-single-factor"].query
        group = get_group(ws, demo.DEMO_GROUP)
        assert group is not None and [r.target for r in group.receivers] == [admin.upn]
        assert trusted_ranges(ws) and all(
            f'"{r}"' in rules["builtin-security-info-untrusted-location"].query
            for r in trusted_ranges(ws)
        )
        assert ws.config.settings["alerts"]["ingestion_delay"] == demo.INGESTION_DELAY
        # the backfill's alerts are in the table, and notified the demo group (the outbox)
        row = ws.execute("SELECT count(DISTINCT AlertId) FROM Alerts").fetchone()
        assert row is not None and row[0] == int(fired.group(1)) > 0
        assert len(outbox(ws)) >= row[0]
    assert demo.main() == 0  # the next run finds them on
    assert "Built-in detections on" not in capsys.readouterr().out


def test_live_feed_makes_detections_fire_and_email() -> None:
    ws = Workspace.open(":memory:")
    users = 30  # a tenant with SMS users who sign in with MFA on the live day
    tenant = build_tenant(users, demo.SEED)
    demo.enable_detections(ws, tenant)
    rules = ["builtin-sms-mfa", "builtin-guest-invitations", "builtin-password-spray"]
    notify = notifier(ws)
    now = [END.timestamp()]
    next_check = [END + timedelta(hours=1)]

    def sleep(seconds: float) -> None:  # the simulated time passes; the scheduler runs hourly
        now[0] += seconds
        while datetime.fromtimestamp(now[0], UTC) >= next_check[0]:
            evaluate(ws, next_check[0], rules=rules, notify=notify, ingestion_delay=FLUSH)
            next_check[0] += timedelta(hours=1)

    feed = LiveFeed(
        ws,
        users=users,
        seed=demo.SEED,
        days=1,
        clock=lambda: now[0],
        sleep=sleep,
        flush_every=FLUSH.total_seconds(),
    )
    feed.run()  # in this thread: the injected clock runs a day in no time
    assert feed.error is None and feed.ingested > 500
    fired = ws.query("Alerts | summarize Alerts = count() by AlertRule | sort by AlertRule asc")
    assert [r[0] for r in fired.rows] == sorted(rules)
    emails = outbox(ws, limit=1000)
    admin = next(a for a in tenant.admins if a.role == "Global Administrator")
    assert emails and {m.recipient for m in emails} == {admin.upn}
    alert_ids = {r[0] for r in ws.query("Alerts | distinct AlertId").rows}
    # an email when each alert fired (and when it resolved)
    assert {m.alert_id.rsplit("/", 1)[-1] for m in emails} == alert_ids
    assert any(m.subject.startswith("Fired") or "Fired" in m.subject for m in emails)


def test_live_feed_thread_stops_promptly() -> None:
    ws = Workspace.open(":memory:")
    # an hour a second, batches every 0.2 s: records arrive while the test watches
    feed = LiveFeed(ws, users=USERS, seed=demo.SEED, days=1, speed=3600, flush_every=0.2)
    feed.start()
    deadline = time.monotonic() + 60
    while feed.ingested < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    feed.stop()
    assert not feed.is_alive() and time.monotonic() - started < 10
    assert feed.error is None and feed.ingested >= 50
    after = feed.ingested
    time.sleep(0.3)
    assert feed.ingested == after  # nothing is written once stopped
    rows = ws.query("union SigninLogs, AuditLogs | count").rows
    assert rows[0][0] >= 1 and feed.ingested >= rows[0][0]


def test_the_server_runs_the_live_feed_and_serves_its_records() -> None:
    ws = Workspace.open(":memory:")
    secret, _ = tokens.create(ws, tokens.Role.READER, "demo", None)
    feed = LiveFeed(ws, users=USERS, seed=demo.SEED, days=1, speed=3600, flush_every=0.2)
    app = create_app(ws, ServerSettings(alert_check=0), background=[feed])
    with ServerThread(app) as srv:
        url = f"http://127.0.0.1:{srv.port}/v1/workspaces/{ws.workspace_id}/query"
        body = json.dumps({"query": "SigninLogs | count"}).encode()
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        deadline, count = time.monotonic() + 60, 0
        while count == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            req = urllib.request.Request(url, body, headers)
            with urllib.request.urlopen(req, timeout=10) as resp:
                count = json.load(resp)["tables"][0]["rows"][0][0]
        assert count > 0 and feed.is_alive()
    assert not feed.is_alive() and feed.error is None  # stopped with the server


def test_serve_simulate_live_needs_a_real_tenant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kustodian.cli.main import main

    Workspace.init(tmp_path / "ws").close()
    args = ["serve", "--workspace", str(tmp_path / "ws"), "--simulate-live", "5"]
    assert main(args) == 2
    assert "--simulate-live: at least 20 users (got 5)" in capsys.readouterr().err
