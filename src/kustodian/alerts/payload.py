"""The common alert schema payload (spec §5.3) for a log search alert (Log Alerts V2).

Kustodian has no Azure subscription: resource ids use the workspace id in the subscription's
place and the resource group `kustodian`, so they have Azure's shape and stay unique per
workspace. The links to the search results point at our own query endpoints (`links_base_url`);
without one they are paths relative to the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kustodian.alerts.model import Rule, iso_duration

if TYPE_CHECKING:
    from kustodian.alerts.store import Alert

SCHEMA_ID = "azureMonitorCommonAlertSchema"
RESOURCE_GROUP = "kustodian"
WORKSPACE_TYPE = "microsoft.operationalinsights/workspaces"


def workspace_resource_id(workspace_id: str) -> str:
    return (
        f"/subscriptions/{workspace_id}/resourcegroups/{RESOURCE_GROUP}/providers/"
        f"{WORKSPACE_TYPE}/{workspace_id}"
    )


def rule_resource_id(workspace_id: str, rule_name: str) -> str:
    return (
        f"/subscriptions/{workspace_id}/resourceGroups/{RESOURCE_GROUP}/providers/"
        f"microsoft.insights/scheduledqueryrules/{quote(rule_name, safe='')}"
    )


def common_alert_schema(
    rule: Rule, alert: Alert, workspace_id: str, links_base_url: str | None = None
) -> dict[str, Any]:
    """The payload Azure Monitor sends to action groups for this alert, Fired or Resolved.

    Args:
        rule: the alert's rule.
        alert: the alert instance (its monitor condition picks Fired or Resolved).
        workspace_id: the workspace GUID.
        links_base_url: e.g. "https://kustodian.example.com"; the result links start with it.

    Returns:
        `{"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials", "alertContext",
        "customProperties"}}`, JSON-serialisable.
    """
    from kustodian.alerts.store import iso

    essentials: dict[str, Any] = {
        "alertId": f"/subscriptions/{workspace_id}/providers/Microsoft.AlertsManagement/alerts/"
        f"{alert.alert_id}",
        "alertRule": rule.name,
        "severity": alert.severity,
        "signalType": "Log",
        "monitorCondition": alert.monitor_condition,
        "monitoringService": "Log Alerts V2",
        "alertTargetIDs": [workspace_resource_id(workspace_id)],
        "configurationItems": [workspace_id],
        "originAlertId": alert.alert_id,
        "firedDateTime": iso(alert.fired_time),
        "description": alert.description or rule.description,
        "essentialsVersion": "1.0",
        "alertContextVersion": "1.0",
        "alertRuleID": rule_resource_id(workspace_id, rule.name),
        "targetResourceGroup": RESOURCE_GROUP,
        "targetResourceType": WORKSPACE_TYPE,
    }
    if alert.resolved_time is not None and alert.monitor_condition == "Resolved":
        essentials["resolvedDateTime"] = iso(alert.resolved_time)
    base = (links_base_url or "").rstrip("/")
    if links_base_url:
        essentials["investigationLink"] = f"{base}/alerts/{alert.alert_id}"
    custom = dict(alert.custom_properties) or None
    return {
        "schemaId": SCHEMA_ID,
        "data": {
            "essentials": essentials,
            "alertContext": _context(rule, alert, workspace_id, base),
            "customProperties": custom,
        },
    }


def _context(rule: Rule, alert: Alert, workspace_id: str, base: str) -> dict[str, Any]:
    from kustodian.alerts.store import iso

    dims = [{"name": k, "value": str(v)} for k, v in alert.dimensions.items()]
    timespan = f"{iso(alert.window_start)}/{iso(alert.window_end)}"
    filtered = alert.query + "".join(
        f"\n| where {_ident(d['name'])} == {_kql_string(d['value'])}" for d in dims
    )
    condition = {
        "searchQuery": alert.query,
        "metricMeasureColumn": alert.metric_measure_column or None,
        "targetResourceTypes": f"['{WORKSPACE_TYPE}']",
        "operator": alert.operator,
        "threshold": _number_text(alert.threshold),
        "timeAggregation": alert.time_aggregation,
        "dimensions": dims,
        "metricValue": alert.metric_value,
        "failingPeriods": {
            "numberOfEvaluationPeriods": rule.evaluation_periods,
            "minFailingPeriodsToAlert": rule.min_failing_periods,
        },
        "linkToSearchResultsUI": _ui_link(base, alert.query, timespan),
        "linkToFilteredSearchResultsUI": _ui_link(base, filtered, timespan),
        "linkToSearchResultsAPI": _api_link(base, workspace_id, alert.query, timespan),
        "linkToFilteredSearchResultsAPI": _api_link(base, workspace_id, filtered, timespan),
    }
    return {
        "properties": dict(alert.custom_properties),
        "conditionType": "LogQueryCriteria",
        "condition": {
            "windowSize": iso_duration(rule.window_size),
            "allOf": [condition],
            "windowStartTime": iso(alert.window_start),
            "windowEndTime": iso(alert.window_end),
        },
    }


def _number_text(x: float) -> str:
    """Azure writes the threshold as text: "0", "2.5"."""
    return str(int(x)) if float(x).is_integer() else repr(x)


def _ident(name: str) -> str:
    return name if name.isidentifier() else f"['{name}']"


def _kql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ui_link(base: str, query: str, timespan: str) -> str:
    return f"{base}/logs?query={quote(query, safe='')}&timespan={quote(timespan, safe='')}"


def _api_link(base: str, workspace_id: str, query: str, timespan: str) -> str:
    return (
        f"{base}/v1/workspaces/{workspace_id}/query?query={quote(query, safe='')}"
        f"&timespan={quote(timespan, safe='')}"
    )
