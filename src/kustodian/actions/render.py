"""What a notification says: the common alert schema payload read into a view, and that view
written as an email (subject, text, HTML), a Teams Adaptive Card, Slack blocks, or the legacy
log-alert webhook body.

Payloads come from the alert evaluator and may lack optional fields: every reader here tolerates
missing keys and shows what is present.
"""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEMA_ID = "azureMonitorCommonAlertSchema"


@dataclass(frozen=True, slots=True)
class Condition:
    """One `allOf` entry of a log alert's condition."""

    query: str = ""
    operator: str = ""
    threshold: str = ""
    aggregation: str = ""
    metric_value: Any = None
    dimensions: tuple[tuple[str, str], ...] = ()
    link: str = ""


@dataclass(frozen=True, slots=True)
class AlertView:
    alert_id: str
    rule: str
    severity: str
    condition: str  # Fired | Resolved
    signal_type: str
    service: str
    fired: str
    resolved: str
    description: str
    target: str
    window: str
    conditions: tuple[Condition, ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)

    @property
    def when(self) -> str:
        return self.resolved if self.condition == "Resolved" and self.resolved else self.fired

    def facts(self) -> list[tuple[str, str]]:
        """The essentials worth a line each, in reading order."""
        out = [
            ("Alert rule", self.rule),
            ("Severity", self.severity),
            ("Monitor condition", self.condition),
            ("Fired time", self.fired),
        ]
        if self.resolved:
            out.append(("Resolved time", self.resolved))
        out += [
            ("Signal type", self.signal_type),
            ("Monitoring service", self.service),
            ("Affected resource", self.target),
        ]
        if self.window:
            out.append(("Window", self.window))
        for c in self.conditions:
            if c.metric_value is not None:
                what = c.aggregation or "Value"
                out.append(
                    (f"{what} (threshold {c.operator} {c.threshold})", _text(c.metric_value))
                )
            out += [(name, value) for name, value in c.dimensions]
        out += [(k, _text(v)) for k, v in self.custom.items()]
        out.append(("Alert ID", self.alert_id))
        return [(k, v) for k, v in out if v]


def view(payload: dict[str, Any]) -> AlertView:
    """Read a common alert schema payload (`{"schemaId": ..., "data": {...}}`)."""
    data = _dict(payload.get("data"))
    ess = _dict(data.get("essentials"))
    ctx = _dict(data.get("alertContext"))
    cond = _dict(ctx.get("condition"))
    conditions = tuple(_condition(_dict(c)) for c in _list(cond.get("allOf")))
    window = ""
    if cond.get("windowStartTime") or cond.get("windowEndTime"):
        window = f"{cond.get('windowStartTime', '')} to {cond.get('windowEndTime', '')}"
    targets = [str(t) for t in _list(ess.get("alertTargetIDs"))]
    items = [str(t) for t in _list(ess.get("configurationItems"))]
    return AlertView(
        alert_id=str(ess.get("alertId", "")),
        rule=str(ess.get("alertRule", "")),
        severity=str(ess.get("severity", "")),
        condition=str(ess.get("monitorCondition", "Fired")),
        signal_type=str(ess.get("signalType", "")),
        service=str(ess.get("monitoringService", "")),
        fired=str(ess.get("firedDateTime", "")),
        resolved=str(ess.get("resolvedDateTime", "") or ""),
        description=str(ess.get("description", "") or ""),
        target=(items or [_last(t) for t in targets] or [""])[0],
        window=window,
        conditions=conditions,
        custom=_dict(data.get("customProperties")),
    )


def _condition(c: dict[str, Any]) -> Condition:
    dims = tuple(
        (str(d.get("name", "")), _text(d.get("value")))
        for d in map(_dict, _list(c.get("dimensions")))
    )
    return Condition(
        query=str(c.get("searchQuery", "")),
        operator=str(c.get("operator", "")),
        threshold=str(c.get("threshold", "")),
        aggregation=str(c.get("timeAggregation", "")),
        metric_value=c.get("metricValue"),
        dimensions=dims,
        link=str(c.get("linkToFilteredSearchResultsUI") or c.get("linkToSearchResultsUI") or ""),
    )


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _last(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


# -- email ---------------------------------------------------------------------------------------


def subject(v: AlertView) -> str:
    """As Azure Monitor's common-schema email: `Fired: Sev0 Azure Monitor Alert <rule> on ...`."""
    on = f" on {v.target}" if v.target else ""
    at = f" at {v.when}" if v.when else ""
    text = f"{v.condition}: {v.severity} Azure Monitor Alert {v.rule}{on}{at}"
    return " ".join(text.split())[:250]  # no newlines or runs of spaces in a header


def email_text(v: AlertView, short_name: str = "") -> str:
    lines = [subject(v), ""]
    if v.description:
        lines += [v.description, ""]
    width = max(len(k) for k, _ in v.facts())
    lines += [f"{k.ljust(width)}  {val}" for k, val in v.facts()]
    for c in v.conditions:
        if c.query:
            lines += ["", "Query:", c.query]
        if c.link:
            lines += ["", f"Results: {c.link}"]
    footer = f"You are receiving this because you are in the action group {short_name}."
    lines += ["", "--", footer if short_name else "Sent by Kustodian."]
    return "\n".join(lines) + "\n"


_COLOURS = {"Sev0": "#a4262c", "Sev1": "#d83b01", "Sev2": "#ca5010", "Sev3": "#986f0b"}


def email_html(v: AlertView, short_name: str = "") -> str:
    e = html.escape
    colour = "#107c10" if v.condition == "Resolved" else _COLOURS.get(v.severity, "#605e5c")
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(k)}</th><td>{e(val)}</td></tr>'
        for k, val in v.facts()
    )
    parts = [
        '<html><body style="font-family:Segoe UI,Helvetica,Arial,sans-serif">',
        f'<h2 style="color:{colour}">{e(subject(v))}</h2>',
    ]
    if v.description:
        parts.append(f"<p>{e(v.description)}</p>")
    parts.append(f"<table>{rows}</table>")
    for c in v.conditions:
        if c.query:
            parts.append(f"<h3>Query</h3><pre>{e(c.query)}</pre>")
        if c.link:
            parts.append(f'<p><a href="{e(c.link)}">View the results</a></p>')
    if short_name:
        parts.append(f"<p><small>Action group {e(short_name)}. Sent by Kustodian.</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- Teams and Slack -----------------------------------------------------------------------------


def teams_message(v: AlertView) -> dict[str, Any]:
    """A Teams incoming-webhook message holding one Adaptive Card (schema 1.4)."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
            "color": "Good" if v.condition == "Resolved" else "Attention",
            "text": f"{v.condition}: {v.severity} {v.rule}",
        }
    ]
    if v.description:
        body.append({"type": "TextBlock", "wrap": True, "text": v.description})
    body.append({"type": "FactSet", "facts": [{"title": k, "value": val} for k, val in v.facts()]})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    links = [c.link for c in v.conditions if c.link]
    if links:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "View results", "url": links[0]}]
    return {
        "type": "message",
        "summary": subject(v),
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def slack_message(v: AlertView) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` (the notification line) and Block Kit blocks."""
    emoji = ":white_check_mark:" if v.condition == "Resolved" else ":rotating_light:"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{v.condition}: {v.severity} {v.rule}"[:150]},
        }
    ]
    if v.description:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _slack(v.description)[:3000]}}
        )
    facts = v.facts()
    for i in range(0, len(facts), 10):  # a section holds at most 10 fields
        fields = [
            {"type": "mrkdwn", "text": f"*{_slack(k)}*\n{_slack(val)}"[:2000]}
            for k, val in facts[i : i + 10]
        ]
        blocks.append({"type": "section", "fields": fields})
    links = [c.link for c in v.conditions if c.link]
    if links:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "View results"},
                        "url": links[0],
                    }
                ],
            }
        )
    return {"text": f"{emoji} {subject(v)}", "blocks": blocks}


def _slack(text: str) -> str:
    # Slack's mrkdwn treats &, < and > as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- webhook bodies ------------------------------------------------------------------------------


def legacy_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The body for a webhook without the common schema: the log alert (v1) webhook shape."""
    v = view(payload)
    ctx = _dict(_dict(payload.get("data")).get("alertContext"))
    cond = _dict(ctx.get("condition"))
    first = _dict((_list(cond.get("allOf")) or [{}])[0])
    dims = [{"name": n, "value": val} for c in v.conditions for n, val in c.dimensions]
    return {
        "AlertRuleName": v.rule,
        "AlertThresholdOperator": first.get("operator", ""),
        "AlertThresholdValue": first.get("threshold", ""),
        "AlertType": "Metric measurement"
        if first.get("metricMeasureColumn")
        else "Number of results",
        "Description": v.description,
        "Dimensions": dims,
        "LinkToFilteredSearchResultsAPI": first.get("linkToFilteredSearchResultsAPI", ""),
        "LinkToFilteredSearchResultsUI": first.get("linkToFilteredSearchResultsUI", ""),
        "LinkToSearchResultsAPI": first.get("linkToSearchResultsAPI", ""),
        "LinkToSearchResults": first.get("linkToSearchResultsUI", ""),
        "MetricValue": first.get("metricValue"),
        "MonitorCondition": v.condition,
        "SearchIntervalEndtimeUtc": cond.get("windowEndTime", ""),
        "SearchIntervalStartTimeUtc": cond.get("windowStartTime", ""),
        "SearchQuery": first.get("searchQuery", ""),
        "Severity": v.severity.removeprefix("Sev"),
        "AffectedConfigurationItems": [v.target] if v.target else [],
        "AlertId": v.alert_id,
        "FiredDateTime": v.fired,
    }


# -- the sample payload of "test action group" ---------------------------------------------------


def sample_payload(
    workspace_id: str, now: datetime, *, condition: str = "Fired", severity: str = "Sev3"
) -> dict[str, Any]:
    """A common-schema Log Alerts V2 payload like the one Azure's "Test action group" sends."""
    fired = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    start = now.astimezone(UTC).replace(microsecond=0)
    sub = "00000000-0000-0000-0000-000000000000"
    group = f"/subscriptions/{sub}/resourceGroups/kustodian/providers"
    ws_id = f"{group}/Microsoft.OperationalInsights/workspaces/{workspace_id}"
    essentials: dict[str, Any] = {
        "alertId": f"/subscriptions/{sub}/providers/Microsoft.AlertsManagement/alerts/{uuid.uuid4()}",
        "alertRule": "Test alert rule (action group test)",
        "alertRuleID": f"{group}/Microsoft.Insights/scheduledQueryRules/test-alert-rule",
        "severity": severity,
        "signalType": "Log",
        "monitorCondition": condition,
        "monitoringService": "Log Alerts V2",
        "alertTargetIDs": [ws_id.lower()],
        "configurationItems": [workspace_id],
        "originAlertId": str(uuid.uuid4()),
        "firedDateTime": fired,
        "description": "A test notification sent by `kustodian action-groups test`.",
        "essentialsVersion": "1.0",
        "alertContextVersion": "1.0",
    }
    if condition == "Resolved":
        essentials["resolvedDateTime"] = fired
    query = 'SigninLogs | where ResultType == "50053" | summarize count() by UserPrincipalName'
    return {
        "schemaId": SCHEMA_ID,
        "data": {
            "essentials": essentials,
            "alertContext": {
                "properties": {},
                "conditionType": "LogQueryCriteria",
                "condition": {
                    "windowSize": "PT5M",
                    "allOf": [
                        {
                            "searchQuery": query,
                            "metricMeasureColumn": None,
                            "targetResourceTypes": "['Microsoft.OperationalInsights/workspaces']",
                            "operator": "GreaterThan",
                            "threshold": "0",
                            "timeAggregation": "Count",
                            "dimensions": [
                                {"name": "UserPrincipalName", "value": "alice@contoso.com"}
                            ],
                            "metricValue": 3.0,
                            "failingPeriods": {
                                "numberOfEvaluationPeriods": 1,
                                "minFailingPeriodsToAlert": 1,
                            },
                            "linkToSearchResultsUI": "",
                            "linkToFilteredSearchResultsUI": "",
                            "linkToSearchResultsAPI": "",
                            "linkToFilteredSearchResultsAPI": "",
                        }
                    ],
                    "windowStartTime": _iso(start.timestamp() - 300),
                    "windowEndTime": _iso(start.timestamp()),
                },
            },
            "customProperties": {"Test": "true"},
        },
    }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
