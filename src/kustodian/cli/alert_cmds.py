"""Alert commands: `kustodian rules apply|list|show|enable|disable|delete` and
`kustodian alerts evaluate|list|show|ack|close`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from kustodian.cli.main import fail, format_table, open_workspace, workspace_option

STATES = ("Fired", "Resolved", "New", "Acknowledged", "Closed")
ALERT_COLUMNS = (
    "AlertId",
    "Rule",
    "Severity",
    "Condition",
    "State",
    "Fired",
    "Resolved",
    "Dims",
    "Value",
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "rules", help="alert rules: apply files, list, show, enable, disable, delete"
    )
    p.add_argument("action", choices=("apply", "list", "show", "enable", "disable", "delete"))
    p.add_argument("args", nargs="*", metavar="FILE|NAME", help="rule files (apply) or a name")
    workspace_option(p)
    p.add_argument("--json", action="store_true", help="show/list as JSON")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("alerts", help="alerts: evaluate the rules, list, show, ack, close")
    p.add_argument("action", choices=("evaluate", "list", "show", "ack", "close"))
    p.add_argument("id", nargs="?", help="alert id (or a unique prefix) for show, ack, close")
    workspace_option(p)
    p.add_argument("--at", help="evaluate as of this ISO 8601 instant (default: now)")
    p.add_argument(
        "--ingestion-delay",
        help="how late rows may arrive and still count, ISO 8601 (default: the workspace "
        "setting alerts.ingestion_delay, else PT0S)",
    )
    p.add_argument("--state", help="list: Fired or Resolved, or New, Acknowledged, Closed")
    p.add_argument("--severity", help="list: Sev0 .. Sev4 (or 0 .. 4)")
    p.add_argument("--rule", help="list: only this rule's alerts")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_alerts)


# --- rules -----------------------------------------------------------------------------------


def cmd_rules(args: argparse.Namespace) -> int:
    from kustodian.alerts import RuleError

    ws = open_workspace(args)
    try:
        if args.action == "apply":
            return _apply(ws, args.args)
        if args.action == "list":
            return _list_rules(ws, args.json)
        if len(args.args) != 1:
            return fail(f"rules {args.action}: give one rule name")
        return _rule_action(ws, args.action, args.args[0], args.json)
    except RuleError as e:
        return fail(str(e))
    finally:
        ws.close()


def _apply(ws: Any, files: list[str]) -> int:
    from kustodian.alerts import RuleError, load_rules, save_rule

    if not files:
        return fail("rules apply: give one or more rule files")
    rules = [r for f in files for r in load_rules(f)]  # every file is read before any is saved
    failed = 0
    for rule in rules:
        try:
            new = save_rule(ws, rule)
        except RuleError as e:
            print(f"error: {e}", file=sys.stderr)
            failed += 1
            continue
        print(f"{'created' if new else 'updated'} {rule.name}")
    return 2 if failed else 0


def _list_rules(ws: Any, as_json: bool) -> int:
    from kustodian.alerts import list_rules, rule_to_doc
    from kustodian.alerts.model import iso_duration

    rules = list_rules(ws)
    if as_json:
        print(json.dumps([rule_to_doc(r) for r in rules], indent=2))
        return 0
    rows = [
        [
            r.name,
            "yes" if r.enabled else "no",
            r.severity_name,
            iso_duration(r.evaluation_frequency),
            iso_duration(r.window_size),
            f"{r.time_aggregation} {r.operator} {r.threshold:g}",
            "stateful" if r.auto_mitigate else "stateless",
            r.source,
        ]
        for r in rules
    ]
    cols = ["Name", "Enabled", "Severity", "Frequency", "Window", "Condition", "Mode", "Source"]
    print(format_table([(c, "string") for c in cols], rows))
    return 0


def _rule_action(ws: Any, action: str, name: str, as_json: bool) -> int:
    from kustodian.alerts import RuleError, delete_rule, get_rule, rule_to_doc, set_enabled

    if action == "show":
        rule = get_rule(ws, name)
        if rule is None:
            raise RuleError(f"no rule named '{name}'")
        doc = rule_to_doc(rule)
        if as_json:
            print(json.dumps(doc, indent=2))
        else:
            import yaml

            print(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), end="")
        return 0
    if action == "delete":
        delete_rule(ws, name)
        print(f"deleted {name}")
        return 0
    set_enabled(ws, name, action == "enable")
    print(f"{action}d {name}")
    return 0


# --- alerts ----------------------------------------------------------------------------------


def cmd_alerts(args: argparse.Namespace) -> int:
    from kustodian.alerts import AlertError, RuleError

    ws = open_workspace(args)
    try:
        if args.action == "evaluate":
            return _evaluate(ws, args)
        if args.action == "list":
            return _list_alerts(ws, args)
        if not args.id:
            return fail(f"alerts {args.action}: give an alert id")
        if args.action == "show":
            return _show_alert(ws, args.id)
        return _set_state(ws, args.id, "Acknowledged" if args.action == "ack" else "Closed")
    except (AlertError, RuleError) as e:
        return fail(str(e))
    finally:
        ws.close()


def _evaluate(ws: Any, args: argparse.Namespace) -> int:
    from kustodian.alerts import evaluate
    from kustodian.timespans import parse_duration, parse_instant

    try:
        at = parse_instant(args.at) if args.at else datetime.now(UTC)
    except ValueError:
        return fail(f"--at: '{args.at}' is not an ISO 8601 instant (e.g. 2024-05-01T12:00:00Z)")
    from kustodian.alerts.evaluate import configured_delay

    try:
        delay = parse_duration(args.ingestion_delay) if args.ingestion_delay else None
    except ValueError as e:
        return fail(f"--ingestion-delay: {e}")
    try:
        delay = configured_delay(ws) if delay is None else delay
    except ValueError as e:
        return fail(f"workspace.json: settings.alerts.ingestion_delay: {e}")
    from kustodian.alerts.notify import notifier

    changes = evaluate(ws, at, ingestion_delay=delay, notify=notifier(ws))
    if args.json:
        print(json.dumps([c.payload for c in changes], indent=2))
        return 0
    for c in changes:
        dims = ", ".join(f"{k}={v}" for k, v in c.dimensions.items())
        muted = " (actions muted)" if c.actions_suppressed else ""
        print(
            f"{c.tick.isoformat().replace('+00:00', 'Z')}  {c.change:<8} {c.rule}  "
            f"value={c.metric_value:g}{'  ' + dims if dims else ''}  {c.alert_id}{muted}"
        )
        if c.notify_error:
            print(f"  notification failed: {c.notify_error}")
    print(f"{len(changes)} change{'s' if len(changes) != 1 else ''}")
    return 0


def _list_alerts(ws: Any, args: argparse.Namespace) -> int:
    from kustodian.alerts import list_alerts

    condition = user_state = None
    if args.state:
        s = args.state.lower()
        if s in ("fired", "resolved"):
            condition = s
        elif s in ("new", "acknowledged", "closed"):
            user_state = s
        else:
            return fail(f"--state: '{args.state}' is not one of {', '.join(STATES)}")
    severity = args.severity
    if severity and severity.isdigit():
        severity = f"Sev{severity}"
    alerts = list_alerts(
        ws, rule=args.rule, condition=condition, user_state=user_state, severity=severity
    )
    if args.json:
        print(json.dumps([_alert_doc(a) for a in alerts], indent=2, default=str))
        return 0
    rows = [
        [
            a.alert_id,
            a.rule,
            a.severity,
            a.monitor_condition,
            a.user_state,
            _t(a.fired_time),
            _t(a.resolved_time),
            ", ".join(f"{k}={v}" for k, v in a.dimensions.items()),
            f"{a.metric_value:g}",
        ]
        for a in alerts
    ]
    print(format_table([(c, "string") for c in ALERT_COLUMNS], rows))
    return 0


def _t(t: datetime | None) -> str:
    return "" if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _alert_doc(a: Any) -> dict[str, Any]:
    from dataclasses import asdict

    doc = asdict(a)
    for k, v in doc.items():
        if isinstance(v, datetime):
            doc[k] = v.isoformat().replace("+00:00", "Z")
    return doc


def _show_alert(ws: Any, alert_id: str) -> int:
    from kustodian.alerts import AlertError, get_alert

    alert = get_alert(ws, alert_id)
    if alert is None:
        raise AlertError(f"no alert with id '{alert_id}'")
    print(json.dumps(_alert_doc(alert), indent=2, default=str))
    return 0


def _set_state(ws: Any, alert_id: str, state: str) -> int:
    from kustodian.alerts import set_user_state

    alert = set_user_state(ws, alert_id, state)
    print(f"{alert.alert_id}: {alert.user_state}")
    return 0
