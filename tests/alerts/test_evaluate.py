"""Evaluation: ticks, windows, dimensions, failing periods, stateful/stateless, mute, catch-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.alerts import evaluate, get_alert, list_alerts, set_user_state
from kustodian.alerts.evaluate import due_ticks
from kustodian.ingest import ingest_records
from kustodian.simulate import DEFAULT_END, Simulation

from .helpers import at, rule, rule_yaml, signins

BG = 'SigninLogs | where UserPrincipalName =~ "bg@contoso.com"'


@pytest.fixture
def ws() -> Workspace:
    return Workspace.open(":memory:")


def fired(changes: list[Any]) -> list[Any]:
    return [c for c in changes if c.change == "Fired"]


def test_break_glass_fires_once_and_resolves(ws: Workspace) -> None:
    rule(ws, rule_yaml("bg", BG))
    evaluate(ws, at(0))  # the rule's first tick: nothing yet
    signins(ws, (2, "bg@contoso.com"), (3, "bg@contoso.com"), (4, "alice@contoso.com"))
    changes = evaluate(ws, at(5))
    assert [(c.change, c.tick, c.metric_value) for c in changes] == [("Fired", at(5), 2.0)]
    signins(ws, (7, "bg@contoso.com"))
    # still failing at 10:10: no second instance; healthy at 10:15, 10:20, 10:25 -> resolved
    changes = evaluate(ws, at(30))
    assert [(c.change, c.tick) for c in changes] == [("Resolved", at(25))]
    (alert,) = list_alerts(ws)
    assert alert.monitor_condition == "Resolved" and alert.resolved_time == at(25)
    assert [h["to"] for h in alert.history] == ["Fired", "Resolved"]
    assert alert.window_start == at(0) and alert.window_end == at(5)


def test_break_glass_on_the_simulated_tenant() -> None:
    sim = Simulation(days=1, users=20, seed=3)
    ws = Workspace.open(":memory:")
    ingest_records(ws, sim.records())
    upns = ", ".join(f'"{u}"' for u in sim.tenant.break_glass)
    rule(ws, rule_yaml("bg", f"SigninLogs | where UserPrincipalName in~ ({upns})"))
    times = ws.query(
        f"SigninLogs | where UserPrincipalName in~ ({upns}) | summarize min(TimeGenerated)"
    ).rows[0][0]
    assert times  # the simulator plants break-glass sign-ins
    evaluate(ws, DEFAULT_END - timedelta(days=1))
    changes = evaluate(ws, DEFAULT_END)
    n_signins = len(ws.query(f"SigninLogs | where UserPrincipalName in~ ({upns})").rows)
    assert 1 <= len(fired(changes)) <= n_signins
    assert all(c.change == "Resolved" for c in changes[1::2])
    assert len(changes) == 2 * len(fired(changes))  # each one resolved later
    rows = ws.query('Alerts | where AlertRule == "bg" | summarize n = count()').rows
    assert rows == [[len(fired(changes))]]


def test_stateless_fires_at_every_failing_evaluation(ws: Workspace) -> None:
    rule(ws, rule_yaml("bg", BG, autoMitigate=False))
    evaluate(ws, at(0))
    signins(ws, (1, "bg@contoso.com"), (6, "bg@contoso.com"), (16, "bg@contoso.com"))
    changes = evaluate(ws, at(30))
    assert [(c.change, c.tick) for c in changes] == [
        ("Fired", at(5)),
        ("Fired", at(10)),
        ("Fired", at(20)),
    ]
    assert all(a.monitor_condition == "Fired" and not a.stateful for a in list_alerts(ws))


def test_dimensions_split_per_user_with_include_and_exclude(ws: Workspace) -> None:
    dims = [
        {"name": "UserPrincipalName", "operator": "Exclude", "values": ["svc@contoso.com"]},
        {"name": "IPAddress", "operator": "Include", "values": ["203.0.113.10", "198.51.100.1"]},
    ]
    rule(ws, rule_yaml("per-user", "SigninLogs", criteria={"dimensions": dims}))
    evaluate(ws, at(0))
    signins(
        ws,
        (1, "a@contoso.com"),
        (2, "b@contoso.com"),
        (2, "svc@contoso.com"),
        {"minutes": 3, "UserPrincipalName": "c@contoso.com", "IPAddress": "192.0.2.99"},
        {"minutes": 3, "UserPrincipalName": "a@contoso.com", "IPAddress": "198.51.100.1"},
    )
    changes = evaluate(ws, at(5))
    assert sorted(
        (c.dimensions["UserPrincipalName"], c.dimensions["IPAddress"]) for c in changes
    ) == [
        ("a@contoso.com", "198.51.100.1"),
        ("a@contoso.com", "203.0.113.10"),
        ("b@contoso.com", "203.0.113.10"),
    ]
    # each combination resolves on its own
    signins(ws, (6, "b@contoso.com"))
    changes = evaluate(ws, at(20))
    assert sorted(c.dimensions["UserPrincipalName"] for c in changes) == ["a@contoso.com"] * 2
    assert all(c.change == "Resolved" for c in changes)


def test_failing_periods_two_of_three(ws: Workspace) -> None:
    rule(
        ws,
        rule_yaml(
            "fp",
            "SigninLogs | project TimeGenerated, UserPrincipalName",
            criteria={
                "threshold": 1,
                "failingPeriods": {"numberOfEvaluationPeriods": 3, "minFailingPeriodsToAlert": 2},
            },
        ),
    )
    evaluate(ws, at(0))
    # bins of the 10:15 evaluation: [10:00,10:05) 2 rows, [10:05,10:10) 1, [10:10,10:15) 2
    signins(ws, (1, "a"), (2, "a"), (6, "a"), (11, "a"), (12, "a"))
    changes = evaluate(ws, at(15))
    # 10:05: one failing bin of 3 -> no; 10:10: still one ([10:00,10:05)); 10:15: two -> fires
    assert [(c.change, c.tick, c.metric_value) for c in changes] == [("Fired", at(15), 2.0)]


@pytest.mark.parametrize(
    ("aggregation", "threshold", "fires", "value"),
    [("Average", 20, True, 25.0), ("Average", 30, False, None), ("Total", 45, True, 50.0)],
)
def test_metric_measure_aggregations(
    ws: Workspace, aggregation: str, threshold: float, fires: bool, value: float | None
) -> None:
    query = "SigninLogs | extend Ms = toreal(ProcessingTimeInMilliseconds)"
    criteria = {
        "timeAggregation": aggregation,
        "metricMeasureColumn": "Ms",
        "threshold": threshold,
    }
    rule(ws, rule_yaml("m", query, criteria=criteria))
    evaluate(ws, at(0))
    signins(
        ws,
        {"minutes": 1, "UserPrincipalName": "a", "ProcessingTimeInMilliseconds": 10},
        {"minutes": 2, "UserPrincipalName": "b", "ProcessingTimeInMilliseconds": 40},
    )
    changes = evaluate(ws, at(5))
    assert [c.metric_value for c in changes] == ([value] if fires else [])


def test_mute_suppresses_actions_but_creates_alerts(ws: Workspace) -> None:
    rule(
        ws,
        rule_yaml("m", BG, autoMitigate=False, muteActionsDuration="PT10M", actionGroups=["ag"]),
    )
    evaluate(ws, at(0))
    signins(ws, *[(m, "bg@contoso.com") for m in (1, 6, 11, 16)])
    calls: list[tuple[list[str], dict[str, Any]]] = []
    changes = evaluate(ws, at(20), notify=lambda groups, payload: calls.append((groups, payload)))
    assert [(c.tick, c.actions_suppressed) for c in changes] == [
        (at(5), False),
        (at(10), True),
        (at(15), False),  # the mute of 10:05 ran out at 10:15
        (at(20), True),
    ]
    assert [p["data"]["essentials"]["firedDateTime"][:19] for _, p in calls] == [
        "2024-05-01T10:05:00",
        "2024-05-01T10:15:00",
    ]
    assert all(groups == ["ag"] for groups, _ in calls)
    rows = ws.query("Alerts | summarize countif(ActionsSuppressed), count()").rows
    assert rows == [[2, 4]]


def test_catch_up_after_a_gap_without_duplicates(ws: Workspace) -> None:
    rule(ws, rule_yaml("bg", BG, autoMitigate=False))
    evaluate(ws, at(0))
    signins(ws, (30, "bg@contoso.com"), (90, "bg@contoso.com"))
    changes = evaluate(ws, at(120))  # two hours later: 24 ticks evaluated now
    assert [c.tick for c in changes] == [at(35), at(95)]
    assert evaluate(ws, at(120)) == []  # nothing twice
    assert evaluate(ws, at(124)) == []
    assert len(list_alerts(ws)) == 2


def test_a_stopped_catch_up_goes_on_later_from_the_first_tick_not_done(ws: Workspace) -> None:
    rule(ws, rule_yaml("bg", BG, autoMitigate=False))
    evaluate(ws, at(0))
    signins(ws, (30, "bg@contoso.com"), (90, "bg@contoso.com"))
    asked = []

    def stop() -> bool:  # asked for the rule, then before each tick: 10:05 to 10:40 go
        asked.append(1)
        return len(asked) > 9

    first = evaluate(ws, at(120), stop=stop)
    assert [c.tick for c in first] == [at(35)]
    rest = evaluate(ws, at(120))
    assert [c.tick for c in rest] == [at(95)]
    assert len(list_alerts(ws)) == 2


def test_due_ticks_align_to_the_frequency() -> None:
    r = rule(Workspace.open(":memory:"), rule_yaml("x", BG))
    assert due_ticks(r, None, at(7)) == [at(5)]
    assert due_ticks(r, at(5), at(21)) == [at(10), at(15), at(20)]
    assert due_ticks(r, at(5), at(9)) == []


def test_ingestion_delay_lets_a_late_row_count(ws: Workspace) -> None:
    rule(ws, rule_yaml("bg", BG))
    delay = timedelta(minutes=10)
    evaluate(ws, at(5), ingestion_delay=delay)
    # at 10:09 the 10:02 row has not arrived yet; the 10:05 tick covered [09:55, 10:00)
    assert evaluate(ws, at(9), ingestion_delay=delay) == []
    signins(ws, (2, "bg@contoso.com"))  # arrives late
    changes = evaluate(ws, at(15), ingestion_delay=delay)
    assert [(c.tick, c.metric_value) for c in changes] == [(at(15), 1.0)]
    assert get_alert(ws, changes[0].alert_id).window_start == at(0)  # type: ignore[union-attr]
    # without a delay, the same late row falls in a window already evaluated
    ws2 = Workspace.open(":memory:")
    rule(ws2, rule_yaml("bg", BG))
    evaluate(ws2, at(5))
    signins(ws2, (2, "bg@contoso.com"))
    assert evaluate(ws2, at(15)) == []


def test_ack_and_close_are_recorded_in_history(ws: Workspace) -> None:
    rule(ws, rule_yaml("bg", BG))
    evaluate(ws, at(0))
    signins(ws, (1, "bg@contoso.com"))
    (c,) = evaluate(ws, at(5))
    set_user_state(ws, c.alert_id[:8], "Acknowledged", at=at(6), by="admin@contoso.com")
    a = set_user_state(ws, c.alert_id, "Closed", at=at(7))
    assert a.user_state == "Closed"
    assert [(h["change"], h["from"], h["to"]) for h in a.history] == [
        ("MonitorCondition", None, "Fired"),
        ("UserState", "New", "Acknowledged"),
        ("UserState", "Acknowledged", "Closed"),
    ]
    assert a.history[1]["by"] == "admin@contoso.com"
    rows = ws.query(
        "Alerts | mv-expand h = History | where tostring(h.change) == 'UserState' "
        "| project To = tostring(h.to)"
    ).rows
    assert rows == [["Acknowledged"], ["Closed"]]


def test_alerts_are_queryable_with_kql(ws: Workspace) -> None:
    dims = [{"name": "UserPrincipalName", "operator": "Include", "values": ["*"]}]
    rule(ws, rule_yaml("u", "SigninLogs", severity=2, criteria={"dimensions": dims}))
    evaluate(ws, at(0))
    signins(ws, (1, "a@contoso.com"), (2, "b@contoso.com"), (3, "b@contoso.com"))
    evaluate(ws, at(5))
    result = ws.query(
        "Alerts | where Severity == 'Sev2' and MonitorCondition == 'Fired' "
        "| extend User = tostring(Dimensions.UserPrincipalName) "
        "| project User, MetricValue, Operator, Threshold, UserState | order by User asc"
    )
    assert result.rows == [
        ["a@contoso.com", 1.0, "GreaterThan", 0.0, "New"],
        ["b@contoso.com", 2.0, "GreaterThan", 0.0, "New"],
    ]


def test_notify_errors_do_not_undo_the_alert(ws: Workspace) -> None:
    rule(ws, rule_yaml("bg", BG, actionGroups=["ag"]))
    evaluate(ws, at(0))
    signins(ws, (1, "bg@contoso.com"))

    def boom(groups: list[str], payload: dict[str, Any]) -> None:
        raise ConnectionError("smtp down")

    (c,) = evaluate(ws, at(5), notify=boom)
    assert c.notify_error == "ConnectionError: smtp down"
    assert len(list_alerts(ws)) == 1


def test_disabled_rules_are_not_evaluated(ws: Workspace) -> None:
    from kustodian.alerts import set_enabled

    rule(ws, rule_yaml("bg", BG))
    set_enabled(ws, "bg", False)
    signins(ws, (1, "bg@contoso.com"))
    assert evaluate(ws, at(5)) == []


def test_alerts_retention_defaults_to_30_days(ws: Workspace) -> None:
    from kustodian.workspace import retention

    ws.config.retention_days = 90
    assert retention.retention_of(ws, "Alerts") == (30, True)
    assert retention.retention_of(ws, "SigninLogs") == (90, True)
    rule(ws, rule_yaml("bg", BG))
    evaluate(ws, at(0))
    signins(ws, (1, "bg@contoso.com"))
    evaluate(ws, at(5))
    assert retention.apply(ws, now=at(5) + timedelta(days=31)).get("Alerts") == 1
