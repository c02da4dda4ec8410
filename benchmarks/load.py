"""Load test on loopback: concurrent query clients, with and without an ingestion stream.

A workspace with a simulated tenant (src/kustodian/simulate) is served by a real `kustodian
serve` process on a free loopback port. Then, in this process:

1. baseline: `--clients` threads send queries (a fixed mix of kinds, each client cycling through
   them) through the Logs Query API for `--duration` seconds;
2. under ingestion: the same, while one more thread uploads batches of `--batch-rows` sign-ins
   through the Logs Ingestion API (a data collection rule's `Microsoft-SigninLogs` stream, gzip)
   as fast as the server takes them.

Reported per phase: per query kind the count, p50/p99 latency and errors; total queries/s;
ingested rows/s and upload errors (anything but 200/204, and transport failures). The target is
zero errors. This is a benchmark, not a test: nothing here runs in CI.

Usage: python benchmarks/load.py [--clients 8] [--duration 30] [--days 7] [--users 200] [--write]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
RESULTS_MD = HERE / "RESULTS.md"
END = datetime(2024, 5, 1, tzinfo=UTC)  # the simulated window's end
DCR_ID = "dcr-000000000000000000000000000010ad"
STREAM = "Microsoft-SigninLogs"


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def query_kinds(days: int) -> dict[str, str]:
    """The mix: name -> KQL (over the simulated window, whatever the clock says)."""
    start, day = _iso(END - timedelta(days=days)), _iso(END - timedelta(days=1))
    window = f"TimeGenerated between (datetime({start}) .. datetime({_iso(END)}))"
    return {
        "count": f"SigninLogs | where {window} | count",
        "failures_by_user": (
            f'SigninLogs | where {window} and ResultType != "0" '
            "| summarize failures = count() by UserPrincipalName | top 10 by failures"
        ),
        "hourly_timechart": (
            f"SigninLogs | where TimeGenerated >= datetime({day}) "
            "| summarize count() by bin(TimeGenerated, 1h), ResultType"
        ),
        "one_user": (
            "SigninLogs | where UserPrincipalName =~ 'admin@contoso.com' "
            "| project TimeGenerated, AppDisplayName, IPAddress, ResultType | take 50"
        ),
        "audit_ops": "AuditLogs | summarize count() by OperationName | top 5 by count_",
        "ingested_rows": "SigninLogs | where AppDisplayName == 'Load test' | count",
    }


# -- the workspace and the server ----------------------------------------------------------------


def prepare(root: Path, days: int, users: int) -> dict[str, str]:
    """A workspace with the simulated tenant, a DCR and tokens; returns the tokens by role."""
    from kustodian import Workspace
    from kustodian.ingest import dcr, ingest_records
    from kustodian.server import tokens
    from kustodian.simulate import Simulation

    with Workspace.open(root) as ws:
        summary = ingest_records(ws, Simulation(days, users, seed=1, end=END).records())
        print(f"workspace: {summary.ingested:,} records ingested", file=sys.stderr)
        rule = {"id": DCR_ID, "name": "load", "streams": {STREAM: {}}}
        dcr.apply_rule(ws, dcr.parse_rule(rule))
        keys = {}
        for role in (tokens.Role.READER, tokens.Role.CONTRIBUTOR):
            keys[role.label], _ = tokens.create(ws, role, f"load-{role.label}", None)
    return keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """`kustodian serve` in a subprocess, on a free loopback port."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "kustodian.cli.main", "serve", "--workspace", str(root)]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port), "--log-level", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


# -- the load ------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    rows_ingested: int = 0
    upload_seconds: list[float] = field(default_factory=list)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.guard:
            if error is None:
                self.latencies[kind].append(seconds)
            else:
                self.errors[kind].append(error)


def query_client(
    url: str, key: str, workspace: str, kinds: dict[str, str], offset: int, stop: threading.Event,
    tally: Tally,
) -> None:  # fmt: skip
    names = list(kinds)
    headers = {"Authorization": f"Bearer {key}"}
    endpoint = f"{url}/v1/workspaces/{workspace}/query"
    with httpx.Client(timeout=120) as http:
        i = offset
        while not stop.is_set():
            kind = names[i % len(names)]
            i += 1
            started = time.perf_counter()
            error = None
            try:
                r = http.post(endpoint, json={"query": kinds[kind]}, headers=headers)
                if r.status_code != 200:
                    error = f"HTTP {r.status_code}: {r.text[:200]}"
                elif "error" in r.json():
                    error = f"partial: {r.json()['error']}"
            except httpx.HTTPError as e:
                error = f"{type(e).__name__}: {e}"
            tally.record(kind, time.perf_counter() - started, error)


def sign_ins(n: int, batch: int) -> list[dict[str, Any]]:
    now = END - timedelta(minutes=30)
    return [
        {
            "TimeGenerated": _iso(now + timedelta(seconds=i)),
            "Id": str(uuid.uuid4()),
            "UserPrincipalName": f"load{(batch * n + i) % 500}@contoso.com",
            "AppDisplayName": "Load test",
            "IPAddress": f"198.51.100.{i % 250}",
            "ResultType": "0" if i % 10 else "50126",
            "Location": "US",
        }
        for i in range(n)
    ]


def ingestion_client(
    url: str, key: str, batch_rows: int, stop: threading.Event, tally: Tally
) -> None:
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    endpoint = f"{url}/dataCollectionRules/{DCR_ID}/streams/{STREAM}?api-version=2023-01-01"
    with httpx.Client(timeout=120) as http:
        batch = 0
        while not stop.is_set():
            body = gzip.compress(json.dumps(sign_ins(batch_rows, batch)).encode())
            batch += 1
            started = time.perf_counter()
            error = None
            try:
                r = http.post(endpoint, content=body, headers=headers)
                if r.status_code not in (200, 204):
                    error = f"HTTP {r.status_code}: {r.text[:200]}"
            except httpx.HTTPError as e:
                error = f"{type(e).__name__}: {e}"
            seconds = time.perf_counter() - started
            tally.record("upload", seconds, error)
            if error is None:
                with tally.guard:
                    tally.rows_ingested += batch_rows


@dataclass
class Phase:
    name: str
    seconds: float
    tally: Tally


def run_phase(
    name: str, server: Server, keys: dict[str, str], workspace: str, args: argparse.Namespace,
    ingest: bool,
) -> Phase:  # fmt: skip
    kinds = query_kinds(args.days)
    stop, tally = threading.Event(), Tally()
    threads = [
        threading.Thread(
            target=query_client,
            args=(server.url, keys["reader"], workspace, kinds, i, stop, tally),
        )
        for i in range(args.clients)
    ]
    if ingest:
        threads.append(
            threading.Thread(
                target=ingestion_client,
                args=(server.url, keys["contributor"], args.batch_rows, stop, tally),
            )
        )
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.duration)
    stop.set()
    for t in threads:
        t.join()
    return Phase(name, time.perf_counter() - started, tally)


# -- the report ----------------------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _ms(v: float) -> str:
    return "–" if v != v else f"{v * 1000:,.0f}" if v >= 0.1 else f"{v * 1000:.1f}"


def report(phases: list[Phase], args: argparse.Namespace, records: int, load: str) -> str:
    out = [
        f"## Load test, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- machine: `{platform.machine()}`, {os.cpu_count()} cores; Python "
        f"{platform.python_version()}; the server, the clients and the ingestion share them",
        f"- workspace: simulated tenant, {args.days} days, {args.users} users "
        f"({records:,} records); `kustodian serve` in its own process on loopback",
        f"- load: {args.clients} query clients (HTTP, one request at a time each, cycling through "
        f"the kinds) for {args.duration:.0f} s per phase; ingestion: one client uploading "
        f"{args.batch_rows} sign-ins per gzip POST to the DCR route, back to back",
        f"- load average (1 min) before / after: {load}",
        "",
        "| phase | kind | queries | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for ph in phases:
        t = ph.tally
        for kind in sorted(set(t.latencies) | set(t.errors)):
            if kind == "upload":
                continue
            lat = t.latencies.get(kind, [])
            out.append(
                f"| {ph.name} | {kind} | {len(lat):,} | {_ms(_pct(lat, 50))} | "
                f"{_ms(_pct(lat, 99))} | {len(t.errors.get(kind, []))} |"
            )
    out += ["", "| phase | queries/s | query errors | ingested rows/s | uploads | upload p50 ms "
            "| upload p99 ms | upload errors |", "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for ph in phases:
        t = ph.tally
        queries = sum(len(v) for k, v in t.latencies.items() if k != "upload")
        qerr = sum(len(v) for k, v in t.errors.items() if k != "upload")
        up = t.latencies.get("upload", [])
        ingest = f"{t.rows_ingested / ph.seconds:,.0f}" if up or t.errors.get("upload") else "–"
        out.append(
            f"| {ph.name} | {queries / ph.seconds:,.1f} | {qerr} | {ingest} | {len(up):,} | "
            f"{_ms(_pct(up, 50)) if up else '–'} | {_ms(_pct(up, 99)) if up else '–'} | "
            f"{len(t.errors.get('upload', []))} |"
        )
    samples = [(ph.name, k, e) for ph in phases for k, es in ph.tally.errors.items() for e in es]
    if samples:
        out += ["", "First errors:", ""]
        out += [f"- {name} / {kind}: `{e}`" for name, kind, e in samples[:10]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=8, help="concurrent query clients")
    p.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    p.add_argument("--days", type=int, default=7, help="simulated days in the workspace")
    p.add_argument("--users", type=int, default=200, help="simulated users")
    p.add_argument("--batch-rows", type=int, default=1000, help="sign-ins per upload")
    p.add_argument("--write", action="store_true", help="append the report to RESULTS.md")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kustodian-load-") as tmp:
        root = Path(tmp) / "ws"
        keys = prepare(root, args.days, args.users)
        from kustodian import Workspace

        with Workspace.open(root, create=False) as ws:
            workspace = ws.workspace_id
            records = int(ws.query("union * | count").rows[0][0])
        load_before = f"{os.getloadavg()[0]:.2f}"
        server = Server(root)
        try:
            phases = [
                run_phase("queries alone", server, keys, workspace, args, ingest=False),
                run_phase("with ingestion", server, keys, workspace, args, ingest=True),
            ]
        finally:
            server.stop()
        load = f"{load_before} / {os.getloadavg()[0]:.2f}"
    text = report(phases, args, records, load)
    print(text)
    if args.write:
        with RESULTS_MD.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    errors = sum(len(v) for ph in phases for v in ph.tally.errors.values())
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
