"""Run the KQL reference-docs example corpus through kustodian and compare with the docs.

Usage (from the repository root):

    python -m tests.corpus.runner [--tier A] [--show-failures] [--write-known-failures]

The corpus is `../shared/kql-docs-corpus/examples.jsonl` relative to the repository root, or
`$KUSTODIAN_SHARED/kql-docs-corpus/examples.jsonl`. Each example of tiers A and B (and C, which
is only reported) runs in-process with `Workspace.open(":memory:").query(query, now=FIXED_NOW)`;
every exception is caught and reported per example. Only the first result table is compared
(the docs' main table). One workspace is reused across examples (the corpus queries are
self-contained and read-only) and reopened after any failure other than a KQL error;
`--fresh` opens one per example instead (a DuckDB `:memory:` connection alone costs ~15 ms,
i.e. ~10 s over the corpus on a small machine). Each example has a best-effort time limit
(`--timeout`, SIGALRM in the main thread: Python code stops at once, DuckDB only when it next
checks for interrupts); memory is not limited.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .compare import compare

REPO_ROOT = Path(__file__).resolve().parents[2]
KNOWN_FAILURES_PATH = Path(__file__).with_name("known_failures.txt")
CORPUS_FILE = Path("kql-docs-corpus") / "examples.jsonl"

FIXED_NOW = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
TIERS = {"A-identity-core": "A", "B-clean": "B", "C-needs-care": "C"}
GATED_TIERS = ("A", "B")  # subject to the pass-rate floors and the known-failure list
MIN_PASS_RATE = {"A": 0.95, "B": 0.70}
DEFAULT_TIMEOUT = 10.0  # seconds per example (SIGALRM; main thread only)
MAX_REASON = 200


@dataclass(frozen=True)
class Outcome:
    id: str
    tier: str  # "A" | "B" | "C"
    status: str  # "pass" | "mismatch" | "error"
    reason: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "pass"


# --------------------------------------------------------------------------------------------
# Corpus


def corpus_path() -> Path | None:
    """The corpus file, or None when it is not there (tests then skip)."""
    shared = os.environ.get("KUSTODIAN_SHARED")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared"
    path = base / CORPUS_FILE
    return path if path.is_file() else None


def load_corpus(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def tier_of(example: dict[str, Any]) -> str:
    return TIERS.get(str(example.get("conformance_tier")), "C")


# --------------------------------------------------------------------------------------------
# Engine


def _import_kustodian() -> Any:
    try:
        import kustodian
    except ModuleNotFoundError as exc:
        if exc.name != "kustodian":
            raise
        src = REPO_ROOT / "src"  # not installed: use the source tree
        if not (src / "kustodian").is_dir():
            raise
        sys.path.insert(0, str(src))
        import kustodian
    return kustodian


def engine_unavailable_reason() -> str | None:
    """Why the engine cannot run at all yet (no `kustodian` package or no `Workspace`), or None.

    A `kustodian` that fails to import for another reason is a bug, not "not there yet": that
    exception propagates.
    """
    try:
        kustodian = _import_kustodian()
    except ModuleNotFoundError as exc:
        if exc.name != "kustodian":
            raise
        return "the kustodian package is not importable"
    if not hasattr(kustodian, "Workspace"):
        return "kustodian.Workspace does not exist yet"
    return None


class _Engine:
    """Opens workspaces lazily; reuses one unless `fresh`, or until a failure discards it."""

    def __init__(self, *, fresh: bool) -> None:
        self.fresh = fresh
        self.opens = 0
        self.open_seconds = 0.0
        self._workspace: Any = None

    def workspace(self) -> Any:
        if self._workspace is None or self.fresh:
            self.discard()
            started = time.perf_counter()
            self._workspace = _import_kustodian().Workspace.open(":memory:")
            self.open_seconds += time.perf_counter() - started
            self.opens += 1
        return self._workspace

    def discard(self) -> None:
        workspace, self._workspace = self._workspace, None
        close = getattr(workspace, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):
                close()


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[list[bool]]:
    """Raise `_Timeout` in the main thread after `seconds` (DuckDB turns the signal into a
    "Query interrupted" error; the yielded flag tells that a timeout happened). No-op where
    SIGALRM is unavailable, off the main thread, or when another interval timer is running."""
    fired = [False]
    usable = (
        seconds
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield fired
        return

    def on_alarm(signum: int, frame: Any) -> None:
        fired[0] = True
        raise _Timeout(f"exceeded {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds or 0))
    try:
        yield fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        code = getattr(diagnostics[0], "code", None)
        message = getattr(diagnostics[0], "message", None)
        if code:
            name = f"{name}[{code}]"
        if message:
            return _short(f"{name}: {_first_line(message)}")
    return _short(f"{name}: {_first_line(str(exc))}")


def _is_kql_error(exc: BaseException) -> bool:
    return type(exc).__name__ == "KqlError" or hasattr(exc, "diagnostics")


def _cell_columns(table: Any) -> list[tuple[str, str]]:
    out = []
    for col in table.columns:
        if isinstance(col, tuple | list):
            out.append((str(col[0]), str(col[1]) if len(col) > 1 else ""))
        else:
            out.append((str(getattr(col, "name", col)), str(getattr(col, "type", ""))))
    return out


def _first_table(result: Any) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    """The main (first) table of a query result, for results of several statements/`fork`."""
    if isinstance(result, list | tuple):
        result = result[0]
    tables = getattr(result, "tables", None)
    if isinstance(tables, list | tuple) and tables:
        result = tables[0]
    return _cell_columns(result), [list(row) for row in result.rows]


def run_example(
    engine: _Engine, example: dict[str, Any], *, timeout: float | None = DEFAULT_TIMEOUT
) -> Outcome:
    ex_id, tier = str(example.get("id")), tier_of(example)
    started = time.perf_counter()

    def done(status: str, reason: str = "") -> Outcome:
        return Outcome(ex_id, tier, status, reason, time.perf_counter() - started)

    fired = [False]
    try:
        with _deadline(timeout) as fired:
            workspace = engine.workspace()
            result = workspace.query(example["query"], now=FIXED_NOW)
            columns, rows = _first_table(result)
    except Exception as exc:
        if fired[0]:
            engine.discard()
            return done("error", f"Timeout: exceeded {timeout:g}s")
        if not _is_kql_error(exc):
            engine.discard()
        return done("error", _describe(exc))
    try:
        mismatch = compare(example, columns, rows)
    except Exception as exc:  # a comparator bug must not hide the other examples
        return done("error", _short(f"comparator crashed: {_describe(exc)}"))
    if mismatch is not None:
        return done("mismatch", _short(str(mismatch)))
    return done("pass")


def run_corpus(
    examples: Iterable[dict[str, Any]],
    *,
    tiers: Sequence[str] = ("A", "B", "C"),
    fresh: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> tuple[list[Outcome], dict[str, float]]:
    """Run the examples of `tiers`; returns the outcomes and timing stats."""
    engine = _Engine(fresh=fresh)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    unavailable: str | None = None
    try:
        unavailable = engine_unavailable_reason()
    except Exception as exc:  # kustodian itself fails to import
        unavailable = f"import kustodian failed: {_describe(exc)}"
    for example in examples:
        if tier_of(example) not in tiers:
            continue
        if unavailable is not None:
            outcomes.append(Outcome(str(example.get("id")), tier_of(example), "error", unavailable))
            continue
        outcomes.append(run_example(engine, example, timeout=timeout))
    engine.discard()
    stats = {
        "seconds": time.perf_counter() - started,
        "opens": float(engine.opens),
        "open_seconds": engine.open_seconds,
    }
    return outcomes, stats


# --------------------------------------------------------------------------------------------
# Reporting and the known-failure list


def tier_counts(outcomes: Iterable[Outcome]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for o in outcomes:
        c = counts.setdefault(o.tier, {"total": 0, "pass": 0, "mismatch": 0, "error": 0})
        c["total"] += 1
        c[o.status] += 1
    return counts


def docs_errors(known: dict[str, str]) -> set[str]:
    """Listed examples whose docs output is wrong (reason `docs: ...`): a correct engine cannot
    match them, so the pass rates are taken without them (and the summary shows both)."""
    return {k for k, v in known.items() if v.startswith("docs:")}


def gated_rate(outcomes: Sequence[Outcome], tier: str, known: dict[str, str]) -> tuple[int, int]:
    """(passed, total) of a tier, not counting examples whose docs output is wrong."""
    bad = docs_errors(known)
    rows = [o for o in outcomes if o.tier == tier and o.id not in bad]
    return sum(o.passed for o in rows), len(rows)


def format_summary(
    outcomes: Sequence[Outcome],
    stats: dict[str, float] | None = None,
    known: dict[str, str] | None = None,
) -> str:
    known = known if known is not None else read_known_failures()
    lines = ["KQL docs corpus: tier   pass/total   rate   mismatch  error   docs-wrong  gated rate"]
    bad = docs_errors(known)
    for tier, c in sorted(tier_counts(outcomes).items()):
        rate = c["pass"] / c["total"] if c["total"] else 0.0
        floor = MIN_PASS_RATE.get(tier)
        passed, total = gated_rate(outcomes, tier, known)
        wrong = sum(1 for o in outcomes if o.tier == tier and o.id in bad)
        gated = f"{passed / total:6.1%}" if total else "   -  "
        note = f"(floor {floor:.0%})" if floor is not None else "(report only)"
        lines.append(
            f"                  {tier}   {c['pass']:4d}/{c['total']:<4d}  {rate:6.1%}"
            f"   {c['mismatch']:6d}  {c['error']:5d}   {wrong:9d}  {gated}  {note}"
        )
    if stats:
        n = max(len(outcomes), 1)
        lines.append(
            f"  {stats['seconds']:.1f}s for {len(outcomes)} examples "
            f"({1000 * stats['seconds'] / n:.1f} ms each); "
            f"{int(stats['opens'])} workspace opens, {stats['open_seconds']:.2f}s"
        )
    return "\n".join(lines)


def format_failures(outcomes: Iterable[Outcome]) -> str:
    rows = [o for o in outcomes if not o.passed]
    return "\n".join(f"[{o.tier}] {o.id}\t{o.status}\t{o.reason}" for o in rows)


def read_known_failures(path: Path = KNOWN_FAILURES_PATH) -> dict[str, str]:
    """`<id>\\t<reason>` per line; blank lines and `#` comments are ignored."""
    known: dict[str, str] = {}
    if not path.is_file():
        return known
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        ex_id, _, reason = line.partition("\t")
        known[ex_id.strip()] = reason.strip()
    return known


_HEADER = (
    "# Docs-corpus examples of tiers A and B that are known to fail: <id>\\t<reason>.\n"
    "# Regenerate with `python -m tests.corpus.runner --write-known-failures`\n"
    "# (existing reasons are kept for examples that still fail).\n"
)


def write_known_failures(
    outcomes: Iterable[Outcome],
    known: dict[str, str],
    path: Path = KNOWN_FAILURES_PATH,
) -> dict[str, str]:
    """Rewrite the list from the outcomes of tiers A and B; entries for examples that were not
    run (other tiers selected, `--id`) are kept. Returns the new list."""
    outcomes = [o for o in outcomes if o.tier in GATED_TIERS]
    ran = {o.id for o in outcomes}
    new = {k: v for k, v in known.items() if k not in ran}
    for o in outcomes:
        if not o.passed:
            new[o.id] = known.get(o.id) or _short(f"{o.status}: {o.reason}")
    body = "".join(f"{k}\t{' '.join(v.split())}\n" for k, v in sorted(new.items()))
    path.write_text(_HEADER + body, encoding="utf-8")
    return new


def gate_problems(outcomes: Sequence[Outcome], known: dict[str, str]) -> list[str]:
    """What makes the conformance test fail: pass rates below the floors, listed failures that
    now pass, and failures that are not listed. Only tiers A and B are gated."""
    problems: list[str] = []
    counts = tier_counts(outcomes)
    for tier in GATED_TIERS:
        c = counts.get(tier)
        if not c:
            continue
        passed, total = gated_rate(outcomes, tier, known)
        rate = passed / total if total else 1.0
        if rate < MIN_PASS_RATE[tier]:
            problems.append(
                f"tier {tier} pass rate {rate:.1%} ({passed}/{total}, without docs-wrong "
                f"examples) is below {MIN_PASS_RATE[tier]:.0%}"
            )
    gated = [o for o in outcomes if o.tier in GATED_TIERS]
    fixed = [o for o in gated if o.passed and o.id in known]
    new = [o for o in gated if not o.passed and o.id not in known]
    for o in fixed:
        problems.append(f"listed failure now passes: remove it from known_failures.txt: {o.id}")
    for o in new:
        problems.append(f"new failure: {o.id} ({o.status}): {o.reason}")
    return problems


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.corpus.runner", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tier", action="append", choices=["A", "B", "C"], help="repeatable")
    parser.add_argument("--id", action="append", dest="ids", help="run only these example ids")
    parser.add_argument("--show-failures", action="store_true", help="list every failure")
    parser.add_argument(
        "--write-known-failures", action="store_true", help="regenerate known_failures.txt"
    )
    parser.add_argument("--fresh", action="store_true", help="a new workspace per example")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="s per example")
    parser.add_argument("--corpus", type=Path, help="path of examples.jsonl")
    args = parser.parse_args(argv)

    path = args.corpus or corpus_path()
    if path is None or not path.is_file():
        print("docs corpus not found: set KUSTODIAN_SHARED to the shared folder", file=sys.stderr)
        return 2
    examples = load_corpus(path)
    if args.ids:
        wanted = set(args.ids)
        examples = [e for e in examples if e.get("id") in wanted]
    tiers = tuple(args.tier or ("A", "B", "C"))
    outcomes, stats = run_corpus(
        examples, tiers=tiers, fresh=args.fresh, timeout=args.timeout or None
    )

    known = read_known_failures()
    if args.show_failures:
        failures = format_failures(outcomes)
        print(failures if failures else "no failures")
        print()
    print(format_summary(outcomes, stats))
    if args.write_known_failures:
        new = write_known_failures(outcomes, known)
        print(f"wrote {len(new)} entries to {KNOWN_FAILURES_PATH}")
        return 0
    problems = gate_problems(outcomes, known)
    if problems:
        shown = problems[:40]
        print(f"\n{len(problems)} problem(s):")
        print("\n".join(f"  {p}" for p in shown))
        if len(problems) > len(shown):
            print(f"  ... and {len(problems) - len(shown)} more")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
