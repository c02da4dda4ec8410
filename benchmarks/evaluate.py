"""Alert evaluation's cost per tick: the 17 built-in detections over a day of ticks.

A simulated tenant (`kustodian.simulate.Simulation`) is ingested into two in-memory workspaces,
the built-ins are enabled on both with the demo's parameters, and each is evaluated from
`--hours` before the window's end to its end, catching up tick by tick as the scheduler does
after downtime: once with every (rule, tick) compiled and guard-checked afresh (`compile_cache`
off, the way evaluation worked before), once reusing each rule's compiled SQL across ticks.
Both must fire the same alerts. Reported: wall time, (rule, tick) evaluations, milliseconds per
evaluation, and the profile's split (compile, guard, run) with `--profile`.

With `--big`, also each built-in's run time on the 10M-row table of `data.py` (a month of
sign-ins) at one tick, with the window's bounds and `now` as constants (which DuckDB folds to
prune by zone maps) against the same as parameters (the reused SQL): what reuse may cost when
the tables are large.

Usage: python benchmarks/evaluate.py [--hours 24] [--users 100] [--profile] [--big [FILE]] [--write]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 7


def workspace(records: list[dict[str, Any]], sim: Any, start: datetime) -> tuple[Any, list[str]]:
    from kustodian import Workspace
    from kustodian.alerts import store
    from kustodian.cli.demo import enable_detections
    from kustodian.ingest import ingest_records

    ws = Workspace.open(":memory:")
    ingest_records(ws, records)
    names = enable_detections(ws, sim.tenant)
    with ws.transaction() as con:
        for name in names:
            store.set_last_tick(con, name, start)
    return ws, names


def run(
    records: list[dict[str, Any]], sim: Any, hours: int, cache: bool, profile: bool
) -> dict[str, Any]:
    from kustodian.alerts import store
    from kustodian.alerts.evaluate import due_ticks, evaluate

    end = sim.end_dt
    ws, names = workspace(records, sim, end - timedelta(hours=hours))
    ticks = sum(len(due_ticks(r, end - timedelta(hours=hours), end)) for r in store.list_rules(ws))
    prof = cProfile.Profile() if profile else None
    t = time.perf_counter()
    if prof is not None:
        prof.enable()
    changes = evaluate(ws, end, compile_cache=cache)
    if prof is not None:
        prof.disable()
    wall = time.perf_counter() - t
    fired = sorted((c.rule, c.tick, c.alert_id) for c in changes if c.change == "Fired")
    out = {"wall": wall, "ticks": ticks, "fired": fired, "rules": len(names)}
    if prof is not None:
        out["split"] = split(prof)
    ws.close()
    return out


def split(prof: cProfile.Profile) -> dict[str, float]:
    """Cumulative seconds in the compiler, the guard and DuckDB's execution."""
    stats = pstats.Stats(prof)
    wanted = {
        "compile": ("kql/compiler.py", "compile_all"),
        "guard": ("engines/guard.py", "check_select"),
        "run": ("duckdb.py", "to_arrow_table"),
    }
    out = dict.fromkeys(wanted, 0.0)
    for (file, _, func), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        for key, (f, name) in wanted.items():
            if func == name and (file.endswith(f) or name == "to_arrow_table"):
                out[key] += cum
    return out


def big_rows(path: Path, runs: int = 5) -> list[str]:
    """Per built-in: median ms over the 10M-row table, bounds inline vs parameters."""
    import duckdb

    from kustodian.alerts.detections import detections
    from kustodian.engines.duckdb import create_table_sql
    from kustodian.kql.catalog import TableSchema, entra_catalog
    from kustodian.kql.compiler import compile_all, to_ns

    if not path.exists():
        return [f"| (no {path.name}: run benchmarks/data.py) | | | |"]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{path}' AS big (READ_ONLY)")
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_catalog = 'big' AND table_name = 'SigninLogs'"
        ).fetchall()
    }
    cat = entra_catalog()  # SigninLogs as data.py made it; the other tables empty
    cat.add(
        TableSchema(
            "SigninLogs", tuple(c for c in cat.tables["SigninLogs"].columns if c[0] in have)
        )
    )
    con.execute("CREATE VIEW SigninLogs AS SELECT * FROM big.SigninLogs")
    for t in cat.tables.values():
        if t.name != "SigninLogs":
            con.execute(create_table_sql(t))
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)  # a day before the data's end
    rows = []
    for name, d in sorted(detections().items()):
        rule = d.rule()
        span = (to_ns(now - rule.query_range), to_ns(now) - 1)
        ms = []
        for inline in (True, False):
            (c,) = compile_all(
                rule.query,
                catalog=cat,
                now=now,
                timespan=span,
                inline_now=inline,
                window_params=not inline,
            )
            con.sql(c.sql, params=c.params or None).fetchall()
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                con.sql(c.sql, params=c.params or None).fetchall()
                times.append((time.perf_counter() - t) * 1000)
            ms.append(sorted(times)[runs // 2])
        rows.append(f"| {name} | {rule.query_range} | {ms[0]:.1f} | {ms[1]:.1f} |")
    con.close()
    return rows


def report(hours: int, users: int, profile: bool, big: Path | None = None) -> str:
    from kustodian.simulate import Simulation

    sim = Simulation(2, users, SEED)
    records = list(sim.records())
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    before = run(records, sim, hours, cache=False, profile=profile)
    after = run(records, sim, hours, cache=True, profile=profile)
    same = "same" if before["fired"] == after["fired"] else "DIFFERENT"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Alert evaluation, {stamp}, {platform.machine()}, Python {platform.python_version()}",
        "",
        f"{before['rules']} built-in detections over the last {hours} h of a simulated tenant "
        f"({users} users, 2 days, {len(records):,} records, seed {SEED}): "
        f"{before['ticks']:,} (rule, tick) evaluations, caught up in one `evaluate` call. "
        f"Load average {load} at the start ({os.cpu_count()} cores). Alerts fired: "
        f"{len(before['fired'])} without the cache, {len(after['fired'])} with it ({same}).",
        "",
        "| compiled SQL | wall s | ms per (rule, tick) |"
        + (" compile s | guard s | run s |" if profile else ""),
        "|---|---:|---:|" + ("---:|---:|---:|" if profile else ""),
    ]
    for label, r in (("compiled every tick", before), ("reused across ticks", after)):
        row = f"| {label} | {r['wall']:.1f} | {r['wall'] * 1000 / max(r['ticks'], 1):.1f} |"
        if profile:
            s = r["split"]
            row += f" {s['compile']:.1f} | {s['guard']:.1f} | {s['run']:.1f} |"
        lines.append(row)
    lines += ["", f"Speed-up: {before['wall'] / after['wall']:.1f}x.", ""]
    if big is not None:
        lines += [
            "Run time of each built-in at one tick on the 10M-row `SigninLogs` of `data.py`",
            "(median of 5, ms): window bounds and `now` as constants against as parameters.",
            "",
            "| detection | query range | constants ms | parameters ms |",
            "|---|---|---:|---:|",
            *big_rows(big),
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=int, default=24)
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--profile", action="store_true", help="split the time (slower: cProfile)")
    p.add_argument(
        "--big",
        type=Path,
        nargs="?",
        const=HERE / "data" / "signinlogs.duckdb",
        help="also time the built-ins on data.py's table (this file)",
    )
    p.add_argument("--write", action="store_true", help="append the report to RESULTS.md")
    args = p.parse_args()
    text = report(args.hours, args.users, args.profile, args.big)
    print(text)
    if args.write:
        with (HERE / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0 if "DIFFERENT" not in text else 1


if __name__ == "__main__":
    sys.exit(main())
