"""Microsoft Sentinel analytic rules: the shared corpus's rules parse, compile and evaluate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from kustodian import Workspace
from kustodian.alerts import RuleError, evaluate, list_alerts, parse_text, save_rule
from tests.sentinel.corpus import load_queries

from .helpers import at, signins

QUERIES = [q for q in load_queries() if q["kind"] in ("Scheduled", "NRT")]
KNOWN = {
    line.split("\t")[0]
    for line in (Path(__file__).parents[1] / "sentinel" / "known_failures.txt")
    .read_text()
    .splitlines()
    if line and not line.startswith("#")
}


def as_yaml(q: dict[str, object]) -> str:
    """The corpus record written back as the rule's YAML file (Azure-Sentinel's keys)."""
    doc = {
        "id": q["id"],
        "name": q["name"],
        "description": q["description"],
        "severity": q["severity"],
        "queryFrequency": q["query_frequency"],
        "queryPeriod": q["query_period"],
        "triggerOperator": q["trigger_operator"],
        "triggerThreshold": q["trigger_threshold"],
        "tactics": q["tactics"],
        "relevantTechniques": q["relevant_techniques"],
        "query": q["query"],
        "version": q["version"],
        "kind": q["kind"],
    }
    return yaml.safe_dump({k: v for k, v in doc.items() if v is not None}, sort_keys=False)


@pytest.mark.skipif(not QUERIES, reason="shared/sentinel-identity-queries not found")
def test_identity_rules_from_the_corpus_are_accepted() -> None:
    ws = Workspace.open(":memory:")
    runnable = [q for q in QUERIES if q["identity_only"] and q["id"] not in KNOWN]
    assert len(runnable) >= 60
    for q in runnable:
        (r,) = parse_text(as_yaml(q), str(q["source_path"]))
        save_rule(ws, r)  # compiles the query
        if q["kind"] == "NRT":
            assert r.evaluation_frequency == timedelta(minutes=1)
        else:
            assert r.window_size <= timedelta(days=14)
        assert not r.auto_mitigate and r.sentinel is not None
    assert len(evaluate(ws, at(0))) >= 0  # every rule evaluates


SENTINEL = """
id: 3b443d4e-2a3c-4d9b-8a2f-6c2a43b0f1a1
name: Disabled account sign-in attempts
description: "'Attempts on disabled accounts.'"
severity: High
queryFrequency: 5m
queryPeriod: 5m
triggerOperator: gt
triggerThreshold: 1
tactics: [InitialAccess]
relevantTechniques: [T1078]
query: |
  SigninLogs
  | where ResultType == "50057"
  | summarize Attempts = count() by UserPrincipalName, IPAddress
entityMappings:
  - entityType: Account
    fieldMappings: [{identifier: FullName, columnName: UserPrincipalName}]
  - entityType: IP
    fieldMappings: [{identifier: Address, columnName: IPAddress}]
eventGroupingSettings: {aggregationKind: AlertPerResult}
alertDetailsOverride:
  alertDisplayNameFormat: "Disabled account {{UserPrincipalName}} from {{IPAddress}}"
suppressionEnabled: true
suppressionDuration: 10m
kind: Scheduled
"""


def test_alert_per_result_with_entities_and_suppression() -> None:
    ws = Workspace.open(":memory:")
    (r,) = parse_text(SENTINEL)
    assert r.severity == 1 and r.operator == "GreaterThan" and r.threshold == 1
    save_rule(ws, r)
    evaluate(ws, at(0))
    rows = [{"minutes": m, "UserPrincipalName": u, "ResultType": "50057"} for m, u in
            [(1, "a@contoso.com"), (2, "b@contoso.com"), (6, "a@contoso.com"),
             (7, "b@contoso.com"), (16, "a@contoso.com"), (17, "c@contoso.com")]]  # fmt: skip
    signins(ws, *rows)
    changes = evaluate(ws, at(20))
    # 10:05: 2 results > 1 -> an alert per result; 10:10 and 10:15 suppressed; 10:20 again
    assert [(c.tick, c.dimensions["UserPrincipalName"]) for c in changes] == [
        (at(5), "a@contoso.com"),
        (at(5), "b@contoso.com"),
        (at(20), "a@contoso.com"),
        (at(20), "c@contoso.com"),
    ]
    alert = next(a for a in list_alerts(ws) if a.dimensions["UserPrincipalName"] == "b@contoso.com")
    assert alert.title == "Disabled account b@contoso.com from 203.0.113.10"
    assert alert.severity == "Sev1"
    assert alert.extended["Tactics"] == ["InitialAccess"]
    assert alert.extended["Entities"][1] == {
        "entityType": "IP",
        "fields": {"Address": "203.0.113.10"},
    }


def test_sentinel_errors_name_the_field() -> None:
    with pytest.raises(RuleError, match=r"triggerOperator: 'gte' is not gt, lt, eq or ne"):
        parse_text(SENTINEL.replace("triggerOperator: gt", "triggerOperator: gte"))
    with pytest.raises(RuleError, match=r"queryPeriod: the query looks back P15D"):
        parse_text(SENTINEL.replace("queryPeriod: 5m", "queryPeriod: 15d"))
    with pytest.raises(RuleError, match=r"aggregationKind: 'Each'"):
        parse_text(SENTINEL.replace("AlertPerResult", "Each"))
    with pytest.raises(RuleError, match=r"severity: 'Urgent'"):
        parse_text(SENTINEL.replace("severity: High", "severity: Urgent"))


def test_nrt_runs_every_minute() -> None:
    (r,) = parse_text(SENTINEL.replace("kind: Scheduled", "kind: NRT"))
    assert r.evaluation_frequency == r.window_size == timedelta(minutes=1)
