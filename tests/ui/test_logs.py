"""The Logs blade in Chromium: queries, charts for every `render` kind, the grid, the editor's
diagnostics, the time range, history and saved queries, the schema browser."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote

from playwright.sync_api import Page

from tests.ui.conftest import LiveUi, axe_violations, run_query, screenshot, wait_editor

MFA = (
    "SigninLogs | summarize count() by bin(TimeGenerated, 1d), AuthenticationRequirement "
    '| render timechart with (title="MFA vs single factor", ytitle="Sign-ins")'
)
WEEK = "SigninLogs | where TimeGenerated > ago(7d) "
GUESTS = (
    "AuditLogs\n"
    '| where OperationName == "Invite external user"\n'
    "| project TimeGenerated, InvitedBy = tostring(InitiatedBy.user.userPrincipalName),"
    " Guest = tostring(TargetResources[0].userPrincipalName)"
)


def legend(page: Page) -> list[str]:
    return page.locator("figure.chart .legend-item").all_inner_texts()


def grid_column(page: Page, index: int) -> list[str]:
    return page.locator(f"#result-grid tbody tr td:nth-child({index + 1})").all_inner_texts()


def test_the_mfa_query_draws_its_timechart_with_one_series_per_requirement(
    live_ui: LiveUi,
) -> None:
    page = live_ui.page()
    page.wait_for_selector("#timerange")
    page.select_option("#timerange", "P7D")
    run_query(page, MFA)
    page.wait_for_selector("figure.chart.timechart")
    expected = live_ui.ws.query(MFA, timespan=timedelta(days=7))
    names = {r[1] for r in expected.rows}
    assert names == {"multiFactorAuthentication", "singleFactorAuthentication"}
    assert set(legend(page)) == names
    assert page.locator("figure.chart g.series path").count() == len(names)
    assert page.text_content("figure.chart .chart-title") == "MFA vs single factor"
    assert page.text_content("figure.chart .y-title") == "Sign-ins"
    assert page.inner_text("#query-status").startswith(f"{len(expected.rows)} rows")
    screenshot(page, "logs-timechart")
    assert axe_violations(page) == []


KINDS = {
    "timechart": f"{WEEK}| summarize n = count() by bin(TimeGenerated, 1d), ClientAppUsed",
    "linechart": f"{WEEK}| summarize n = count() by bin(TimeGenerated, 1d), AuthenticationRequirement",
    "areachart": f"{WEEK}| summarize n = count() by bin(TimeGenerated, 1d), AuthenticationRequirement",
    "scatterchart": f"{WEEK}| summarize n = count(), users = dcount(UserPrincipalName) by AppDisplayName | project users, n",
    "columnchart": f"{WEEK}| summarize n = count() by AppDisplayName",
    "barchart": f"{WEEK}| summarize n = count() by ClientAppUsed",
    "piechart": f"{WEEK}| summarize n = count() by AuthenticationRequirement",
}


def expected_series(kind: str, rows: list[list[object]]) -> set[str]:
    if kind in ("timechart", "linechart", "areachart"):
        return {str(r[1]) for r in rows}
    if kind == "piechart":
        return {str(r[0]) for r in rows}
    return {"n"}  # one y column, no series column: the series is named after it


def test_each_render_kind_draws_the_series_and_titles_of_its_data(live_ui: LiveUi) -> None:
    page = live_ui.page()
    for kind, base in KINDS.items():
        extra = ", kind=stacked" if kind == "areachart" else ""
        text = f'{base} | render {kind} with (title="T {kind}", xtitle="X {kind}", ytitle="Y {kind}"{extra})'
        run_query(page, text)
        page.wait_for_selector(f"figure.chart[data-visualization={kind}]")
        rows = live_ui.ws.query(text).rows
        assert rows, kind
        series = expected_series(kind, rows)
        assert set(legend(page)) == series, kind
        assert page.locator("figure.chart g.series").count() == len(series), kind
        assert page.text_content("figure.chart .chart-title") == f"T {kind}"
        assert page.text_content("figure.chart .x-title") == f"X {kind}"
        assert page.text_content("figure.chart .y-title") == f"Y {kind}"
        marks = {
            "scatterchart": "circle",
            "columnchart": "rect",
            "barchart": "rect",
            "piechart": "path",
        }
        drawn = page.locator(f"figure.chart g.series {marks.get(kind, 'path')}").count()
        assert drawn >= (len(rows) if kind in marks else len(series)), kind
        screenshot(page, f"chart-{kind}")


def test_render_properties_pick_the_columns_and_series(live_ui: LiveUi) -> None:
    page = live_ui.page()
    base = f"{WEEK}| summarize n = count(), users = dcount(UserPrincipalName) by AppDisplayName"
    run_query(page, f"{base} | render columnchart with (ycolumns=users)")
    page.wait_for_selector("figure.chart.columnchart")
    assert legend(page) == ["users"]
    apps = f"{WEEK}| summarize n = count() by bin(TimeGenerated, 1d), AuthenticationRequirement, ClientAppUsed"
    run_query(page, f"{apps} | render timechart with (series=ClientAppUsed, legend=hidden)")
    page.wait_for_selector("figure.chart.timechart")
    clients = {r[2] for r in live_ui.ws.query(apps).rows}
    assert page.locator("figure.chart g.series").count() == len(clients)
    assert {
        page.locator("figure.chart g.series").nth(i).get_attribute("data-series")
        for i in range(len(clients))
    } == clients
    assert page.locator("figure.chart .legend").count() == 0


def test_the_grid_shows_a_long_result_page_by_page(live_ui: LiveUi) -> None:
    page = live_ui.page()
    run_query(page, "range x from 1 to 2500 step 1")
    rows = page.locator("#grid-rows")
    assert rows.inner_text() == "Rows 1\u20131,000 of 2,500 rows (page 1 of 3)"
    assert grid_column(page, 0)[:2] == ["1", "2"] and len(grid_column(page, 0)) == 1000
    assert page.is_disabled("#grid-prev")
    page.click("#grid-next")
    assert grid_column(page, 0)[0] == "1001"
    page.click("#grid-next")
    assert rows.inner_text() == "Rows 2,001\u20132,500 of 2,500 rows (page 3 of 3)"
    assert grid_column(page, 0)[-1] == "2500" and page.is_disabled("#grid-next")
    page.click("#result-grid th:nth-child(1) button")
    page.click("#result-grid th:nth-child(1) button")  # descending: back to the first page
    assert grid_column(page, 0)[0] == "2500" and rows.inner_text().startswith("Rows 1\u2013")
    run_query(page, "range x from 1 to 3 step 1")
    assert rows.inner_text() == "3 rows" and page.locator("nav.pager").is_hidden()


def test_the_grid_sorts_expands_dynamic_values_and_exports_csv(live_ui: LiveUi, tmp_path) -> None:
    page = live_ui.page()
    text = f"{WEEK}| summarize n = count() by AppDisplayName"
    run_query(page, text)
    assert page.locator("#result-grid th .col-type").all_inner_texts() == ["string", "long"]
    page.click("#result-grid th:nth-child(2) button")
    values = [int(v) for v in grid_column(page, 1)]
    assert values == sorted(values)
    assert page.get_attribute("#result-grid th:nth-child(2)", "aria-sort") == "ascending"
    page.click("#result-grid th:nth-child(2) button")
    assert [int(v) for v in grid_column(page, 1)] == sorted(values, reverse=True)
    with page.expect_download() as download:
        page.click("#export-csv")
    path = tmp_path / "out.csv"
    download.value.save_as(path)
    with path.open(newline="") as f:
        exported = list(csv.reader(f))
    expected = live_ui.ws.query(text).rows
    assert exported[0] == ["AppDisplayName", "n"]
    assert sorted((r[0], int(r[1])) for r in exported[1:]) == sorted(
        (str(r[0]), int(r[1])) for r in expected
    )

    run_query(page, f"{WEEK}| project UserPrincipalName, LocationDetails | take 5")
    assert page.locator("#result-grid th .col-type").all_inner_texts() == ["string", "dynamic"]
    first = page.locator("#result-grid button.expand").first
    first.click()
    assert first.get_attribute("aria-expanded") == "true"
    shown = json.loads(page.locator("#result-grid pre.dynamic").first.inner_text())
    assert isinstance(shown, dict) and "city" in shown
    screenshot(page, "logs-grid")
    assert axe_violations(page) == []


def test_the_editor_underlines_a_misspelt_column(live_ui: LiveUi) -> None:
    page = live_ui.page()
    wait_editor(page)
    page.wait_for_selector("#schema details.table")  # the schema has reached the editor
    page.click("#editor .view-lines")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("SigninLogs | where UserPrincipleName == 1")
    page.wait_for_selector("#editor .squiggly-error")
    # until the worker has the schema, the squiggle may be "unknown table": wait for the column's
    page.wait_for_function(
        "() => window.kustodianEditor.markers().some(m => m.message.includes('UserPrincipleName'))"
    )
    markers = page.evaluate("() => window.kustodianEditor.markers().map(m => m.message)")
    assert not any("SigninLogs" in m for m in markers), markers
    screenshot(page, "logs-diagnostic")


def test_the_who_invited_guests_query_runs(live_ui: LiveUi) -> None:
    page = live_ui.page()
    page.wait_for_selector("#timerange")
    page.select_option("#timerange", "P7D")
    run_query(page, GUESTS)
    expected = live_ui.ws.query(GUESTS, timespan=timedelta(days=7)).rows
    assert expected and all(r[1] and r[2] for r in expected)
    assert page.locator("#result-grid th .col-name").all_inner_texts() == [
        "TimeGenerated",
        "InvitedBy",
        "Guest",
    ]
    assert sorted(grid_column(page, 2)) == sorted(r[2] for r in expected)


def test_the_time_range_applies_unless_the_query_sets_its_own(live_ui: LiveUi) -> None:
    page = live_ui.page()
    counts = {}
    for value, span in (("PT24H", timedelta(hours=24)), ("P7D", timedelta(days=7))):
        page.wait_for_selector("#timerange")
        run_query(page, "SigninLogs | count")
        page.select_option("#timerange", value)
        run_query(page, "SigninLogs | count")
        counts[value] = int(grid_column(page, 0)[0])
        assert counts[value] == live_ui.ws.query("SigninLogs | count", timespan=span).rows[0][0]
    assert counts["PT24H"] < counts["P7D"]
    assert page.is_hidden("#set-in-query")
    page.select_option("#timerange", "PT24H")
    own = "SigninLogs | where TimeGenerated > ago(2d) | count"
    run_query(page, own)
    assert page.is_visible("#set-in-query")
    assert page.is_disabled("#timerange")
    two_days = live_ui.ws.query(own).rows[0][0]
    assert two_days != counts["PT24H"]  # so the 24 hours were not sent as well
    assert int(grid_column(page, 0)[0]) == two_days
    # only code counts: not a string or a comment that names TimeGenerated
    for text, own_range in (
        ('SigninLogs | where AppDisplayName != "TimeGenerated between(" | count', False),
        ("SigninLogs // | where TimeGenerated > ago(1h)\n| count", False),
        ('SigninLogs | where UserAgent != "http://x" and TimeGenerated > ago(1d) | count', True),
        ("SigninLogs | where UserAgent != @'C:\\' and TimeGenerated > ago(1d) | count", True),
    ):
        run_query(page, text)
        assert page.is_visible("#set-in-query") == own_range, text


def test_a_custom_range_is_sent_as_a_start_end_timespan(live_ui: LiveUi) -> None:
    page = live_ui.page()
    page.wait_for_selector("#timerange")
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    start = end - timedelta(days=2)
    page.select_option("#timerange", "custom")
    page.fill("#range-from", start.strftime("%Y-%m-%dT%H:%M"))  # the browser's zone is UTC
    page.fill("#range-to", end.strftime("%Y-%m-%dT%H:%M"))
    run_query(page, "SigninLogs | summarize n = count(), first = min(TimeGenerated)")
    expected = live_ui.ws.query(
        "SigninLogs | summarize n = count(), first = min(TimeGenerated)", timespan=(start, end)
    ).rows[0]
    assert int(grid_column(page, 0)[0]) == expected[0] > 0
    assert grid_column(page, 1)[0] == expected[1] >= start.isoformat()[:19]
    page.select_option("#timerange", "P7D")
    page.select_option("#timerange", "custom")
    page.fill("#range-to", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#range-from", end.strftime("%Y-%m-%dT%H:%M"))
    page.click("#run")
    page.wait_for_selector("#query-error:has-text('start before its end')")


def test_history_and_saved_queries_survive_a_reload(live_ui: LiveUi) -> None:
    page = live_ui.page()
    run_query(page, "SigninLogs | take 1")
    run_query(page, "AuditLogs | take 2")
    page.fill("#save-name", "Two audit events")
    page.click("#save")
    page.wait_for_selector("#saved-queries button:has-text('Two audit events')")
    page.reload()
    wait_editor(page)
    history = page.locator("#history button.query-link").all_inner_texts()
    assert history[:2] == ["AuditLogs | take 2", "SigninLogs | take 1"]
    page.wait_for_selector("#saved-queries button:has-text('Two audit events')")
    page.evaluate("() => window.kustodianEditor.setValue('print 1')")
    page.click("#saved-queries button:has-text('Two audit events')")
    assert page.evaluate("() => window.kustodianEditor.getValue()") == "AuditLogs | take 2"
    saved = page.request.get(f"{live_ui.url}/manage/v1/saved-queries").json()["value"]
    assert [(q["name"], q["query"]) for q in saved if q["name"] == "Two audit events"] == [
        ("Two audit events", "AuditLogs | take 2")
    ]
    page.click("#saved-queries button[aria-label='Delete Two audit events']")
    page.wait_for_selector("#saved-queries button:has-text('Two audit events')", state="detached")


def test_the_schema_browser_lists_tables_and_inserts_columns(live_ui: LiveUi) -> None:
    page = live_ui.page()
    wait_editor(page)
    page.wait_for_selector("#schema details.table")
    tables = page.locator("#schema details.table > summary").all_inner_texts()
    assert tables == sorted(live_ui.ws.catalog.tables)
    page.evaluate("() => window.kustodianEditor.setValue('SigninLogs | project ')")
    page.evaluate("() => window.kustodianEditor.editor.setPosition({lineNumber: 1, column: 23})")
    page.click("#schema details[data-table=SigninLogs] > summary")
    page.click("#schema details[data-table=SigninLogs] button.column:has-text('UserPrincipalName')")
    value = page.evaluate("() => window.kustodianEditor.getValue()")
    assert value == "SigninLogs | project UserPrincipalName"


def test_new_alert_rule_opens_the_rule_form_with_the_query(live_ui: LiveUi) -> None:
    page = live_ui.page()
    wait_editor(page)
    page.evaluate(
        "() => window.kustodianEditor.setValue('SigninLogs | where ResultType == \"50053\"')"
    )
    page.click("#new-alert-rule")
    page.wait_for_function("() => location.hash.startsWith('#/rules/new')")
    params = parse_qs(unquote(page.evaluate("() => location.hash")).split("?", 1)[1])
    assert params["query"] == ['SigninLogs | where ResultType == "50053"']


def test_shift_enter_runs_the_query(live_ui: LiveUi) -> None:
    page = live_ui.page()
    wait_editor(page)
    page.evaluate("() => window.kustodianEditor.setValue('print answer = 42')")
    page.click("#editor .view-lines")
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector("#result-grid")
    assert grid_column(page, 0) == ["42"]
    run_query(page, "print answer = 42 | where answer < 0")
    assert page.inner_text("#result-grid tbody") == "No results found for the time range and query."
    assert page.inner_text("#query-status").startswith("0 rows")


def test_a_server_error_shows_its_code_and_hint_and_underlines_the_spot(live_ui: LiveUi) -> None:
    page = live_ui.page()
    run_query(page, 'SigninLogs | where UserPrincipleName == "x"')
    error = page.inner_text("#query-error")
    assert "BadArgumentError" in error
    assert "KQL2001" in error and "line 1, position 20" in error
    assert "UserPrincipalName" in error  # the hint
    server = page.evaluate(
        "() => window.kustodianEditor.markers().filter(m => m.owner === 'server')"
        ".map(m => [m.startColumn, m.endColumn])"
    )
    assert server == [[20, 37]]


def test_format_and_intellisense_come_from_the_kusto_language_service(live_ui: LiveUi) -> None:
    page = live_ui.page()
    wait_editor(page)
    page.wait_for_selector("#schema details.table")
    page.evaluate(
        "() => window.kustodianEditor.setValue('SigninLogs | where ResultType == \"0\" | take 5')"
    )
    page.click("#format")
    page.wait_for_function("() => window.kustodianEditor.getValue().includes('\\n')")
    lines = page.evaluate("() => window.kustodianEditor.getValue()").splitlines()
    assert lines[0] == "SigninLogs" and lines[-1].strip().startswith("| take 5")
    page.evaluate("() => window.kustodianEditor.setValue('SigninLogs\\n| where UserPr')")
    page.evaluate("() => window.kustodianEditor.editor.setPosition({lineNumber: 2, column: 15})")
    page.click("#editor .view-lines")
    page.keyboard.press("End")
    page.keyboard.press("Control+Space")
    row = page.wait_for_selector(".suggest-widget .monaco-list-row:has-text('UserPrincipalName')")
    assert row is not None
    screenshot(page, "logs-intellisense")


def test_every_request_stays_on_the_server(live_ui: LiveUi) -> None:
    page = live_ui.context().new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(f"{live_ui.url}/#/logs")
    run_query(page, MFA)
    page.wait_for_selector("#schema details.table")
    page.wait_for_timeout(1000)  # the language service's workers have started
    outside = [u for u in urls if not u.startswith((live_ui.url, "data:", "blob:"))]
    assert outside == []
    assert any("kusto.worker" in u for u in urls)
