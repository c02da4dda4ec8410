"""Ingestion benchmark: `kustodian ingest` against DuckDB's own `read_json`, in the same run.

Input: diagnostic-settings sign-in records as a storage-archive blob (one JSON record per line),
from the demo-tenant simulator when it is available, else from a fixed record template with
varying ids, users, times and results. Both sides write the same typed table (SigninLogs with
every column), in a fresh database file, and end with a checkpoint:

- ours: `kustodian ingest --workspace W FILE` in a subprocess: mapping, dead-letter checks,
  natural-key de-duplication, extension columns, batches of 50,000 records in transactions;
- baseline: one `INSERT INTO SigninLogs SELECT ... FROM read_json(FILE, columns=...)`, typed by
  the same field list (DuckDB converts the types; no checks, no de-duplication).

Reported: records/s for each, the ratio, and the peak RSS of each process.

Usage: python benchmarks/ingest.py [--records 400000] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

import orjson  # noqa: E402

from kustodian.ingest.mapping import diag_mapping  # noqa: E402
from kustodian.kql.catalog import entra_tables  # noqa: E402


def records(n: int) -> tuple[str, object]:
    """(source description, iterator of n sign-in records)."""
    try:
        from kustodian.simulate import simulate  # type: ignore[attr-defined]
    except ImportError:
        simulate = None
    if simulate is not None:
        end = datetime(2026, 11, 30, tzinfo=UTC)

        def gen():  # type: ignore[no-untyped-def]
            count, days = 0, 30
            while True:
                for r in simulate(days=days, users=2000, seed=count + 1, end=end):
                    if r.get("category") in ("SignInLogs",):
                        yield r
                        count += 1
                        if count >= n:
                            return
                days += 1

        return "kustodian.simulate interactive sign-ins", gen()
    from tests.ingest.records import signin

    start = datetime(2026, 11, 1, tzinfo=UTC)

    def template():  # type: ignore[no-untyped-def]
        for i in range(n):
            t = start + timedelta(seconds=i * 7)
            yield signin(
                f"{i:08x}-0000-4000-8000-{i:012x}",
                upn=f"user{i % 5000}@contoso.com",
                time=t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
                result=("0", "50126", "50053", "500121")[i % 4 if i % 10 == 0 else 0],
                userAgent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
                clientAppUsed="Browser",
                conditionalAccessStatus="success",
                userId=f"{i % 5000:08x}-1111-4000-8000-000000000000",
            )

    return "record template (tests/ingest/records.py)", template()


def write_input(path: Path, n: int) -> tuple[str, int]:
    source, gen = records(n)
    count = 0
    with path.open("wb") as f:
        for rec in gen:  # type: ignore[attr-defined]
            f.write(orjson.dumps(rec) + b"\n")
            count += 1
    return source, count


def _duck_type(ktype: str) -> str:
    return {
        "string": "VARCHAR",
        "dynamic": "JSON",
        "datetime": "TIMESTAMP_NS",
        "long": "BIGINT",
        "int": "INTEGER",
        "real": "DOUBLE",
        "bool": "BOOLEAN",
    }.get(ktype, "VARCHAR")


def baseline_sql(path: Path, sample: dict[str, object]) -> str:
    """read_json typed by the same fields our mapping reads, into the same table."""
    schema = next(t for t in entra_tables() if t.name == "SigninLogs")
    props = sample.get("properties")
    mapping = diag_mapping(
        schema, set(sample), set(props) if isinstance(props, dict) else set(), {}
    )
    top: dict[str, str] = {}
    nested: dict[str, str] = {}
    cols, exprs = [], []
    for f in mapping.fields:
        t = _duck_type(f.ktype.value)
        if f.path[0] == "properties":
            nested[f.path[1]] = t
            exprs.append(f'properties."{f.path[1]}"')
        else:
            top[f.path[0]] = t
            exprs.append(f'"{f.path[0]}"')
        cols.append(f'"{f.column}"')
    struct = ", ".join(f'"{k}" {t}' for k, t in nested.items())
    spec = {**top, "properties": f"STRUCT({struct})"}
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in spec.items()) + "}"
    return (
        f"INSERT INTO SigninLogs ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM "
        f"read_json('{path}', format='newline_delimited', columns={columns})"
    )


BASELINE = """
import sys, time, duckdb
from kustodian.engines.duckdb import create_table_sql
from kustodian.kql.catalog import entra_tables
db, sql = sys.argv[1], sys.stdin.read()
con = duckdb.connect(db)
con.execute("SET TimeZone = 'UTC'")
con.execute("SET enable_progress_bar = false")
con.execute(create_table_sql(next(t for t in entra_tables() if t.name == "SigninLogs")))
t = time.perf_counter()
n = con.execute(sql).fetchone()[0]
con.execute("CHECKPOINT")
print(n)
"""


# Both sides start as an installed package does: with Python's bytecode cached (pip writes it at
# install time; a checkout run with PYTHONDONTWRITEBYTECODE would compile every module anew at
# each start). The cache goes to a directory of its own, not into the source tree.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_bytecode(root: Path) -> None:
    ENV["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "src" / "kustodian")],
        env=ENV,
        check=True,
        capture_output=True,
    )


def run_measured(cmd: list[str], stdin: str | None = None) -> tuple[str, float, float, float]:
    """Run a command; (stdout, wall seconds, peak RSS in MB, CPU seconds: user + system)."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    if stdin:
        proc.stdin.write(stdin)
    proc.stdin.close()
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd[:4]} failed ({proc.returncode}): {err[-2000:]}")
    return out, wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _pair(root: Path, data: Path, sample: dict[str, object], n: int) -> dict[str, float]:
    """One run of ours, then one of the baseline, on fresh databases."""
    env_py = sys.executable
    ws = root / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    subprocess.run(
        [env_py, "-m", "kustodian.cli.main", "init", str(ws)], check=True, capture_output=True
    )
    out, ours_wall, ours_rss, ours_cpu = run_measured(
        [env_py, "-m", "kustodian.cli.main", "ingest", "--workspace", str(ws), str(data), "--json"]
    )
    summary = json.loads(out)
    assert summary["ingested"] == n, summary
    base_db = root / "baseline.duckdb"
    base_db.unlink(missing_ok=True)
    out, base_wall, base_rss, base_cpu = run_measured(
        [env_py, "-c", BASELINE, str(base_db)], stdin=baseline_sql(data, sample)
    )
    assert int(out.split()[0]) == n
    run = {
        "ours_rate": n / ours_wall,
        "ours_wall": ours_wall,
        "ours_cpu": ours_cpu,
        "ours_rss": ours_rss,
        "base_rate": n / base_wall,
        "base_wall": base_wall,
        "base_cpu": base_cpu,
        "base_rss": base_rss,
    }
    print(", ".join(f"{k} {v:,.1f}" for k, v in run.items()), file=sys.stderr, flush=True)
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=400_000)
    ap.add_argument("--write", action="store_true", help="append the results to RESULTS.md")
    ap.add_argument("--keep", help="directory for the input and databases (default: temp)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, alternating")
    args = ap.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="kustodian-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    data = root / "PT1H.json"
    t = time.perf_counter()
    reuse = root / "input.json"
    if args.keep and data.exists() and reuse.exists():  # the same input as a previous run
        meta = json.loads(reuse.read_text())
        source, n = meta["source"], meta["records"]
    else:
        source, n = write_input(data, args.records)
        reuse.write_text(json.dumps({"source": source, "records": n}))
    size = data.stat().st_size
    print(
        f"input: {n:,} records, {size / 2**20:,.0f} MB ({source}), {time.perf_counter() - t:.0f} s"
    )
    with data.open("rb") as f:
        sample = json.loads(f.readline())

    warm_bytecode(root)
    runs = [_pair(root, data, sample, n) for _ in range(args.repeat)]
    med = _median([r["ours_rate"] / r["base_rate"] for r in runs])
    load = os.getloadavg()[0]
    lines = [
        f"## Ingestion, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "",
        f"Input: {n:,} SigninLogs diagnostic records, one per line, {size / 2**20:,.0f} MB "
        f"({size / n:,.0f} bytes/record; {source}). Wall time of the whole process, "
        "start to exit (bytecode cached, as installed), fresh database, ending with a "
        "checkpoint; CPU = user + system time of the process. Ours and the baseline alternate, "
        "run by run. Settings: "
        + ", ".join(
            f"{k}={os.environ.get(k, 'default')}"
            for k in (
                "KUSTODIAN_BULK_MEMORY_LIMIT",
                "KUSTODIAN_INGEST_BATCH_ROWS",
                "KUSTODIAN_INGEST_CHUNK_ROWS",
            )
        )
        + f". Load average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores.",
        "",
        "| run | kustodian ingest rec/s | wall s | CPU s | peak RSS MB "
        "| read_json rec/s | wall s | CPU s | peak RSS MB | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(runs, 1):
        lines.append(
            f"| {i} | {r['ours_rate']:,.0f} | {r['ours_wall']:.1f} | {r['ours_cpu']:.1f} "
            f"| {r['ours_rss']:,.0f} | {r['base_rate']:,.0f} | {r['base_wall']:.1f} "
            f"| {r['base_cpu']:.1f} | {r['base_rss']:,.0f} "
            f"| {r['ours_rate'] / r['base_rate']:.2f} |"
        )
    lines += [
        "",
        f"Ratio (median of {len(runs)}): {med:.2f} of read_json's throughput; "
        f"CPU ratio (baseline CPU / ours): "
        f"{_median([r['base_cpu'] / r['ours_cpu'] for r in runs]):.2f} "
        f"(target ≥ 0.5 and ≥ 50,000 records/s).",
        "",
    ]
    print("\n".join(lines))
    if args.write:
        with (HERE / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
