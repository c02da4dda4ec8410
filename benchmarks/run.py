"""KQL engine speed benchmark: our compiled SQL vs hand-written SQL vs the duckdb-kql peer.

For each case in `queries.py`, on the table built by `data.py` (a read-only DuckDB file):

- hand: the hand-written SQL;
- ours: `kustodian.kql.compile(kql, dialect="duckdb")` with NOW pinned, its `.sql` run with its
  `.params`;
- duckdb-kql: the PyPI package's `to_sql(kql, schema=..., query_now=NOW)`, run with its
  `.parameters` (skipped when the package is not installed: `pip install duckdb-kql`).

Each is run once to warm up and then `--runs` times; the median wall time is reported (execute
and fetch the result as Arrow). Results are checked against the hand SQL: same column names,
same row count, and for results up to `--compare-limit` rows the same rows (compared sorted,
with sets sorted, JSON text parsed and timestamps to the microsecond).

Compile time is measured too: cold (a fresh `python -c` that imports the compiler and compiles
once) and warm (the median of compiling each admin query `--compile-iters` times in-process, each
with a different trailing comment so that no cache can hit), and the same for three long real
Sentinel detections from shared/sentinel-identity-queries.

Usage: python benchmarks/run.py [--runs 5] [--cases a,b] [--write]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SRC = REPO / "src"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import data  # noqa: E402
from queries import CASES, NOW, SENTINEL_COMPILE_QUERIES, Case  # noqa: E402

DEFAULT_SENTINEL = REPO.parent / "shared" / "sentinel-identity-queries" / "queries.jsonl"
RESULTS_MD = HERE / "RESULTS.md"

Params = dict[str, Any]


# --------------------------------------------------------------------------------------------
# The three engines: each turns a case's KQL into (sql, params), or raises.
# --------------------------------------------------------------------------------------------


def _ensure_src_on_path() -> None:
    """Let `import kustodian` work from a checkout that was not pip-installed."""
    try:
        import kustodian  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(SRC))


def accepts_now(func: Callable[..., Any]) -> bool:
    """Whether `func` takes a `now=` keyword (named, or through **kwargs)."""
    params = inspect.signature(func).parameters.values()
    return any(p.name == "now" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def ours_compiler() -> Callable[[str], tuple[str, Params]]:
    """Our compiler as kql -> (sql, params), with NOW pinned; raises ImportError if absent."""
    _ensure_src_on_path()
    from kustodian.kql import compile as kql_compile  # type: ignore[attr-defined]

    takes_now = accepts_now(kql_compile)

    def compile_one(kql: str) -> tuple[str, Params]:
        if takes_now:
            compiled = kql_compile(kql, dialect="duckdb", now=NOW)
        else:
            compiled = kql_compile(kql, dialect="duckdb")
        params = dict(compiled.params or {})
        if not takes_now:
            pin_now(params, compiled.sql)
        return compiled.sql, params

    return compile_one


def pin_now(params: Params, sql: str) -> None:
    """Set the query's `now` parameter to NOW, in the representation the compiler chose.

    Only for a compiler without a `now=` keyword: every parameter whose name contains "now"
    gets NOW as epoch nanoseconds (int), as a datetime (aware or naive UTC, like the original)
    or as ISO text; with none such, `$now` in the SQL gets a datetime.
    """
    keys = [k for k in params if "now" in k.lower()]
    for key in keys:
        old = params[key]
        if isinstance(old, int):
            params[key] = data.NOW_NS
        elif isinstance(old, datetime):
            params[key] = NOW if old.tzinfo is not None else NOW.replace(tzinfo=None)
        elif isinstance(old, str):
            params[key] = NOW.isoformat().replace("+00:00", "Z")
        else:
            params[key] = NOW
    if not keys and "$now" in sql:
        params["now"] = NOW


def peer_compiler(schema: dict[str, list[str]]) -> Callable[[str], tuple[str, Params]]:
    """duckdb-kql's translator as kql -> (sql, params); raises ImportError if not installed."""
    import duckdb_kql

    def compile_one(kql: str) -> tuple[str, Params]:
        result = duckdb_kql.to_sql(kql, schema=schema, query_now=NOW)
        return str(result), dict(getattr(result, "parameters", {}) or {})

    return compile_one


def peer_version() -> str | None:
    """The installed duckdb-kql version, or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("duckdb-kql")
    except PackageNotFoundError:
        return None


# --------------------------------------------------------------------------------------------
# Running and timing
# --------------------------------------------------------------------------------------------


def fetch_arrow(relation: Any) -> Any:
    """The whole result as a pyarrow Table (the method name varies across DuckDB versions)."""
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        method = getattr(relation, name, None)
        if method is not None:
            result = method()
            read_all = getattr(result, "read_all", None)  # a RecordBatchReader
            return read_all() if read_all is not None else result
    return relation.fetchall()


def execute(con: Any, sql: str, params: Params) -> Any:
    """Run one query and fetch its result as Arrow (through a relation: no extra copy)."""
    return fetch_arrow(con.sql(sql, params=params) if params else con.sql(sql))


def fetch_rows(con: Any, sql: str, params: Params) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows as Python values (for comparing answers)."""
    cursor = con.execute(sql, params) if params else con.execute(sql)
    names = [d[0] for d in cursor.description]
    return names, cursor.fetchall()


def normalize(value: Any) -> Any:
    """A canonical, comparable form of a result value (see the module docstring)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, Decimal):
        return float(f"{float(value):.9g}")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, str):
        if value[:1] in "[{":
            try:
                return normalize(json.loads(value))
            except ValueError:
                return value
        return value
    if isinstance(value, list | tuple):
        return sorted((normalize(v) for v in value), key=repr)
    if isinstance(value, dict):
        return sorted(((str(k), normalize(v)) for k, v in value.items()), key=repr)
    return value


def canonical_rows(rows: Iterable[Sequence[Any]]) -> list[str]:
    """Rows as sorted canonical JSON text."""
    return sorted(json.dumps([normalize(v) for v in row], default=str) for row in rows)


def compare(
    con: Any,
    sql: str,
    params: Params,
    expected: tuple[list[str], list[tuple[Any, ...]]],
    limit: int,
) -> str:
    """How this query's answer relates to the hand SQL's: 'same', 'same count', or the diff."""
    names, rows = fetch_rows(con, sql, params)
    want_names, want_rows = expected
    problems = []
    if names != want_names:
        problems.append(f"columns {names} vs {want_names}")
    if len(rows) != len(want_rows):
        problems.append(f"{len(rows)} rows vs {len(want_rows)}")
    elif len(rows) <= limit:
        got, want = canonical_rows(rows), canonical_rows(want_rows)
        if got != want:
            diff = sum(1 for a, b in zip(got, want) if a != b)
            problems.append(f"{diff} of {len(rows)} rows differ")
    if problems:
        return "DIFFERENT: " + "; ".join(problems)
    return "same" if len(rows) <= limit else "same count"


def short_error(exc: BaseException) -> str:
    """One line for a table cell."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text.replace("|", "\\|")
    if len(text) > 140:
        text = text[:137] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Execution benchmark
# --------------------------------------------------------------------------------------------


@dataclass
class EngineResult:
    """One engine's outcome on one case."""

    times: list[float] = field(default_factory=list)
    check: str = ""
    error: str | None = None
    sql: str | None = None
    params: Params = field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        """Median time."""
        return statistics.median(self.times) if self.times else None

    @property
    def best(self) -> float | None:
        """Fastest time."""
        return min(self.times) if self.times else None


@dataclass
class CaseResult:
    """All engines' outcomes on one case."""

    case: Case
    rows: int = 0
    hand: EngineResult = field(default_factory=EngineResult)
    ours: EngineResult = field(default_factory=EngineResult)
    peer: EngineResult = field(default_factory=EngineResult)


def prepare(
    compile_one: Callable[[str], tuple[str, Params]] | None, unavailable: str, kql: str
) -> EngineResult:
    """Compile one engine's SQL for a case, or say why not."""
    if compile_one is None:
        return EngineResult(error=unavailable)
    try:
        sql, params = compile_one(kql)
    except Exception as exc:
        return EngineResult(error=compile_failure(exc))
    return EngineResult(sql=sql, params=params)


def compile_failure(exc: BaseException) -> str:
    """A table cell for a failed compile: a KQL error is 'unsupported', anything else a crash."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"KqlError", "KqlSyntaxError", "KqlUnsupportedError", "KqlSchemaError"}:
        return "unsupported: " + short_error(exc)
    return "compiler failed: " + short_error(exc)


def run_once(con: Any, engine: EngineResult, record: bool) -> None:
    """Execute an engine's SQL once, recording its time (or its failure)."""
    start = time.perf_counter()
    try:
        execute(con, engine.sql or "", engine.params)
    except Exception as exc:
        engine.error = "run failed: " + short_error(exc)
        engine.times.clear()
        return
    if record:
        engine.times.append(time.perf_counter() - start)


def run_case(
    con: Any,
    case: Case,
    ours: Callable[[str], tuple[str, Params]] | None,
    ours_unavailable: str,
    peer: Callable[[str], tuple[str, Params]] | None,
    peer_unavailable: str,
    args: argparse.Namespace,
) -> CaseResult:
    """Time the engines on one case, interleaved run by run, then check their answers.

    Interleaving (hand, ours, peer, hand, ours, peer, ...) spreads any other load on the machine
    over the three alike, so their ratios stay meaningful when absolute times are noisy.
    """
    result = CaseResult(case)
    result.hand = EngineResult(check="reference", sql=case.sql)
    result.ours = prepare(ours, ours_unavailable, case.kql)
    result.peer = prepare(peer, peer_unavailable, case.kql)
    engines = (result.hand, result.ours, result.peer)
    for run in range(args.warmup + args.runs):
        for engine in engines:
            if engine.error is None:
                run_once(con, engine, record=run >= args.warmup)
    if result.hand.error is not None:
        raise RuntimeError(f"hand SQL of {case.name} failed: {result.hand.error}")
    expected = fetch_rows(con, case.sql, {})
    result.rows = len(expected[1])
    for engine in (result.ours, result.peer):
        if engine.error is None and engine.sql is not None:
            try:
                engine.check = compare(con, engine.sql, engine.params, expected, args.compare_limit)
            except Exception as exc:
                engine.error = "check failed: " + short_error(exc)
    return result


def run_cases(
    con: Any,
    cases: Sequence[Case],
    ours: Callable[[str], tuple[str, Params]] | None,
    ours_unavailable: str,
    peer: Callable[[str], tuple[str, Params]] | None,
    peer_unavailable: str,
    args: argparse.Namespace,
) -> list[CaseResult]:
    """Run every case on every engine."""
    results = []
    for case in cases:
        print(f"  {case.name} ...", end="", flush=True)
        result = run_case(con, case, ours, ours_unavailable, peer, peer_unavailable, args)
        print(
            f" hand {ms(result.hand.seconds)} ms, ours {ms(result.ours.seconds)} ms, "
            f"duckdb-kql {ms(result.peer.seconds)} ms",
            flush=True,
        )
        results.append(result)
    return results


# --------------------------------------------------------------------------------------------
# Compile-time benchmark
# --------------------------------------------------------------------------------------------

COLD_OURS = """
import inspect, json, sys, time
from datetime import datetime, timezone
t0 = time.perf_counter()
from kustodian.kql import compile as c
t1 = time.perf_counter()
ps = inspect.signature(c).parameters.values()
takes = any(p.name == "now" or p.kind is inspect.Parameter.VAR_KEYWORD for p in ps)
kw = {"now": datetime(2026, 11, 30, tzinfo=timezone.utc)} if takes else {}
c(sys.argv[1], dialect="duckdb", **kw)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "compile": t2 - t1}))
"""

COLD_PEER = """
import json, sys, time
from datetime import datetime, timezone
t0 = time.perf_counter()
import duckdb_kql
t1 = time.perf_counter()
duckdb_kql.to_sql(sys.argv[1], schema=json.loads(sys.argv[2]),
                  query_now=datetime(2026, 11, 30, tzinfo=timezone.utc))
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "compile": t2 - t1}))
"""


@dataclass
class CompileResult:
    """Compile times of one query for one engine (seconds), or why there are none."""

    cold_import: float | None = None
    cold_compile: float | None = None
    warm: float | None = None
    error: str | None = None


def cold_compile(code: str, argv: Sequence[str], spawns: int) -> tuple[float, float]:
    """Median (import, first compile) seconds over `spawns` fresh interpreters."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    imports, compiles = [], []
    for _ in range(spawns):
        proc = subprocess.run(
            [sys.executable, "-c", code, *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            lines = (proc.stderr.strip() or proc.stdout.strip() or "failed").splitlines()
            raise RuntimeError(lines[-1])
        timing = json.loads(proc.stdout.strip().splitlines()[-1])
        imports.append(timing["import"])
        compiles.append(timing["compile"])
    return statistics.median(imports), statistics.median(compiles)


def warm_compile(compile_one: Callable[[str], Any], kql: str, iterations: int) -> float:
    """Median seconds per compile, each of a textually different variant (no cache hit)."""
    compile_one(kql + "\n// warm-up")
    times = []
    for i in range(iterations):
        variant = f"{kql}\n// variant {i}"
        start = time.perf_counter()
        compile_one(variant)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compile_bench(
    name: str,
    kql: str,
    compile_one: Callable[[str], Any] | None,
    unavailable: str,
    cold_code: str,
    cold_argv: Sequence[str],
    args: argparse.Namespace,
) -> CompileResult:
    """Cold and warm compile times of one query for one engine."""
    if compile_one is None:
        return CompileResult(error=unavailable)
    try:
        compile_one(kql)
    except Exception as exc:
        return CompileResult(error=compile_failure(exc))
    result = CompileResult()
    try:
        result.warm = warm_compile(compile_one, kql, args.compile_iters)
        result.cold_import, result.cold_compile = cold_compile(
            cold_code, [kql, *cold_argv], args.cold_spawns
        )
    except Exception as exc:
        result.error = short_error(exc)
    return result


def load_sentinel_queries(path: Path, names: Sequence[str]) -> list[tuple[str, str]]:
    """(name, KQL) of the named rules in queries.jsonl, in the given order."""
    if not path.exists():
        return []
    by_name = {}
    for line in path.read_text().splitlines():
        if line.strip():
            rule = json.loads(line)
            if rule.get("identity_only"):
                by_name[rule.get("name")] = rule["query"]
    return [(name, by_name[name]) for name in names if name in by_name]


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    """Milliseconds for a table cell."""
    if seconds is None:
        return "–"
    value = seconds * 1000
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    """a/b for a table cell."""
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def engine_cells(result: EngineResult, hand: EngineResult) -> list[str]:
    """Time (median / min), ratio (of medians, and of minimums) and check cells for one engine."""
    if result.error is not None:
        return ["–", "–", result.error]
    return [
        f"{ms(result.seconds)} / {ms(result.best)}",
        f"{ratio(result.seconds, hand.seconds)} ({ratio(result.best, hand.best)})",
        result.check,
    ]


def execution_table(results: Sequence[CaseResult]) -> str:
    """The execution results as a markdown table."""
    lines = [
        "| case | rows | hand ms | ours ms | ours/hand | ours check "
        "| duckdb-kql ms | duckdb-kql/hand | duckdb-kql check |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        cells = [
            f"{r.case.group}: {r.case.name}",
            f"{r.rows:,}",
            f"{ms(r.hand.seconds)} / {ms(r.hand.best)}",
            *engine_cells(r.ours, r.hand),
            *engine_cells(r.peer, r.hand),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compile_cells(result: CompileResult) -> list[str]:
    """Cold and warm cells for one engine."""
    if result.error is not None and result.warm is None:
        return ["–", "–", result.error]
    cold = "–"
    if result.cold_compile is not None and result.cold_import is not None:
        cold = f"{ms(result.cold_compile)} (+{ms(result.cold_import)} import)"
    return [cold, ms(result.warm), result.error or ""]


def compile_table(rows: Sequence[tuple[str, int, CompileResult, CompileResult]]) -> str:
    """The compile-time results as a markdown table."""
    lines = [
        "| query | KQL chars | ours cold ms | ours warm ms | ours note "
        "| duckdb-kql cold ms | duckdb-kql warm ms | duckdb-kql note |",
        "|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for name, chars, ours, peer in rows:
        cells = [name, f"{chars:,}", *compile_cells(ours), *compile_cells(peer)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or platform's answer)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1-minute load average (other work on the machine skews the timings)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def environment(con: Any, args: argparse.Namespace, table_rows: int, load_before: str) -> list[str]:
    """Lines describing the machine and the run."""
    import duckdb

    meta = data.table_meta(con)
    (threads,) = con.execute("SELECT current_setting('threads')").fetchall()[0]
    peer = peer_version()
    return [
        f"- machine: `{platform.machine()}`, {cpu_model()}, {os.cpu_count()} cores; "
        f"DuckDB threads: {threads}",
        f"- duckdb {duckdb.__version__}, Python {platform.python_version()}, "
        f"duckdb-kql {peer or 'not installed'}",
        f"- data: `{args.db.name}`, {table_rows:,} rows of SigninLogs "
        f"(data.py v{meta.get('version', '?')}, seed {meta.get('seed', '?')}, "
        f"made in {meta.get('seconds', '?')} s with duckdb {meta.get('duckdb', '?')}); "
        f"NOW = {NOW.isoformat()}",
        f"- timing: median / min of {args.runs} runs after {args.warmup} warm-up, engines "
        f"interleaved run by run, execute + fetch as Arrow; ratios of medians (of mins); compile: cold = median of {args.cold_spawns} fresh "
        f"interpreters, warm = median of {args.compile_iters} variants",
        f"- load average (1 min) before / after: {load_before} / {load_average()} "
        f"(on {os.cpu_count()} cores; above ~0.5 before means other work was running)",
    ]


def report(
    env_lines: Sequence[str],
    results: Sequence[CaseResult],
    compiles: Sequence[tuple[str, int, CompileResult, CompileResult]],
) -> str:
    """The whole markdown report (without the dated heading)."""
    parts = ["\n".join(env_lines)]
    if results:
        parts += ["", "### Execution", "", execution_table(results)]
    notes = [f"- `{r.case.name}`: {r.case.notes}" for r in results if r.case.notes]
    if notes:
        parts += ["", "Notes on the hand SQL:", "", *notes]
    if compiles:
        parts += ["", "### Compile time", "", compile_table(compiles)]
    return "\n".join(parts) + "\n"


def write_results(path: Path, body: str) -> None:
    """Append a dated section to RESULTS.md (created with a header if missing)."""
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\n"
            "Sections appended by `python benchmarks/run.py --write`, newest last. "
            "See benchmarks/README.md for what is measured.\n"
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with path.open("a") as out:
        out.write(f"\n## {stamp}\n\n{body}")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=data.DEFAULT_DB, help="the DuckDB file")
    parser.add_argument(
        "--rows", type=int, default=10_000_000, help="rows to generate if --db is missing"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (median)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    parser.add_argument("--cases", default="", help="comma-separated case names (default all)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
    parser.add_argument(
        "--compare-limit", type=int, default=200_000, help="compare rows up to this many"
    )
    parser.add_argument("--compile-iters", type=int, default=50)
    parser.add_argument("--cold-spawns", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="skip compile timings")
    parser.add_argument("--no-exec", action="store_true", help="skip execution timings")
    parser.add_argument("--no-peer", action="store_true", help="skip duckdb-kql")
    parser.add_argument("--sentinel-queries", type=Path, default=DEFAULT_SENTINEL)
    parser.add_argument("--write", action="store_true", help=f"append to {RESULTS_MD.name}")
    parser.add_argument("--results", type=Path, default=RESULTS_MD)
    parser.add_argument("--show-sql", action="store_true", help="print each compiled SQL")
    return parser.parse_args(argv)


def select_cases(spec: str) -> list[Case]:
    """The cases named in `spec` (all if empty)."""
    if not spec:
        return list(CASES)
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    known = {c.name: c for c in CASES}
    missing = [w for w in wanted if w not in known]
    if missing:
        raise SystemExit(f"unknown case(s) {missing}; known: {sorted(known)}")
    return [known[w] for w in wanted]


def workspace_schema() -> dict[str, list[str]]:
    """Table -> column names for every table in the workspace schema (duckdb-kql's `schema=`)."""
    tables = json.loads(data.SCHEMA_PATH.read_text())
    return {name: [c["name"] for c in cols] for name, cols in tables.items()}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cases = select_cases(args.cases)
    import duckdb

    if not args.db.exists():
        print(f"{args.db} is missing: generating {args.rows:,} rows (benchmarks/data.py) ...")
        data.generate(args.db, args.rows)
    con = duckdb.connect(str(args.db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    (table_rows,) = con.execute(f"SELECT count(*) FROM {data.TABLE}").fetchall()[0]
    load_before = load_average()

    ours: Callable[[str], tuple[str, Params]] | None = None
    ours_unavailable = ""
    try:
        ours = ours_compiler()
    except ImportError as exc:
        ours_unavailable = "compiler not available: " + short_error(exc)
    peer: Callable[[str], tuple[str, Params]] | None = None
    peer_unavailable = "skipped (--no-peer)" if args.no_peer else ""
    if not args.no_peer:
        try:
            peer = peer_compiler(workspace_schema())
        except ImportError:
            peer_unavailable = "not installed (pip install duckdb-kql)"

    results: list[CaseResult] = []
    if not args.no_exec:
        print(f"{len(cases)} cases on {table_rows:,} rows ({args.db})", flush=True)
        results = run_cases(con, cases, ours, ours_unavailable, peer, peer_unavailable, args)
    if args.show_sql:
        for r in results:
            for label, res in (("ours", r.ours), ("duckdb-kql", r.peer)):
                if res.sql:
                    print(f"\n-- {r.case.name} ({label})\n{res.sql}")

    compiles: list[tuple[str, int, CompileResult, CompileResult]] = []
    if not args.no_compile:
        print("compile times ...", flush=True)
        peer_argv = [json.dumps(workspace_schema())]
        queries = [(f"admin: {c.name}", c.kql) for c in CASES if c.group == "admin"]
        sentinel = load_sentinel_queries(args.sentinel_queries, SENTINEL_COMPILE_QUERIES)
        queries += [(f"Sentinel: {name}", kql) for name, kql in sentinel]
        for name, kql in queries:
            print(f"  {name} ...", flush=True)
            compiles.append(
                (
                    name,
                    len(kql),
                    compile_bench(name, kql, ours, ours_unavailable, COLD_OURS, [], args),
                    compile_bench(name, kql, peer, peer_unavailable, COLD_PEER, peer_argv, args),
                )
            )
    body = report(environment(con, args, table_rows, load_before), results, compiles)
    con.close()
    print()
    print(body)
    if args.write:
        write_results(args.results, body)
        print(f"appended to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
