"""Live mode, with a fake clock: records come when their time comes, never early."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest

from kustodian.simulate import Simulation, simulate_live
from kustodian.simulate.records import TICKS, record_ticks, to_ticks

START = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_records_are_yielded_when_due() -> None:
    clock = FakeClock(START.timestamp())
    live = simulate_live(30, 7, days=1, clock=clock.time, sleep=clock.sleep)
    for r in islice(live, 200):
        due = record_ticks(r) / TICKS
        assert clock.now >= due - 1e-6  # never before its time
        assert clock.now - due < 1.0  # and not long after
    assert clock.slept and all(s > 0 for s in clock.slept)


def test_speed_compresses_time() -> None:
    clock = FakeClock(START.timestamp())
    live = simulate_live(30, 7, days=1, speed=60, clock=clock.time, sleep=clock.sleep)
    records = list(islice(live, 300))
    simulated = (record_ticks(records[-1]) - to_ticks(START)) / TICKS
    assert clock.now - START.timestamp() == pytest.approx(simulated / 60, abs=1e-3)


def test_live_records_are_the_batch_run_of_the_same_window() -> None:
    clock = FakeClock(START.timestamp())
    live = list(simulate_live(20, 3, days=1, clock=clock.time, sleep=clock.sleep))
    batch = list(Simulation(1, 20, 3, START + timedelta(days=1)).records())
    assert live == batch
    assert clock.now >= record_ticks(live[-1]) / TICKS


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError):
        next(simulate_live(20, 1, speed=0))
