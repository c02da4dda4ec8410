"""Workbooks in Chromium: every shipped workbook's tiles run their queries over the chosen time
range and draw non-empty charts and grids of the simulated tenant's data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from kustodian.workbooks import resolved, workbooks
from tests.ui.conftest import LiveUi, axe_violations, screenshot

CHARTS = {"timechart", "barchart", "columnchart", "piechart", "linechart", "areachart"}


@pytest.mark.parametrize("wb_id", sorted(workbooks()))
def test_every_workbook_shows_non_empty_tiles(live_ui: LiveUi, wb_id: str) -> None:
    page = live_ui.page(route=f"/workbooks/{wb_id}?timespan=P7D")
    page.wait_for_selector("main .status:has-text('tiles')")
    assert page.inner_text("main .status") == f"{len(workbooks()[wb_id].tiles)} tiles."
    doc = resolved(live_ui.ws, workbooks()[wb_id])
    assert page.inner_text("h1") == doc["title"]
    for i, tile in enumerate(doc["tiles"]):
        box = page.locator(f"#tile-{i}")
        expected = live_ui.ws.query(tile["query"], timespan=timedelta(days=7)).rows
        assert expected, f"{tile['title']}: no simulated data"
        assert box.get_attribute("data-rows") == str(len(expected))
        if tile["visualization"] == "table":
            assert box.locator("tbody tr").count() == min(len(expected), 2000)
        else:
            assert tile["visualization"] in CHARTS
            assert box.locator(f"figure.chart.{tile['visualization']} g.series").count() > 0
    screenshot(page, f"workbook-{wb_id}")
    assert axe_violations(page) == []


def test_the_time_range_reruns_the_tiles(live_ui: LiveUi) -> None:
    page = live_ui.page(route="/workbooks/mfa-usage?timespan=P7D")
    page.wait_for_selector("main .status:has-text('tiles.')")
    page.select_option("#workbook-range", "PT24H")
    page.wait_for_url("**/workbooks/mfa-usage?timespan=PT24H")
    page.wait_for_selector("main .status:has-text('tiles.')")
    tile = resolved(live_ui.ws, workbooks()["mfa-usage"])["tiles"][2]
    day = live_ui.ws.query(tile["query"], timespan=timedelta(hours=24)).rows
    # retried: the status line may still be the 7-day render's until the tiles rerun
    expect(page.locator("#tile-2")).to_have_attribute("data-rows", str(len(day)))
