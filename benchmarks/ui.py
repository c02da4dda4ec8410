"""Web UI benchmark: bundle sizes, and how long the Logs page takes in headless Chromium.

On a simulated tenant (`--days`, `--users`) served on loopback, each of `--runs` fresh browser
contexts signs in and opens the Logs page; the median of each step is reported:

- ready: navigation to the editor created (the app and Monaco's bundle parsed);
- schema: navigation to the schema browser filled (the metadata fetched);
- intellisense: navigation to a diagnostic for a misspelt column (the kusto worker started and
  given the schema);
- chart: Run to the MFA-vs-single-factor timechart drawn (query, transfer, SVG).

Usage: python benchmarks/ui.py [--runs 5] [--days 30] [--users 500] [--write]
(needs `make ui` and Debian's chromium; `--write` appends to benchmarks/UI-RESULTS.md)
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent / "src" / "kustodian" / "server" / "static"
RESULTS = HERE / "UI-RESULTS.md"
MFA = (
    "SigninLogs | summarize count() by bin(TimeGenerated, 1d), AuthenticationRequirement "
    "| render timechart"
)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def bundle_sizes() -> list[tuple[str, int]]:
    return sorted(
        ((p.name, p.stat().st_size) for p in (STATIC / "assets").iterdir()), key=lambda x: -x[1]
    )


def serve(days: int, users: int) -> tuple[str, str, object]:
    import socket

    import uvicorn

    from kustodian.ingest import ingest_records
    from kustodian.server import ServerSettings, create_app, tokens
    from kustodian.simulate import Simulation
    from kustodian.workspace.workspace import Workspace

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ws = Workspace.init(Path(tempfile.mkdtemp()) / "ws")
    ingest_records(ws, Simulation(days, users, 1, end).records(), source="simulate")
    key, _ = tokens.create(ws, tokens.Role.READER, "bench")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ws, ServerSettings(alert_check=0))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", key, server


def measure(browser: object, url: str, key: str) -> dict[str, float]:
    ctx = browser.new_context()  # type: ignore[attr-defined]
    ctx.request.post(f"{url}/ui/login", data={"token": key})
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(f"{url}/#/logs")
    page.wait_for_function("() => window.kustodianEditor !== undefined")
    out = {"ready": time.perf_counter() - t0}
    page.wait_for_selector("#schema details.table")
    out["schema"] = time.perf_counter() - t0
    page.evaluate("() => window.kustodianEditor.setValue('SigninLogs | where UserPrincipleName')")
    page.wait_for_function(
        "() => window.kustodianEditor.markers().some(m => m.owner === 'kusto')", timeout=60_000
    )
    out["intellisense"] = time.perf_counter() - t0
    page.select_option("#timerange", "P30D")
    page.evaluate("(t) => window.kustodianEditor.setValue(t)", MFA)
    t1 = time.perf_counter()
    page.click("#run")
    page.wait_for_selector("figure.chart.timechart g.series")
    out["chart"] = time.perf_counter() - t1
    ctx.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    chromium = shutil.which("chromium")
    if not (STATIC / "index.html").is_file() or chromium is None:
        print("needs `make ui` and Debian's chromium (`make chromium`)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    url, key, server = serve(args.days, args.users)
    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=FLAGS)
        for _ in range(args.runs):
            runs.append(measure(browser, url, key))
        browser.close()
    server.should_exit = True  # type: ignore[attr-defined]
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{platform.machine()}, {platform.python_version()}; {args.days} days x {args.users} "
        f"users; median of {args.runs} fresh contexts (seconds)",
        "",
        "| step | median | min | max |",
        "|---|---:|---:|---:|",
    ]
    for step in ("ready", "schema", "intellisense", "chart"):
        v = [r[step] for r in runs]
        lines.append(f"| {step} | {statistics.median(v):.2f} | {min(v):.2f} | {max(v):.2f} |")
    lines += ["", "| asset | bytes |", "|---|---:|"]
    lines += [f"| {name} | {size:,} |" for name, size in bundle_sizes()]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        head = "" if RESULTS.exists() else "# Web UI benchmark results (benchmarks/ui.py)\n\n"
        with RESULTS.open("a") as f:
            f.write(head + report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
