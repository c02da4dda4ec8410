"""Live mode: the demo tenant's records as they happen, in real time.

`simulate_live` yields them; `LiveFeed` ingests them into a workspace from a thread of the
serving process (`make demo`). The clock and the sleep are injectable, so tests run a day of
records in no time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kustodian.simulate.engine import Simulation
from kustodian.simulate.records import TICKS, record_ticks, to_ticks

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

log = logging.getLogger("kustodian.simulate")


def simulate_live(
    users: int = 500,
    seed: int = 0,
    *,
    days: int = 30,
    speed: float = 1.0,
    start: datetime | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Records from now on, each yielded when its `time` comes.

    Args:
        users: accounts in the directory.
        seed: the run's seed (the tenant is the same as a batch run's with these users and seed).
        days: how long the live window lasts; the generator ends after it.
        speed: how many simulated seconds pass per real second (60 makes an hour a minute).
        start: the simulated start; default the clock's now.
        clock: seconds since the epoch (like `time.time`).
        sleep: waits that many seconds (like `time.sleep`).

    Returns:
        An iterator of diagnostic-settings records in time order.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    real0 = clock()
    begin = start or datetime.fromtimestamp(real0, UTC)
    sim = Simulation(days=days, users=users, seed=seed, end=begin + timedelta(days=days))
    t0 = to_ticks(begin)
    for record in sim.records():
        due = real0 + (record_ticks(record) - t0) / TICKS / speed
        wait = due - clock()
        if wait > 0:
            sleep(wait)
        yield record


class LiveFeed(threading.Thread):
    """The live simulator writing into a workspace, as a thread of the serving process.

    The server holds the workspace's DuckDB file, so no other process can write to it; this
    thread (started and stopped with the server, next to its Housekeeper) ingests the records
    of `simulate_live` as their times come, in batches: what is pending is ingested before a
    wait once `flush_every` seconds have passed since the last batch (or the wait is as long).
    Rules should then use an ingestion delay of at least `flush_every`.

    Args:
        ws: the workspace to ingest into.
        users, seed: the tenant (the same as a batch run's with these arguments).
        days: how long the live window lasts (the thread ends after it).
        start: the simulated start; default the clock's now.
        clock: seconds since the epoch (like `time.time`); injectable for tests.
        sleep: waits that many seconds; default a wait that `stop()` interrupts.
        flush_every: seconds between batches.
        speed: simulated seconds per real second (1: records are stamped with the real time,
            which is what alerting on them needs).
    """

    def __init__(
        self,
        ws: Workspace,
        *,
        users: int = 500,
        seed: int = 0,
        days: int = 1,
        start: datetime | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] | None = None,
        flush_every: float = 10.0,
        speed: float = 1.0,
    ) -> None:
        super().__init__(name="kustodian-live-simulator", daemon=True)
        self.ws = ws
        self.users, self.seed, self.days, self.start_at = users, seed, days, start
        self.clock = clock
        self._sleep = sleep
        self.flush_every = flush_every
        self.speed = speed
        self._flushed_at = clock()
        self._halt = threading.Event()
        self._pending: list[dict[str, Any]] = []
        self.ingested = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            records = simulate_live(
                self.users,
                self.seed,
                days=self.days,
                speed=self.speed,
                start=self.start_at,
                clock=self.clock,
                sleep=self._wait,
            )
            for record in records:
                if self._halt.is_set():
                    break
                self._pending.append(record)
            self._flush()
        except Exception as e:  # logged; the server keeps serving without new records
            self.error = e
            log.exception("the live simulator stopped")

    def _wait(self, seconds: float) -> None:
        if seconds >= self.flush_every or self.clock() - self._flushed_at >= self.flush_every:
            self._flush()
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self._halt.wait(seconds)

    def _flush(self) -> None:
        if not self._pending:
            return
        from kustodian.ingest import ingest_records

        batch, self._pending = self._pending, []
        self._flushed_at = self.clock()
        summary = ingest_records(self.ws, batch, source="simulate-live")
        self.ingested += summary.ingested

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the current batch (waits for it, so the workspace can then close)."""
        self._halt.set()
        if self.is_alive():
            self.join(timeout)
