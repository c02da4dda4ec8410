"""The web UI in real headless Chromium (Debian's `chromium`, driven by Playwright) against a live
server on loopback with a simulated tenant. One server and one browser for the whole UI suite;
each test gets a fresh browser context (its own cookies and localStorage)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from kustodian.ingest import ingest_records
from kustodian.server import ServerSettings, create_app, tokens
from kustodian.server.tokens import Role
from kustodian.simulate import Simulation
from kustodian.workspace.workspace import Workspace
from tests.server.conftest import ServerThread

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "kustodian" / "server" / "static" / "index.html"
AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("KUSTODIAN_ARTIFACTS", ROOT / "tests" / "ui" / "artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveUi:
    url: str
    ws: Workspace
    keys: dict[str, str]
    browser: Browser

    def context(self, role: str | None = "contributor") -> BrowserContext:
        """A fresh browser context, signed in with a token of `role` (None: signed out)."""
        ctx = self.browser.new_context(
            viewport={"width": 1400, "height": 1000}, timezone_id="UTC", locale="en-US"
        )
        ctx.set_default_timeout(20_000)
        if role is not None:
            r = ctx.request.post(f"{self.url}/ui/login", data={"token": self.keys[role]})
            assert r.status == 200, r.text()
        return ctx

    def page(self, role: str | None = "contributor", route: str = "/logs") -> Page:
        page = self.context(role).new_page()
        page.goto(f"{self.url}/#{route}")
        return page


def simulated_workspace(path: Path) -> tuple[Workspace, dict[str, str]]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ws = Workspace.init(path)
    ingest_records(ws, Simulation(7, 30, 1, end).records(), source="simulate")
    keys = {role.label: tokens.create(ws, role, f"ui-{role.label}")[0] for role in Role}
    return ws, keys


@pytest.fixture(scope="session")
def live_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveUi]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make chromium` installs it)")
    if not STATIC.is_file():
        pytest.fail(f"the web UI is not built ({STATIC} is missing): run `make ui`")
    ws, keys = simulated_workspace(tmp_path_factory.mktemp("ui") / "ws")
    app = create_app(ws, ServerSettings(auth_failures=1000, alert_check=0))
    # Playwright gives each launch a fresh, temporary user-data directory
    with ServerThread(app) as srv, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield LiveUi(f"http://127.0.0.1:{srv.port}", ws, keys, browser)
        finally:
            browser.close()
    ws.close()


def screenshot(page: Page, name: str) -> Path:
    """Saves a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[Any]:
    """The page's axe-core violations of these impacts (axe injected from ui/node_modules)."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `make ui`")
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def wait_editor(page: Page) -> None:
    page.wait_for_function("() => window.kustodianEditor !== undefined")


def run_query(page: Page, text: str) -> None:
    """Puts `text` in the editor and runs it; waits for the rows (or the error)."""
    wait_editor(page)
    page.evaluate("(t) => window.kustodianEditor.setValue(t)", text)
    page.click("#run")
    page.wait_for_function(
        "() => /rows in|failed/.test(document.querySelector('#query-status').textContent)"
    )
