"""Browser sessions for the web UI: a cookie that stands for an API token, plus CSRF.

Signing in (a pasted API token, or a one-time login code printed by `kustodian serve`) opens a
session bound to that token: it has the token's role, and ends when the token is revoked or
expires. The cookie is random, HttpOnly and SameSite=Strict (Secure over TLS); the server keeps
only its SHA-256, in memory and in the workspace (`_kustodian.ui_sessions`, which user queries
cannot read), so that a restart signs nobody out. Each session has a CSRF token that the page
sends as `X-CSRF-Token` on every unsafe request (docs/ui.md#security).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kustodian.server import tokens
from kustodian.server.tokens import Role, TokenError, TokenInfo
from kustodian.workspace.workspace import Workspace

COOKIE = "kustodian_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_CODE_TTL = timedelta(hours=1)
LOGIN_TOKEN_TTL = timedelta(hours=12)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Session:
    """One signed-in browser: the token it stands for, its CSRF token and its deadlines."""

    token_id: str
    name: str
    role: Role
    csrf: str
    expires: float  # time.time(): the absolute end
    last_seen: float
    stored_seen: float = 0.0  # the last_seen the workspace has

    def expires_at(self) -> str:
        return datetime.fromtimestamp(self.expires, UTC).isoformat().replace("+00:00", "Z")


class SessionError(Exception):
    """Why a cookie does not stand for a session (unknown, expired, idle, token gone)."""


# How stale the stored last request of a session may be (its idle clock, after a restart).
SEEN_EVERY = 60.0


class Sessions:
    """The open sessions, by the hash of their cookie.

    Args:
        ws: the workspace that keeps them across restarts (None: in memory only).
        ttl: seconds a session lives at most.
        idle: seconds without a request after which it ends.
    """

    def __init__(
        self, ws: Workspace | None = None, ttl: float = 12 * 3600, idle: float = 2 * 3600
    ) -> None:
        self.ws = ws
        self.ttl = ttl
        self.idle = idle
        self.by_hash: dict[str, Session] = {}
        self.guard = threading.Lock()

    def open(self, info: TokenInfo, now: float | None = None) -> tuple[str, Session]:
        """A new session for a verified token; returns the cookie value and the session."""
        now = time.time() if now is None else now
        end = now + self.ttl
        if info.expires is not None:
            end = min(end, info.expires.timestamp())
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        session = Session(info.id, info.name, info.role, csrf, end, now, stored_seen=now)
        with self.guard:
            self._sweep(now)
            self.by_hash[_hash(cookie)] = session
            if self.ws is not None:
                self.ws.write(
                    "INSERT OR REPLACE INTO _kustodian.ui_sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [_hash(cookie), info.id, info.name, info.role.name.lower(), csrf, end, now],
                )
        return cookie, session

    def get(self, cookie: str, now: float | None = None) -> Session:
        """The live session for a cookie (its idle clock restarts); raises SessionError."""
        now = time.time() if now is None else now
        key = _hash(cookie)
        with self.guard:
            session = self.by_hash.get(key) or self._stored(key)
            if session is None:
                raise SessionError("unknown session")
            if self._over(session, now):
                self._forget(key)
                raise SessionError("session expired")
            session.last_seen = now
            if self.ws is not None and now - session.stored_seen >= SEEN_EVERY:
                self.ws.write(
                    "UPDATE _kustodian.ui_sessions SET last_seen = ? WHERE cookie_hash = ?",
                    [now, key],
                )
                session.stored_seen = now
            return session

    def close(self, cookie: str) -> None:
        with self.guard:
            self._forget(_hash(cookie))

    def _over(self, session: Session, now: float) -> bool:
        """Whether the session has ended: past its end, or idle too long."""
        return now >= session.expires or now - session.last_seen >= self.idle

    def _stored(self, key: str) -> Session | None:
        """A session opened before this server started (None when there is none)."""
        if self.ws is None:
            return None
        row = self.ws.execute(
            "SELECT token_id, name, role, csrf, expires, last_seen FROM _kustodian.ui_sessions "
            "WHERE cookie_hash = ?",
            [key],
        ).fetchone()
        if row is None:
            return None
        token_id, name, role, csrf, expires, seen = row
        session = Session(token_id, name, Role.parse(role), csrf, expires, seen, stored_seen=seen)
        self.by_hash[key] = session
        return session

    def _forget(self, key: str) -> None:
        self.by_hash.pop(key, None)
        if self.ws is not None:
            self.ws.write("DELETE FROM _kustodian.ui_sessions WHERE cookie_hash = ?", [key])

    def _sweep(self, now: float) -> None:
        gone = [k for k, s in self.by_hash.items() if self._over(s, now)]
        for k in gone:
            del self.by_hash[k]
        if self.ws is not None:
            self.ws.write(
                "DELETE FROM _kustodian.ui_sessions WHERE expires <= ? OR last_seen <= ?",
                [now, now - self.idle],
            )


def check_csrf(session: Session, method: str, header: str | None) -> bool:
    """Whether the request may go on: safe methods always, unsafe ones with the session's token."""
    if method.upper() in SAFE_METHODS:
        return True
    return bool(header) and hmac.compare_digest(session.csrf, header or "")


def token_info(ws: Workspace, token_id: str) -> TokenInfo:
    """The session's token, still active; raises SessionError when revoked, expired or gone."""
    found = [t for t in tokens.list_tokens(ws) if t.id == token_id]
    if not found:
        raise SessionError("the session's token is gone")
    state = found[0].state(datetime.now(UTC))
    if state != "active":
        raise SessionError(f"the session's token is {state}")
    return found[0]


# -- one-time login codes ------------------------------------------------------------------------


def create_login_code(
    ws: Workspace, role: Role = Role.ADMIN, *, now: datetime | None = None
) -> str:
    """A one-time code for `/ui/login?code=...`, valid for LOGIN_CODE_TTL.

    It signs in with a new token of `role` (named `ui-login-<time>`, expiring after
    LOGIN_TOKEN_TTL, revocable like any other); only the code's hash is stored.
    """
    now = now or datetime.now(UTC)
    name = f"ui-login-{now:%Y%m%dT%H%M%SZ}"
    _, info = tokens.create(ws, role, name, LOGIN_TOKEN_TTL, now=now)
    code = secrets.token_urlsafe(24)
    ws.execute(
        "INSERT INTO _kustodian.ui_login_codes VALUES (?, ?, ?)",
        [_hash(code), info.id, now + LOGIN_CODE_TTL],
    )
    return code


def login_url(ws: Workspace, scheme: str, host: str, port: int) -> str:
    """The one-time sign-in link `kustodian serve` prints (an admin session, one use)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"{scheme}://{shown}:{port}/ui/login?code={create_login_code(ws)}"


def redeem_login_code(ws: Workspace, code: str, *, now: datetime | None = None) -> TokenInfo:
    """The token a login code signs in with; the code is used up. Raises TokenError."""
    now = now or datetime.now(UTC)
    with ws.transaction() as con:
        row = con.execute(
            "SELECT token_id, expires FROM _kustodian.ui_login_codes WHERE code_hash = ?",
            [_hash(code)],
        ).fetchone()
        con.execute("DELETE FROM _kustodian.ui_login_codes WHERE code_hash = ?", [_hash(code)])
    if row is None:
        raise TokenError("unknown or used login code")
    expires = row[1] if row[1].tzinfo else row[1].replace(tzinfo=UTC)
    if expires <= now:
        raise TokenError("login code expired")
    try:
        return token_info(ws, str(row[0]))
    except SessionError as e:
        raise TokenError(str(e)) from None
