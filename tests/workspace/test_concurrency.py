"""Queries run while ingestion and alert evaluation write: each thread has its own connection.

The overlaps are made deterministic with events: the ingestion's progress callback, called with
its transaction open, waits until the other thread has done its part.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from kustodian import Workspace
from kustodian.alerts import evaluate, list_alerts
from kustodian.alerts.detections import detections, enable
from kustodian.ingest import IngestSummary, ingest_records
from kustodian.ingest.sink import LA, Ingestor
from kustodian.kql import KqlError
from kustodian.simulate import DEFAULT_END, Simulation

WAIT = 60.0  # seconds before a test gives up on the other thread (it never takes that long)


def sign_ins(first: int, count: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "TimeGenerated": f"2024-05-01T10:{(first + i) % 60:02d}:00Z",
            "Id": f"id-{first + i}",
            "UserPrincipalName": f"user{(first + i) % 50}@contoso.com",
            "ResultType": "0",
            **extra,
        }
        for i in range(count)
    ]


Progress = Callable[[IngestSummary], None]


@contextmanager
def paused_ingestion(feed: Callable[[Progress], object]) -> Iterator[None]:
    """Run `feed(progress)` (an ingestion) in a thread that stops at its first progress report,
    made with its transaction open (rows inserted, none committed), until the caller leaves the
    block."""
    paused, resume = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def progress(summary: IngestSummary) -> None:
        if not paused.is_set():
            paused.set()
            assert resume.wait(WAIT), "the test never resumed the ingestion"

    def run() -> None:
        try:
            feed(progress)
        except BaseException as e:  # reported by the main thread
            failure.append(e)
            paused.set()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert paused.wait(WAIT), "the ingestion never reached its open transaction"
        assert not failure, failure
        yield
    finally:
        resume.set()
        thread.join(WAIT)
    assert not thread.is_alive() and not failure, failure


def rows_feed(ws: Workspace, rows: list[dict[str, Any]]) -> Callable[[Progress], object]:
    """SigninLogs rows, all in one transaction (mapped in chunks of CHUNK_ROWS)."""

    def feed(progress: Progress) -> IngestSummary:
        ing = Ingestor(ws, batch_rows=len(rows), progress=progress)
        for i, row in enumerate(rows):
            ing.add(json.dumps(row), "test", f"row {i + 1}", shape=LA, table="SigninLogs")
        return ing.close()

    return feed


def in_thread(fn: Callable[[], Any]) -> Any:
    """Run fn in another thread and return its result: a call blocked on a lock fails the test
    instead of hanging it."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(_capture(fn)))
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "the call is blocked"
    result, error = out[0]
    if error is not None:
        raise error
    return result


def _capture(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return fn(), None
    except BaseException as e:
        return None, e


def count(ws: Workspace) -> int:
    return int(ws.query("SigninLogs | count").rows[0][0])


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        yield w


def test_a_query_answers_during_an_ingestion_transaction_and_sees_committed_rows(
    ws: Workspace,
) -> None:
    rows_feed(ws, sign_ins(0, 1000))(lambda _: None)
    # 50,000 rows in one transaction, mapped in chunks; it pauses after the first chunk
    with paused_ingestion(rows_feed(ws, sign_ins(1000, 50_000))):
        assert in_thread(lambda: count(ws)) == 1000  # from the server's worker threads
        assert count(ws) == 1000  # from the thread that opened the workspace
        top = in_thread(lambda: ws.query("SigninLogs | summarize n = count() by ResultType"))
        assert top.rows == [["0", 1000]]
    assert count(ws) == 51_000
    assert in_thread(lambda: count(ws)) == 51_000


def test_new_columns_reach_queries_when_their_rows_commit(ws: Workspace) -> None:
    with paused_ingestion(rows_feed(ws, sign_ins(0, 40_000, NewField_s="x"))):
        # the open transaction added the column; a query's snapshot does not have it yet
        assert "NewField_s" not in ws.catalog.tables["SigninLogs"].column_names()
        assert in_thread(lambda: ws.query("SigninLogs | take 5").rows) == []
    result = in_thread(lambda: ws.query("SigninLogs | summarize count() by NewField_s"))
    assert result.rows == [["x", 40_000]]


def test_state_writes_commit_during_an_ingestion_transaction(ws: Workspace) -> None:
    with paused_ingestion(rows_feed(ws, sign_ins(0, 40_000))):
        in_thread(lambda: ws.set_checkpoint("c", "k", "v1"))
        in_thread(lambda: ws.set_checkpoint("c", "k", "v2"))
        assert in_thread(lambda: ws.get_checkpoint("c", "k")) == "v2"


def test_every_thread_queries_in_the_sandbox(ws: Workspace) -> None:
    def escape() -> list[str]:
        con = ws.con
        assert con is not ws.engine.con  # a cursor of its own
        failures = []
        for sql in (
            "SELECT * FROM read_csv('/etc/passwd')",
            "SET enable_external_access = true",
            "SET lock_configuration = false",
            "ATTACH '/tmp/x.duckdb' AS x",
        ):
            try:
                con.execute(sql).fetchall()
            except duckdb.Error:
                failures.append(sql)
        settings = con.execute(
            "SELECT current_setting('enable_external_access'), "
            "current_setting('lock_configuration'), current_setting('TimeZone')"
        ).fetchone()
        assert settings == (False, True, "UTC")
        return failures

    assert len(in_thread(escape)) == 4
    # the KQL built-ins registered as DuckDB functions work on the cursors too
    assert in_thread(lambda: ws.query('print x = strcat("a", "b")').rows) == [["ab"]]


def test_a_timeout_cancels_only_its_own_query(ws: Workspace) -> None:
    slow = "range x from 1 to 20000000000 step 1 | summarize sum(x)"
    started, done = threading.Event(), threading.Event()
    outcome: list[Any] = []

    def run_slow() -> None:
        started.set()
        outcome.append(_capture(lambda: ws.query(slow, timeout=2.0)))
        done.set()

    thread = threading.Thread(target=run_slow)
    thread.start()
    assert started.wait(WAIT)
    answers = []
    while not done.is_set():  # other threads keep being answered, uninterrupted
        answers.append(in_thread(lambda: ws.query("print 1").rows))
    thread.join(WAIT)
    _, error = outcome[0]
    assert isinstance(error, KqlError) and error.diagnostics[0].code == "KQL4002"
    assert answers and all(a == [[1]] for a in answers)


def _snapshot(ws: Workspace) -> list[tuple[Any, ...]]:
    """The alerts, without what differs from run to run (ids, the wall clock)."""
    return sorted(
        (a.rule, a.monitor_condition, a.fired_time, a.resolved_time, a.window_start, a.window_end)
        for a in list_alerts(ws)
    )


def test_alert_evaluation_during_ingestion_gives_the_sequential_alerts(tmp_path: Path) -> None:
    """The first 36 hours are committed; the last 12 are being ingested (open transaction)
    while the built-in detections are evaluated: the alerts are those of evaluating before the
    ingestion, and after it commits the next evaluation agrees with the sequential one too."""
    sim = Simulation(days=2, users=40, seed=11)
    records = list(sim.records())
    cut = DEFAULT_END - timedelta(hours=12)
    before = [r for r in records if r["time"] < cut.isoformat()]
    after = [r for r in records if r["time"] >= cut.isoformat()]
    later = cut + timedelta(minutes=30)

    def prepared(name: str) -> Workspace:
        w = Workspace.open(tmp_path / name)
        for detection in detections():
            enable(w, detection)
        ingest_records(w, before)
        return w

    with prepared("sequential") as sequential:
        evaluate(sequential, cut)
        ingest_records(sequential, after)
        evaluate(sequential, later)
        expected = _snapshot(sequential)
    with prepared("concurrent") as concurrent:
        with paused_ingestion(
            lambda progress: ingest_records(concurrent, after, progress=progress)
        ):
            in_thread(lambda: evaluate(concurrent, cut))
        evaluate(concurrent, later)
        got = _snapshot(concurrent)
    assert len(expected) >= 2, "the simulated tenant should fire some rules"
    assert got == expected
