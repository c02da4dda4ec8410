"""Sending one alert's notifications to its action groups.

`dispatch(ws, ["oncall"], payload)` is what the alert evaluator calls when an alert fires or
resolves: each receiver of each named group gets the notification, every attempt is a row of
`ActionDeliveries`, and the result is one `Delivery` per receiver with its final status:

| status | meaning |
|---|---|
| Succeeded | sent (SMTP accepted the email; the webhook answered 2xx) |
| Outbox | no SMTP server is configured: the email is in the local outbox |
| Failed | not sent: SMTP error, non-retryable HTTP status, or retries exhausted |
| Suppressed | the address already had 100 emails in the past hour |
| Skipped | the endpoint is paused after exhausted retries, the group is disabled or missing |

Attempts that fail and are retried are recorded with the status `Retrying`. Delivery is
synchronous: a webhook that keeps failing holds the caller for the retry delays (75 s), so the
clock and the sleep are injectable and tests never sleep for real.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kustodian.actions import email, render, store, webhook
from kustodian.actions.model import ActionGroup, Receiver, ReceiverKind

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

EMAILS_PER_HOUR = 100
DEFAULT_TIMEOUT = 10.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one receiver's notification (or of a group that was not delivered to)."""

    delivery_id: str
    action_group: str
    receiver: str
    kind: str  # Email | Webhook | Teams | Slack; "" when the group itself was skipped
    target: str  # the address, or the URL without path and query
    status: str  # Succeeded | Outbox | Failed | Suppressed | Skipped
    attempts: int = 0
    http_status: int | None = None
    error: str = ""
    outbox_id: int | None = None

    @property
    def detail(self) -> str:
        """One line on the outcome: the error, the HTTP status, or where the email went."""
        if self.outbox_id is not None:
            return f"kept in the local outbox as message {self.outbox_id} (no SMTP server)"
        if self.http_status is not None and not self.error:
            return f"HTTP {self.http_status}"
        return self.error

    def to_json(self) -> dict[str, Any]:
        return {
            "deliveryId": self.delivery_id,
            "actionGroup": self.action_group,
            "receiver": self.receiver,
            "receiverType": self.kind,
            "target": self.target,
            "status": self.status,
            "attempts": self.attempts,
            "httpStatus": self.http_status,
            "error": self.error,
            "outboxId": self.outbox_id,
        }


@dataclass
class _Context:
    ws: Workspace
    payload: dict[str, Any]
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    timeout: float
    test: bool
    retry: bool
    alert_id: str
    rule: str
    condition: str

    def record(
        self,
        delivery_id: str,
        group: str,
        receiver: Receiver | None,
        attempt: int,
        status: str,
        *,
        http_status: int | None = None,
        error: str = "",
        duration_ms: float | None = None,
    ) -> None:
        store.record_attempt(
            self.ws,
            store.Attempt(
                time=self.clock(),
                delivery_id=delivery_id,
                alert_id=self.alert_id,
                alert_rule=self.rule,
                monitor_condition=self.condition,
                action_group=group,
                receiver=receiver.name if receiver else "",
                receiver_type=receiver.kind.value if receiver else "",
                target=receiver.display_target if receiver else "",
                attempt=attempt,
                status=status,
                http_status=http_status,
                error=error,
                duration_ms=duration_ms,
                is_test=self.test,
            ),
        )


def dispatch(
    ws: Workspace,
    action_groups: list[str],
    payload: dict[str, Any],
    *,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = DEFAULT_TIMEOUT,
    test: bool = False,
    retry: bool = True,
) -> list[Delivery]:
    """Notify every receiver of the named action groups about one alert.

    Args:
        action_groups: group names, or ARM resource ids ending in `/actionGroups/<name>`;
            a group named twice is notified once.
        payload: the common alert schema document (`{"schemaId": ..., "data": {...}}`).
        clock: the current time (aware UTC); retries and the pause window use it.
        sleep: waits between webhook retries (a fake one in tests advances a fake clock).
        timeout: seconds to wait for a webhook's response.
        test: a "test action group" run: paused endpoints are called anyway and not paused.
        retry: retry webhooks as Azure does (5, 20, 5, 40, 5 s); off, one attempt each.

    Returns:
        one Delivery per receiver (and per missing or disabled group), in group order.
    """
    ess = render.view(payload)
    ctx = _Context(
        ws, payload, clock, sleep, timeout, test, retry, ess.alert_id, ess.rule, ess.condition
    )
    out: list[Delivery] = []
    seen: set[str] = set()
    for name in action_groups:
        key = store.group_key(name)
        if key in seen:
            continue
        seen.add(key)
        group = store.get_group(ws, name)
        if group is None or not group.enabled:
            out.append(_skip_group(ctx, name, group))
            continue
        out += [_deliver(ctx, group, r) for r in group.receivers]
    return out


def _skip_group(ctx: _Context, name: str, group: ActionGroup | None) -> Delivery:
    did = str(uuid.uuid4())
    label = group.name if group else name
    reason = "the action group is disabled" if group else "no action group of this name"
    ctx.record(did, label, None, 0, "Skipped", error=reason)
    return Delivery(did, label, "", "", "", "Skipped", error=reason)


def _deliver(ctx: _Context, group: ActionGroup, r: Receiver) -> Delivery:
    if r.kind is ReceiverKind.EMAIL:
        return _email(ctx, group, r)
    return _webhook(ctx, group, r)


def _email(ctx: _Context, group: ActionGroup, r: Receiver) -> Delivery:
    did = str(uuid.uuid4())
    now = ctx.clock()

    def done(status: str, error: str = "", outbox_id: int | None = None) -> Delivery:
        ctx.record(did, group.name, r, 1 if status != "Suppressed" else 0, status, error=error)
        return Delivery(
            did, group.name, r.name, r.kind.value, r.target, status, 1, None, error, outbox_id
        )

    sent = store.emails_sent_since(ctx.ws, r.target, now - store.HOUR)
    if sent >= EMAILS_PER_HOUR:
        return done("Suppressed", f"{sent} emails to this address in the past hour (limit 100)")
    settings = email.smtp_settings(ctx.ws)
    sender = settings.sender if settings else email.DEFAULT_FROM
    msg = email.build_message(ctx.payload, r.target, sender, now, group.short_name)
    if settings is None:
        oid = store.add_to_outbox(
            ctx.ws, now, r.target, str(msg["Subject"]), ctx.alert_id, group.name, msg.as_string()
        )
        return done("Outbox", outbox_id=oid)
    try:
        email.send(settings, ctx.ws.get_secret(email.PASSWORD_SECRET), msg)
    except email.SmtpError as e:
        return done("Failed", str(e))
    return done("Succeeded")


def body_for(r: Receiver, payload: dict[str, Any]) -> dict[str, Any]:
    """What a webhook-like receiver is sent."""
    if r.kind is ReceiverKind.TEAMS:
        return render.teams_message(render.view(payload))
    if r.kind is ReceiverKind.SLACK:
        return render.slack_message(render.view(payload))
    return payload if r.use_common_alert_schema else render.legacy_body(payload)


def _webhook(ctx: _Context, group: ActionGroup, r: Receiver) -> Delivery:
    did = str(uuid.uuid4())
    now = ctx.clock()
    until = None if ctx.test else store.paused_until(ctx.ws, r.target, now)
    if until is not None:
        error = f"endpoint paused until {until.isoformat()} after failed retries"
        ctx.record(did, group.name, r, 0, "Skipped", error=error)
        return Delivery(
            did, group.name, r.name, r.kind.value, r.display_target, "Skipped", 0, None, error
        )
    body = json.dumps(body_for(r, ctx.payload), ensure_ascii=False).encode()
    secret = ctx.ws.get_secret(store.signing_secret_name(group.name, r.name))

    def on_attempt(o: webhook.Outcome) -> None:
        status = "Succeeded" if o.ok else "Retrying" if o.retrying else "Failed"
        ctx.record(
            did,
            group.name,
            r,
            o.attempt,
            status,
            http_status=o.status,
            error=o.error,
            duration_ms=o.duration_ms,
        )

    last = webhook.post(
        r.target,
        body,
        secret=secret,
        clock=ctx.clock,
        sleep=ctx.sleep,
        timeout=ctx.timeout,
        on_attempt=on_attempt,
        delays=webhook.RETRY_DELAYS if ctx.retry else (),
    )
    error = last.error
    retryable = last.status is None or last.status in webhook.RETRY_STATUSES
    exhausted = not last.ok and retryable and ctx.retry
    if exhausted and not ctx.test:
        until = ctx.clock() + webhook.PAUSE
        store.pause_endpoint(ctx.ws, r.target, until, error)
        error += f"; retries exhausted, endpoint paused until {until.isoformat()}"
    return Delivery(
        did,
        group.name,
        r.name,
        r.kind.value,
        r.display_target,
        "Succeeded" if last.ok else "Failed",
        last.attempt,
        last.status,
        error,
    )


TEST_ALERT_TYPES = {
    "logalertv2": ("Fired", "Sev3"),
    "logalertv2-resolved": ("Resolved", "Sev3"),
}


def test_group(
    ws: Workspace,
    name: str,
    *,
    alert_type: str = "logalertv2",
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = DEFAULT_TIMEOUT,
    retry: bool = False,
) -> list[Delivery]:
    """Azure's "Test action group": a sample common-schema alert to every receiver.

    Webhooks get one attempt unless `retry` (a test reports at once, not after 75 s).

    Raises:
        KeyError: no group of this name.
    """
    if store.get_group(ws, name) is None:
        raise KeyError(name)
    condition, severity = TEST_ALERT_TYPES[alert_type]
    payload = render.sample_payload(
        ws.workspace_id, clock(), condition=condition, severity=severity
    )
    return dispatch(
        ws, [name], payload, clock=clock, sleep=sleep, timeout=timeout, test=True, retry=retry
    )
