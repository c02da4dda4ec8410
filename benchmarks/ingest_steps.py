"""Where ingestion's time goes: CPU seconds per 100,000 records, step by step.

Two measurements on the same input (diagnostic-settings sign-ins, one JSON record per line):

- `ingest`: a real `kustodian ingest` of the first `--records` records into a fresh workspace,
  in this process, with the CPU time (user + system, every DuckDB thread) of each statement
  the ingestor runs, grouped by what the statement does, and of the rest (Python: reading,
  splitting lines, Arrow, orchestration);
- `steps`: DuckDB's building blocks on one chunk (`--chunk` records) of the same input, alone:
  parsing checks (`json_valid`, `json_keys`, multi-path `json_extract_string`), the mapping's
  `json_transform` (every column, as the INSERT reads it), `read_json` of the same records from a
  file (what the baseline of `ingest.py` parses with), and copying the lines into a table.

Usage: python benchmarks/ingest_steps.py [--input PT1H.json] [--records 131072] [--chunk 32768]
(without --input, the records are generated as in ingest.py).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402
from benchmarks.ingest import write_input  # noqa: E402

from kustodian.ingest import sink  # noqa: E402
from kustodian.ingest.mapping import diag_mapping  # noqa: E402
from kustodian.kql.catalog import entra_tables  # noqa: E402

# What each statement of the ingestor does, by how its SQL starts.
KINDS = (
    ("INSERT INTO", "INSERT (parse, convert every column, compress)"),
    ("CREATE TEMP TABLE", "narrow pass (route guard, typed fields, keys)"),
    ("SELECT cat,", "routing pass (key sets, categories)"),
    ("SELECT hash(k), k", "routing pass (key sets, categories)"),
    ("SELECT DISTINCT json_type", "extension column typing"),
    ("DELETE FROM", "duplicates (anti-join on _ItemId)"),
)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _kind(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return next((name for start, name in KINDS if text.startswith(start)), "small statements")


def profile_ingest(data: Path, root: Path) -> tuple[int, dict[str, float], float]:
    """Ingest the file into a fresh workspace; (records, CPU s by statement kind, CPU s in all)."""
    from kustodian.cli.main import BULK_MEMORY_LIMIT, open_path
    from kustodian.ingest import ingest_paths
    from kustodian.workspace.workspace import Workspace

    stats: dict[str, float] = defaultdict(float)
    run = sink._ChunkConnection.execute
    commit = sink.Ingestor._commit

    def timed_run(self: sink._ChunkConnection, sql: str, params: object = None) -> sink._Rows:
        t = cpu()
        try:
            return run(self, sql, params)
        finally:
            stats[_kind(sql)] += cpu() - t

    def timed_commit(self: sink.Ingestor) -> None:
        t = cpu()
        try:
            commit(self)
        finally:
            stats["COMMIT"] += cpu() - t

    ws_dir = root / "ws"
    shutil.rmtree(ws_dir, ignore_errors=True)
    Workspace.init(ws_dir).close()
    sink._ChunkConnection.execute = timed_run  # type: ignore[method-assign]
    sink.Ingestor._commit = timed_commit  # type: ignore[method-assign]
    try:
        ws = open_path(str(ws_dir), create=False, memory_limit=BULK_MEMORY_LIMIT, bulk=True)
        start = cpu()
        summary = ingest_paths(ws, [str(data)])
        ws.close()
        total = cpu() - start
    finally:
        sink._ChunkConnection.execute = run  # type: ignore[method-assign]
        sink.Ingestor._commit = commit  # type: ignore[method-assign]
    return summary.ingested, dict(stats), total


def _struct_ddl(node: Any) -> str:
    if isinstance(node, dict):
        return "STRUCT(" + ", ".join(f'"{k}" {_struct_ddl(v)}' for k, v in node.items()) + ")"
    return str(node)


def steps(data: Path, root: Path, chunk: int) -> list[tuple[str, float]]:
    """CPU s per 100,000 records of each building block on one chunk (best of three)."""
    with data.open(encoding="utf-8") as f:
        lines = [line.rstrip("\n") for _, line in zip(range(chunk), f, strict=False)]
    part = root / "chunk.json"
    part.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sample = json.loads(lines[0])
    schema = next(t for t in entra_tables() if t.name == "SigninLogs")
    mapping = diag_mapping(schema, set(sample), set(sample.get("properties") or {}), {})
    structure = mapping.structure()
    columns = "{" + ", ".join(
        f"'{k}': '{_struct_ddl(v)}'" for k, v in json.loads(structure).items()
    )
    columns += "}"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    arrow = pa.table(
        {"n": pa.array(range(len(lines)), pa.int64()), "line": pa.array(lines, pa.large_string())}
    )
    con.register("__chunk", arrow)
    quoted = structure.replace("'", "''")
    cases = [
        ("copy the lines into a table", "SELECT n, line FROM __chunk"),
        ("json_valid", "SELECT n, json_valid(line) FROM __chunk"),
        (
            "json_keys (top level and properties; the route guard's parse)",
            "SELECT n, hash(json_keys(line, ['$', '$.properties'])) FROM __chunk",
        ),
        (
            "json_extract_string, 3 paths in one call",
            "SELECT n, json_extract_string(line, ['$.time', '$.category', '$.properties.id']) "
            "FROM __chunk",
        ),
        (
            "json_transform of every column (the INSERT's parse)",
            f"SELECT n, json_transform(line, '{quoted}') AS s FROM __chunk",
        ),
        (
            "read_json of the same records from a file, same columns",
            f"SELECT * FROM read_json('{part}', format='newline_delimited', columns={columns})",
        ),
    ]
    out = []
    for name, select in cases:
        out.append((name, _best(con, f"CREATE TEMP TABLE __t AS {select}") * 100_000 / len(lines)))
    return out


def _best(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    times = []
    for _ in range(3):
        con.execute("DROP TABLE IF EXISTS __t")
        t = cpu()
        con.execute(sql)
        times.append(cpu() - t)
    con.execute("DROP TABLE IF EXISTS __t")
    return min(times)


def _table(rows: list[tuple[str, float]], head: str) -> list[str]:
    return [f"| {head} | CPU s per 100,000 records |", "|---|---:|"] + [
        f"| {name} | {value:.2f} |" for name, value in rows
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", type=Path, help="JSON lines of sign-in records (default: generate)")
    ap.add_argument("--records", type=int, default=131_072)
    ap.add_argument("--chunk", type=int, default=32_768)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kustodian-steps-"))
    try:
        data = root / "input.json"
        if args.input:
            with args.input.open("rb") as src, data.open("wb") as dst:
                for _, line in zip(range(args.records), src, strict=False):
                    dst.write(line)
        else:
            write_input(data, args.records)
        n, stats, total = profile_ingest(data, root)
        scale = 100_000 / n
        rows = [(k, v * scale) for k, v in sorted(stats.items(), key=lambda kv: -kv[1])]
        rest = total - sum(stats.values())
        rows.append(("Python and the rest (reading, lines, Arrow, orchestration)", rest * scale))
        rows.append(("**all**", total * scale))
        print(f"ingest: {n:,} records, {total:.1f} CPU s\n")
        print("\n".join(_table(rows, "ingest step")))
        print()
        print("\n".join(_table(steps(data, root, args.chunk), f"one chunk of {args.chunk:,}")))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
