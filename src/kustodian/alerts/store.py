"""Rules, alert instances and evaluation state, in the workspace database.

Rules live in `_kustodian.rules` (our YAML form as JSON), the last evaluated tick per rule in
`_kustodian.rule_state`, and each rule and dimension combination that has fired in
`_kustodian.alert_series`. Alert instances are rows of the `Alerts` table, so KQL can query them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kustodian.alerts.model import Rule, RuleError
from kustodian.alerts.parse import rule_from_doc, rule_to_doc
from kustodian.kql.diagnostics import KqlError

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

USER_STATES = ("New", "Acknowledged", "Closed")


class AlertError(LookupError):
    """No such alert, or a state change it cannot take; the message says which."""


class RuleQueryError(RuleError):
    """A rule's query does not compile: the message as RuleError's, plus the KQL error itself
    (its diagnostics carry the code, span and hint) for callers that report it structurally."""

    def __init__(self, message: str, error: KqlError) -> None:
        super().__init__(message)
        self.error = error


# --- rules --------------------------------------------------------------------------------


def check_query(ws: Workspace, rule: Rule) -> None:
    """Compile the rule's query against the workspace; a KQL error rejects the rule.

    Raises:
        RuleError: naming the rule, the field `query`, the code, line:column and the hint.
    """
    try:
        compiled = ws.compile(rule.query)
    except KqlError as e:
        d = e.diagnostics[0]
        line, col = d.line_col(rule.query)
        raise RuleQueryError(
            f"rule '{rule.name}': query:{line}:{col}: {d.code}: {d.message}\n"
            + d.render(rule.query),  # the source line, a caret under the span, and the hint
            e,
        ) from None
    columns = dict(compiled[0].columns)
    _check_columns(rule, columns)


def _check_columns(rule: Rule, columns: dict[str, Any]) -> None:
    names = ", ".join(columns)
    c = f"rule '{rule.name}': criteria.allOf[0]"
    if rule.metric_measure_column and rule.metric_measure_column not in columns:
        raise RuleError(
            f"{c}.metricMeasureColumn: '{rule.metric_measure_column}' is not a column of the "
            f"query's results ({names})"
        )
    for i, d in enumerate(rule.dimensions):
        if d.name not in columns:
            raise RuleError(
                f"{c}.dimensions[{i}].name: '{d.name}' is not a column of the query's results "
                f"({names})"
            )
    if rule.evaluation_periods > 1 and not any(t.value == "datetime" for t in columns.values()):
        raise RuleError(
            f"{c}.failingPeriods: more than one evaluation period needs a datetime column "
            "(TimeGenerated) in the query's results to bin rows by windowSize"
        )


def save_rule(ws: Workspace, rule: Rule) -> bool:
    """Create or update a rule by name (after compiling its query); True when it is new."""
    check_query(ws, rule)
    body = json.dumps(rule_to_doc(rule), sort_keys=True)
    with ws.transaction() as con:
        existing = con.execute("SELECT 1 FROM _kustodian.rules WHERE name = ?", [rule.name])
        new = not existing.fetchall()
        if new:
            con.execute(
                "INSERT INTO _kustodian.rules VALUES (?, ?, ?, now(), now())",
                [rule.name, body, rule.enabled],
            )
        else:
            con.execute(
                "UPDATE _kustodian.rules SET body = ?, enabled = ?, updated = now() WHERE name = ?",
                [body, rule.enabled, rule.name],
            )
    return new


def get_rule(ws: Workspace, name: str) -> Rule | None:
    rows = ws.execute(
        "SELECT body, enabled FROM _kustodian.rules WHERE name = ?", [name]
    ).fetchall()
    return _rule(rows[0]) if rows else None


def list_rules(ws: Workspace) -> list[Rule]:
    rows = ws.execute("SELECT body, enabled FROM _kustodian.rules ORDER BY name").fetchall()
    return [_rule(r) for r in rows]


def _rule(row: tuple[Any, ...]) -> Rule:
    doc = json.loads(row[0])
    doc["enabled"] = bool(row[1])
    return rule_from_doc(doc)


def set_enabled(ws: Workspace, name: str, enabled: bool) -> None:
    rule = get_rule(ws, name)
    if rule is None:
        raise RuleError(f"no rule named '{name}'")
    doc = rule_to_doc(rule)
    doc["enabled"] = enabled
    with ws.lock:
        ws.execute(
            "UPDATE _kustodian.rules SET body = ?, enabled = ?, updated = now() WHERE name = ?",
            [json.dumps(doc, sort_keys=True), enabled, name],
        )


def delete_rule(ws: Workspace, name: str) -> None:
    """Delete a rule and its evaluation state; its alert instances stay (history)."""
    if get_rule(ws, name) is None:
        raise RuleError(f"no rule named '{name}'")
    with ws.transaction() as con:
        con.execute("DELETE FROM _kustodian.rules WHERE name = ?", [name])
        con.execute("DELETE FROM _kustodian.rule_state WHERE rule = ?", [name])
        con.execute("DELETE FROM _kustodian.alert_series WHERE rule = ?", [name])


# --- alert instances ----------------------------------------------------------------------


@dataclass
class Alert:
    """One row of the `Alerts` table (docs/alert-rules.md has the column meanings)."""

    alert_id: str
    rule: str
    severity: str
    monitor_condition: str
    user_state: str
    fired_time: datetime
    evaluation_time: datetime
    window_start: datetime
    window_end: datetime
    metric_value: float
    threshold: float
    operator: str
    time_aggregation: str
    query: str
    stateful: bool
    title: str = ""
    description: str = ""
    metric_measure_column: str = ""
    dimensions: dict[str, Any] = field(default_factory=dict)
    resolved_time: datetime | None = None
    last_modified: datetime | None = None
    action_groups: list[str] = field(default_factory=list)
    actions_suppressed: bool = False
    custom_properties: dict[str, str] = field(default_factory=dict)
    extended: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


_COLUMNS = (
    "TimeGenerated, AlertId, AlertRule, AlertTitle, Description, Severity, MonitorCondition, "
    "UserState, Stateful, FiredTime, ResolvedTime, LastModifiedTime, EvaluationTime, WindowStart, "
    "WindowEnd, Dimensions, MetricValue, Threshold, Operator, TimeAggregation, "
    "MetricMeasureColumn, Query, ActionGroups, ActionsSuppressed, CustomProperties, "
    "ExtendedProperties, History, TenantId, Type"
)


def _naive(t: datetime | None) -> datetime | None:
    return None if t is None else t.astimezone(UTC).replace(tzinfo=None)


def _aware(t: datetime | None) -> datetime | None:
    return None if t is None else t.replace(tzinfo=UTC)


def insert_alert(con: Any, a: Alert, tenant_id: str) -> None:
    values = [
        _naive(a.fired_time),
        a.alert_id,
        a.rule,
        a.title,
        a.description,
        a.severity,
        a.monitor_condition,
        a.user_state,
        a.stateful,
        _naive(a.fired_time),
        _naive(a.resolved_time),
        _naive(a.last_modified or a.fired_time),
        _naive(a.evaluation_time),
        _naive(a.window_start),
        _naive(a.window_end),
        _json(a.dimensions),
        a.metric_value,
        a.threshold,
        a.operator,
        a.time_aggregation,
        a.metric_measure_column,
        a.query,
        _json(a.action_groups),
        a.actions_suppressed,
        _json(a.custom_properties),
        _json(a.extended),
        _json(a.history),
        tenant_id,
        "Alerts",
    ]
    marks = ", ".join("?" for _ in values)
    con.execute(f'INSERT INTO "Alerts" ({_COLUMNS}) VALUES ({marks})', values)


def update_alert(con: Any, a: Alert) -> None:
    con.execute(
        'UPDATE "Alerts" SET MonitorCondition = ?, UserState = ?, ResolvedTime = ?, '
        "LastModifiedTime = ?, History = ? WHERE AlertId = ?",
        [
            a.monitor_condition,
            a.user_state,
            _naive(a.resolved_time),
            _naive(a.last_modified),
            _json(a.history),
            a.alert_id,
        ],
    )


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def get_alert(ws: Workspace, alert_id: str, con: Any = None) -> Alert | None:
    rows = _select(ws, "WHERE AlertId = ? OR AlertId LIKE ?", [alert_id, f"{alert_id}%"], con)
    if len(rows) > 1:
        raise AlertError(f"'{alert_id}' matches {len(rows)} alerts; give more of the id")
    return rows[0] if rows else None


def get_alert_exact(con: Any, alert_id: str) -> Alert | None:
    rows = con.execute(f'SELECT {_COLUMNS} FROM "Alerts" WHERE AlertId = ?', [alert_id]).fetchall()
    return _alert(rows[0]) if rows else None


def list_alerts(
    ws: Workspace,
    *,
    rule: str | None = None,
    condition: str | None = None,
    user_state: str | None = None,
    severity: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Alert]:
    """Alerts, newest first; each filter is optional (text ones match case-insensitively,
    `since`/`until` bound FiredTime, inclusive)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("AlertRule", rule),
        ("MonitorCondition", condition),
        ("UserState", user_state),
        ("Severity", severity),
    ):
        if value is not None:
            where.append(f"lower({column}) = lower(?)")
            params.append(value)
    for op, bound in ((">=", since), ("<=", until)):
        if bound is not None:
            where.append(f"FiredTime {op} ?")
            params.append(_naive(bound))
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return _select(ws, clause + " ORDER BY FiredTime DESC, AlertId", params)


def _select(ws: Workspace, clause: str, params: list[Any], con: Any = None) -> list[Alert]:
    sql = f'SELECT {_COLUMNS} FROM "Alerts" {clause}'
    rows = (con or ws.con).execute(sql, params).fetchall()
    return [_alert(r) for r in rows]


def _alert(r: tuple[Any, ...]) -> Alert:
    def load(v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) else v

    return Alert(
        alert_id=r[1],
        rule=r[2],
        title=r[3],
        description=r[4],
        severity=r[5],
        monitor_condition=r[6],
        user_state=r[7],
        stateful=bool(r[8]),
        fired_time=_aware(r[9]) or datetime.min.replace(tzinfo=UTC),
        resolved_time=_aware(r[10]),
        last_modified=_aware(r[11]),
        evaluation_time=_aware(r[12]) or datetime.min.replace(tzinfo=UTC),
        window_start=_aware(r[13]) or datetime.min.replace(tzinfo=UTC),
        window_end=_aware(r[14]) or datetime.min.replace(tzinfo=UTC),
        dimensions=load(r[15]) or {},
        metric_value=float(r[16]) if r[16] is not None else 0.0,
        threshold=float(r[17]) if r[17] is not None else 0.0,
        operator=r[18],
        time_aggregation=r[19],
        metric_measure_column=r[20],
        query=r[21],
        action_groups=load(r[22]) or [],
        actions_suppressed=bool(r[23]),
        custom_properties=load(r[24]) or {},
        extended=load(r[25]) or {},
        history=load(r[26]) or [],
    )


def set_user_state(
    ws: Workspace, alert_id: str, state: str, *, at: datetime | None = None, by: str = "user"
) -> Alert:
    """Acknowledge or close an alert (New → Acknowledged → Closed); the change joins History.

    Raises:
        AlertError: no such alert, or the state is not one of New, Acknowledged, Closed.
    """
    if state not in USER_STATES:
        raise AlertError(f"user state '{state}' is not one of {', '.join(USER_STATES)}")
    now = (at or datetime.now(UTC)).astimezone(UTC)
    with ws.transaction() as con:
        alert = get_alert(ws, alert_id, con)
        if alert is None:
            raise AlertError(f"no alert with id '{alert_id}'")
        if alert.user_state != state:
            alert.history.append(change_entry(now, "UserState", alert.user_state, state, by))
            alert.user_state = state
            alert.last_modified = now
            update_alert(con, alert)
    return alert


def change_entry(
    at: datetime, what: str, old: str | None, new: str, by: str, **extra: Any
) -> dict[str, Any]:
    """One History entry: when, what changed (MonitorCondition or UserState), from, to, by."""
    return {"time": iso(at), "change": what, "from": old, "to": new, "by": by, **extra}


def iso(t: datetime) -> str:
    """ISO 8601 UTC with 7 fraction digits, as Azure writes alert times."""
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}0Z"


# --- evaluation state ----------------------------------------------------------------------


def last_tick(con: Any, rule: str) -> tuple[datetime | None, datetime | None]:
    rows = con.execute(
        "SELECT last_tick, suppressed_until FROM _kustodian.rule_state WHERE rule = ?", [rule]
    ).fetchall()
    if not rows:
        return None, None
    return _aware(rows[0][0]), _aware(rows[0][1])


def set_last_tick(
    con: Any, rule: str, tick: datetime, suppressed_until: datetime | None = None
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO _kustodian.rule_state VALUES (?, ?, ?)",
        [rule, _naive(tick), _naive(suppressed_until)],
    )


@dataclass
class Series:
    """A rule's dimension combination that has fired: its open alert, health, mute."""

    dim_key: str
    open_alert: str | None = None
    healthy: int = 0
    muted_until: datetime | None = None


def load_series(con: Any, rule: str) -> dict[str, Series]:
    rows = con.execute(
        "SELECT dim_key, open_alert, healthy, muted_until FROM _kustodian.alert_series "
        "WHERE rule = ?",
        [rule],
    ).fetchall()
    return {r[0]: Series(r[0], r[1] or None, int(r[2] or 0), _aware(r[3])) for r in rows}


def save_series(con: Any, rule: str, s: Series) -> None:
    con.execute(
        "INSERT OR REPLACE INTO _kustodian.alert_series VALUES (?, ?, ?, ?, ?)",
        [rule, s.dim_key, s.open_alert or "", s.healthy, _naive(s.muted_until)],
    )
