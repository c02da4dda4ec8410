"""API tokens: created once, stored as a salted hash, checked on every request.

A token reads `kst_<id>_<secret>`. The id (public, 12 hex digits) finds the row in
`_kustodian.tokens`; the secret is compared through HMAC-SHA256 keyed by the row's own random
salt, so the workspace never holds a usable credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from kustodian.workspace.workspace import Workspace

PREFIX = "kst"


class Role(IntEnum):
    """Roles in order of power: each can do what the ones below it can."""

    READER = 1  # queries
    CONTRIBUTOR = 2  # + ingestion, rules and action groups
    ADMIN = 3  # + tokens and retention

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(f"unknown role '{name}': reader, contributor or admin") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    name: str
    role: Role
    created: datetime
    expires: datetime | None
    revoked: datetime | None
    last_used: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and self.expires <= now:
            return "expired"
        return "active"


class TokenError(Exception):
    """The presented token is malformed, unknown, wrong, expired or revoked (the reason)."""


def _digest(salt: bytes, secret: str) -> bytes:
    return hmac.new(salt, secret.encode(), hashlib.sha256).digest()


def create(
    ws: Workspace,
    role: Role,
    name: str | None = None,
    expires_in: timedelta | None = None,
    *,
    now: datetime | None = None,
) -> tuple[str, TokenInfo]:
    """Create a token; returns its text (shown once, never stored) and its description."""
    now = now or datetime.now(UTC)
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    info = TokenInfo(
        token_id,
        name or f"token-{token_id}",
        role,
        now,
        now + expires_in if expires_in else None,
        None,
        None,
    )
    with ws.lock:
        ws.execute(
            "INSERT INTO _kustodian.tokens VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            [info.id, info.name, role.label, salt, _digest(salt, secret), now, info.expires],
        )
    return f"{PREFIX}_{token_id}_{secret}", info


def list_tokens(ws: Workspace) -> list[TokenInfo]:
    rows = ws.execute(
        "SELECT id, name, role, created, expires, revoked, last_used "
        "FROM _kustodian.tokens ORDER BY created, id"
    ).fetchall()
    return [_info(r) for r in rows]


def revoke(ws: Workspace, id_or_name: str, *, now: datetime | None = None) -> list[TokenInfo]:
    """Revoke the token with this id or name; returns the tokens revoked (none: not found)."""
    found = [t for t in list_tokens(ws) if id_or_name in (t.id, t.name) and t.revoked is None]
    with ws.lock:
        for t in found:
            ws.execute(
                "UPDATE _kustodian.tokens SET revoked = ? WHERE id = ?",
                [now or datetime.now(UTC), t.id],
            )
    return found


def verify(ws: Workspace, token: str, *, now: datetime | None = None) -> TokenInfo:
    """The token's description when it is valid; raises TokenError with the reason otherwise."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        raise TokenError("not a Kustodian token")
    rows = ws.execute(
        "SELECT id, name, role, created, expires, revoked, last_used, salt, hash "
        "FROM _kustodian.tokens WHERE id = ?",
        [parts[1]],
    ).fetchall()
    if not rows:
        raise TokenError("unknown token")
    row = rows[0]
    if not hmac.compare_digest(_digest(bytes(row[7]), parts[2]), bytes(row[8])):
        raise TokenError("wrong token secret")
    info = _info(row[:7])
    state = info.state(now or datetime.now(UTC))
    if state != "active":
        raise TokenError(f"token {state}")
    return info


def touch(ws: Workspace, token_id: str, when: datetime) -> None:
    with ws.lock:
        ws.execute("UPDATE _kustodian.tokens SET last_used = ? WHERE id = ?", [when, token_id])


def _info(row: Any) -> TokenInfo:
    return TokenInfo(
        str(row[0]),
        str(row[1]),
        Role.parse(row[2]),
        _utc(row[3]),
        _utc_or_none(row[4]),
        _utc_or_none(row[5]),
        _utc_or_none(row[6]),
    )


def _utc(v: datetime) -> datetime:
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def _utc_or_none(v: datetime | None) -> datetime | None:
    return None if v is None else _utc(v)
