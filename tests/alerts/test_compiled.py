"""Rule queries compiled once and reused across ticks (alerts/compiled.py): the same alerts as
compiling at every tick, `now()`/`ago()` and the window following the tick, recompilation when
the catalog changes, and per-tick compilation of queries whose columns come from the data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kustodian import Workspace
from kustodian.alerts import evaluate, store
from kustodian.alerts.compiled import RuleQueries, rule_queries
from kustodian.cli.demo import enable_detections
from kustodian.ingest import ingest_records
from kustodian.kql.compiler import compile_all, to_ns
from kustodian.kql.types import KType
from kustodian.simulate import Simulation

from .helpers import at, rule, rule_yaml, signins


def changes_of(ws: Workspace, when: Any, cache: bool) -> list[tuple[Any, ...]]:
    out = evaluate(ws, when, compile_cache=cache)
    return [(c.rule, c.change, c.tick, c.alert_id, c.dimensions, c.metric_value) for c in out]


def test_builtins_fire_the_same_alerts_with_and_without_the_cache() -> None:
    sim = Simulation(days=1, users=30, seed=5)
    records = list(sim.records())
    start = sim.end_dt - timedelta(hours=3)
    runs = []
    for cache in (False, True):
        ws = Workspace.open(":memory:")
        ingest_records(ws, records)
        names = enable_detections(ws, sim.tenant)
        for name in names:  # as if on since `start`: evaluate catches up from there
            store.set_last_tick(ws.con, name, start)
        # two calls, as the scheduler makes them: the second reuses the first's compilations
        runs.append(
            changes_of(ws, sim.end_dt - timedelta(hours=1), cache)
            + changes_of(ws, sim.end_dt, cache)
        )
        alerts = ws.query("Alerts | project AlertId, AlertRule, MetricValue | sort by AlertId")
        runs[-1].append(tuple(map(tuple, alerts.rows)))
        if cache:
            assert rule_queries(ws).compilations == len(names)  # once per rule, for every tick
    uncached, cached = runs
    assert sum(1 for c in uncached[:-1] if c[1] == "Fired") > 0  # the tenant makes some fire
    assert cached == uncached


NEAR = "SigninLogs | where TimeGenerated > ago(3m) and TimeGenerated <= now()"


def test_ago_and_the_window_follow_the_tick() -> None:
    ws = Workspace.open(":memory:")
    # window 10 minutes, but ago(3m) looks only at the last 3 of them
    rule(ws, rule_yaml("near", NEAR, windowSize="PT10M", autoMitigate=False))
    evaluate(ws, at(0))
    signins(ws, (3, "a@contoso.com"), (13, "b@contoso.com"), (36, "c@contoso.com"))
    changes = evaluate(ws, at(60))
    assert [(c.tick, c.metric_value) for c in changes] == [(at(5), 1.0), (at(15), 1.0)]
    # c's sign-in at :36 is in the 10-minute windows of :40 and :45, never in their last 3 minutes
    assert rule_queries(ws).compilations == 1


def test_a_catalog_change_compiles_the_query_again() -> None:
    ws = Workspace.open(":memory:")
    signins(ws, (1, "a@contoso.com"))
    queries = RuleQueries()
    query = "SigninLogs | where UserPrincipalName == 'a@contoso.com'"
    span = (to_ns(at(0)), to_ns(at(5)) - 1)
    first = queries.run(ws, query, at(5), span)
    assert queries.run(ws, query, at(5), span).columns == first.columns
    assert queries.compilations == 1
    with ws.transaction():
        ws.add_columns("SigninLogs", [("Team_s", KType.STRING, "Team")])
    ws.execute("UPDATE SigninLogs SET Team_s = 'red'")
    after = queries.run(ws, query, at(5), span)
    assert queries.compilations == 2
    assert after.columns == [*first.columns, ("Team_s", "string")]
    assert after.rows[0][-1] == "red"
    assert after.columns == ws.query(query, now=at(5), timespan=span).columns


BAGS = "SigninLogs | project UserPrincipalName, DeviceDetail | evaluate bag_unpack(DeviceDetail)"


def test_a_query_whose_columns_come_from_the_data_is_compiled_every_tick() -> None:
    ws = Workspace.open(":memory:")
    signins(
        ws,
        {"minutes": 1, "UserPrincipalName": "a@contoso.com", "DeviceDetail": {"early": 1}},
        {"minutes": 6, "UserPrincipalName": "b@contoso.com", "DeviceDetail": {"late": 2}},
    )
    queries = RuleQueries()
    columns = []
    for end in (at(5), at(10)):
        result = queries.run(ws, BAGS, end, (to_ns(end - timedelta(minutes=5)), to_ns(end) - 1))
        columns.append([n for n, _ in result.columns])
    assert columns == [
        ["UserPrincipalName", "early"],
        ["UserPrincipalName", "late"],
    ]


def test_window_parameters_give_the_rows_of_inline_bounds() -> None:
    ws = Workspace.open(":memory:")
    # a: before the window; d: in it, before ago(5m); b: kept; c: after the window's end
    signins(ws, (1, "a@contoso.com"), (2.5, "d@contoso.com"), (4, "b@contoso.com"))
    signins(ws, (9, "c@contoso.com"))
    query = "SigninLogs | where TimeGenerated > ago(5m) | project UserPrincipalName"
    span = (to_ns(at(2)), to_ns(at(8)) - 1)
    (inline,) = compile_all(query, catalog=ws.catalog, now=at(8), timespan=span)
    (reusable,) = compile_all(
        query, catalog=ws.catalog, now=at(8), timespan=span, inline_now=False, window_params=True
    )
    assert "kql_start" not in inline.sql and inline.params == {}
    assert str(span[0]) not in reusable.sql and str(to_ns(at(8))) not in reusable.sql
    assert reusable.params == {"kql_now": to_ns(at(8)), "kql_start": span[0], "kql_end": span[1]}
    rows = [ws.run_compiled([c]).rows for c in (inline, reusable)]
    assert rows == [[["b@contoso.com"]], [["b@contoso.com"]]]


def test_a_string_that_reads_like_a_parameter_is_not_one() -> None:
    """Parameters come from the query's operations, not from the SQL text: a string literal
    "kql_now" or "kql_start" adds none (DuckDB refuses a parameter the SQL does not use)."""
    ws = Workspace.open(":memory:")
    assert ws.query('print x = "kql_now"').rows == [["kql_now"]]
    query = 'print x = "kql_start", y = "kql_now"'
    result = RuleQueries().run(ws, query, at(5), (to_ns(at(0)), to_ns(at(5)) - 1))
    assert result.rows == [["kql_start", "kql_now"]]
