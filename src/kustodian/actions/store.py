"""Action group state in the workspace.

- `_kustodian.action_groups`: each group's definition (its YAML form as JSON), keyed by the
  lower-cased name (Azure's resource names are case-insensitive);
- `ActionDeliveries` (a table KQL can query): one row per delivery attempt;
- `_kustodian.outbox`: emails kept locally when no SMTP server is configured;
- `_kustodian.endpoint_pauses`: webhook endpoints not called until a time, keyed by a hash of
  the URL (the URL itself may hold a token).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kustodian.actions.model import ActionGroup, ActionGroupError, parse_yaml_group

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace


def _naive(t: datetime) -> datetime:
    """UTC without tzinfo: how datetime columns (TIMESTAMP_NS) hold instants."""
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _rows(ws: Workspace, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = ws.execute(sql, params or []).fetchall()
    return rows


# -- groups --------------------------------------------------------------------------------------


def save_group(ws: Workspace, group: ActionGroup, source: str = "") -> bool:
    """Create or replace a group; True when it is new."""
    existed = get_group(ws, group.name) is not None
    with ws.lock:
        ws.execute(
            "INSERT OR REPLACE INTO _kustodian.action_groups VALUES (?, ?, ?, ?, now())",
            [group.name.lower(), group.name, json.dumps(group.to_json()), source],
        )
    return not existed


def apply_group(
    ws: Workspace, group: ActionGroup, environ: Mapping[str, str], source: str = ""
) -> bool:
    """Save a group and the signing secrets its webhooks name; True when the group is new.

    Raises:
        ActionGroupError: a signing secret's environment variable is not set.
    """
    for r in group.receivers:
        if r.signing_secret_env and not environ.get(r.signing_secret_env):
            raise ActionGroupError(
                f"{source or group.name}: receiver '{r.name}': signingSecretEnv: the environment "
                f"variable {r.signing_secret_env} is not set (it holds the HMAC secret)"
            )
    new = save_group(ws, group, source)
    for r in group.receivers:
        name = signing_secret_name(group.name, r.name)
        if r.signing_secret_env:
            ws.set_secret(name, environ[r.signing_secret_env])
        else:
            ws.delete_secret(name)
    return new


def signing_secret_name(group: str, receiver: str) -> str:
    return f"webhook:{group_key(group)}:{receiver.lower()}"


def get_group(ws: Workspace, name: str) -> ActionGroup | None:
    rows = _rows(
        ws,
        "SELECT definition FROM _kustodian.action_groups WHERE key = ?",
        [group_key(name)],
    )
    return _group(rows[0][0]) if rows else None


def list_groups(ws: Workspace) -> list[ActionGroup]:
    rows = _rows(ws, "SELECT definition FROM _kustodian.action_groups ORDER BY key")
    return [_group(r[0]) for r in rows]


def delete_group(ws: Workspace, name: str) -> bool:
    key = group_key(name)
    group = get_group(ws, name)
    if group is not None:
        for r in group.receivers:
            ws.delete_secret(signing_secret_name(group.name, r.name))
    with ws.lock:
        found = _rows(ws, "SELECT 1 FROM _kustodian.action_groups WHERE key = ?", [key])
        ws.execute("DELETE FROM _kustodian.action_groups WHERE key = ?", [key])
    return bool(found)


def group_key(name: str) -> str:
    """A group's key: its name, or the last segment of an ARM resource id, lower-cased."""
    marker = "/actiongroups/"
    lower = name.strip().lower()
    i = lower.rfind(marker)
    return lower[i + len(marker) :] if i >= 0 else lower


def _group(definition: str) -> ActionGroup:
    return parse_yaml_group(json.loads(definition), "_kustodian.action_groups", "")


# -- deliveries ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """One row of ActionDeliveries."""

    time: datetime
    delivery_id: str
    alert_id: str
    alert_rule: str
    monitor_condition: str
    action_group: str
    receiver: str
    receiver_type: str
    target: str
    attempt: int
    status: str
    http_status: int | None = None
    error: str = ""
    duration_ms: float | None = None
    is_test: bool = False


def record_attempt(ws: Workspace, a: Attempt) -> None:
    with ws.lock:
        ws.execute(
            "INSERT INTO ActionDeliveries VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ActionDeliveries', ?)",
            [
                _naive(a.time),
                a.delivery_id,
                a.alert_id,
                a.alert_rule,
                a.monitor_condition,
                a.action_group,
                a.receiver,
                a.receiver_type,
                a.target,
                a.attempt,
                a.status,
                a.http_status,
                a.error,
                a.duration_ms,
                a.is_test,
                ws.workspace_id,
                str(uuid.uuid4()),
            ],
        )


def emails_sent_since(ws: Workspace, address: str, since: datetime) -> int:
    """Emails sent (or kept in the outbox) to an address since an instant, for the hourly cap."""
    rows = _rows(
        ws,
        "SELECT count(*) FROM ActionDeliveries WHERE ReceiverType = 'Email' "
        "AND lower(Target) = ? AND Status IN ('Succeeded', 'Outbox') AND TimeGenerated > ?",
        [address.lower(), _naive(since)],
    )
    return int(rows[0][0])


# -- webhook endpoint pauses ---------------------------------------------------------------------


def endpoint_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def paused_until(ws: Workspace, url: str, now: datetime) -> datetime | None:
    rows = _rows(
        ws,
        "SELECT paused_until FROM _kustodian.endpoint_pauses WHERE endpoint = ?",
        [endpoint_key(url)],
    )
    if not rows:
        return None
    until = _aware(rows[0][0])
    return until if until > _aware(now) else None


def pause_endpoint(ws: Workspace, url: str, until: datetime, reason: str) -> None:
    with ws.lock:
        ws.execute(
            "INSERT OR REPLACE INTO _kustodian.endpoint_pauses VALUES (?, ?, ?)",
            [endpoint_key(url), _aware(until), reason],
        )


def resume_endpoint(ws: Workspace, url: str) -> None:
    with ws.lock:
        ws.execute("DELETE FROM _kustodian.endpoint_pauses WHERE endpoint = ?", [endpoint_key(url)])


# -- outbox --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    created: datetime
    recipient: str
    subject: str
    alert_id: str
    action_group: str
    message: str  # the whole RFC 5322 message, as it would have been sent

    def _parsed(self) -> Any:
        import email
        import email.policy

        return email.message_from_string(self.message, policy=email.policy.default)

    def headers(self) -> dict[str, str]:
        """From, To, Date and Subject, as the message has them."""
        msg = self._parsed()
        return {h: str(msg[h]) for h in ("From", "To", "Date", "Subject")}

    def text(self) -> str:
        """The plain-text body (the message also has an HTML part)."""
        body = self._parsed().get_body(preferencelist=("plain",))
        return str(body.get_content()).rstrip() if body is not None else ""


def add_to_outbox(
    ws: Workspace,
    created: datetime,
    recipient: str,
    subject: str,
    alert_id: str,
    action_group: str,
    message: str,
) -> int:
    with ws.lock:
        row = _rows(ws, "SELECT coalesce(max(id), 0) + 1 FROM _kustodian.outbox")
        new_id = int(row[0][0])
        ws.execute(
            "INSERT INTO _kustodian.outbox VALUES (?, ?, ?, ?, ?, ?, ?)",
            [new_id, _aware(created), recipient, subject, alert_id, action_group, message],
        )
    return new_id


def outbox(ws: Workspace, limit: int = 100) -> list[OutboxMessage]:
    rows = _rows(
        ws,
        "SELECT id, created, recipient, subject, alert_id, action_group, message "
        "FROM _kustodian.outbox ORDER BY id DESC LIMIT ?",
        [limit],
    )
    return [_outbox(r) for r in rows]


def outbox_message(ws: Workspace, message_id: int) -> OutboxMessage | None:
    rows = _rows(
        ws,
        "SELECT id, created, recipient, subject, alert_id, action_group, message "
        "FROM _kustodian.outbox WHERE id = ?",
        [message_id],
    )
    return _outbox(rows[0]) if rows else None


def _outbox(r: tuple[Any, ...]) -> OutboxMessage:
    return OutboxMessage(int(r[0]), _aware(r[1]), r[2], r[3], r[4], r[5], r[6])


HOUR = timedelta(hours=1)
