"""Webhooks, Teams and Slack, posted to real local HTTP servers; retries run on a fake clock."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.actions import dispatch
from kustodian.actions.model import parse_document
from kustodian.actions.store import apply_group
from kustodian.actions.webhook import RETRY_DELAYS, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.actions.conftest import FakeClock, Receiver, add_group, payload


def hook_group(ws: Workspace, url: str, kind: str = "webhook", **extra: Any) -> None:
    add_group(
        ws, {"name": "oncall", "shortName": "oncall", kind: [{"name": "r1", "url": url, **extra}]}
    )


def deliveries(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.query(
        "ActionDeliveries | sort by TimeGenerated asc, Attempt asc "
        "| project Receiver, ReceiverType, Attempt, Status, HttpStatus, Target"
    ).rows


def test_common_schema_payload_is_posted_exactly(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock
) -> None:
    hook_group(ws, http_receiver.url)
    p = payload()
    [d] = dispatch(ws, ["oncall"], p, clock=clock, sleep=clock.sleep)
    assert (d.status, d.attempts, d.http_status) == ("Succeeded", 1, 200)
    [got] = http_receiver.received
    assert got.json() == p
    assert got.headers["Content-Type"].startswith("application/json")
    assert SIGNATURE_HEADER not in got.headers
    port = http_receiver.url.split(":")[2].split("/")[0]
    assert deliveries(ws) == [
        ["r1", "Webhook", 1, "Succeeded", 200, f"http://127.0.0.1:{port}/..."]
    ]


def test_group_by_resource_id_and_twice_notifies_once(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock
) -> None:
    hook_group(ws, http_receiver.url)
    rid = "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/actionGroups/OnCall"
    out = dispatch(ws, [rid, "oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert [d.status for d in out] == ["Succeeded"]
    assert len(http_receiver.received) == 1


def test_legacy_body_without_common_schema(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock
) -> None:
    hook_group(ws, http_receiver.url, useCommonAlertSchema=False)
    dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    body = http_receiver.received[0].json()
    assert body["AlertRuleName"] == "Break-glass account sign-in"
    assert body["Severity"] == "0"
    assert body["AlertThresholdOperator"] == "GreaterThan"
    assert body["AlertThresholdValue"] == "0"
    assert body["AlertType"] == "Number of results"
    assert body["SearchIntervalStartTimeUtc"] == "2024-05-01T11:55:00Z"
    assert {"name": "IPAddress", "value": "203.0.113.7"} in body["Dimensions"]


def test_hmac_signature_verifies(ws: Workspace, http_receiver: Receiver, clock: FakeClock) -> None:
    [group] = parse_document(
        {
            "name": "oncall",
            "webhook": [
                {"name": "r1", "url": http_receiver.url, "signingSecretEnv": "HOOK_SECRET"}
            ],
        }
    )
    apply_group(ws, group, {"HOOK_SECRET": "topsecret"})
    dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    [got] = http_receiver.received
    ts = got.headers[TIMESTAMP_HEADER]
    assert ts == str(int(clock.now.timestamp()))
    sig = got.headers[SIGNATURE_HEADER]
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    now = clock.now.timestamp()
    assert verify("topsecret", got.body, ts, sig, now)
    assert not verify("other", got.body, ts, sig, now)
    assert not verify("topsecret", got.body + b" ", ts, sig, now)
    assert not verify("topsecret", got.body, ts, sig, now + 301)  # replayed later


def test_503_then_success_follows_the_retry_schedule(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock
) -> None:
    http_receiver.script = [503, 503, 429, 200]
    hook_group(ws, http_receiver.url)
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert (d.status, d.attempts) == ("Succeeded", 4)
    assert clock.sleeps == [5, 20, 5]
    assert [r[2:5] for r in deliveries(ws)] == [
        [1, "Retrying", 503],
        [2, "Retrying", 503],
        [3, "Retrying", 429],
        [4, "Succeeded", 200],
    ]
    # every attempt posted the same body
    assert len({r.body for r in http_receiver.received}) == 1


@pytest.mark.parametrize("status", [408, 429, 503, 504])
def test_every_retryable_status_is_retried(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock, status: int
) -> None:
    http_receiver.script = [status, 200]
    hook_group(ws, http_receiver.url)
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert (d.status, d.attempts, clock.sleeps) == ("Succeeded", 2, [5])


def test_always_failing_endpoint_is_paused_for_15_minutes(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock
) -> None:
    http_receiver.script = [503]
    hook_group(ws, http_receiver.url)
    start = clock.now
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert (d.status, d.attempts, d.http_status) == ("Failed", 6, 503)
    assert "paused until" in d.error
    assert clock.sleeps == list(RETRY_DELAYS) == [5, 20, 5, 40, 5]
    assert len(http_receiver.received) == 6
    assert [r[3] for r in deliveries(ws)] == ["Retrying"] * 5 + ["Failed"]
    paused_at = start + dt.timedelta(seconds=75)

    clock.now = paused_at + dt.timedelta(minutes=14, seconds=59)
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert (d.status, d.attempts) == ("Skipped", 0)
    assert "paused" in d.error
    assert len(http_receiver.received) == 6  # not called
    assert deliveries(ws)[-1][2:4] == [0, "Skipped"]

    http_receiver.script = [200]
    clock.now = paused_at + dt.timedelta(minutes=15, seconds=1)
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert (d.status, d.attempts) == ("Succeeded", 1)
    assert len(http_receiver.received) == 7


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_non_retryable_status_is_not_retried_nor_paused(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock, status: int
) -> None:
    http_receiver.script = [status, 200]
    hook_group(ws, http_receiver.url)
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert (d.status, d.attempts, d.http_status) == ("Failed", 1, status)
    assert "receiver says no" in d.error
    assert clock.sleeps == []
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert d.status == "Succeeded"  # not paused


def test_timeout_is_retried(ws: Workspace, http_receiver: Receiver, clock: FakeClock) -> None:
    http_receiver.script = [("sleep", 1.0, 200), 200]
    hook_group(ws, http_receiver.url)
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep, timeout=0.2)
    assert (d.status, d.attempts) == ("Succeeded", 2)
    assert clock.sleeps == [5]
    first = deliveries(ws)[0]
    assert first[3:5] == ["Retrying", None]


def test_connection_refused_is_retried_then_paused(ws: Workspace, clock: FakeClock) -> None:
    from tests.net import free_port

    hook_group(ws, f"http://127.0.0.1:{free_port()}/nothing-listens")
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert (d.status, d.attempts, d.http_status) == ("Failed", 6, None)
    assert "refused" in d.error.lower() and "paused until" in d.error


def test_teams_adaptive_card(ws: Workspace, http_receiver: Receiver, clock: FakeClock) -> None:
    hook_group(ws, http_receiver.url, kind="teams")
    [d] = dispatch(ws, ["oncall"], payload(), clock=clock, sleep=clock.sleep)
    assert (d.kind, d.status) == ("Teams", "Succeeded")
    msg = http_receiver.received[0].json()
    assert msg["type"] == "message"
    [att] = msg["attachments"]
    assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = att["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "Fired: Sev0 Break-glass account sign-in"
    facts = {f["title"]: f["value"] for f in card["body"][-1]["facts"]}
    assert facts["Severity"] == "Sev0"
    assert facts["Monitor condition"] == "Fired"
    assert facts["Fired time"] == "2024-05-01T12:00:00.000Z"
    assert facts["UserPrincipalName"] == "breakglass1@contoso.com"
    assert facts["IPAddress"] == "203.0.113.7"
    assert facts["Count (threshold GreaterThan 0)"] == "2"
    assert card["actions"][0]["url"] == "http://localhost:8080/query?q=2"


def test_slack_blocks(ws: Workspace, http_receiver: Receiver, clock: FakeClock) -> None:
    hook_group(ws, http_receiver.url, kind="slack")
    p = payload(dimensions=[{"name": "App", "value": "<Azure & Co>"}], condition="Resolved")
    p["data"]["essentials"]["resolvedDateTime"] = "2024-05-01T12:10:00Z"
    dispatch(ws, ["oncall"], p, clock=clock, sleep=clock.sleep)
    msg = http_receiver.received[0].json()
    assert msg["text"].startswith(":white_check_mark: Resolved: Sev0 Azure Monitor Alert")
    blocks = msg["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Resolved: Sev0 Break-glass account sign-in"},
    }
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert "*Severity*\nSev0" in fields
    assert "*Resolved time*\n2024-05-01T12:10:00Z" in fields
    assert "*App*\n&lt;Azure &amp; Co&gt;" in fields  # mrkdwn control characters escaped
    assert all(len(b.get("fields", [])) <= 10 for b in blocks)
    assert blocks[-1]["elements"][0]["url"] == "http://localhost:8080/query?q=2"


def test_missing_and_disabled_groups_are_skipped(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock
) -> None:
    add_group(
        ws, {"name": "off", "enabled": False, "webhook": [{"name": "r", "url": http_receiver.url}]}
    )
    out = dispatch(ws, ["nope", "off"], payload(), clock=clock, sleep=clock.sleep)
    assert [(d.action_group, d.status) for d in out] == [("nope", "Skipped"), ("off", "Skipped")]
    assert "disabled" in out[1].error
    assert http_receiver.received == []
    assert ws.query("ActionDeliveries | count").rows == [[2]]


def test_payload_json_is_unchanged_with_unicode(
    ws: Workspace, http_receiver: Receiver, clock: FakeClock
) -> None:
    hook_group(ws, http_receiver.url)
    p = payload(rule="Connexion du compte « bris de glace »")
    dispatch(ws, ["oncall"], p, clock=clock, sleep=clock.sleep)
    assert json.loads(http_receiver.received[0].body.decode("utf-8")) == p
