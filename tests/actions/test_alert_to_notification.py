"""End to end: a break-glass sign-in fires the rule, and its action group's email arrives."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kustodian import Workspace
from kustodian.cli.main import main
from kustodian.ingest import ingest_records
from tests.actions.conftest import PASSWORD, USER, Mailbox
from tests.ingest.records import signin

GROUP = """
actionGroups:
  - name: identity-oncall
    email:
      - name: secops
        address: secops@contoso.com
"""
RULE = """
name: break-glass-sign-in
severity: 0
evaluationFrequency: PT5M
windowSize: PT5M
query: |
  union SigninLogs, AADNonInteractiveUserSignInLogs
  | where UserPrincipalName in~ ("breakglass1@contoso.com", "breakglass2@contoso.com")
criteria:
  timeAggregation: Count
  operator: GreaterThan
  threshold: 0
actionGroups: [identity-oncall]
"""


def test_break_glass_sign_in_emails_the_action_group(
    tmp_path: Path,
    smtp_plain: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ws = str(tmp_path / "ws")
    monkeypatch.setenv("KUSTODIAN_WORKSPACE", ws)
    monkeypatch.setenv("SMTP_PW", PASSWORD)
    (tmp_path / "group.yaml").write_text(GROUP)
    (tmp_path / "rule.yaml").write_text(RULE)
    assert main(["init", ws]) == 0
    assert main(["action-groups", "apply", str(tmp_path / "group.yaml")]) == 0
    assert main(["rules", "apply", str(tmp_path / "rule.yaml")]) == 0
    smtp = ["--host", "127.0.0.1", "--port", str(smtp_plain.port), "--no-tls"]
    auth = ["--username", USER, "--password-env", "SMTP_PW", "--from", "alerts@contoso.com"]
    assert main(["smtp", "set", *smtp, *auth]) == 0
    with Workspace.open(ws) as w:
        ingest_records(w, [signin("bg", upn="breakglass1@contoso.com")])  # 05:01:02
    capsys.readouterr()
    assert main(["alerts", "evaluate", "--at", "2024-06-20T05:05:00Z"]) == 0
    out = capsys.readouterr().out
    assert "Fired" in out and "break-glass-sign-in" in out
    [(sender, recipients, message)] = smtp_plain.messages
    assert recipients == ["secops@contoso.com"] and sender == "alerts@contoso.com"
    assert "Fired" in message["Subject"] and "break-glass-sign-in" in message["Subject"]
    # The next tick has no break-glass sign-in: nothing new is sent until the alert resolves.
    assert main(["alerts", "evaluate", "--at", "2024-06-20T05:10:00Z"]) == 0
    assert len(smtp_plain.messages) == 1


def test_the_server_evaluates_rules_and_notifies_on_its_own(tmp_path: Path) -> None:
    """`kustodian serve` runs the scheduler: without SMTP the email lands in the outbox."""
    from kustodian.actions.model import parse_text as parse_groups
    from kustodian.actions.store import save_group
    from kustodian.alerts.parse import parse_text as parse_rules
    from kustodian.alerts.store import save_rule
    from kustodian.server.app import ServerSettings, create_app

    now = datetime.now(UTC)
    tick = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 5)
    when = (tick - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Workspace.open(tmp_path / "ws") as ws:
        for group in parse_groups(GROUP, "group.yaml"):
            save_group(ws, group)
        for rule in parse_rules(RULE, "rule.yaml"):
            save_rule(ws, rule)
        ingest_records(ws, [signin("bg", upn="breakglass2@contoso.com", time=when)])
        with TestClient(create_app(ws, ServerSettings(alert_check=0.05))):
            deadline = time.monotonic() + 15
            while not ws.query("Alerts | where MonitorCondition == 'Fired'").rows:
                assert time.monotonic() < deadline, "the scheduler did not fire the rule"
                time.sleep(0.05)
            while not ws.execute("SELECT count(*) FROM _kustodian.outbox").fetchall()[0][0]:
                assert time.monotonic() < deadline, "no email in the outbox"
                time.sleep(0.05)
        [(recipient, subject)] = ws.execute(
            "SELECT recipient, subject FROM _kustodian.outbox"
        ).fetchall()
        assert recipient == "secops@contoso.com" and "break-glass-sign-in" in subject
