"""The HTTP app: Azure Monitor's Logs Query API over a workspace, with bearer-token auth.

Endpoints (docs/server.md): `GET /health`; `POST|GET /v1/workspaces/{id}/query`;
`POST /v1/$batch`; `GET|POST /v1/workspaces/{id}/metadata`; `GET|POST /manage/v1/tokens`,
`DELETE /manage/v1/tokens/{id}`; the rest of `/manage/v1` (manage.py); `GET /openapi.json`
(openapi.py). Every error is one JSON shape (errors.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from kustodian.kql.diagnostics import KqlError
from kustodian.kql.literals import format_timespan_ticks
from kustodian.result import QueryResult
from kustodian.server import manage, openapi, querylog, remote_cli, sessions, tokens, ui, workbooks
from kustodian.server import named_locations as named_location_routes
from kustodian.server.errors import ApiError, error_document, kql_error_document
from kustodian.server.tokens import Role, TokenError, TokenInfo
from kustodian.timespans import parse_duration, parse_timespan
from kustodian.workspace.workspace import Workspace

log = logging.getLogger("kustodian.server")


@dataclass
class ServerSettings:
    """Server limits (docs/server.md#settings)."""

    max_rows: int = 500_000  # rows per result table; more is a PartialError
    default_wait: float = 180.0  # seconds a query may run without `Prefer: wait=N`
    max_wait: float = 600.0  # the largest `wait` honoured
    auth_failures: int = 10  # failed authentications per address per window before 429
    auth_window: float = 60.0  # seconds
    retention_check: float = 3600.0  # seconds between checks; retention runs once a day
    alert_check: float = 30.0  # seconds between alert evaluations (0: none while serving)


class FailureLimiter:
    """Counts failed authentications per client address in a sliding window."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.failures: dict[str, deque[float]] = {}
        self.guard = threading.Lock()

    def retry_after(self, address: str, now: float | None = None) -> int | None:
        """Seconds the address must wait, or None when it may try."""
        now = time.monotonic() if now is None else now
        with self.guard:
            q = self.failures.get(address)
            if q is None:
                return None
            while q and q[0] <= now - self.window:
                q.popleft()
            if not q:
                del self.failures[address]
                return None
            if len(q) < self.limit:
                return None
            return max(1, int(q[0] + self.window - now + 0.999))

    def fail(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self.guard:
            self.failures.setdefault(address, deque()).append(now)


class Server:
    """The workspace, its settings and the request handlers."""

    def __init__(self, ws: Workspace, settings: ServerSettings) -> None:
        self.ws = ws
        self.settings = settings
        self.limiter = FailureLimiter(settings.auth_failures, settings.auth_window)
        self.last_touch: dict[str, float] = {}
        self.sessions = sessions.Sessions(ws)  # the web UI's (server/ui.py)
        self.notifications = Notifications(ws)  # of evaluations through the API

    # -- authentication ------------------------------------------------------------------------

    def check_limit(self, request: Request) -> str:
        """The client's address; raises 429 while it has failed authentication too often."""
        address = request.client.host if request.client else "unknown"
        wait = self.limiter.retry_after(address)
        if wait is not None:
            raise ApiError(
                429,
                "TooManyRequests",
                f"Too many failed authentication attempts; retry after {wait} seconds",
                headers={"Retry-After": str(wait)},
            )
        return address

    async def authenticate(self, request: Request, role: Role) -> TokenInfo:
        address = self.check_limit(request)
        header = request.headers.get("authorization", "")
        if not header and sessions.COOKIE in request.cookies:
            info = await ui.session_identity(self, request)  # the web UI: cookie + CSRF
        else:
            info = await self._bearer(header, address)
        request.state.token_name = info.name
        request.state.token_id = info.id
        if info.role < role:
            raise ApiError(
                403,
                "InsufficientAccessError",
                f"The provided credentials have insufficient access to perform the requested "
                f"operation (role {info.role.label}; needs {role.label})",
            )
        await self._touch(info)
        return info

    async def _bearer(self, header: str, address: str) -> TokenInfo:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("Valid authentication was not provided")
        try:
            return await run_in_threadpool(tokens.verify, self.ws, token.strip())
        except TokenError as e:
            self.limiter.fail(address)
            log.warning(
                "authentication failed", extra={"fields": {"client": address, "why": str(e)}}
            )
            raise _unauthorized("The provided token is invalid, expired or revoked") from None

    async def _touch(self, info: TokenInfo) -> None:
        now = time.monotonic()
        if now - self.last_touch.get(info.id, -1e9) >= 60:
            self.last_touch[info.id] = now
            await run_in_threadpool(tokens.touch, self.ws, info.id, datetime.now(UTC))

    # -- endpoints -----------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def query(self, request: Request) -> Response:
        who = await self.authenticate(request, Role.READER)
        workspace = request.path_params["workspace"]
        if request.method == "GET":
            q = request.query_params
            body: Any = {
                "query": q.get("query"),
                "timespan": q.get("timespan"),
                "workspaces": [w for w in q.get("workspaces", "").split(",") if w] or None,
            }
        else:
            body = await _json_body(request)
        context = RequestContext.of(request, who)
        status, doc = await run_in_threadpool(
            self.run_query, workspace, body, request.headers.get("prefer", ""), context
        )
        return JSONResponse(doc, status_code=status)

    async def batch(self, request: Request) -> Response:
        who = await self.authenticate(request, Role.READER)
        body = await _json_body(request)
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list):
            raise ApiError(400, "BadArgumentError", 'The body must be {"requests": [...]}')
        context = RequestContext.of(request, who)
        responses = await run_in_threadpool(self._run_batch, requests, context)
        return JSONResponse({"responses": responses})

    def _run_batch(self, requests: list[Any], context: RequestContext) -> list[dict[str, Any]]:
        out = []
        for i, item in enumerate(requests):
            if not isinstance(item, dict):
                item = {}
            rid = str(item.get("id", i))
            try:
                status, doc = self._batch_item(item, context)
            except ApiError as e:
                status, doc = e.status, e.document()
            out.append({"id": rid, "status": status, "body": doc})
        return out

    def _batch_item(self, item: dict[str, Any], context: RequestContext) -> tuple[int, Any]:
        path = str(item.get("path", "/query"))
        method = str(item.get("method", "POST")).upper()
        if path.rstrip("/") != "/query" or method != "POST":
            raise ApiError(400, "BadArgumentError", f"Unsupported batch request: {method} {path}")
        headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
        return self.run_query(
            str(item.get("workspace", "")), item.get("body"), headers.get("prefer", ""), context
        )

    async def metadata(self, request: Request) -> Response:
        await self.authenticate(request, Role.READER)
        self._check_workspace(request.path_params["workspace"])
        return JSONResponse(self._metadata())

    # -- Logs Ingestion API (contributor) -------------------------------------------------------

    async def ingest(self, request: Request) -> Response:
        """`POST /dataCollectionRules/{id}/streams/{stream}`: a JSON array, maybe gzipped."""
        from kustodian.ingest import dcr

        who = await self.authenticate(request, Role.CONTRIBUTOR)
        rule_id = request.path_params["rule"]
        stream_name = request.path_params["stream"]
        rule = await run_in_threadpool(dcr.get_rule, self.ws, rule_id)
        if rule is None or rule.id != rule_id.lower():
            raise ApiError(
                404, "NotFound", f"Data collection rule with immutable Id '{rule_id}' not found"
            )
        stream = rule.streams.get(stream_name)
        if stream is None:
            raise ApiError(
                404,
                "InvalidStream",
                f"Stream '{stream_name}' is not declared in data collection rule '{rule_id}'",
            )
        rows = _ingestion_rows(await _limited_body(request), request.headers)
        try:
            summary = await run_in_threadpool(
                dcr.upload, self.ws, stream, rows, source=f"api:{rule.id}/{stream_name}"
            )
        except KqlError as e:
            raise ApiError(
                400, "InvalidTransformOutput", f"The transform failed on this batch: {e}"
            ) from None
        log.info(
            "ingested",
            extra={
                "fields": {
                    "token": who.name,
                    "rule": rule.id,
                    "stream": stream_name,
                    "ingested": summary.ingested,
                    "duplicates": summary.duplicates,
                    "rejected": summary.rejected,
                }
            },
        )
        return Response(status_code=204)

    # -- management: tokens (admin) -------------------------------------------------------------
    # While the server holds the workspace, the CLI cannot open it: these endpoints are how
    # tokens are created and revoked then.

    async def list_tokens(self, request: Request) -> Response:
        await self.authenticate(request, Role.ADMIN)
        found = await run_in_threadpool(tokens.list_tokens, self.ws)
        now = datetime.now(UTC)
        return JSONResponse({"value": [_token_json(t, now) for t in found]})

    async def create_token(self, request: Request) -> Response:
        await self.authenticate(request, Role.ADMIN)
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise ApiError(400, "BadArgumentError", "The body must be a JSON object")
        try:
            role = Role.parse(str(body.get("role", "")))
            expires = body.get("expiresIn")
            expires_in = parse_duration(str(expires)) if expires else None
        except ValueError as e:
            raise ApiError(400, "BadArgumentError", str(e)) from None
        name = body.get("name")
        text, info = await run_in_threadpool(
            tokens.create, self.ws, role, str(name) if name else None, expires_in
        )
        doc = _token_json(info, datetime.now(UTC))
        doc["token"] = text
        return JSONResponse(doc, status_code=201)

    async def revoke_token(self, request: Request) -> Response:
        await self.authenticate(request, Role.ADMIN)
        token_id = request.path_params["token"]
        revoked = await run_in_threadpool(tokens.revoke, self.ws, token_id)
        if not revoked:
            raise ApiError(404, "TokenNotFoundError", f"No active token '{token_id}'")
        return Response(status_code=204)

    # -- running a query -----------------------------------------------------------------------

    def run_query(
        self, workspace: str, body: Any, prefer: str, context: RequestContext
    ) -> tuple[int, dict[str, Any]]:
        """Run one query request; returns the HTTP status and the response document."""
        started = time.perf_counter()
        cpu_started = time.process_time()
        text = body.get("query") if isinstance(body, dict) else None
        log.debug("query", extra={"fields": {"token": context.token_name, "query": text}})
        entry = querylog.QueryLogEntry(
            context.token_name,
            context.token_id,
            text if isinstance(text, str) else "",
            workspace,
            client_app=context.client_app,
            correlation_id=context.correlation_id,
        )
        try:
            status, doc, rows = self._answer(workspace, body, prefer, entry)
        except ApiError as e:
            status, doc, rows = e.status, e.document(), 0
            entry.system_error = e.message
        entry.response_code = status
        entry.row_count = rows
        entry.duration_ms = (time.perf_counter() - started) * 1000
        entry.cpu_ms = (time.process_time() - cpu_started) * 1000
        try:
            querylog.record(self.ws, entry)
        except Exception:  # the answer matters more than its log line
            log.exception("could not record the query in LAQueryLogs")
        return status, doc

    def _answer(
        self, workspace: str, body: Any, prefer: str, entry: querylog.QueryLogEntry
    ) -> tuple[int, dict[str, Any], int]:
        self._check_workspace(workspace)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise ApiError(400, "BadArgumentError", "The request body needs a 'query' string")
        for other in body.get("workspaces") or []:
            self._check_workspace(str(other))
        prefs = parse_prefer(prefer)
        timespan = _timespan(body.get("timespan"))
        now = datetime.now(UTC)
        if timespan is not None:
            entry.range_start, entry.range_end = _range(timespan, now)
        wait = min(float(prefs.get("wait", self.settings.default_wait)), self.settings.max_wait)
        started = time.perf_counter()
        try:
            result = self.ws.query(
                body["query"],
                now=now,
                timespan=timespan,
                max_rows=self.settings.max_rows,
                timeout=wait,
            )
        except KqlError as e:
            doc = kql_error_document(e)
            entry.system_error = e.diagnostics[0].code if e.diagnostics else "KqlError"
            return 400, doc, 0
        elapsed = time.perf_counter() - started
        return 200, self._document(result, prefs, elapsed), len(result.rows)

    def _document(
        self, result: QueryResult, prefs: dict[str, str], elapsed: float
    ) -> dict[str, Any]:
        tables = [result, *result.tables]
        doc: dict[str, Any] = {
            "tables": [
                t.to_api("PrimaryResult" if i == 0 else f"Table_{i}") for i, t in enumerate(tables)
            ]
        }
        if prefs.get("include-statistics") == "true":
            doc["statistics"] = _statistics(tables, elapsed)
        if prefs.get("include-render") == "true" and result.render:
            doc["render"] = result.render
        if any(t.truncated for t in tables):
            doc["error"] = _partial_error(self.settings.max_rows)
        return doc

    def _check_workspace(self, workspace: str) -> None:
        if workspace.lower() != self.ws.workspace_id.lower():
            raise ApiError(
                404,
                "WorkspaceNotFoundError",
                f"The workspace '{workspace}' could not be found",
            )

    def _metadata(self) -> dict[str, Any]:
        ws_id = self.ws.workspace_id
        tables = []
        for t in sorted(self.ws.catalog.tables.values(), key=lambda t: t.name):
            tables.append(
                {
                    "id": f"t/{t.name}",
                    "name": t.name,
                    "timespanColumn": "TimeGenerated"
                    if any(n == "TimeGenerated" for n, _ in t.columns)
                    else None,
                    "columns": [{"name": n, "type": k.value} for n, k in t.columns],
                    "related": {"workspaces": [ws_id]},
                }
            )
        return {
            "tables": tables,
            "workspaces": [{"id": ws_id, "resourceId": "", "name": ws_id, "region": "local"}],
        }


@dataclass
class RequestContext:
    token_name: str
    token_id: str
    client_app: str
    correlation_id: str

    @classmethod
    def of(cls, request: Request, who: TokenInfo) -> RequestContext:
        h = request.headers
        return cls(
            who.name,
            who.id,
            h.get("x-ms-app") or h.get("user-agent", ""),
            h.get("x-ms-client-request-id") or str(uuid.uuid4()),
        )


def _token_json(t: TokenInfo, now: datetime) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return None if v is None else v.isoformat().replace("+00:00", "Z")

    return {
        "id": t.id,
        "name": t.name,
        "role": t.role.label,
        "state": t.state(now),
        "created": iso(t.created),
        "expires": iso(t.expires),
        "revoked": iso(t.revoked),
        "lastUsed": iso(t.last_used),
    }


def parse_prefer(header: str) -> dict[str, str]:
    """`wait=30, include-statistics=true` -> {"wait": "30", "include-statistics": "true"}."""
    prefs: dict[str, str] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key:
            prefs[key.strip().lower()] = value.strip().lower()
    wait = prefs.get("wait")
    if wait is not None:
        try:
            if float(wait) <= 0:
                raise ValueError
        except ValueError:
            raise ApiError(
                400, "BadArgumentError", f"Prefer: wait={wait} is not a positive number of seconds"
            ) from None
    return prefs


def _timespan(value: Any) -> timedelta | tuple[datetime, datetime] | None:
    if value in (None, ""):
        return None
    try:
        return parse_timespan(str(value))
    except ValueError as e:
        raise ApiError(400, "BadArgumentError", f"timespan: {e}") from None


def _range(
    timespan: timedelta | tuple[datetime, datetime], now: datetime
) -> tuple[datetime, datetime]:
    return (now - timespan, now) if isinstance(timespan, timedelta) else timespan


def _statistics(tables: list[QueryResult], elapsed: float) -> dict[str, Any]:
    ticks = int(elapsed * 10_000_000)
    return {
        "query": {
            "executionTime": elapsed,
            "resourceUsage": {"cpu": {"total cpu": format_timespan_ticks(ticks)}},
            "datasetStatistics": [
                {"tableRowCount": len(t.rows), "tableSize": t.arrow.nbytes} for t in tables
            ],
        }
    }


def _partial_error(max_rows: int) -> dict[str, Any]:
    inner = {
        "code": "E_QUERY_RESULT_SET_TOO_LARGE",
        "message": f"Query result set has exceeded the internal record count limit {max_rows} "
        "records: the first rows are returned",
    }
    doc = error_document(
        "PartialError",
        "Response contained partial errors",
        [{"code": "EngineError", "message": inner["message"], "innererror": inner}],
        inner,
    )
    error: dict[str, Any] = doc["error"]
    return error


async def _json_body(request: Request) -> Any:
    raw = await _limited_body(request, MAX_REQUEST)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        raise ApiError(400, "BadArgumentError", "The request body is not valid JSON") from None


MAX_UPLOAD = 1024 * 1024  # the Logs Ingestion API's 1 MB per call, compressed and not
MAX_REQUEST = 8 * 1024 * 1024  # any other JSON body (a query, a batch of queries)


async def _limited_body(request: Request, limit: int = MAX_UPLOAD) -> bytes:
    """The request body, refused with 413 past the limit without reading all of it."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int = MAX_UPLOAD) -> ApiError:
    return ApiError(
        413,
        "ContentLengthLimitExceeded",
        f"The request body exceeds {limit} bytes ({limit // (1024 * 1024)} MB)",
    )


def _ingestion_rows(body: bytes, headers: Any) -> list[dict[str, Any]]:
    """The uploaded JSON array (gunzipped when `Content-Encoding: gzip`)."""
    import zlib

    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding == "gzip":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            # a little slack: the SDK's 1 MiB chunks count items without the ", " between them
            body = d.decompress(body, 2 * MAX_UPLOAD + 1)
        except zlib.error:
            raise ApiError(400, "InvalidContentEncoding", "The body is not valid gzip") from None
        if d.unconsumed_tail or len(body) > 2 * MAX_UPLOAD:
            raise _too_large()
    elif encoding not in ("", "identity"):
        raise ApiError(400, "InvalidContentEncoding", f"Unsupported Content-Encoding '{encoding}'")
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError(400, "InvalidJson", "The request body is not valid JSON") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ApiError(400, "InvalidJson", "The request body must be a JSON array of objects")
    if len(body) > MAX_UPLOAD and sum(len(json.dumps(r)) for r in data) > MAX_UPLOAD:
        raise _too_large()
    return data


def _unauthorized(message: str) -> ApiError:
    return ApiError(
        401,
        "AuthorizationRequiredError",
        message,
        headers={"WWW-Authenticate": 'Bearer realm="kustodian"'},
    )


# -- app assembly ------------------------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.document(), status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "PathNotFoundError", 405: "MethodNotAllowed"}.get(exc.status_code, "Error")
    return JSONResponse(
        error_document(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(
        error_document("InternalServerError", "The server failed to process the request"),
        status_code=500,
    )


class Housekeeper(threading.Thread):
    """Background work while serving, in one thread: alert evaluation (every `alert_check`
    seconds; notifications to the rules' action groups) and retention (checked every
    `retention_check` seconds, applied once a day). `stop()` waits for the running job, so the
    workspace is never closed under it."""

    def __init__(self, ws: Workspace, settings: ServerSettings) -> None:
        super().__init__(name="kustodian-housekeeper", daemon=True)
        self.ws = ws
        self.settings = settings
        self._halt = threading.Event()

    def run(self) -> None:
        from kustodian.alerts.notify import notifier

        notify = notifier(self.ws)
        start = time.monotonic()
        next_alerts = start + (self.settings.alert_check or float("inf"))
        next_retention = start + self.settings.retention_check
        while not self._halt.is_set():
            now = time.monotonic()
            if now >= next_alerts:
                self._alerts(notify)
                next_alerts = time.monotonic() + self.settings.alert_check
            if now >= next_retention:
                self._retention()
                next_retention = time.monotonic() + self.settings.retention_check
            self._halt.wait(max(0.0, min(next_alerts, next_retention) - time.monotonic()))

    def _alerts(self, notify: Any) -> None:
        from kustodian.alerts import evaluate
        from kustodian.alerts.evaluate import configured_delay

        try:
            delay = configured_delay(self.ws)
            for c in evaluate(
                self.ws,
                datetime.now(UTC),
                ingestion_delay=delay,
                notify=notify,
                stop=self._halt.is_set,  # a long catch-up does not hold up a shutdown
            ):
                log.info(
                    "alert %s", c.change, extra={"fields": {"rule": c.rule, "alert": c.alert_id}}
                )
        except Exception:  # logged; the next evaluation catches up the missed ticks
            log.exception("alert evaluation failed")

    def _retention(self) -> None:
        from kustodian.workspace import retention

        try:
            removed = retention.apply_if_due(self.ws)
            if removed:
                log.info("retention applied", extra={"fields": {"removed": removed}})
        except Exception:  # a failed run is logged and tried again at the next check
            log.exception("retention failed")

    def stop(self, timeout: float = 60.0) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout)


class Notifications(threading.Thread):
    """Notifications of alerts evaluated through the API, sent from a thread of their own, so
    that the request answers once the alerts are committed (a webhook being retried as Azure
    does holds its notification for up to 75 s). Started with the first one; `stop()` sends
    what is queued, for at most its timeout."""

    def __init__(self, ws: Workspace) -> None:
        super().__init__(name="kustodian-notifications", daemon=True)
        self.ws = ws
        self._queue: queue.Queue[tuple[list[str], dict[str, Any]] | None] = queue.Queue()
        self._start_lock = threading.Lock()

    def submit(self, action_groups: list[str], payload: dict[str, Any]) -> None:
        """A `notify` for `evaluate`: queue the notification and return."""
        with self._start_lock:
            if self.ident is None:  # never started
                self.start()
        self._queue.put((action_groups, payload))

    def run(self) -> None:
        from kustodian.alerts.notify import notifier

        notify = notifier(self.ws)
        while (item := self._queue.get()) is not None:
            try:
                notify(*item)
            except Exception:  # the alert stands; the deliveries say what failed
                log.exception("notification failed")

    def stop(self, timeout: float = 60.0) -> None:
        with self._start_lock:
            if self.ident is None:
                return
        self._queue.put(None)
        self.join(timeout)


class Background(Protocol):
    """Work started with the server and stopped (waited for) before the workspace closes."""

    def start(self) -> None: ...
    def stop(self, timeout: float = 60.0) -> None: ...


def create_app(
    ws: Workspace,
    settings: ServerSettings | None = None,
    *,
    close_workspace: bool = False,
    background: Sequence[Background] = (),
    while_serving: Callable[[], contextlib.AbstractContextManager[object]] | None = None,
) -> Starlette:
    """The ASGI app serving `ws`.

    Args:
        close_workspace: close the workspace when the app shuts down (after the last request
            has finished); otherwise the caller owns it.
        background: more threads to run while serving, such as the live simulator
            (`kustodian.simulate.live.LiveFeed`): started after the Housekeeper, stopped
            before it.
        while_serving: a context entered at startup and left at shutdown, before the workspace
            closes (`kustodian serve` publishes its server.json with it: handoff.py).
    """
    server = Server(ws, settings or ServerSettings())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        housekeeper = Housekeeper(ws, server.settings)
        housekeeper.start()
        for b in background:
            b.start()
        serving = while_serving() if while_serving else contextlib.nullcontext()
        await run_in_threadpool(serving.__enter__)
        try:
            yield
        finally:
            await run_in_threadpool(remote_cli.stop_commands)
            await run_in_threadpool(serving.__exit__, None, None, None)
            for b in reversed(background):
                await run_in_threadpool(b.stop)
            await run_in_threadpool(server.notifications.stop)
        await run_in_threadpool(housekeeper.stop)
        if close_workspace:
            await run_in_threadpool(ws.close)
            log.info("workspace closed")

    routes = [
        Route("/health", server.health, methods=["GET"]),
        Route("/v1/workspaces/{workspace}/query", server.query, methods=["GET", "POST"]),
        Route("/v1/$batch", server.batch, methods=["POST"]),
        Route("/v1/workspaces/{workspace}/metadata", server.metadata, methods=["GET", "POST"]),
        Route("/dataCollectionRules/{rule}/streams/{stream}", server.ingest, methods=["POST"]),
        Route("/manage/v1/tokens", server.list_tokens, methods=["GET"]),
        Route("/manage/v1/tokens", server.create_token, methods=["POST"]),
        Route("/manage/v1/tokens/{token}", server.revoke_token, methods=["DELETE"]),
        *ui.routes(server),
        *manage.routes(server),
        *workbooks.routes(server),
        *named_location_routes.routes(server),
        openapi.route(),
        *remote_cli.routes(server),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(AccessLog), Middleware(ui.SecurityHeaders)],
        lifespan=lifespan,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.server = server
    return app


class AccessLog:
    """One structured log line per request: never the token, nor the query text (DEBUG only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            client = scope.get("client") or ("", 0)
            state = scope.get("state", {})
            fields = {
                "method": scope["method"],
                "path": scope["path"],  # never the query string: it can hold the query text
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "client": client[0],
                "token": state.get("token_name"),
                "token_id": state.get("token_id"),  # the public id, never the secret
            }
            log.info("request", extra={"fields": fields})
