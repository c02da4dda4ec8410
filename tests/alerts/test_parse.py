"""Rule files: our YAML, ARM JSON, Sentinel YAML; errors name the file and the field."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.alerts import RuleError, load_rules, parse_text, rule_to_doc, save_rule
from kustodian.alerts.parse import rule_from_doc

ARM = {
    "type": "Microsoft.Insights/scheduledQueryRules",
    "apiVersion": "2021-08-01",
    "name": "bg",
    "properties": {
        "severity": 0,
        "enabled": True,
        "evaluationFrequency": "PT5M",
        "windowSize": "PT10M",
        "criteria": {
            "allOf": [
                {
                    "query": "SigninLogs | project TimeGenerated, UserPrincipalName",
                    "timeAggregation": "Count",
                    "operator": "GreaterThan",
                    "threshold": 0,
                    "dimensions": [
                        {"name": "UserPrincipalName", "operator": "Include", "values": ["*"]}
                    ],
                    "failingPeriods": {
                        "numberOfEvaluationPeriods": 2,
                        "minFailingPeriodsToAlert": 1,
                    },
                }
            ]
        },
        "muteActionsDuration": "PT1H",
        "autoMitigate": False,
        "actions": {"actionGroups": ["ag1"], "customProperties": {"k": "v"}},
    },
}


def test_arm_resource_maps_every_field() -> None:
    (r,) = parse_text(json.dumps(ARM), "bg.json")
    assert r.name == "bg" and r.severity == 0 and r.source == "arm"
    assert r.evaluation_frequency == timedelta(minutes=5)
    assert r.window_size == timedelta(minutes=10)
    assert r.query_range == timedelta(minutes=20)
    assert (r.evaluation_periods, r.min_failing_periods) == (2, 1)
    assert r.dimensions[0].name == "UserPrincipalName" and r.dimensions[0].values == ("*",)
    assert r.mute_actions_duration == timedelta(hours=1)
    assert not r.auto_mitigate
    assert r.action_groups == ("ag1",) and r.custom_properties == {"k": "v"}


def test_arm_template_with_parameters() -> None:
    res = json.loads(json.dumps(ARM))
    res["name"] = "[parameters('alertName')]"
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {"alertName": {"type": "string", "defaultValue": "from-param"}},
        "resources": [{"type": "Microsoft.Insights/actionGroups", "name": "x"}, res],
    }
    (r,) = parse_text(json.dumps(template))
    assert r.name == "from-param"


def test_arm_unresolvable_expression_names_the_field() -> None:
    res = json.loads(json.dumps(ARM))
    res["properties"]["windowSize"] = "[variables('w')]"
    with pytest.raises(RuleError, match=r"properties\.windowSize: the ARM expression"):
        parse_text(json.dumps({"resources": [res]}), "t.json")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("operator",), "Bigger", r"t\.json: properties\.criteria\.allOf\[0\]\.operator: 'Bigger'"),
        (("threshold",), "lots", r"criteria\.allOf\[0\]\.threshold: 'lots' is not a number"),
        (("timeAggregation",), "Median", r"timeAggregation: 'Median' is not one of"),
        (
            ("failingPeriods",),
            {"numberOfEvaluationPeriods": 2, "minFailingPeriodsToAlert": 3},
            r"failingPeriods: minFailingPeriodsToAlert \(3\)",
        ),
    ],
)
def test_arm_condition_errors_name_the_field(path: tuple[str], value: object, message: str) -> None:
    res = json.loads(json.dumps(ARM))
    res["properties"]["criteria"]["allOf"][0][path[0]] = value
    with pytest.raises(RuleError, match=message):
        parse_text(json.dumps(res), "t.json")


def test_arm_missing_enabled_and_bad_frequency() -> None:
    res = json.loads(json.dumps(ARM))
    del res["properties"]["enabled"]
    with pytest.raises(RuleError, match=r"properties\.enabled: required"):
        parse_text(json.dumps(res))
    res = json.loads(json.dumps(ARM))
    res["properties"]["evaluationFrequency"] = "P2D"
    with pytest.raises(RuleError, match=r"evaluationFrequency: P2D is outside PT1M to P1D"):
        parse_text(json.dumps(res))


def test_bad_json_gives_line_and_column(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text('{\n  "name": "x",\n  oops\n}')
    with pytest.raises(RuleError, match=r"r\.json:3:3: not valid JSON"):
        load_rules(p)


def test_yaml_errors_name_the_field() -> None:
    base = "name: r\nevaluationFrequency: 5m\nquery: SigninLogs\ncriteria: {threshold: 0}\n"
    assert parse_text(base)[0].window_size == timedelta(minutes=5)
    with pytest.raises(RuleError, match=r"r\.yaml: severity: 7 is not 0 to 4"):
        parse_text(base + "severity: 7\n", "r.yaml")
    with pytest.raises(RuleError, match=r"windowSize: 'soon' is not a duration"):
        parse_text(base + "windowSize: soon\n")
    with pytest.raises(RuleError, match=r"criteria\.thresold: unknown field; did you mean"):
        parse_text(base.replace("{threshold: 0}", "{thresold: 0}"))
    with pytest.raises(RuleError, match=r"threshold: belongs under criteria"):
        parse_text(base.replace("criteria: {threshold: 0}", "threshold: 0"))
    with pytest.raises(RuleError, match=r"criteria\.allOf\[0\]\.dimensions\[0\]\.operator"):
        parse_text(
            base.replace("{threshold: 0}", "{threshold: 0, dimensions: [{name: A, operator: X}]}")
        )
    with pytest.raises(RuleError, match=r"autoMitigate: stateful rules"):
        parse_text(base.replace("5m", "1d") + "windowSize: 1d\n")
    with pytest.raises(RuleError, match=r"windowSize: the query looks back P3D"):
        parse_text(base + "windowSize: 3d\nautoMitigate: false\n")


def test_yaml_syntax_error_has_position() -> None:
    with pytest.raises(RuleError, match=r"bad\.yaml:3:1: not valid YAML"):
        parse_text("name: r\nquery: [unclosed\n", "bad.yaml")


def test_round_trip_through_our_form() -> None:
    (r,) = parse_text(json.dumps(ARM))
    assert rule_from_doc(json.loads(json.dumps(rule_to_doc(r)))) == r


def test_bad_kql_is_rejected_on_save_with_position() -> None:
    ws = Workspace.open(":memory:")
    (r,) = parse_text(
        "name: typo\nevaluationFrequency: 5m\ncriteria: {threshold: 0}\n"
        "query: |\n  SigninLogs\n  | where UserPrincipleName == 'a'\n"
    )
    with pytest.raises(RuleError) as e:
        save_rule(ws, r)
    text = str(e.value)
    assert "rule 'typo': query:2:9: KQL2001" in text
    assert "did you mean 'UserPrincipalName'" in text
    assert "^^^" in text


def test_dimension_must_be_a_result_column() -> None:
    ws = Workspace.open(":memory:")
    (r,) = parse_text(
        "name: d\nevaluationFrequency: 5m\nquery: SigninLogs | project UserPrincipalName\n"
        "criteria: {threshold: 0, dimensions: [{name: IPAddress}], failingPeriods: "
        "{numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1}}\n"
    )
    with pytest.raises(RuleError, match=r"dimensions\[0\]\.name: 'IPAddress' is not a column"):
        save_rule(ws, r)
