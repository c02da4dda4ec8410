"""Issue 6's alert flow end to end in Chromium: the break-glass query in Logs → "New alert
rule" → an email action group created and tested on the rule page → the rule saved; then a
simulated break-glass sign-in, one evaluation (the test triggers it instead of waiting), the email
at a real SMTP server (aiosmtpd), and the alert on the Alerts page: the values that fired, its
query over its window in Logs, acknowledge and close."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page

from kustodian.actions.email import SmtpSettings, set_smtp
from kustodian.actions.store import delete_group
from kustodian.alerts import delete_rule, get_alert, get_rule
from kustodian.ingest import ingest_rows
from tests.actions.conftest import Mailbox, start_smtp
from tests.net import free_port
from tests.ui.conftest import LiveUi, axe_violations, run_query, screenshot

BREAK_GLASS = (
    "union SigninLogs, AADNonInteractiveUserSignInLogs\n"
    '| where UserPrincipalName in~ ("breakglass1@contoso.com", "breakglass2@contoso.com")\n'
    "| project TimeGenerated, UserPrincipalName, IPAddress, ResultType, AppDisplayName"
)
RULE = "break-glass-sign-in"
GROUP = "identity-oncall"


@pytest.fixture
def mailbox(live_ui: LiveUi) -> Iterator[Mailbox]:
    """A real SMTP server on loopback, set as the workspace's (removed afterwards)."""
    box = Mailbox(free_port())
    controller = start_smtp(box, auth_require_tls=False)
    set_smtp(
        live_ui.ws,
        SmtpSettings("127.0.0.1", box.port, security="none", sender="alerts@contoso.com"),
    )
    yield box
    set_smtp(live_ui.ws, None)
    controller.stop()
    if get_rule(live_ui.ws, RULE) is not None:
        delete_rule(live_ui.ws, RULE)
    delete_group(live_ui.ws, GROUP)


def wait_for_mail(box: Mailbox, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(box.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(box.messages) == count


def create_rule_from_logs(page: Page) -> None:
    page.select_option("#timerange", "P7D")
    run_query(page, BREAK_GLASS)
    page.click("#new-alert-rule")
    page.wait_for_selector("#rule-columns:has-text('UserPrincipalName')")
    assert page.input_value("#rule-query") == BREAK_GLASS
    page.select_option("#rule-aggregation", "Count")
    page.select_option("#rule-operator", "GreaterThan")
    page.fill("#rule-threshold", "0")
    page.click("#rule-add-dimension")
    page.select_option("#rule-dimensions .dimension-name", "UserPrincipalName")
    page.select_option("#rule-frequency", "PT5M")
    page.select_option("#rule-window", "PT5M")
    page.fill("#rule-display-name", "Break-glass sign-in")
    assert page.input_value("#rule-name") == RULE  # suggested from the display name
    page.fill("#rule-description", "An emergency access account signed in.")
    page.select_option("#rule-severity", "0")


def create_group_on_the_rule_page(page: Page, mailbox: Mailbox) -> None:
    page.click("#new-group summary")
    page.fill("#new-group-name", GROUP)
    page.click("#new-group-add-receiver")
    page.fill("#new-group-form .receiver-name", "ciso")
    page.fill("#new-group-form .receiver-target", "ciso@contoso.com")
    page.click("#new-group-save")
    box = page.locator(f"#rule-groups li[data-group='{GROUP}'] input[type=checkbox]")
    box.wait_for()
    assert box.is_checked()  # a group created here is used by the rule
    page.click(f"button[aria-label='Test action group {GROUP}']")
    page.wait_for_selector("#group-test-results li")
    assert page.inner_text("#group-test-results li").startswith("ciso (Email): ")
    wait_for_mail(mailbox, 1)  # the test notification went through the real SMTP server
    assert mailbox.messages[0][1] == ["ciso@contoso.com"]


def test_break_glass_rule_from_the_query_fires_and_emails(
    live_ui: LiveUi, mailbox: Mailbox
) -> None:
    page = live_ui.page(route="/logs")
    create_rule_from_logs(page)
    create_group_on_the_rule_page(page, mailbox)
    screenshot(page, "page-rule-new-filled")
    assert axe_violations(page) == []
    page.click("#rule-save")
    page.wait_for_selector(
        "#rules .status, .status:has-text('Saved alert rule break-glass-sign-in')"
    )
    rule = get_rule(live_ui.ws, RULE)
    assert rule is not None
    assert (rule.severity, rule.operator, rule.threshold, rule.time_aggregation) == (
        0,
        "GreaterThan",
        0,
        "Count",
    )
    assert [d.name for d in rule.dimensions] == ["UserPrincipalName"]
    assert list(rule.action_groups) == [GROUP]

    # a simulated break-glass sign-in ten days before the simulated window (no other row there,
    # and outside the last 7 days other tests of this shared workspace query)
    first = live_ui.ws.query("SigninLogs | summarize min(TimeGenerated)").rows[0][0]
    at = (datetime.fromisoformat(first.replace("Z", "+00:00")) - timedelta(days=10)).replace(
        minute=0, second=0, microsecond=0, tzinfo=UTC
    )
    signed_in = at - timedelta(minutes=2)
    ingest_rows(
        live_ui.ws,
        "SigninLogs",
        [
            {
                "TimeGenerated": signed_in.isoformat().replace("+00:00", "Z"),
                "UserPrincipalName": "breakglass1@contoso.com",
                "IPAddress": "198.51.100.23",
                "ResultType": "0",
                "AppDisplayName": "Azure Portal",
            }
        ],
        source="ui-test",
    )
    r = page.context.request.post(
        f"{live_ui.url}/manage/v1/alerts/evaluate",
        headers={"Authorization": f"Bearer {live_ui.keys['contributor']}"},
        data={"at": at.isoformat().replace("+00:00", "Z")},
    )
    assert r.status == 200, r.text()
    [alert_id] = r.json()["fired"]
    wait_for_mail(mailbox, 2)
    _, to, message = mailbox.messages[1]
    assert to == ["ciso@contoso.com"]
    assert message["Subject"].startswith("Fired: Sev0 Azure Monitor Alert break-glass-sign-in")
    assert "breakglass1@contoso.com" in message.get_body(("plain",)).get_content()

    # the Alerts page: filtered list, detail, the query over the window in Logs, ack and close
    # it fired at `at`, 17 days ago: outside "Last 7 days", inside "Last 30 days"
    page.goto(f"{live_ui.url}/#/alerts?severity=0&monitorCondition=Fired&userState=New&time=P7D")
    page.wait_for_selector("main .status:has-text('alerts.')")
    link = page.locator(f"#alerts a.alert-link[href='#/alerts/{alert_id}']")
    assert link.count() == 0
    page.select_option("#filter-time", "P30D")
    link.wait_for()
    assert page.input_value("#filter-severity") == "0"
    assert page.input_value("#filter-condition") == "Fired"
    screenshot(page, "page-alerts-fired")
    link.click()
    page.wait_for_selector("#alert-metric-value")
    assert page.inner_text("#alert-metric-value") == "1"
    assert "UserPrincipalName" in page.inner_text("#alert-detail")
    assert "breakglass1@contoso.com" in page.inner_text("#alert-detail")
    screenshot(page, "page-alert-detail")
    assert axe_violations(page) == []
    href = page.get_attribute("#alert-open-logs", "href")
    assert href is not None
    params = parse_qs(urlsplit(href.replace("#/logs?", "?")).query)
    alert = get_alert(live_ui.ws, alert_id)
    assert alert is not None and alert.window_start is not None and alert.window_end is not None
    assert params["query"] == [BREAK_GLASS]
    start, end = (
        datetime.fromisoformat(t.replace("Z", "+00:00")) for t in params["timespan"][0].split("/")
    )
    assert (start, end) == (alert.window_start, alert.window_end)
    assert start <= signed_in < end

    page.click("#alert-ack")
    page.wait_for_selector(".status:has-text('Acknowledged.')")
    alert = get_alert(live_ui.ws, alert_id)
    assert alert is not None and alert.user_state == "Acknowledged"
    page.click("#alert-close")
    page.wait_for_selector(".status:has-text('Closed.')")
    alert = get_alert(live_ui.ws, alert_id)
    assert alert is not None and alert.user_state == "Closed"
    assert [h["to"] for h in alert.history if h["change"] == "UserState"] == [
        "Acknowledged",
        "Closed",
    ]

    page.click("#alert-open-logs")  # Logs opens with the rule's query over the alert's window
    page.wait_for_function("() => window.kustodianEditor !== undefined")
    assert page.evaluate("() => window.kustodianEditor.getValue()") == BREAK_GLASS
    assert page.input_value("#timerange") == "custom"
