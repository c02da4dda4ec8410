"""The management pages in Chromium: each renders its data, keeps a screenshot, and has no
serious or critical axe-core violation; rules, action groups, detections, retention, ingestion
health and the outbox do what their buttons say (checked in the workspace, not only on screen)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect

from kustodian.actions import parse_document
from kustodian.actions.store import delete_group, outbox, save_group
from kustodian.alerts import delete_rule, get_rule, list_rules, save_rule
from kustodian.alerts import parse_document as parse_rules
from kustodian.alerts.detections import get_detection, state
from kustodian.ingest import ingest_rows
from kustodian.workspace import retention
from tests.ui.conftest import LiveUi, axe_violations, screenshot

RULE = {
    "name": "ui-failed-sign-ins",
    "displayName": "Many failed sign-ins",
    "severity": 2,
    "evaluationFrequency": "PT15M",
    "windowSize": "PT15M",
    "query": 'SigninLogs | where ResultType != "0"',
    "criteria": {"operator": "GreaterThan", "threshold": 100},
    "enabled": False,
}

# route -> a selector that shows the page drew its data
PAGES = {
    "alerts": ("/alerts", "#alerts :is(table, p.empty)"),
    "rules": ("/rules", "#rules table"),
    "rule-new": (
        "/rules/new?query=SigninLogs%20%7C%20take%205&timespan=P7D",
        "#rule-columns:has-text('Result columns')",
    ),
    "action-groups": ("/action-groups", "#groups table"),
    "action-group-new": ("/action-groups/new", "#group-form"),
    "detections": ("/detections", "#detections form.detection"),
    "workbooks": ("/workbooks", "#workbooks li.card"),
    "health": ("/health", "#table-rows table"),
    "outbox": ("/outbox", "#outbox :is(table, p.empty)"),
    "retention": ("/retention", "#retention table"),
}


@pytest.fixture
def seeded(live_ui: LiveUi) -> Iterator[LiveUi]:
    """A disabled rule and an action group to list (removed afterwards)."""
    [rule] = parse_rules(RULE, "test")
    save_rule(live_ui.ws, rule)
    for g in parse_document(
        {"name": "ui-oncall", "email": [{"name": "secops", "address": "secops@contoso.com"}]},
        "test",
    ):
        save_group(live_ui.ws, g)
    yield live_ui
    if get_rule(live_ui.ws, RULE["name"]) is not None:
        delete_rule(live_ui.ws, RULE["name"])
    delete_group(live_ui.ws, "ui-oncall")


def when(t: datetime) -> str:
    """A time as the pages show it (kit.js `when`): UTC to the second."""
    utc = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%SZ")


def errors_of(page: Page) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_draws_its_data_with_no_serious_axe_violation(seeded: LiveUi, name: str) -> None:
    route, ready = PAGES[name]
    page = seeded.context("admin").new_page()
    errors = errors_of(page)
    page.goto(f"{seeded.url}/#{route}")
    page.wait_for_selector(ready)
    screenshot(page, f"page-{name}")
    assert axe_violations(page) == []
    assert errors == []
    assert page.locator("h1").count() == 1


def test_rules_are_enabled_disabled_opened_and_deleted(seeded: LiveUi) -> None:
    page = seeded.page(route="/rules")
    box = page.locator(f"#enable-{RULE['name']}")
    box.wait_for()
    assert not box.is_checked()
    box.check()
    page.wait_for_selector("#toast:has-text('Enabled ui-failed-sign-ins')")
    rule = get_rule(seeded.ws, RULE["name"])
    assert rule is not None and rule.enabled
    box.uncheck()
    page.wait_for_selector("#toast:has-text('Disabled ui-failed-sign-ins')")
    rule = get_rule(seeded.ws, RULE["name"])
    assert rule is not None and not rule.enabled
    page.click(f"a.rule-link:has-text('{RULE['name']}')")
    # the form is filled once the rule has been fetched
    expect(page.locator("#rule-name")).to_have_value(RULE["name"])
    expect(page.locator("#rule-threshold")).to_have_value("100")
    expect(page.locator("#rule-frequency")).to_have_value("PT15M")
    expect(page.locator("#rule-severity")).to_have_value("2")
    page.goto(f"{seeded.url}/#/rules")
    page.once("dialog", lambda d: d.accept())
    page.click(f"button[aria-label='Delete {RULE['name']}']")
    page.wait_for_selector("#toast:has-text('Deleted')")
    assert get_rule(seeded.ws, RULE["name"]) is None


def test_a_rule_whose_query_does_not_compile_shows_the_code_and_position(
    live_ui: LiveUi,
) -> None:
    page = live_ui.page(route="/rules/new?query=SigninLogs&timespan=P7D")
    page.wait_for_selector("#rule-columns:has-text('Result columns')")
    page.fill("#rule-query", "SigninLogs\n| where UserPrincipleName == 'x'")
    page.fill("#rule-display-name", "Broken rule")
    page.click("#rule-save")
    error = page.locator("#rule-error .compile-error")
    error.wait_for()
    text = error.inner_text()
    assert "KQL2001 at line 2, position 9" in text
    assert "UserPrincipalName" in text  # the hint
    assert [r.name for r in list_rules(live_ui.ws) if r.name == "broken-rule"] == []


def test_an_action_group_is_created_edited_and_tested_into_the_outbox(live_ui: LiveUi) -> None:
    page = live_ui.page(route="/action-groups/new")
    page.wait_for_selector("#group-form")
    page.fill("#group-name", "ui-helpdesk")
    page.fill("#group-form .receiver-name", "desk")
    page.fill("#group-form .receiver-target", "helpdesk@contoso.com")
    page.click("#group-add-receiver")
    page.locator("#group-form .receiver-kind").nth(1).select_option("teams")
    page.locator("#group-form .receiver-name").nth(1).fill("channel")
    teams = "https://contoso.webhook.office.com/webhookb2/secret-part/IncomingWebhook/x/y"
    page.locator("#group-form .receiver-target").nth(1).fill(teams)
    page.click("#group-save")
    page.wait_for_selector("h1:has-text('Action group ui-helpdesk')")
    # read back: the Teams URL is redacted, and saving again keeps the stored one
    assert page.locator("#group-form .receiver-target").nth(1).input_value() == (
        "https://contoso.webhook.office.com/..."
    )
    page.fill("#group-short-name", "desk")
    page.click("#group-save")
    page.wait_for_selector(".status:has-text('Saved ui-helpdesk')")
    from kustodian.actions.store import get_group

    group = get_group(live_ui.ws, "ui-helpdesk")
    assert group is not None and group.short_name == "desk"
    assert [r.target for r in group.receivers] == ["helpdesk@contoso.com", teams]
    # test: the email goes to the outbox (no SMTP here); the Teams host does not resolve
    before = len(outbox(live_ui.ws, 1000))
    page.click("#group-test")
    results = page.locator("#group-test-results li")
    results.first.wait_for()
    lines = results.all_inner_texts()
    assert lines[0].startswith("desk (Email): ")
    assert lines[1].startswith("channel (Teams): ")
    assert len(outbox(live_ui.ws, 1000)) == before + 1
    page.goto(f"{live_ui.url}/#/outbox")
    page.wait_for_selector("#outbox table")
    assert "helpdesk@contoso.com" in page.inner_text("#outbox tbody tr:first-child")
    delete_group(live_ui.ws, "ui-helpdesk")


def test_the_break_glass_detection_is_parameterised_and_enabled(live_ui: LiveUi) -> None:
    d = get_detection("break-glass")
    page = live_ui.page(route="/detections")
    page.wait_for_selector("#det-break-glass")
    try:
        page.fill("#det-break-glass-accounts", "ea1@contoso.com, ea2@contoso.com")
        page.check("#det-break-glass-enabled")
        page.click("#det-break-glass-save")
        page.wait_for_selector("#toast:has-text('Break-glass account sign-in: enabled')")
        enabled, values = state(live_ui.ws, d)
        assert enabled and values["accounts"] == ["ea1@contoso.com", "ea2@contoso.com"]
        rule = get_rule(live_ui.ws, d.rule_name)
        assert rule is not None and '"ea1@contoso.com", "ea2@contoso.com"' in rule.query
        page.fill("#det-break-glass-accounts", "")
        page.click("#det-break-glass-save")  # an empty list is a valid value ("" matches none)
        page.wait_for_selector("#toast:has-text('saved')")
    finally:
        delete_rule(live_ui.ws, d.rule_name)  # back to never enabled


def test_retention_is_set_per_table_and_back_to_the_default(live_ui: LiveUi) -> None:
    page = live_ui.page(role="admin", route="/retention")
    page.wait_for_selector("#ret-AuditLogs")
    try:
        page.fill("#ret-AuditLogs", "400")
        page.click("button[aria-label='Save retention of AuditLogs']")
        page.wait_for_selector("#toast:has-text('AuditLogs: 400 days')")
        assert retention.retention_of(live_ui.ws, "AuditLogs")[0] == 400
        assert retention.source_of(live_ui.ws, "AuditLogs") == "table"
        page.click("button[aria-label='Use the workspace default for AuditLogs']")
        page.wait_for_selector("#toast:has-text('AuditLogs: workspace default')")
        assert retention.source_of(live_ui.ws, "AuditLogs") == "workspace"
    finally:
        retention.set_table_days(live_ui.ws, "AuditLogs", None)


def test_retention_needs_the_admin_role(live_ui: LiveUi) -> None:
    page = live_ui.page(role="contributor", route="/retention")
    page.wait_for_selector("main p.error:has-text('needs the admin role')")
    assert page.locator("#nav a:has-text('Retention')").count() == 0


def test_ingestion_health_counts_dead_letters_and_links_to_their_query(live_ui: LiveUi) -> None:
    ingest_rows(live_ui.ws, "SigninLogs", [{"TimeGenerated": "not a time"}], source="ui-test")
    live_ui.ws.save_connector("ui-graph", "graph", {})
    live_ui.ws.set_checkpoint("ui-graph", "signIns", "2024-05-01T00:00:00Z")
    [(_, _, _, pulled)] = live_ui.ws.checkpoints("ui-graph")
    page = live_ui.page(route="/health")
    row = page.locator("#dead-letters tr:has-text('ui-test')")
    row.wait_for()
    assert row.locator("td").nth(0).inner_text() == "SigninLogs"
    assert row.locator("td").nth(2).inner_text() == "1"
    screenshot(page, "page-health-dead-letters")
    assert axe_violations(page) == []
    href = row.locator("a").get_attribute("href")
    assert href is not None
    params = parse_qs(urlsplit(href.replace("#/logs?", "?")).query)
    query = params["query"][0]
    assert live_ui.ws.query(query).rows[0][1] == "ui-test"  # the link's query finds it
    connector = page.locator("#connectors tbody tr:has-text('ui-graph') td").all_inner_texts()
    assert connector[:3] == ["ui-graph", "graph", when(pulled)]
    shown = dict(
        page.eval_on_selector_all(
            "#table-rows tbody tr",
            "trs => trs.map(tr => [tr.cells[0].textContent, tr.cells[1].textContent])",
        )
    )
    rows = live_ui.ws.query("SigninLogs | count").rows[0][0]
    assert shown["SigninLogs"] == f"{rows:,}"


def test_a_measure_rule_with_an_excluded_dimension_is_saved_as_designed(live_ui: LiveUi) -> None:
    query = "SigninLogs | project TimeGenerated, AppDisplayName, IPAddress, DurationMs"
    page = live_ui.page(route=f"/rules/new?{urlencode({'query': query, 'timespan': 'P7D'})}")
    page.wait_for_selector("#rule-columns:has-text('DurationMs')")
    page.select_option("#rule-aggregation", "Average")
    measures = page.eval_on_selector_all("#rule-measure option", "os => os.map(o => o.value)")
    assert measures == ["DurationMs"]  # only the numeric result columns
    page.select_option("#rule-measure", "DurationMs")
    page.select_option("#rule-operator", "GreaterThanOrEqual")
    page.fill("#rule-threshold", "2500")
    page.click("#rule-add-dimension")
    page.select_option(".dimension-name", "AppDisplayName")
    page.click("#rule-add-dimension")
    page.locator(".dimension-name").nth(1).select_option("IPAddress")
    page.locator(".dimension-operator").nth(1).select_option("Exclude")
    page.locator(".dimension-values").nth(1).fill("198.51.100.7, 203.0.113.9")
    page.select_option("#rule-frequency", "PT15M")
    page.select_option("#rule-window", "PT1H")
    page.fill("#rule-periods", "3")
    page.fill("#rule-failing", "2")
    page.select_option("#rule-mute", "PT1H")
    page.uncheck("#rule-auto-resolve")
    page.uncheck("#rule-enabled")
    page.fill("#rule-name", "ui-slow-sign-ins")
    page.click("#rule-save")
    page.wait_for_selector(".status:has-text('Saved alert rule ui-slow-sign-ins')")
    rule = get_rule(live_ui.ws, "ui-slow-sign-ins")
    try:
        assert rule is not None
        assert (rule.time_aggregation, rule.metric_measure_column) == ("Average", "DurationMs")
        assert (rule.operator, rule.threshold) == ("GreaterThanOrEqual", 2500)
        assert [(d.name, d.operator, list(d.values)) for d in rule.dimensions] == [
            ("AppDisplayName", "Include", ["*"]),
            ("IPAddress", "Exclude", ["198.51.100.7", "203.0.113.9"]),
        ]
        assert (rule.evaluation_periods, rule.min_failing_periods) == (3, 2)
        assert rule.evaluation_frequency == timedelta(minutes=15)
        assert rule.window_size == timedelta(hours=1)
        assert rule.mute_actions_duration == timedelta(hours=1)
        assert (rule.auto_mitigate, rule.enabled, rule.severity) == (False, False, 3)
    finally:
        delete_rule(live_ui.ws, "ui-slow-sign-ins")


def test_a_reader_sees_the_pages_without_their_buttons(seeded: LiveUi) -> None:
    page = seeded.page(role="reader", route="/rules")
    page.wait_for_selector("#rules table")
    assert page.locator("#rules input[type=checkbox], #rules button.delete").count() == 0
    assert page.inner_text("#rules tbody tr:has-text('ui-failed-sign-ins') td:nth-child(6)") == "No"
    page.goto(f"{seeded.url}/#/action-groups")
    page.wait_for_selector("#groups table")
    assert page.locator("#groups button, #new-group").count() == 0
    page.goto(f"{seeded.url}/#/detections")
    page.wait_for_selector("#detections form.detection")
    assert page.locator("#detections button[type=submit]").count() == 0
    assert (
        page.locator(
            "#detections input:not([disabled]), #detections textarea:not([disabled])"
        ).count()
        == 0
    )
    page.goto(f"{seeded.url}/#/rules/new?query=SigninLogs")
    page.wait_for_selector("main p.error:has-text('needs the contributor role')")


def tab_to(page: Page, element_id: str, limit: int = 80) -> None:
    """Presses Tab until the element has the focus (keyboard only, as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_rules_and_their_editor_work_from_the_keyboard(seeded: LiveUi) -> None:
    page = seeded.page(route="/rules")
    page.wait_for_selector("#rules table")
    tab_to(page, f"enable-{RULE['name']}")
    page.keyboard.press("Space")
    page.wait_for_selector("#toast:has-text('Enabled ui-failed-sign-ins')")
    rule = get_rule(seeded.ws, RULE["name"])
    assert rule is not None and rule.enabled
    for _ in range(10):  # back through the row to the rule's link, then open it
        page.keyboard.press("Shift+Tab")
        if page.evaluate("() => document.activeElement.className") == "rule-link":
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("#rule-name[readonly]")
    tab_to(page, "rule-threshold")
    page.keyboard.press("Control+A")
    page.keyboard.type("150")
    tab_to(page, "rule-save")
    page.keyboard.press("Enter")
    page.wait_for_selector(".status:has-text('Saved alert rule ui-failed-sign-ins')")
    rule = get_rule(seeded.ws, RULE["name"])
    assert rule is not None and rule.threshold == 150
