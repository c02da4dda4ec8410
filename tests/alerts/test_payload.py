"""The common alert schema payload (spec §5.3)."""

from __future__ import annotations

import json
from typing import Any

from kustodian import Workspace
from kustodian.alerts import common_alert_schema, evaluate, get_alert, get_rule

from .helpers import at, rule, rule_yaml, signins

ESSENTIALS = {
    "alertId",
    "alertRule",
    "alertRuleID",
    "severity",
    "signalType",
    "monitorCondition",
    "monitoringService",
    "alertTargetIDs",
    "configurationItems",
    "originAlertId",
    "firedDateTime",
    "description",
    "essentialsVersion",
    "alertContextVersion",
}


def _fire() -> tuple[Workspace, list[tuple[list[str], dict[str, Any]]]]:
    ws = Workspace.open(":memory:")
    dims = [{"name": "UserPrincipalName", "operator": "Include", "values": ["*"]}]
    rule(
        ws,
        rule_yaml(
            "bg",
            "SigninLogs",
            description="Break-glass",
            criteria={"dimensions": dims, "threshold": 1.5},
            actionGroups=["ag-1"],
            customProperties={"runbook": "https://wiki"},
        ),
    )
    evaluate(ws, at(0))
    signins(ws, (1, "bg@contoso.com"), (2, "bg@contoso.com"))
    calls: list[tuple[list[str], dict[str, Any]]] = []
    evaluate(ws, at(20), notify=lambda g, p: calls.append((g, p)))
    return ws, calls


def test_fired_and_resolved_payloads() -> None:
    ws, calls = _fire()
    assert [p["data"]["essentials"]["monitorCondition"] for _, p in calls] == [
        "Fired",
        "Resolved",
    ]
    groups, p = calls[0]
    assert groups == ["ag-1"]
    assert p["schemaId"] == "azureMonitorCommonAlertSchema"
    e = p["data"]["essentials"]
    assert set(e) >= ESSENTIALS
    assert e["severity"] == "Sev0" and e["signalType"] == "Log"
    assert e["monitoringService"] == "Log Alerts V2"
    assert e["alertId"].startswith(f"/subscriptions/{ws.workspace_id}/providers/")
    assert "/providers/Microsoft.AlertsManagement/alerts/" in e["alertId"]
    assert e["firedDateTime"] == "2024-05-01T10:05:00.0000000Z"
    assert "resolvedDateTime" not in e
    assert e["essentialsVersion"] == "1.0" and e["alertContextVersion"] == "1.0"
    ctx = p["data"]["alertContext"]
    assert ctx["conditionType"] == "LogQueryCriteria"
    assert ctx["properties"] == {"runbook": "https://wiki"}
    cond = ctx["condition"]
    assert cond["windowSize"] == "PT5M"
    assert cond["windowStartTime"] == "2024-05-01T10:00:00.0000000Z"
    assert cond["windowEndTime"] == "2024-05-01T10:05:00.0000000Z"
    (c,) = cond["allOf"]
    assert c["threshold"] == "1.5" and isinstance(c["threshold"], str)
    assert c["metricValue"] == 2.0 and isinstance(c["metricValue"], float)
    assert c["operator"] == "GreaterThan" and c["timeAggregation"] == "Count"
    assert c["dimensions"] == [{"name": "UserPrincipalName", "value": "bg@contoso.com"}]
    assert c["failingPeriods"] == {"numberOfEvaluationPeriods": 1, "minFailingPeriodsToAlert": 1}
    assert c["searchQuery"] == "SigninLogs"
    assert "UserPrincipalName" in c["linkToFilteredSearchResultsAPI"]
    assert p["data"]["customProperties"] == {"runbook": "https://wiki"}
    json.dumps(p)  # serialisable
    resolved = calls[1][1]["data"]["essentials"]
    assert resolved["resolvedDateTime"] == "2024-05-01T10:20:00.0000000Z"


def test_links_use_the_base_url() -> None:
    ws, calls = _fire()
    alert_id = calls[0][1]["data"]["essentials"]["originAlertId"]
    alert = get_alert(ws, alert_id)
    r = get_rule(ws, "bg")
    assert alert is not None and r is not None
    p = common_alert_schema(r, alert, ws.workspace_id, "https://k.example.com/")
    cond = p["data"]["alertContext"]["condition"]["allOf"][0]
    assert cond["linkToSearchResultsAPI"].startswith(
        f"https://k.example.com/v1/workspaces/{ws.workspace_id}/query?query=SigninLogs"
    )
    assert (
        p["data"]["essentials"]["investigationLink"] == f"https://k.example.com/alerts/{alert_id}"
    )
