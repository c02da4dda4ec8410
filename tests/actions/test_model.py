"""Action group files: ARM JSON and our YAML form, the examples of docs/action-groups.md, and
errors that name the file and the field."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from kustodian.actions import ActionGroupError, ReceiverKind, parse_document, parse_text

DOC = Path(__file__).parents[2] / "docs" / "action-groups.md"


def doc_blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), re.S)


ARM: dict[str, Any] = json.loads(doc_blocks("json")[0])


def test_docs_examples_load() -> None:
    yaml_groups = [g for text in doc_blocks("yaml") for g in parse_text(text, "doc.yaml")]
    assert [g.name for g in yaml_groups] == ["identity-oncall", "break-glass"]
    oncall = yaml_groups[0]
    assert oncall.short_name == "idoncall" and oncall.enabled
    assert [(r.kind, r.name) for r in oncall.receivers] == [
        (ReceiverKind.EMAIL, "secops"),
        (ReceiverKind.WEBHOOK, "siem"),
        (ReceiverKind.TEAMS, "identity-channel"),
        (ReceiverKind.SLACK, "sec-alerts"),
    ]
    assert oncall.receivers[1].signing_secret_env == "SIEM_HOOK_SECRET"
    assert yaml_groups[1].short_name == "breakglass"
    [arm] = parse_text(doc_blocks("json")[0], "doc.json")
    assert arm.name == "identity-oncall"
    assert [(r.kind, r.name) for r in arm.receivers] == [
        (ReceiverKind.EMAIL, "secops"),
        (ReceiverKind.WEBHOOK, "siem"),
        (ReceiverKind.TEAMS, "identity-channel"),
        (ReceiverKind.SLACK, "sec-alerts"),
    ]


def test_arm_and_yaml_forms_agree() -> None:
    [arm] = parse_document(ARM, "arm.json")
    [yaml_form] = parse_text(doc_blocks("yaml")[0], "doc.yaml")
    assert [(r.kind, r.name, r.signing_secret_env) for r in arm.receivers] == [
        (r.kind, r.name, r.signing_secret_env) for r in yaml_form.receivers
    ]
    # the stored form reads back to the same group
    assert parse_document(arm.to_json(), "stored") == [arm]


def test_template_with_resources() -> None:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {"type": "Microsoft.Storage/storageAccounts", "name": "x"},
            ARM,
            {**ARM, "name": "second", "type": "microsoft.insights/actiongroups"},
        ],
    }
    assert [g.name for g in parse_document(template, "t.json")] == ["identity-oncall", "second"]


def test_arm_defaults_common_schema_off_and_yaml_on() -> None:
    arm = {
        "type": "Microsoft.Insights/actionGroups",
        "name": "g",
        "properties": {
            "groupShortName": "g",
            "webhookReceivers": [{"name": "w", "serviceUri": "https://x.io/h"}],
        },
    }
    assert parse_document(arm)[0].receivers[0].use_common_alert_schema is False
    yml = parse_text("name: g\nwebhook:\n  - name: w\n    url: https://x.io/h\n")
    assert yml[0].receivers[0].use_common_alert_schema is True
    assert yml[0].short_name == "g"


def _arm(**props: Any) -> dict[str, Any]:
    doc = copy.deepcopy(ARM)
    doc["properties"].update(props)
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            _arm(groupShortName="much-too-long-name"),
            "properties.groupShortName: 'much-too-long-name' has 18 characters; at most 12",
        ),
        (_arm(groupShortName=None), "properties.groupShortName: required"),
        (_arm(enabled="yes"), "properties.enabled: 'yes': expected true or false"),
        (
            _arm(emailReceivers=[{"name": "a", "emailAddress": "not-an-address"}]),
            "properties.emailReceivers[0].emailAddress: 'not-an-address' is not an email address",
        ),
        (
            _arm(webhookReceivers=[{"name": "a", "serviceUri": "ftp://x"}]),
            "properties.webhookReceivers[0].serviceUri: expected an http:// or https:// URL",
        ),
        (
            _arm(
                webhookReceivers=[{"name": "a", "serviceUri": "https://x.io", "useAadAuth": True}]
            ),
            "properties.webhookReceivers[0].useAadAuth: Entra ID (AAD) authenticated webhooks are not supported",
        ),
        (
            _arm(smsReceivers=[{"name": "s", "countryCode": "1", "phoneNumber": "5551234"}]),
            "properties.smsReceivers: this receiver kind is not supported",
        ),
        (
            _arm(
                webhookReceivers=[
                    {"name": "a", "serviceUri": "https://x.io", "kustodianKind": "pager"}
                ]
            ),
            "properties.webhookReceivers[0].kustodianKind: 'pager': expected webhook, teams or slack",
        ),
        (
            _arm(
                emailReceivers=[
                    {"name": "a", "emailAddress": "a@b.co"},
                    {"name": "A", "emailAddress": "c@b.co"},
                ]
            ),
            "receiver name 'A' is used twice",
        ),
        (
            _arm(
                webhookReceivers=[
                    {"name": f"w{i}", "serviceUri": "https://x.io"} for i in range(11)
                ]
            ),
            "11 webhook receivers (with Teams and Slack); at most 10 per group",
        ),
        (
            {**ARM, "name": "[parameters('name')]"},
            "name: '[parameters('name')]' is a template expression",
        ),
        (
            {**ARM, "type": "Microsoft.Insights/scheduledQueryRules"},
            "type: 'Microsoft.Insights/scheduledQueryRules' is not Microsoft.Insights/actionGroups",
        ),
        ({**ARM, "properties": []}, "properties: expected an object"),
    ],
)
def test_arm_errors_name_the_field(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ActionGroupError) as e:
        parse_document(doc, "groups.json")
    assert str(e.value).startswith("groups.json: ")
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "actionGroups:\n  - name: g\n    email:\n      - name: a\n        address: a@b.co\n      - name: b\n        address: secops-at-contoso\n",
            "groups.yaml: actionGroups[0].email[1].address: 'secops-at-contoso' is not an email address",
        ),
        (
            "name: g\nemails: []\n",
            "groups.yaml: emails: unknown field (expected one of: email, enabled, name, shortName, slack, teams, webhook)",
        ),
        ("name: g\nteams:\n  - name: t\n", "groups.yaml: teams[0].url: required: an http(s) URL"),
        (
            "name: g\nteams:\n  - name: t\n    url: https://x.io\n    signingSecretEnv: X\n",
            "teams[0].signingSecretEnv: unknown field",
        ),
        (
            "name: g\nwebhook:\n  - name: w\n    url: https://x.io\n    signingSecretEnv: 'not a var'\n",
            "webhook[0].signingSecretEnv: 'not a var': expected an environment variable name",
        ),
        ("shortName: x\n", "groups.yaml: name: required: a non-empty name"),
        ("name: g\nemail: {name: a}\n", "groups.yaml: email: expected a list"),
        ("name: g\n  bad: [\n", "groups.yaml: not valid YAML (line 2, column"),
        ("- 1\n", "groups.yaml: expected a mapping"),
        (
            "actionGroups:\n  - name: G\n  - name: g\n",
            "groups.yaml: action group 'g' is defined twice",
        ),
    ],
)
def test_yaml_errors_name_the_field(text: str, message: str) -> None:
    with pytest.raises(ActionGroupError) as e:
        parse_text(text, "groups.yaml")
    assert message in str(e.value)


def test_json_syntax_error_has_position() -> None:
    with pytest.raises(ActionGroupError, match=r"g.json: not valid JSON \(line 1, column 2"):
        parse_text("{,}", "g.json")


def test_kind_by_host() -> None:
    [g] = parse_document(
        _arm(
            webhookReceivers=[
                {"name": "t", "serviceUri": "https://contoso.webhook.office.com/webhookb2/a/b"},
                {"name": "s", "serviceUri": "https://hooks.slack.com/services/T/B/x"},
                {"name": "w", "serviceUri": "https://webhook.office.com.evil.example/x"},
            ]
        )
    )
    assert [r.kind for r in g.by_kind(ReceiverKind.TEAMS) + g.by_kind(ReceiverKind.SLACK)] == [
        ReceiverKind.TEAMS,
        ReceiverKind.SLACK,
    ]
    assert [r.name for r in g.by_kind(ReceiverKind.WEBHOOK)] == ["w"]
    assert (
        g.by_kind(ReceiverKind.SLACK)[0].display_target == "https://hooks.slack.com/..."
    )  # the token is hidden
