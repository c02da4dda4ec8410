"""Live mode: the demo tenant's records as they happen, in real time.

The clock and the sleep are injectable, so tests run a day of records in no time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from kustodian.simulate.engine import Simulation
from kustodian.simulate.records import TICKS, record_ticks, to_ticks


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
