"""Webhook posting with Azure Monitor's retry rules, and HMAC signing.

Azure retries a webhook call that failed with HTTP 408, 429, 503 or 504, or with no response
(connection error, timeout), up to 5 times, after 5, 20, 5, 40 and 5 seconds; when every retry
failed, the endpoint is not called for 15 minutes. Other statuses are not retried.

A signed webhook carries two headers (docs/action-groups.md shows how to verify them):

    X-Kustodian-Timestamp: <Unix seconds>
    X-Kustodian-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kustodian.connectors.http import TransportError, send

RETRY_DELAYS: tuple[float, ...] = (5.0, 20.0, 5.0, 40.0, 5.0)
RETRY_STATUSES = frozenset({408, 429, 503, 504})
PAUSE = timedelta(minutes=15)
TIMESTAMP_HEADER = "X-Kustodian-Timestamp"
SIGNATURE_HEADER = "X-Kustodian-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for a body sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, body: bytes, timestamp: str, signature: str, now: float, tolerance: float = 300
) -> bool:
    """True when the signature is the body's and the timestamp is within `tolerance` of `now`."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(now - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, ts), signature)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One HTTP attempt: the status, or the error when there was no response."""

    attempt: int
    status: int | None
    error: str
    duration_ms: float
    retrying: bool  # another attempt follows

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(
    url: str,
    body: bytes,
    *,
    secret: str | None,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    timeout: float,
    on_attempt: Callable[[Outcome], None],
    delays: tuple[float, ...] = RETRY_DELAYS,
) -> Outcome:
    """POST `body` (JSON), retrying as Azure does; calls `on_attempt` after each attempt.

    Returns:
        the last attempt: `ok`, or failed (retries exhausted when it was retryable).
    """
    attempt = 0
    while True:
        attempt += 1
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if secret:
            ts = int(clock().timestamp())
            headers[TIMESTAMP_HEADER] = str(ts)
            headers[SIGNATURE_HEADER] = sign(secret, body, ts)
        start = time.monotonic()
        status: int | None = None
        error = ""
        try:
            response = send("POST", url, headers=headers, body=body, timeout=timeout)
            status = response.status
            if not 200 <= status < 300:
                error = f"HTTP {status}: {response.body[:200].decode(errors='replace')}".strip()
        except TransportError as e:
            error = _without_url(str(e))
        elapsed = (time.monotonic() - start) * 1000
        ok = status is not None and 200 <= status < 300
        retryable = not ok and (status is None or status in RETRY_STATUSES)
        retrying = retryable and attempt <= len(delays)
        outcome = Outcome(attempt, status, error, round(elapsed, 1), retrying)
        on_attempt(outcome)
        if not retrying:
            return outcome
        sleep(delays[attempt - 1])


def _without_url(message: str) -> str:
    # TransportError reads "POST <url>: reason"; the URL may hold a token.
    return message.split(": ", 1)[1] if message.startswith("POST ") and ": " in message else message
