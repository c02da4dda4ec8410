"""`kustodian simulate`: a demo tenant's logs, written through the ingestion path.

    kustodian simulate --workspace PATH --days 30 --users 500 --seed 1 [--end ISO] [--live]

`--export DIR` writes the records as export files instead (Event Hub bodies, a storage-account
archive tree or Graph pages), for trying the ingestion of each shape by hand.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from kustodian.cli.main import fail

EXPORTS = ("eventhub", "archive", "graph")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `simulate` on the `kustodian` command's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="generate a demo tenant's sign-in and audit logs into a workspace",
        description="Generate a deterministic demo tenant (members, guests, admins, break-glass "
        "accounts, attacks) as Entra diagnostic-settings records and ingest them.",
    )
    p.add_argument(
        "--workspace",
        default=os.environ.get("KUSTODIAN_WORKSPACE"),
        help="workspace directory (default: $KUSTODIAN_WORKSPACE)",
    )
    p.add_argument("--days", type=int, default=30, help="days of logs, ending at --end")
    p.add_argument("--users", type=int, default=500, help="accounts in the directory (>= 20)")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same records")
    p.add_argument(
        "--end", help="end of the window, ISO 8601 (default: now, to the minute; pin it to repeat)"
    )
    p.add_argument(
        "--live", action="store_true", help="generate in real time from now on (Ctrl-C stops)"
    )
    p.add_argument(
        "--speed", type=float, default=1.0, help="--live: simulated seconds per real second"
    )
    p.add_argument("--export", metavar="DIR", help="write export files to DIR instead")
    p.add_argument("--export-format", choices=EXPORTS, default="eventhub")
    p.add_argument("--batch", type=int, default=5000, help=argparse.SUPPRESS)
    p.set_defaults(run=run, func=run)
    return p


def register(subparsers: Any) -> None:
    """The `kustodian.cli.main.COMMAND_MODULES` hook: adds `simulate` (sets `func`)."""
    add_parser(subparsers)


def _end(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    """Generate, then ingest (or export). Returns the process exit code."""
    from kustodian.simulate import Simulation

    try:
        end = _end(args.end)
        sim = Simulation(args.days, args.users, args.seed, end)
    except ValueError as e:
        return fail(f"{e} (--end takes ISO 8601, e.g. 2024-05-01T00:00:00Z)")
    if args.export:
        return _export(sim, args)
    if not args.workspace:
        return fail("no workspace: pass --workspace PATH or set KUSTODIAN_WORKSPACE")
    from kustodian.cli.main import BULK_MEMORY_LIMIT, open_path
    from kustodian.ingest import ingest_records
    from kustodian.workspace.workspace import WorkspaceError

    try:  # a demo may start from nothing: the workspace is created when missing
        ws = open_path(args.workspace, create=True, memory_limit=BULK_MEMORY_LIMIT)
    except WorkspaceError as e:
        return fail(str(e))
    try:
        if args.live:
            return _live(ws, ingest_records, args)
        return _batch(sim, ws, ingest_records, args)
    finally:
        ws.close()


class _Timed:
    """Wraps an iterator and counts the seconds spent inside it (generation, not ingestion)."""

    def __init__(self, it: Iterable[dict[str, Any]]) -> None:
        self.it = iter(it)
        self.seconds = 0.0
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        t = time.perf_counter()
        try:
            item = next(self.it)
        finally:
            self.seconds += time.perf_counter() - t
        self.count += 1
        return item


def _batch(sim: Any, ws: Any, ingest: Any, args: argparse.Namespace) -> int:
    start = time.perf_counter()
    gen = _Timed(sim.records())
    # one streaming call: the ingestor cuts its own batches and commits each
    summary = ingest(ws, gen, source="simulate")
    ingested, duplicates, rejected = summary.ingested, summary.duplicates, summary.rejected
    wall = time.perf_counter() - start
    rate = gen.count / gen.seconds if gen.seconds else 0.0
    print(
        f"simulated {gen.count:,} records for {len(sim.tenant.users)} accounts over "
        f"{args.days} days (seed {args.seed}, tenant {sim.tenant.tenant_id}) in {wall:.1f} s; "
        f"generated at {rate:,.0f} records/s"
    )
    print(f"ingested {ingested:,}, duplicates {duplicates:,}, rejected {rejected:,}")
    for category, n in sorted(sim.truth.records.items()):
        print(f"  {category:32} {n:>9,}")
    return 0 if rejected == 0 else 1


def _live(ws: Any, ingest: Any, args: argparse.Namespace) -> int:
    from kustodian.simulate import simulate_live

    pending: list[dict[str, Any]] = []
    total = 0
    flushed = time.monotonic()

    def flush() -> None:
        nonlocal total, flushed
        flushed = time.monotonic()
        if pending:
            ingest(ws, list(pending), source="simulate")
            total += len(pending)
            print(f"{pending[-1]['time']}  {total:,} records", flush=True)
            pending.clear()

    def sleep(seconds: float) -> None:
        # records are queryable within a couple of seconds, without one commit per record
        if seconds >= 1.0 or time.monotonic() - flushed >= 2.0:
            flush()
        time.sleep(seconds)

    print(f"live demo tenant: {args.users} accounts, seed {args.seed}; Ctrl-C stops", flush=True)
    try:
        for r in simulate_live(
            args.users, args.seed, days=args.days, speed=args.speed, sleep=sleep
        ):
            pending.append(r)
            if len(pending) >= args.batch:
                flush()
    except KeyboardInterrupt:
        pass
    flush()
    return 0


def _export(sim: Any, args: argparse.Namespace) -> int:
    from kustodian.simulate import write_event_hub, write_graph_pages, write_storage_archive

    start = time.perf_counter()
    gen = _Timed(sim.records())
    if args.export_format == "eventhub":
        files = write_event_hub(gen, args.export)
    elif args.export_format == "archive":
        files = write_storage_archive(gen, args.export)
    else:
        files = write_graph_pages(gen, args.export)
    wall = time.perf_counter() - start
    rate = gen.count / gen.seconds if gen.seconds else 0.0
    print(
        f"simulated {gen.count:,} records into {len(files):,} {args.export_format} files under "
        f"{args.export} in {wall:.1f} s; generated at {rate:,.0f} records/s"
    )
    return 0
