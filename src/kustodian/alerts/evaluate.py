"""Rule evaluation: ticks, query windows, aggregation, failing periods, fire and resolve.

`evaluate(ws, at)` evaluates every enabled rule at each tick aligned to its frequency (multiples
of the frequency since the Unix epoch, UTC) that is due by `at` and was not evaluated yet. The
last evaluated tick of each rule is stored, so running it again evaluates nothing twice, and after
downtime it catches up on the missed ticks (at most `CATCH_UP` back) in order.

At tick T, with ingestion delay d, the query runs as if at T − d: over [T − d − range, T − d),
with `now()` = T − d. A row that arrives up to d late therefore still lands in a window that has
not been evaluated yet; the price is that alerts come d later (docs/alert-rules.md).
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kustodian.alerts import store
from kustodian.alerts.compiled import RuleQueries, rule_queries
from kustodian.alerts.model import Rule, RuleError
from kustodian.alerts.payload import common_alert_schema
from kustodian.alerts.store import Alert, Series
from kustodian.kql.compiler import to_ns
from kustodian.kql.diagnostics import KqlError

if TYPE_CHECKING:
    from kustodian.result import QueryResult
    from kustodian.workspace.workspace import Workspace

log = logging.getLogger("kustodian.alerts")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_INGESTION_DELAY = timedelta(0)
CATCH_UP = timedelta(days=2)  # ticks older than this (before `at`) are skipped, not evaluated
MAX_ALERTS_PER_RESULT = 150  # Sentinel's limit for AlertPerResult
ALERT_NAMESPACE = uuid.UUID("6f0c8f64-3d0e-4b53-9d9b-6a8c2f1e5a11")

Notify = Callable[[list[str], dict[str, Any]], None]

# One evaluation at a time per process: the server's timer and an API call evaluating at once
# would both read a rule's last tick and evaluate the same tick twice.
_EVALUATING = threading.Lock()


def configured_delay(ws: Workspace) -> timedelta:
    """The workspace's `settings.alerts.ingestion_delay` (ISO 8601), else none.

    Raises:
        ValueError: the setting is not an ISO 8601 duration.
    """
    from kustodian.timespans import parse_duration

    text = ws.config.settings.get("alerts", {}).get("ingestion_delay", "PT0S")
    return parse_duration(str(text))


@dataclass
class AlertChange:
    """An alert fired or resolved at a tick; `payload` is the common alert schema document."""

    rule: str
    alert_id: str
    change: str  # Fired or Resolved
    tick: datetime
    dimensions: dict[str, Any]
    metric_value: float
    actions_suppressed: bool
    payload: dict[str, Any] = field(default_factory=dict)
    notify_error: str | None = None


def evaluate(
    ws: Workspace,
    at: datetime,
    *,
    ingestion_delay: timedelta = DEFAULT_INGESTION_DELAY,
    rules: Iterable[str | Rule] | None = None,
    notify: Notify | None = None,
    links_base_url: str | None = None,
    catch_up: bool = True,
    compile_cache: bool = True,
    stop: Callable[[], bool] | None = None,
) -> list[AlertChange]:
    """Evaluate the due ticks of every enabled rule (or of `rules`) up to `at`.

    Args:
        ws: the workspace (rules, state and the `Alerts` table live in it).
        at: the evaluation instant (the injectable clock).
        ingestion_delay: how late rows may arrive and still count (windows end at T − delay).
        rules: names of stored rules, or Rule objects (evaluated as given); default all stored.
        notify: called after each change is committed, with the rule's action groups and the
            common alert schema payload, unless its actions are muted. Its exceptions are
            recorded on the change (`notify_error`), never raised.
        links_base_url: base URL for the payload's links to the query results.
        catch_up: evaluate every missed tick since the last one (the scheduler's way); False
            evaluates only the latest tick at or before `at`, if it is newer than the last.
        compile_cache: reuse each rule's compiled query across ticks and calls, with the
            instant and window as parameters (compiled.py); False compiles it at every tick.
        stop: asked before each tick; once it answers True, no further tick is evaluated (a
            server shutting down mid catch-up). Each tick is committed on its own, so the next
            evaluation goes on from the first tick not done.

    Returns:
        The Fired and Resolved changes, in tick order.
    """
    at = _utc(at)
    changes: list[AlertChange] = []
    queries = rule_queries(ws) if compile_cache else None
    with _EVALUATING:
        for rule in _select(ws, rules):
            if rule.enabled and not (stop is not None and stop()):
                changes.extend(
                    _evaluate_rule(
                        ws,
                        rule,
                        at,
                        ingestion_delay,
                        notify,
                        links_base_url,
                        catch_up,
                        queries,
                        stop,
                    )
                )
    changes.sort(key=lambda c: (c.tick, c.rule))
    return changes


def _select(ws: Workspace, rules: Iterable[str | Rule] | None) -> list[Rule]:
    if rules is None:
        return store.list_rules(ws)
    out = []
    for r in rules:
        if isinstance(r, Rule):
            out.append(r)
            continue
        found = store.get_rule(ws, r)
        if found is None:
            raise RuleError(f"no rule named '{r}'")
        out.append(found)
    return out


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def floor_tick(t: datetime, frequency: timedelta) -> datetime:
    """The latest tick at or before t: a multiple of the frequency since the epoch."""
    return EPOCH + ((t - EPOCH) // frequency) * frequency


def due_ticks(
    rule: Rule, last: datetime | None, at: datetime, catch_up: bool = True
) -> list[datetime]:
    """Ticks to evaluate: after `last` up to `at`; only the latest for a rule never evaluated
    (or without `catch_up`)."""
    f = rule.evaluation_frequency
    latest = floor_tick(at, f)
    if last is None or not catch_up:
        return [latest] if last is None or latest > last else []
    first = max(floor_tick(last, f) + f, floor_tick(at - CATCH_UP, f) + f)
    count = (latest - first) // f + 1
    return [first + k * f for k in range(max(0, count))]


def _evaluate_rule(
    ws: Workspace,
    rule: Rule,
    at: datetime,
    delay: timedelta,
    notify: Notify | None,
    links: str | None,
    catch_up: bool = True,
    queries: RuleQueries | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[AlertChange]:
    last, _ = store.last_tick(ws.con, rule.name)
    changes: list[AlertChange] = []
    for tick in due_ticks(rule, last, at, catch_up):
        if stop is not None and stop():
            break
        done = _evaluate_tick(ws, rule, tick, delay, queries)
        for change in done:
            _notify(ws, rule, change, notify, links)
        changes.extend(done)
    return changes


def _evaluate_tick(
    ws: Workspace, rule: Rule, tick: datetime, delay: timedelta, queries: RuleQueries | None
) -> list[AlertChange]:
    end = tick - delay
    start = end - rule.query_range
    span = (to_ns(start), to_ns(end) - 1)
    try:
        if queries is not None:
            result = queries.run(ws, rule.query, end, span)
        else:
            result = ws.query(rule.query, now=end, timespan=span)
    except KqlError as e:
        log.warning("rule '%s' at %s: the query failed: %s", rule.name, store.iso(tick), e)
        result = None
    with ws.transaction() as con:
        _, suppressed_until = store.last_tick(con, rule.name)
        changes: list[AlertChange] = []
        if result is not None:
            window = Window(tick, start, end)
            if rule.sentinel is not None:
                suppressed = suppressed_until is not None and tick < suppressed_until
                changes = [] if suppressed else _sentinel(con, ws, rule, result, window)
                if changes and rule.sentinel.suppression_enabled:
                    suppressed_until = tick + (rule.sentinel.suppression_duration or timedelta(0))
            else:
                changes = _monitor(con, ws, rule, result, window)
        store.set_last_tick(con, rule.name, tick, suppressed_until)
    return changes


@dataclass(frozen=True)
class Window:
    tick: datetime
    start: datetime
    end: datetime


# --- Azure Monitor semantics: per dimension combination and windowSize bin ------------------


@dataclass
class Combo:
    dims: dict[str, str]
    rows: list[list[list[Any]]]  # per bin, the rows


def _monitor(
    con: Any, ws: Workspace, rule: Rule, result: QueryResult, w: Window
) -> list[AlertChange]:
    combos = _split(rule, result, w)
    series = store.load_series(con, rule.name)
    for key in series:
        if key not in combos and series[key].open_alert:
            combos[key] = Combo(dict(json.loads(key)), [[] for _ in range(rule.evaluation_periods)])
    names = [n for n, _ in result.columns]
    changes: list[AlertChange] = []
    for key, combo in sorted(combos.items()):
        values = [_aggregate(rule, names, rows) for rows in combo.rows]
        failing = [v for v in values if v is not None and rule.compare(v)]
        s = series.get(key) or Series(key)
        if len(failing) >= rule.min_failing_periods:
            change = _fire(con, ws, rule, s, combo.dims, failing[-1], w)
        else:
            latest = next((v for v in reversed(values) if v is not None), 0.0)
            change = _healthy(con, rule, s, latest, w)
        store.save_series(con, rule.name, s)
        if change is not None:
            changes.append(change)
    return changes


def _split(rule: Rule, result: QueryResult, w: Window) -> dict[str, Combo]:
    names = [n for n, _ in result.columns]
    index = {n: i for i, n in enumerate(names)}
    n_bins = rule.evaluation_periods
    time_col = _time_column(result.columns) if n_bins > 1 else None
    first = w.end - rule.window_size * n_bins
    combos: dict[str, Combo] = {}
    if not rule.dimensions:  # one series, present even with no rows (a count of 0)
        combos["[]"] = Combo({}, [[] for _ in range(n_bins)])
    for row in result.rows:
        b = 0
        if time_col is not None:
            t = _parse_time(row[index[time_col]])
            if t is None or not first <= t < w.end:
                continue
            b = int((t - first) // rule.window_size)
        dims = [(d.name, _dim_text(row[index[d.name]])) for d in rule.dimensions]
        if not all(d.accepts(v) for d, (_, v) in zip(rule.dimensions, dims)):
            continue
        key = json.dumps(dims)
        combo = combos.setdefault(key, Combo(dict(dims), [[] for _ in range(n_bins)]))
        combo.rows[b].append(row)
    return combos


def _time_column(columns: list[tuple[str, str]]) -> str | None:
    times = [n for n, t in columns if t == "datetime"]
    return "TimeGenerated" if "TimeGenerated" in times else (times[0] if times else None)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    return datetime.fromisoformat(text)


def _dim_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _aggregate(rule: Rule, names: list[str], rows: list[list[Any]]) -> float | None:
    if rule.time_aggregation == "Count" and not rule.metric_measure_column:
        return float(len(rows))
    i = names.index(rule.metric_measure_column or "")
    values = [x for x in (_number(r[i]) for r in rows) if x is not None]
    if rule.time_aggregation == "Count":
        return float(len(values))
    if not values:
        return None
    if rule.time_aggregation == "Average":
        return sum(values) / len(values)
    if rule.time_aggregation == "Minimum":
        return min(values)
    if rule.time_aggregation == "Maximum":
        return max(values)
    return float(sum(values))


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _fire(
    con: Any,
    ws: Workspace,
    rule: Rule,
    s: Series,
    dims: dict[str, Any],
    value: float,
    w: Window,
) -> AlertChange | None:
    s.healthy = 0
    if rule.auto_mitigate and s.open_alert:
        return None  # stateful: one Fired instance until it resolves
    alert = _new_alert(rule, dims, value, w, s.dim_key)
    alert.actions_suppressed = _muted(s, w.tick)
    if not alert.actions_suppressed and rule.mute_actions_duration:
        s.muted_until = w.tick + rule.mute_actions_duration
    if rule.auto_mitigate:
        s.open_alert = alert.alert_id
    store.insert_alert(con, alert, ws.workspace_id)
    return _change(alert, "Fired", w.tick, value)


def _muted(s: Series, tick: datetime) -> bool:
    return s.muted_until is not None and tick < s.muted_until


def _healthy(con: Any, rule: Rule, s: Series, value: float, w: Window) -> AlertChange | None:
    if not (rule.auto_mitigate and s.open_alert):
        return None
    s.healthy += 1
    if s.healthy < rule.resolve_after():
        return None
    alert = store.get_alert_exact(con, s.open_alert)
    s.open_alert, s.healthy = None, 0
    if alert is None or alert.monitor_condition != "Fired":
        return None
    alert.monitor_condition = "Resolved"
    alert.resolved_time = alert.last_modified = w.tick
    alert.history.append(
        store.change_entry(
            w.tick, "MonitorCondition", "Fired", "Resolved", "system", metricValue=value
        )
    )
    store.update_alert(con, alert)
    change = _change(alert, "Resolved", w.tick, value)
    change.actions_suppressed = _muted(s, w.tick)
    return change


def _new_alert(
    rule: Rule, dims: dict[str, Any], value: float, w: Window, salt: str, title: str = ""
) -> Alert:
    alert_id = str(uuid.uuid5(ALERT_NAMESPACE, f"{rule.name}\n{salt}\n{store.iso(w.tick)}"))
    return Alert(
        alert_id=alert_id,
        rule=rule.name,
        title=title or rule.display_name or rule.name,
        description=rule.description,
        severity=rule.severity_name,
        monitor_condition="Fired",
        user_state="New",
        fired_time=w.tick,
        last_modified=w.tick,
        evaluation_time=w.tick,
        window_start=w.start,
        window_end=w.end,
        metric_value=value,
        threshold=rule.threshold,
        operator=rule.operator,
        time_aggregation=rule.time_aggregation,
        metric_measure_column=rule.metric_measure_column or "",
        query=rule.query,
        stateful=rule.auto_mitigate,
        dimensions=dims,
        action_groups=list(rule.action_groups),
        custom_properties=dict(rule.custom_properties),
        history=[
            store.change_entry(
                w.tick, "MonitorCondition", None, "Fired", "system", metricValue=value
            )
        ],
    )


def _change(alert: Alert, kind: str, tick: datetime, value: float) -> AlertChange:
    return AlertChange(
        alert.rule,
        alert.alert_id,
        kind,
        tick,
        dict(alert.dimensions),
        value,
        alert.actions_suppressed,
    )


# --- Sentinel semantics: the number of result rows, one alert or one per row -----------------


def _sentinel(
    con: Any, ws: Workspace, rule: Rule, result: QueryResult, w: Window
) -> list[AlertChange]:
    settings = rule.sentinel
    assert settings is not None
    count = float(len(result.rows))
    if not rule.compare(count):
        return []
    names = [n for n, _ in result.columns]
    rows = [dict(zip(names, r)) for r in result.rows]
    if settings.aggregation_kind == "AlertPerResult":
        groups = [[r] for r in rows[:MAX_ALERTS_PER_RESULT]]
    else:
        groups = [rows]
    changes = []
    for i, group in enumerate(groups):
        first = group[0] if group else {}
        dims = _entity_values(rule, first)
        title = _template(settings.alert_details_override.get("alertDisplayNameFormat"), first)
        alert = _new_alert(rule, dims, count, w, f"row {i}", title)
        alert.description = (
            _template(settings.alert_details_override.get("alertDescriptionFormat"), first)
            or rule.description
        )
        alert.severity = _severity_override(rule, first) or alert.severity
        alert.extended = _sentinel_extended(rule, first, len(group))
        store.insert_alert(con, alert, ws.workspace_id)
        changes.append(_change(alert, "Fired", w.tick, count))
    return changes


def _entity_values(rule: Rule, row: dict[str, Any]) -> dict[str, Any]:
    assert rule.sentinel is not None
    columns = [
        fm.get("columnName")
        for m in rule.sentinel.entity_mappings
        for fm in m.get("fieldMappings", [])
        if isinstance(fm, dict)
    ]
    columns += list(rule.sentinel.custom_details.values())
    return {c: _dim_text(row[c]) for c in columns if isinstance(c, str) and c in row}


def _sentinel_extended(rule: Rule, row: dict[str, Any], events: int) -> dict[str, Any]:
    s = rule.sentinel
    assert s is not None
    entities = []
    for m in s.entity_mappings:
        fields = {
            str(fm.get("identifier")): _dim_text(row.get(str(fm.get("columnName"))))
            for fm in m.get("fieldMappings", [])
            if isinstance(fm, dict)
        }
        entities.append({"entityType": m.get("entityType"), "fields": fields})
    return {
        "SentinelRuleId": s.id,
        "Kind": s.kind,
        "Tactics": list(s.tactics),
        "Techniques": list(s.techniques),
        "Entities": entities,
        "CustomDetails": {k: _dim_text(row.get(c)) for k, c in s.custom_details.items()},
        "EventCount": events,
    }


_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _template(fmt: str | None, row: dict[str, Any]) -> str:
    """Sentinel's alertDetailsOverride: `{{Column}}` is the column's value in the row."""
    if not fmt:
        return ""
    return _FIELD.sub(lambda m: _dim_text(row.get(m.group(1), "")), fmt)


_SENTINEL_SEV = {"high": "Sev1", "medium": "Sev2", "low": "Sev3", "informational": "Sev4"}


def _severity_override(rule: Rule, row: dict[str, Any]) -> str | None:
    assert rule.sentinel is not None
    column = rule.sentinel.alert_details_override.get("alertSeverityColumnName")
    return _SENTINEL_SEV.get(str(row.get(column, "")).lower()) if column else None


# --- actions ---------------------------------------------------------------------------------


def _notify(
    ws: Workspace, rule: Rule, change: AlertChange, notify: Notify | None, links: str | None
) -> None:
    alert = store.get_alert(ws, change.alert_id)
    if alert is None:
        return
    payload = common_alert_schema(rule, alert, ws.workspace_id, links)
    if change.change == "Resolved":
        payload["data"]["essentials"]["monitorCondition"] = "Resolved"
    change.payload = payload
    if notify is None or change.actions_suppressed:
        return
    try:
        notify(list(rule.action_groups), payload)
    except Exception as e:  # the alert stands; delivery is the notifier's business
        change.notify_error = f"{type(e).__name__}: {e}"
        log.warning("rule '%s': notify failed for alert %s: %s", rule.name, alert.alert_id, e)
