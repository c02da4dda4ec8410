"""Named locations on the Detections page in Chromium: a trusted location added in the form
reaches the workspace setting, the security-info detection's stored rule and its parameter on
the page; edited to untrusted, it leaves them; a bad range is refused with the field named; a
delete empties the list. Screenshot and axe-core scan of the section filled in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from kustodian.alerts import delete_rule, get_rule
from kustodian.alerts.detections import get_detection
from kustodian.workspace.named_locations import (
    NamedLocation,
    named_locations,
    remove_named_location,
)
from tests.ui.conftest import LiveUi, axe_violations, screenshot

DETECTION = "security-info-untrusted-location"
PARAM = f"#det-{DETECTION}-trusted_ranges"
NAME = "UI office"


@pytest.fixture
def clean(live_ui: LiveUi) -> Iterator[LiveUi]:
    """No named location and the detection never enabled, before and after."""
    yield live_ui
    if any(loc.name == NAME for loc in named_locations(live_ui.ws)):
        remove_named_location(live_ui.ws, NAME)
    rule = get_detection(DETECTION).rule_name
    if get_rule(live_ui.ws, rule) is not None:
        delete_rule(live_ui.ws, rule)


def stored_query(live: LiveUi) -> str:
    rule = get_rule(live.ws, get_detection(DETECTION).rule_name)
    assert rule is not None and rule.enabled
    return rule.query


def save_location(page: Page, ranges: str, *, trusted: bool) -> None:
    page.fill("#nl-name", NAME)
    page.fill("#nl-ranges", ranges)
    page.set_checked("#nl-trusted", trusted)
    page.click("#nl-save")


def test_a_trusted_location_is_followed_by_the_security_info_detection(clean: LiveUi) -> None:
    page = clean.page(route="/detections")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.wait_for_selector(f"#det-{DETECTION}")
    page.wait_for_selector("#named-locations-list p.empty")
    # enabling the detection from its card leaves its ranges reading the named locations
    page.check(f"#det-{DETECTION}-enabled")
    page.click(f"#det-{DETECTION}-save")
    page.wait_for_selector("#toast:has-text('enabled, saved')")
    assert "198.51.100" not in stored_query(clean)

    save_location(page, "198.51.100.0/24\n203.0.113.7, 203.0.113.8/31", trusted=True)
    page.wait_for_selector(f"#toast:has-text('Saved named location {NAME}')")
    assert named_locations(clean.ws) == [
        NamedLocation(NAME, ("198.51.100.0/24", "203.0.113.7/32", "203.0.113.8/31"), True)
    ]
    assert '"198.51.100.0/24", "203.0.113.7/32", "203.0.113.8/31"' in stored_query(clean)
    # the card is drawn again with the parameter the rule now has
    expect(page.locator(PARAM)).to_have_value("198.51.100.0/24, 203.0.113.7/32, 203.0.113.8/31")
    row = page.locator(f"#named-locations-list tr:has-text('{NAME}') td")
    assert row.all_inner_texts()[:3] == [
        NAME,
        "Yes",
        "198.51.100.0/24, 203.0.113.7/32, 203.0.113.8/31",
    ]
    screenshot(page, "page-detections-named-locations")
    assert axe_violations(page) == []

    # a bad range: the server's message names the item; nothing changes
    save_location(page, "198.51.100.0/24, 10.0.0.300", trusted=True)
    expect(page.locator("#nl-error")).to_contain_text("ranges[1]: '10.0.0.300'")
    assert named_locations(clean.ws)[0].ranges[0] == "198.51.100.0/24"

    # edited to untrusted: the detection no longer treats it as inside
    page.click(f"button[aria-label='Edit {NAME}']")
    expect(page.locator("#nl-name")).to_have_value(NAME)
    expect(page.locator("#nl-ranges")).to_have_value(
        "198.51.100.0/24\n203.0.113.7/32\n203.0.113.8/31"
    )
    page.uncheck("#nl-trusted")
    page.click("#nl-save")
    expect(page.locator(PARAM)).to_have_value("")
    assert "198.51.100.0/24" not in stored_query(clean)
    assert not named_locations(clean.ws)[0].trusted

    page.once("dialog", lambda d: d.accept())
    page.click(f"button[aria-label='Delete {NAME}']")
    page.wait_for_selector(f"#toast:has-text('Deleted named location {NAME}')")
    page.wait_for_selector("#named-locations-list p.empty")
    assert named_locations(clean.ws) == []
    assert errors == []


def test_a_reader_sees_the_named_locations_without_the_form(clean: LiveUi) -> None:
    from kustodian.workspace.named_locations import set_named_location

    set_named_location(clean.ws, NAME, ["192.0.2.0/24"])
    page = clean.page(role="reader", route="/detections")
    page.wait_for_selector(f"#named-locations-list tr:has-text('{NAME}')")
    assert page.locator("#nl-form, #named-locations button").count() == 0
