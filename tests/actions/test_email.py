"""Email notifications through a real SMTP server (aiosmtpd on 127.0.0.1): plain with AUTH,
STARTTLS and implicit TLS with a self-signed certificate; the outbox; the hourly cap."""

from __future__ import annotations

import datetime as dt

from kustodian import Workspace
from kustodian.actions import dispatch
from kustodian.actions.email import SmtpSettings, set_smtp
from kustodian.actions.store import outbox, outbox_message
from tests.actions.conftest import PASSWORD, USER, Cert, FakeClock, Mailbox, add_group, payload

GROUP = {
    "name": "identity-oncall",
    "shortName": "idoncall",
    "email": [
        {"name": "secops", "address": "secops@contoso.com"},
        {"name": "ciso", "address": "ciso@contoso.com"},
    ],
}


def test_email_over_plain_smtp_with_auth(
    ws: Workspace, smtp_plain: Mailbox, clock: FakeClock
) -> None:
    set_smtp(ws, SmtpSettings("127.0.0.1", smtp_plain.port, "none", USER, USER), PASSWORD)
    add_group(ws, GROUP)
    out = dispatch(ws, ["identity-oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert [(d.receiver, d.status) for d in out] == [("secops", "Succeeded"), ("ciso", "Succeeded")]
    assert smtp_plain.logins == [USER, USER]
    assert smtp_plain.tls_sessions == [False, False]
    assert [(m[0], m[1]) for m in smtp_plain.messages] == [
        (USER, ["secops@contoso.com"]),
        (USER, ["ciso@contoso.com"]),
    ]
    msg = smtp_plain.messages[0][2]
    assert msg["Subject"] == (
        "Fired: Sev0 Azure Monitor Alert Break-glass account sign-in on contoso-identity "
        "at 2024-05-01T12:00:00.000Z"
    )
    assert msg["To"] == "secops@contoso.com"
    assert msg["X-Kustodian-Alert-Id"].endswith("6a1b2c3d-0000-4000-8000-000000000001")
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    for needle in (
        "A break-glass account signed in: page the identity team.",
        "Sev0",
        "Fired",
        "breakglass1@contoso.com",
        "203.0.113.7",
        "Count (threshold GreaterThan 0)  2",
        "2024-05-01T11:55:00Z to 2024-05-01T12:00:00Z",
        "https://wiki.contoso.com/breakglass",
        'SigninLogs | where UserPrincipalName startswith "breakglass"',
        "action group idoncall",
    ):
        assert needle in text, needle
    assert "<th" in html and "breakglass1@contoso.com" in html
    assert "startswith &quot;breakglass&quot;" in html  # escaped
    rows = ws.query(
        "ActionDeliveries | project Receiver, ReceiverType, Target, Status | sort by Receiver"
    ).rows
    assert rows == [
        ["secops", "Email", "secops@contoso.com", "Succeeded"],
        ["ciso", "Email", "ciso@contoso.com", "Succeeded"],
    ]


def test_email_with_starttls_and_auth(
    ws: Workspace, smtp_starttls: Mailbox, self_signed: Cert, clock: FakeClock
) -> None:
    settings = SmtpSettings(
        "127.0.0.1", smtp_starttls.port, "starttls", USER, USER, ca_file=str(self_signed.cert)
    )
    set_smtp(ws, settings, PASSWORD)
    add_group(ws, GROUP)
    out = dispatch(ws, ["identity-oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert {d.status for d in out} == {"Succeeded"}
    assert smtp_starttls.tls_sessions == [True, True]
    assert smtp_starttls.logins == [USER, USER]


def test_email_with_implicit_tls(
    ws: Workspace, smtp_ssl: Mailbox, self_signed: Cert, clock: FakeClock
) -> None:
    settings = SmtpSettings(
        "127.0.0.1", smtp_ssl.port, "ssl", USER, USER, ca_file=str(self_signed.cert)
    )
    set_smtp(ws, settings, PASSWORD)
    add_group(ws, GROUP)
    out = dispatch(ws, ["identity-oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert {d.status for d in out} == {"Succeeded"}, out[0].error
    assert smtp_ssl.tls_sessions == [True, True]


def test_untrusted_certificate_fails_with_the_step(
    ws: Workspace, smtp_starttls: Mailbox, clock: FakeClock
) -> None:
    set_smtp(ws, SmtpSettings("127.0.0.1", smtp_starttls.port, "starttls", USER, USER), PASSWORD)
    add_group(ws, GROUP)
    out = dispatch(ws, ["identity-oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert {d.status for d in out} == {"Failed"}
    assert "STARTTLS failed" in out[0].error and "CERTIFICATE_VERIFY_FAILED" in out[0].error
    assert smtp_starttls.messages == []


def test_wrong_password_fails_at_login(
    ws: Workspace, smtp_plain: Mailbox, clock: FakeClock
) -> None:
    set_smtp(ws, SmtpSettings("127.0.0.1", smtp_plain.port, "none", USER, USER), "wrong")
    add_group(ws, GROUP)
    [d, _] = dispatch(ws, ["identity-oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert d.status == "Failed"
    assert "login failed: 535" in d.error
    assert "wrong" not in d.error


def test_outbox_when_no_smtp(ws: Workspace, clock: FakeClock) -> None:
    add_group(ws, GROUP)
    out = dispatch(ws, ["identity-oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert [(d.status, d.outbox_id) for d in out] == [("Outbox", 1), ("Outbox", 2)]
    listed = outbox(ws)
    assert [(m.id, m.recipient) for m in listed] == [
        (2, "ciso@contoso.com"),
        (1, "secops@contoso.com"),
    ]
    m = outbox_message(ws, 1)
    assert m is not None
    assert m.subject.startswith("Fired: Sev0 Azure Monitor Alert Break-glass account sign-in")
    assert m.created == clock.now
    assert m.action_group == "identity-oncall"
    assert "To: secops@contoso.com" in m.message
    assert "Content-Type: text/html" in m.message


def test_at_most_100_emails_per_hour_per_address(ws: Workspace, clock: FakeClock) -> None:
    add_group(ws, {"name": "g", "email": [{"name": "a", "address": "secops@contoso.com"}]})
    add_group(ws, {"name": "h", "email": [{"name": "b", "address": "SecOps@contoso.com"}]})
    statuses = []
    for i in range(101):
        group = "g" if i % 2 else "h"  # the cap is per address, across groups
        [d] = dispatch(ws, [group], payload(), clock=clock, sleep=clock.sleep)
        statuses.append(d.status)
        clock.advance(seconds=30)  # 101 emails in 50 minutes
    assert statuses == ["Outbox"] * 100 + ["Suppressed"]
    assert ws.query('ActionDeliveries | where Status == "Suppressed" | count').rows == [[1]]
    assert len(outbox(ws, 1000)) == 100
    clock.now = dt.datetime(2024, 5, 1, 13, 0, 1, tzinfo=dt.UTC)  # the first has aged out
    [d] = dispatch(ws, ["g"], payload(), clock=clock, sleep=clock.sleep)
    assert d.status == "Outbox"
