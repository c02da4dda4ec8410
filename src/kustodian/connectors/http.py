"""HTTP for connectors: one request (stdlib urllib, so proxies from the environment apply) and
the retry policy Microsoft's services ask clients to follow.

- `send()` returns every HTTP status as a `Response`; only a failure to get one (connection
  refused or reset, timeout) raises, as `TransportError`.
- `RetryPolicy` decides whether and how long to wait: 429/500/502/503/504 and transport errors
  are retried; `Retry-After` (seconds or an HTTP date) is honoured when given, otherwise the
  wait is exponential backoff with full jitter; at most `max_retries` retries. Its clock, sleep
  and random source are injectable so that tests never really wait.
"""

from __future__ import annotations

import email.utils
import gzip
import logging
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("kustodian.connectors")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "kustodian (+https://github.com/kustodian)"


class TransportError(Exception):
    """No HTTP response: the connection failed or timed out."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for k, v in self.headers.items():
            if k.lower() == lower:
                return v
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would carry the Authorization header to wherever it points: refuse them.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def send(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 60.0,
) -> Response:
    """One HTTP request; any status comes back as a `Response` (gzip bodies decoded).

    Raises:
        TransportError: no response (connection error, timeout).
    """
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("User-Agent", USER_AGENT)
    req.add_header("Accept-Encoding", "gzip")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with _opener.open(req, timeout=timeout) as r:
            return _response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        try:
            body = e.read()
        except (OSError, AttributeError):
            body = b""
        finally:
            e.close()
        return _response(e.code, e.headers, body)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        raise TransportError(f"{method} {_without_query(url)}: {reason}") from None


def _response(status: int, headers: Any, body: bytes) -> Response:
    items = dict(headers.items()) if headers is not None else {}
    if any(k.lower() == "content-encoding" and v.lower() == "gzip" for k, v in items.items()):
        body = gzip.decompress(body)
    return Response(status, items, body)


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A `Retry-After` header as seconds to wait: delta-seconds, or an HTTP date from `now`."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RetryPolicy:
    """When to retry and how long to wait.

    Args:
        max_retries: retries after the first attempt.
        base_seconds: the first backoff's upper bound; it doubles per retry, up to `cap_seconds`.
        max_wait_seconds: the longest `Retry-After` honoured (a longer one is cut to this).
        clock, sleep, rng: injectable for tests.
    """

    max_retries: int = 6
    base_seconds: float = 1.0
    cap_seconds: float = 60.0
    max_wait_seconds: float = 600.0
    clock: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    retries: int = 0  # retries made so far (all requests)

    def delay(self, attempt: int, response: Response | None) -> float:
        """Seconds to wait before retry number `attempt + 1`."""
        if response is not None:
            after = retry_after_seconds(response.header("Retry-After"), self.clock())
            if after is not None:
                return min(after, self.max_wait_seconds)
        return self.rng.uniform(0.0, min(self.cap_seconds, self.base_seconds * 2**attempt))

    def run(self, attempt_once: Callable[[], Response], what: str) -> Response:
        """Call `attempt_once` until it returns a response that is not retryable, or the
        retries run out (the last response is returned, or the last TransportError raised)."""
        attempt = 0
        while True:
            try:
                response: Response | None = attempt_once()
            except TransportError:
                if attempt >= self.max_retries:
                    raise
                response = None
                failure = "no response"
            else:
                assert response is not None
                if response.status not in RETRY_STATUSES or attempt >= self.max_retries:
                    return response
                failure = f"HTTP {response.status}"
            wait = self.delay(attempt, response)
            log.warning(
                "%s: %s; retry %d of %d in %.1f s",
                what,
                failure,
                attempt + 1,
                self.max_retries,
                wait,
            )
            self.sleep(wait)
            attempt += 1
            self.retries += 1


__all__ = [
    "RETRY_STATUSES",
    "Response",
    "RetryPolicy",
    "TransportError",
    "retry_after_seconds",
    "send",
]
