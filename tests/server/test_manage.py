"""The management API (/manage/v1) against a live server: every resource's success path, its
main errors, role enforcement, and the alerting flow end to end."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kustodian.ingest import dcr, ingest_records
from kustodian.server import ServerSettings, create_app
from tests.server.api import call, error, ok
from tests.server.conftest import Live, ServerThread, make_workspace

M = "/manage/v1"
DCR_ID = "dcr-0000000000000000000000000000e0e1"
DCR = {
    "id": DCR_ID,
    "name": "events",
    "streams": {
        "Custom-Events": {
            "columns": [
                {"name": "TimeGenerated", "type": "datetime"},
                {"name": "User", "type": "string"},
                {"name": "Level", "type": "int"},
            ]
        }
    },
}
RULE = {
    "displayName": "Errors by user",
    "description": "any error event",
    "severity": 1,
    "query": "Events_CL | where Level >= 3 | project TimeGenerated, User",
    "evaluationFrequency": "PT5M",
    "windowSize": "PT1H",
    "criteria": {
        "operator": "GreaterThan",
        "threshold": 0,
        "dimensions": [{"name": "User", "operator": "Include", "values": ["*"]}],
    },
    "actionGroups": ["ops"],
}
OPS_YAML = """\
shortName: ops
email:
  - name: oncall
    address: oncall@contoso.com
"""


def start(path: Path) -> tuple[Live, ServerThread]:
    ws, keys = make_workspace(path)
    dcr.apply_rule(ws, dcr.parse_rule(json.loads(json.dumps(DCR))))
    # no timer evaluation: the tests evaluate at chosen instants through the API
    app = create_app(ws, ServerSettings(auth_failures=1000, alert_check=0))
    srv = ServerThread(app)
    return Live("", ws, ws.workspace_id, keys), srv


@pytest.fixture(scope="module")
def mgmt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live, srv = start(tmp_path_factory.mktemp("manage") / "ws")
    with srv:
        live.url = f"http://127.0.0.1:{srv.port}"
        yield live
    live.ws.close()


# -- tables and retention ----------------------------------------------------------------------


def test_tables_have_kind_columns_rows_and_retention(mgmt: Live) -> None:
    tables = {t["name"]: t for t in ok(call(mgmt, "GET", f"{M}/tables", "reader"))["value"]}
    signins = tables["SigninLogs"]
    assert signins["kind"] == "entra" and signins["rows"] == 3
    assert {"name": "TimeGenerated", "type": "datetime"} in signins["columns"]
    assert (signins["retentionInDays"], signins["retentionSource"]) == (30, "workspace")
    assert tables["Alerts"]["kind"] == "system"
    assert (tables["Alerts"]["retentionInDays"], tables["Alerts"]["retentionSource"]) == (
        30,
        "built-in",
    )
    assert tables["Events_CL"]["kind"] == "custom"


def test_retention_is_set_by_admins_only(mgmt: Live) -> None:
    body = {"retentionInDays": 60}
    for role in ("reader", "contributor"):
        error(call(mgmt, "PUT", f"{M}/retention", role, json=body), 403, "InsufficientAccessError")
    assert ok(call(mgmt, "PUT", f"{M}/retention", json=body))["retentionInDays"] == 60
    assert ok(call(mgmt, "GET", f"{M}/retention", "reader"))["retentionInDays"] == 60
    set_audit = call(mgmt, "PUT", f"{M}/tables/AuditLogs/retention", json={"retentionInDays": 90})
    assert ok(set_audit) == {
        "name": "AuditLogs",
        "retentionInDays": 90,
        "retentionSource": "table",
    }
    assert ok(call(mgmt, "GET", f"{M}/retention", "reader"))["tables"] == {"AuditLogs": 90}
    back = call(mgmt, "PUT", f"{M}/tables/AuditLogs/retention", json={"retentionInDays": None})
    assert ok(back)["retentionSource"] == "workspace" and ok(back)["retentionInDays"] == 60
    ok(call(mgmt, "PUT", f"{M}/retention", json={"retentionInDays": 30}))


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        (f"{M}/retention", {"retentionInDays": 45}, "45 days is not a Log Analytics value"),
        (f"{M}/retention", {"retentionInDays": "30"}, "retentionInDays: '30' is not"),
        (f"{M}/retention", {"retention": 30}, "retention: unknown field"),
        (f"{M}/retention", {}, "retentionInDays: required"),
        (f"{M}/tables/AuditLogs/retention", {"retentionInDays": 1000}, "outside 4 to 730"),
    ],
)
def test_bad_retention_names_the_field(mgmt: Live, path: str, body: Any, needle: str) -> None:
    err = error(call(mgmt, "PUT", path, json=body), 400, "BadArgumentError")
    assert needle in err["message"]


def test_retention_of_an_unknown_table_is_404(mgmt: Live) -> None:
    r = call(mgmt, "PUT", f"{M}/tables/Nope/retention", json={"retentionInDays": 30})
    assert "Nope" in error(r, 404, "TableNotFound")["message"]


def test_retention_apply_reports_what_it_removed(tmp_path: Path) -> None:
    live, srv = start(tmp_path / "ws")
    with srv:
        live.url = f"http://127.0.0.1:{srv.port}"
        error(call(live, "POST", f"{M}/retention/apply", "contributor"), 403)
        report = ok(call(live, "POST", f"{M}/retention/apply"))
    # the fixture's rows are from June 2024: past the 30 days of the default
    assert report["removed"] == {"AuditLogs": 1, "SigninLogs": 3}
    assert report["totalRemoved"] == 4 and report["appliedAt"].endswith("Z")
    assert live.ws.query("SigninLogs | count").rows == [[0]]
    live.ws.close()


# -- rules -------------------------------------------------------------------------------------


def test_rule_put_get_list_enable_disable_delete(mgmt: Live) -> None:
    r = call(mgmt, "PUT", f"{M}/rules/crud-rule", "contributor", json=RULE | {"actionGroups": []})
    doc = ok(r, 201)
    assert doc["name"] == "crud-rule" and doc["severity"] == 1 and doc["enabled"] is True
    assert doc["criteria"]["dimensions"][0]["name"] == "User"
    again = call(mgmt, "PUT", f"{M}/rules/crud-rule", "contributor", json=RULE | {"severity": 2})
    assert ok(again)["severity"] == 2  # 200: replaced
    assert ok(call(mgmt, "GET", f"{M}/rules/crud-rule", "reader"))["severity"] == 2
    names = [x["name"] for x in ok(call(mgmt, "GET", f"{M}/rules", "reader"))["value"]]
    assert "crud-rule" in names
    off = ok(call(mgmt, "POST", f"{M}/rules/crud-rule/disable", "contributor"))
    assert off["enabled"] is False
    on = ok(call(mgmt, "POST", f"{M}/rules/crud-rule/enable", "contributor"))
    assert on["enabled"] is True
    assert ok(call(mgmt, "DELETE", f"{M}/rules/crud-rule", "contributor"), 204) is None
    error(call(mgmt, "GET", f"{M}/rules/crud-rule", "reader"), 404, "RuleNotFound")


def test_rule_put_accepts_yaml_and_arm(mgmt: Live) -> None:
    yaml_text = (
        "severity: 3\nquery: SigninLogs | where ResultType != '0'\nevaluationFrequency: 15m\n"
        "criteria: {operator: GreaterThan, threshold: 5}\n"
    )
    r = call(
        mgmt,
        "PUT",
        f"{M}/rules/yaml-rule",
        "contributor",
        content=yaml_text,
        headers={"Content-Type": "application/yaml"},
    )
    assert ok(r, 201)["evaluationFrequency"] == "PT15M"
    arm = {
        "type": "Microsoft.Insights/scheduledQueryRules",
        "apiVersion": "2021-08-01",
        "name": "arm-rule",
        "properties": {
            "enabled": False,
            "severity": 2,
            "evaluationFrequency": "PT5M",
            "windowSize": "PT10M",
            "criteria": {
                "allOf": [
                    {
                        "query": "AuditLogs | where OperationName has 'invite'",
                        "timeAggregation": "Count",
                        "operator": "GreaterThanOrEqual",
                        "threshold": 1,
                    }
                ]
            },
        },
    }
    doc = ok(call(mgmt, "PUT", f"{M}/rules/arm-rule", "contributor", json=arm), 201)
    assert (doc["source"], doc["enabled"], doc["windowSize"]) == ("arm", False, "PT10M")
    for name in ("yaml-rule", "arm-rule"):
        ok(call(mgmt, "DELETE", f"{M}/rules/{name}", "contributor"), 204)


def test_a_kql_error_in_a_rule_carries_code_and_position(mgmt: Live) -> None:
    bad = RULE | {"query": "SigninLogs\n| where UserPrincipleName == 'x'"}
    err = error(call(mgmt, "PUT", f"{M}/rules/bad-kql", "contributor", json=bad), 400)
    assert err["code"] == "BadArgumentError"
    assert "query:2:9" in err["message"] and "KQL2001" in err["message"]
    assert err["innererror"]["code"] == "KQL2001"
    assert (err["innererror"]["line"], err["innererror"]["pos"]) == (2, 9)
    assert "UserPrincipalName" in err["innererror"]["hint"]
    error(call(mgmt, "GET", f"{M}/rules/bad-kql", "reader"), 404)  # nothing was saved


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (RULE | {"severity": 7}, "severity: 7 is not 0 to 4"),
        (RULE | {"evaluationFrequency": "soon"}, "evaluationFrequency: 'soon' is not a duration"),
        (RULE | {"threshhold": 1}, "threshhold: unknown field"),
        (RULE | {"name": "other"}, "differs from the name in the path"),
        ({k: v for k, v in RULE.items() if k != "criteria"}, "criteria.allOf[0].threshold"),
        (RULE | {"criteria": {"threshold": 0, "dimensions": [{"name": "Nope"}]}}, "dimensions[0]"),
        ([RULE], "name"),
    ],
)
def test_an_invalid_rule_is_400_naming_the_field(mgmt: Live, body: Any, needle: str) -> None:
    err = error(call(mgmt, "PUT", f"{M}/rules/r1", "contributor", json=body), 400)
    assert needle in err["message"], err["message"]


def test_rule_body_must_parse(mgmt: Live) -> None:
    r = call(mgmt, "PUT", f"{M}/rules/r1", "contributor", content="{nope")
    assert "not valid JSON" in error(r, 400, "BadArgumentError")["message"]
    yaml_bad = call(
        mgmt,
        "PUT",
        f"{M}/rules/r1",
        "contributor",
        content="a: [1",
        headers={"Content-Type": "application/yaml"},
    )
    assert "not valid YAML" in error(yaml_bad, 400)["message"]
    xml = call(
        mgmt, "PUT", f"{M}/rules/r1", "contributor", content="<a/>", headers={"Content-Type": "a/b"}
    )
    error(xml, 415, "UnsupportedMediaType")


def test_reader_cannot_put_a_rule(mgmt: Live) -> None:
    r = call(mgmt, "PUT", f"{M}/rules/r1", "reader", json=RULE)
    assert "needs contributor" in error(r, 403, "InsufficientAccessError")["message"]


@pytest.mark.parametrize("verb", ["enable", "disable"])
def test_unknown_rule_is_404(mgmt: Live, verb: str) -> None:
    error(call(mgmt, "POST", f"{M}/rules/ghost/{verb}", "contributor"), 404, "RuleNotFound")
    error(call(mgmt, "DELETE", f"{M}/rules/ghost", "contributor"), 404, "RuleNotFound")


# -- action groups -----------------------------------------------------------------------------


class Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"] or 0))
        Hook.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_action_group_crud_and_secret_urls_are_never_echoed(mgmt: Live, hook: str) -> None:
    secret_url = f"{hook}/hook?token=s3cr3t"
    group = {
        "shortName": "web",
        "email": [{"name": "me", "address": "me@contoso.com"}],
        "webhook": [{"name": "siem", "url": secret_url}],
    }
    made = call(mgmt, "PUT", f"{M}/action-groups/web", "contributor", json=group)
    assert "s3cr3t" not in made.text
    doc = ok(made, 201)
    assert doc["webhook"][0]["url"] == f"{hook}/..."
    listed = call(mgmt, "GET", f"{M}/action-groups", "reader")
    assert "s3cr3t" not in listed.text
    assert "web" in [g["name"] for g in ok(listed)["value"]]
    shown = ok(call(mgmt, "GET", f"{M}/action-groups/web", "reader"))
    # what was read back (redacted) and saved again keeps the stored URL
    shown["shortName"] = "web2"
    assert ok(call(mgmt, "PUT", f"{M}/action-groups/web", "contributor", json=shown))
    Hook.received.clear()
    outcomes = ok(call(mgmt, "POST", f"{M}/action-groups/web/test", "contributor"))["value"]
    by_kind = {o["kind"]: o for o in outcomes}
    assert by_kind["Webhook"]["outcome"] == "Succeeded"
    assert by_kind["Webhook"]["detail"] == "HTTP 200"
    assert by_kind["Email"]["outcome"] == "Outbox" and "outbox" in by_kind["Email"]["detail"]
    assert [p for p, _ in Hook.received] == ["/hook?token=s3cr3t"]
    assert ok(call(mgmt, "DELETE", f"{M}/action-groups/web", "contributor"), 204) is None
    error(call(mgmt, "GET", f"{M}/action-groups/web", "reader"), 404, "ActionGroupNotFound")


def test_action_group_arm_json(mgmt: Live) -> None:
    receivers = [{"name": "a", "emailAddress": "a@contoso.com"}]
    props = {"groupShortName": "armg", "enabled": True, "emailReceivers": receivers}
    arm = {"type": "Microsoft.Insights/actionGroups", "name": "arm-group", "properties": props}
    doc = ok(call(mgmt, "PUT", f"{M}/action-groups/arm-group", "contributor", json=arm), 201)
    assert doc["shortName"] == "armg" and doc["email"][0]["address"] == "a@contoso.com"
    ok(call(mgmt, "DELETE", f"{M}/action-groups/arm-group", "contributor"), 204)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"shortName": "x", "email": [{"name": "a", "address": "nope"}]}, "email[0].address"),
        ({"shortName": "much-too-long-name"}, "shortName"),
        ({"shortName": "x", "sms": []}, "sms"),
        ({"name": "other", "shortName": "x"}, "differs from the name in the path"),
    ],
)
def test_an_invalid_action_group_is_400_naming_the_field(
    mgmt: Live, body: Any, needle: str
) -> None:
    err = error(call(mgmt, "PUT", f"{M}/action-groups/g1", "contributor", json=body), 400)
    assert needle in err["message"], err["message"]


def test_action_group_roles_and_404s(mgmt: Live) -> None:
    body = {"shortName": "x"}
    error(call(mgmt, "PUT", f"{M}/action-groups/g1", "reader", json=body), 403)
    error(call(mgmt, "POST", f"{M}/action-groups/g1/test", "reader"), 403)
    error(call(mgmt, "POST", f"{M}/action-groups/ghost/test", "contributor"), 404)
    error(call(mgmt, "DELETE", f"{M}/action-groups/ghost", "contributor"), 404)


# -- the alerting flow -------------------------------------------------------------------------


def sent_mail(live: Live, alert_id: str) -> list[dict[str, Any]]:
    """The outbox's mail about an alert, once there is some (waits up to 10 s)."""
    for _ in range(100):
        mail = ok(call(live, "GET", f"{M}/outbox", "reader"))["value"]
        sent = [m for m in mail if m["alertId"] == alert_id]
        if sent:
            return sent
        time.sleep(0.1)
    return []


def test_evaluate_answers_before_a_slow_webhook_has(mgmt: Live) -> None:
    release = threading.Event()
    received: list[bytes] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            release.wait(30)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        group = {
            "shortName": "slow",
            "webhook": [{"name": "slow", "url": f"http://127.0.0.1:{hook.server_address[1]}/"}],
        }
        ok(call(mgmt, "PUT", f"{M}/action-groups/slow-hook", "contributor", json=group), 201)
        rule = {**RULE, "query": RULE["query"] + " | where User == 'dee'"}
        ok(
            call(
                mgmt,
                "PUT",
                f"{M}/rules/slow-hook",
                "contributor",
                json={**rule, "actionGroups": ["slow-hook"]},
            ),
            201,
        )
        upload(mgmt, [{"TimeGenerated": "2025-12-01T11:50:00Z", "User": "dee", "Level": 4}])
        r = call(
            mgmt, "POST", f"{M}/alerts/evaluate", "contributor", json={"at": "2025-12-01T12:00:00Z"}
        )
        fired = ok(r)["fired"]  # answered while the webhook holds its notification
        assert len(fired) == 1 and not release.is_set()
        for _ in range(100):
            if received:
                break
            time.sleep(0.1)
        assert fired[0] in received[0].decode()
    finally:
        release.set()
        ok(call(mgmt, "DELETE", f"{M}/rules/slow-hook", "contributor"), 204)
        hook.shutdown()
        hook.server_close()


def upload(live: Live, rows: list[dict[str, Any]]) -> None:
    r = call(
        live,
        "POST",
        f"/dataCollectionRules/{DCR_ID}/streams/Custom-Events",
        "contributor",
        json=rows,
    )
    assert r.status_code == 204, r.text


def test_rule_fires_is_acknowledged_closed_and_resolves(mgmt: Live) -> None:
    ok(
        call(
            mgmt,
            "PUT",
            f"{M}/action-groups/ops",
            "contributor",
            content=OPS_YAML,
            headers={"Content-Type": "application/yaml"},
        ),
        201,
    )
    ok(call(mgmt, "PUT", f"{M}/rules/errors-by-user", "contributor", json=RULE), 201)
    upload(
        mgmt,
        [
            {"TimeGenerated": "2026-01-01T11:50:00Z", "User": "ann", "Level": 4},
            {"TimeGenerated": "2026-01-01T11:51:00Z", "User": "ann", "Level": 3},
            {"TimeGenerated": "2026-01-01T11:52:00Z", "User": "bob", "Level": 1},
        ],
    )
    at = {"at": "2026-01-01T12:00:00Z"}
    error(call(mgmt, "POST", f"{M}/alerts/evaluate", "reader", json=at), 403)
    fired = ok(call(mgmt, "POST", f"{M}/alerts/evaluate", "contributor", json=at))
    assert len(fired["fired"]) == 1 and fired["resolved"] == []
    alert_id = fired["fired"][0]

    listed = ok(call(mgmt, "GET", f"{M}/alerts?rule=errors-by-user&severity=1", "reader"))
    (alert,) = listed["value"]
    assert alert["id"] == alert_id and alert["severity"] == 1
    assert (alert["monitorCondition"], alert["userState"]) == ("Fired", "New")
    assert alert["dimensions"] == {"User": "ann"}
    assert alert["values"]["metricValue"] == 2 and alert["values"]["threshold"] == 0
    assert alert["windowStart"] == "2026-01-01T11:00:00Z"
    assert alert["windowEnd"] == "2026-01-01T12:00:00Z"
    assert alert["query"] == RULE["query"] and "history" not in alert

    sent = sent_mail(mgmt, alert_id)  # notifications go out after the answer
    assert len(sent) == 1 and sent[0]["to"] == "oncall@contoso.com"
    assert "errors-by-user" in sent[0]["subject"] + sent[0]["body"]

    error(call(mgmt, "POST", f"{M}/alerts/{alert_id}/acknowledge", "reader"), 403)
    acked = ok(call(mgmt, "POST", f"{M}/alerts/{alert_id}/acknowledge", "contributor"))
    assert acked["userState"] == "Acknowledged"
    closed = ok(call(mgmt, "POST", f"{M}/alerts/{alert_id}/close", "contributor"))
    assert closed["userState"] == "Closed"

    # three healthy evaluations after the rows leave the window resolve it (5-minute rules)
    later = call(
        mgmt, "POST", f"{M}/alerts/evaluate", "contributor", json={"at": "2026-01-01T13:10Z"}
    )
    assert ok(later)["resolved"] == [alert_id]
    shown = ok(call(mgmt, "GET", f"{M}/alerts/{alert_id}", "reader"))
    assert shown["monitorCondition"] == "Resolved" and shown["resolvedTime"]
    changes = [(h["change"], h["to"]) for h in shown["history"]]
    assert changes == [
        ("MonitorCondition", "Fired"),
        ("UserState", "Acknowledged"),
        ("UserState", "Closed"),
        ("MonitorCondition", "Resolved"),
    ]
    assert shown["history"][1]["by"] == "contributor"  # the token's name
    resolved = ok(call(mgmt, "GET", f"{M}/alerts?monitorCondition=Resolved&userState=Closed"))
    assert alert_id in [a["id"] for a in resolved["value"]]
    window = f"{M}/alerts?since=2026-01-01T11:59:00Z&until=2026-01-01T12:01:00Z"
    assert [a["id"] for a in ok(call(mgmt, "GET", window))["value"]] == [alert_id]
    assert ok(call(mgmt, "GET", f"{M}/alerts?since=2026-01-02T00:00:00Z"))["value"] == []
    by_prefix = ok(call(mgmt, "GET", f"{M}/alerts/{alert_id[:12]}", "reader"))
    assert by_prefix["id"] == alert_id


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("severity=9", "severity: '9' is not 0 to 4"),
        ("monitorCondition=Open", "monitorCondition: 'Open' is not one of Fired, Resolved"),
        ("userState=Done", "userState: 'Done'"),
        ("since=yesterday", "since: 'yesterday' is not an ISO 8601 instant"),
        ("colour=red", "colour: unknown query parameter"),
    ],
)
def test_bad_alert_filters_name_the_parameter(mgmt: Live, query: str, needle: str) -> None:
    err = error(call(mgmt, "GET", f"{M}/alerts?{query}", "reader"), 400, "BadArgumentError")
    assert needle in err["message"]


def test_unknown_alerts_and_bad_evaluate_bodies(mgmt: Live) -> None:
    error(call(mgmt, "GET", f"{M}/alerts/ffffffff-nope", "reader"), 404, "AlertNotFound")
    error(call(mgmt, "POST", f"{M}/alerts/ffffffff-nope/close", "contributor"), 404)
    bad = call(mgmt, "POST", f"{M}/alerts/evaluate", "contributor", json={"at": "noon"})
    assert "at: 'noon' is not an ISO 8601 instant" in error(bad, 400)["message"]
    extra = call(mgmt, "POST", f"{M}/alerts/evaluate", "contributor", json={"when": "x"})
    assert "when: unknown field" in error(extra, 400)["message"]


# -- detections --------------------------------------------------------------------------------


def test_detections_list_and_parameterise(mgmt: Live) -> None:
    listed = {d["id"]: d for d in ok(call(mgmt, "GET", f"{M}/detections", "reader"))["value"]}
    bg = listed["break-glass"]
    assert bg["enabled"] is False and bg["severity"] == 0
    assert bg["techniques"] == ["T1078.004"] and "Initial Access" in bg["tactics"]
    (param,) = bg["parameters"]
    assert param["name"] == "accounts" and param["type"] == "list"
    assert param["value"] == param["default"]

    accounts = {"accounts": ["bg1@contoso.com", "bg2@contoso.com"]}
    body = {"enabled": True, "parameters": accounts}
    error(call(mgmt, "PUT", f"{M}/detections/break-glass", "reader", json=body), 403)
    doc = ok(call(mgmt, "PUT", f"{M}/detections/break-glass", "contributor", json=body))
    assert doc["enabled"] is True and doc["parameters"][0]["value"] == accounts["accounts"]
    rule = ok(call(mgmt, "GET", f"{M}/rules/builtin-break-glass", "reader"))
    assert '"bg1@contoso.com", "bg2@contoso.com"' in rule["query"] and rule["enabled"]

    off = call(mgmt, "PUT", f"{M}/detections/break-glass", "contributor", json={"enabled": False})
    doc = ok(off)
    assert doc["enabled"] is False and doc["parameters"][0]["value"] == accounts["accounts"]
    again = ok(call(mgmt, "GET", f"{M}/detections/break-glass", "reader"))
    assert again == doc


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"parameters": {"nope": 1}}, "no parameter 'nope'"),
        ({"parameters": {"accounts": 5}}, "parameter 'accounts': expected a list of strings"),
        ({"enabled": "yes"}, "enabled: 'yes' is not true or false"),
        ({"parameters": [1]}, "parameters: expected an object"),
        ({"enable": True}, "enable: unknown field"),
    ],
)
def test_bad_detection_bodies_name_the_field(mgmt: Live, body: Any, needle: str) -> None:
    r = call(mgmt, "PUT", f"{M}/detections/break-glass", "contributor", json=body)
    assert needle in error(r, 400, "BadArgumentError")["message"]


def test_unknown_detection_is_404(mgmt: Live) -> None:
    error(call(mgmt, "GET", f"{M}/detections/nope", "reader"), 404, "DetectionNotFound")
    put = call(mgmt, "PUT", f"{M}/detections/nope", "contributor", json={"enabled": True})
    error(put, 404, "DetectionNotFound")


# -- ingestion health and the outbox -----------------------------------------------------------


def test_ingestion_health(mgmt: Live) -> None:
    bad = {"time": "2026-01-02T00:00:00Z", "category": "NoSuchCategory", "properties": {}}
    ingest_records(mgmt.ws, [bad], source="bad.json")
    mgmt.ws.save_connector("graph-test", "graph", {"tenant_id": "t"})
    mgmt.ws.set_checkpoint("graph-test", "SigninLogs", "2026-01-01T00:00:00Z")
    doc = ok(call(mgmt, "GET", f"{M}/ingestion/health", "reader"))
    tables = {t["name"]: t for t in doc["tables"]}
    assert tables["SigninLogs"]["rows"] == 3
    assert tables["SigninLogs"]["lastTimeGenerated"] == "2024-06-21T09:00:00Z"
    assert tables["SigninLogs"]["lastReceived"].endswith("Z")
    (dead,) = [d for d in doc["deadLetters"] if d["source"] == "bad.json"]
    assert dead["count"] == 1 and dead["sampleReason"] and dead["last"].endswith("Z")
    (conn,) = [c for c in doc["connectors"] if c["name"] == "graph-test"]
    assert conn["kind"] == "graph" and conn["lastPull"].endswith("Z")
    assert conn["checkpoints"] == {"SigninLogs": "2026-01-01T00:00:00Z"}
    assert conn["lastError"] is None


def test_outbox_limit_is_checked(mgmt: Live) -> None:
    assert "limit" in error(call(mgmt, "GET", f"{M}/outbox?limit=0", "reader"), 400)["message"]


def test_names_in_paths_are_url_encoded(mgmt: Live) -> None:
    path = f"{M}/rules/Failed%20sign-ins%20%28EU%29"
    doc = ok(call(mgmt, "PUT", path, "contributor", json=RULE | {"actionGroups": []}), 201)
    assert doc["name"] == "Failed sign-ins (EU)"
    assert ok(call(mgmt, "GET", path, "reader"))["name"] == "Failed sign-ins (EU)"
    ok(call(mgmt, "DELETE", path, "contributor"), 204)
