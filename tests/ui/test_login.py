"""Signing in and out of the web UI in Chromium; the CSP holds; axe finds no serious problem."""

from __future__ import annotations

from tests.ui.conftest import LiveUi, axe_violations, run_query, screenshot


def test_sign_in_with_a_token_and_sign_out(live_ui: LiveUi) -> None:
    page = live_ui.page(role=None, route="/logs")
    page.wait_for_selector("form.login")
    assert page.url.endswith("#/login?next=%2Flogs")
    screenshot(page, "login")
    assert axe_violations(page) == []
    page.fill("#token", "kst_000000000000_wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error:has-text('AuthorizationRequiredError')")
    page.fill("#token", live_ui.keys["reader"])
    page.click("button[type=submit]")
    page.wait_for_selector("#nav a[aria-current=page]:has-text('Logs')")
    assert page.inner_text("#who").startswith("ui-reader (reader)")
    [cookie] = page.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Strict", False)
    page.click("#logout")
    page.wait_for_selector("form.login")
    assert page.context.cookies() == []
    page.goto(f"{live_ui.url}/#/logs")
    page.wait_for_selector("form.login")  # signed out: the app asks again


def test_the_one_time_link_signs_in(live_ui: LiveUi) -> None:
    from kustodian.server.sessions import login_url

    url = login_url(live_ui.ws, "http", "127.0.0.1", int(live_ui.url.rsplit(":", 1)[1]))
    page = live_ui.context(role=None).new_page()
    page.goto(url)
    page.wait_for_selector("#who:has-text('(admin)')")
    assert page.url.endswith("/#/logs")
    again = live_ui.context(role=None).new_page()
    again.goto(url)  # used up: the sign-in page says so
    again.wait_for_selector("#login-error:has-text('sign-in link is used, expired or unknown')")


def test_the_csp_blocks_inline_script_and_the_app_needs_none(live_ui: LiveUi) -> None:
    page = live_ui.context().new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    response = page.goto(f"{live_ui.url}/#/logs")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    run_query(page, "SigninLogs | take 3")
    assert violations == []  # the app itself: editor, workers, grid
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.append(s); }"
    )
    assert page.evaluate("() => window.injected") is None
    assert any("script-src" in v for v in violations)
