"""The Microsoft Graph connector: sign-ins and directory audits, pulled incrementally.

One stream per table (`STREAMS`): interactive sign-ins (beta by default, so that
`authenticationRequirement`, `authenticationDetails` and `signInEventTypes` are present; v1.0 on
request), non-interactive, service-principal and managed-identity sign-ins (beta only, filtered
on `signInEventTypes`), and directory audits (v1.0). Each stream:

1. starts at its checkpoint (the newest event time seen) minus an overlap window (default 15
   minutes) so that events Graph shows late are still caught; ingestion is idempotent by `Id`,
   so the overlap never adds a row twice. Without a checkpoint it starts `lookback_days` back
   (Entra keeps 30 days); `--since` overrides both;
2. walks from there to now in windows (`createdDateTime ge A and createdDateTime le B`, the last
   one open-ended), following `@odata.nextLink` until it is absent;
3. ingests each page in its own transaction, through the same mapping as diagnostic-settings
   records (kustodian.ingest.graph);
4. advances the checkpoint when a window is complete: Graph lists newest first, so before a
   window's last page is in, older events of it may still be missing.

429/500/502/503/504 are retried (connectors/http.py: Retry-After, else backoff with jitter);
401 fetches a new token once; 403 explains which permission or licence is missing, and the other
tables go on.
"""

from __future__ import annotations

import json
import logging
import random
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kustodian.connectors.auth import (
    DEFAULT_AUTHORITY,
    AuthError,
    ClientCertificate,
    ClientSecret,
    Credential,
    TokenSource,
    token_claims,
)
from kustodian.connectors.http import Response, RetryPolicy, TransportError, send
from kustodian.ingest.graph import AUDIT, SIGNIN, add_object
from kustodian.ingest.sink import Ingestor

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

log = logging.getLogger("kustodian.connectors.graph")

KIND = "graph"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
PERMISSIONS = ("AuditLog.Read.All", "Directory.Read.All")


class ConnectorError(Exception):
    """The connector is not configured, or its settings are invalid; the message says which."""


class GraphError(Exception):
    """Graph refused or failed a request; the message explains it."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


# -- streams ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """What to list for one table."""

    table: str
    resource: str
    time_field: str
    kind: str
    event_type: str | None = None  # beta's signInEventTypes value to filter on

    @property
    def beta_only(self) -> bool:
        return self.event_type is not None and self.event_type != "interactiveUser"


STREAMS: dict[str, Stream] = {
    s.table: s
    for s in (
        Stream("SigninLogs", "auditLogs/signIns", "createdDateTime", SIGNIN, "interactiveUser"),
        Stream(
            "AADNonInteractiveUserSignInLogs",
            "auditLogs/signIns",
            "createdDateTime",
            SIGNIN,
            "nonInteractiveUser",
        ),
        Stream(
            "AADServicePrincipalSignInLogs",
            "auditLogs/signIns",
            "createdDateTime",
            SIGNIN,
            "servicePrincipal",
        ),
        Stream(
            "AADManagedIdentitySignInLogs",
            "auditLogs/signIns",
            "createdDateTime",
            SIGNIN,
            "managedIdentity",
        ),
        Stream("AuditLogs", "auditLogs/directoryAudits", "activityDateTime", AUDIT),
    )
}
DEFAULT_TABLES: tuple[str, ...] = tuple(STREAMS)


# -- settings --------------------------------------------------------------------------------


_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
AUTH_KINDS = ("client_secret", "certificate")


@dataclass(frozen=True)
class GraphSettings:
    """A Graph connector's settings (stored with `save_connector`; the secret is apart).

    Args:
        tenant_id: the tenant's GUID (or a verified domain).
        client_id: the app registration's application (client) id.
        auth: `client_secret` or `certificate`.
        signins_version: `beta` (default: it has the fields SigninLogs needs) or `v1.0`, for
            interactive sign-ins; the other sign-in tables exist only in beta.
        overlap_minutes: how far before the checkpoint each pull starts again.
        lookback_days: where a table's first pull starts.
        window_hours: the span of one listing; the checkpoint moves after each.
        page_size: `$top` (Graph's maximum is 1000).
    """

    tenant_id: str
    client_id: str
    auth: str = "client_secret"
    authority_host: str = DEFAULT_AUTHORITY
    graph_url: str = DEFAULT_GRAPH_URL
    signins_version: str = "beta"
    tables: tuple[str, ...] = DEFAULT_TABLES
    overlap_minutes: int = 15
    lookback_days: int = 30
    window_hours: int = 24
    page_size: int = 1000
    max_retries: int = 6
    timeout_seconds: float = 60.0
    certificate_thumbprint: str = ""

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raises ConnectorError naming the first invalid setting."""
        if not (_GUID.match(self.tenant_id) or _DOMAIN.match(self.tenant_id)):
            raise ConnectorError(f"tenant_id: '{self.tenant_id}' is not a GUID or a domain")
        if not _GUID.match(self.client_id):
            raise ConnectorError(f"client_id: '{self.client_id}' is not a GUID")
        if self.auth not in AUTH_KINDS:
            raise ConnectorError(f"auth: '{self.auth}' is not one of {', '.join(AUTH_KINDS)}")
        for name in ("authority_host", "graph_url"):
            url = urllib.parse.urlsplit(getattr(self, name))
            if url.scheme not in ("https", "http") or not url.netloc:
                raise ConnectorError(f"{name}: '{getattr(self, name)}' is not an http(s) URL")
        if self.signins_version not in ("beta", "v1.0"):
            raise ConnectorError(f"signins_version: '{self.signins_version}' is not beta or v1.0")
        unknown = [t for t in self.tables if t not in STREAMS]
        if unknown or not self.tables:
            raise ConnectorError(
                f"tables: {', '.join(unknown) or '(none)'}: choose from {', '.join(STREAMS)}"
            )
        _check_range("overlap_minutes", self.overlap_minutes, 0, 24 * 60)
        _check_range("lookback_days", self.lookback_days, 1, 365)
        _check_range("window_hours", self.window_hours, 1, 24 * 31)
        _check_range("page_size", self.page_size, 1, 1000)
        _check_range("max_retries", self.max_retries, 0, 20)
        _check_range("timeout_seconds", self.timeout_seconds, 1, 600)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["tables"] = list(self.tables)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GraphSettings:
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ConnectorError(f"unknown settings: {', '.join(extra)}")
        values = dict(data)
        if "tables" in values:
            values["tables"] = tuple(values["tables"])
        try:
            return cls(**values)
        except TypeError as e:
            raise ConnectorError(f"settings: {e}") from None

    @property
    def scope(self) -> str:
        return f"{self.graph_url.rstrip('/')}/.default"


def _check_range(name: str, value: object, lo: float, hi: float) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and lo <= value <= hi
    if not ok:
        raise ConnectorError(f"{name}: {value!r} is outside {lo:g} to {hi:g}")


def secret_name(name: str, auth: str) -> str:
    return f"connector.{name}.{auth}"


def configure(ws: Workspace, name: str, settings: GraphSettings, credential: Credential) -> None:
    """Store a Graph connector: settings in the clear, the secret or key encrypted."""
    if isinstance(credential, ClientCertificate):
        value = credential.pem.decode()
        settings = GraphSettings.from_json(
            {
                **settings.to_json(),
                "auth": "certificate",
                "certificate_thumbprint": credential.thumbprint,
            }
        )
    elif isinstance(credential, ClientSecret):
        value = credential.reveal()
        settings = GraphSettings.from_json(
            {**settings.to_json(), "auth": "client_secret", "certificate_thumbprint": ""}
        )
    else:
        raise ConnectorError(f"unsupported credential {credential!r}")
    with ws.transaction():  # the settings and their secret change together
        ws.set_secret(secret_name(name, settings.auth), value)
        for other in AUTH_KINDS:
            if other != settings.auth:
                ws.delete_secret(secret_name(name, other))
        ws.save_connector(name, KIND, settings.to_json())


def load(ws: Workspace, name: str) -> tuple[GraphSettings, Credential]:
    """A stored connector's settings and credential.

    Raises:
        ConnectorError: no such Graph connector, or its secret is missing.
    """
    found = ws.connector(name)
    if found is None:
        raise ConnectorError(
            f"no connector '{name}' in this workspace; add one with `kustodian connect graph`"
        )
    kind, data = found
    if kind != KIND:
        raise ConnectorError(f"connector '{name}' is a {kind} connector, not {KIND}")
    settings = GraphSettings.from_json(data)
    secret = ws.get_secret(secret_name(name, settings.auth))
    if secret is None:
        raise ConnectorError(
            f"connector '{name}' has no stored {settings.auth.replace('_', ' ')}; "
            "run `kustodian connect graph` again"
        )
    if settings.auth == "certificate":
        return settings, ClientCertificate(secret.encode())
    return settings, ClientSecret(secret)


# -- the Graph client --------------------------------------------------------------------------


class GraphClient:
    """GET Graph JSON with retries, one token refresh on 401, and explained refusals."""

    def __init__(self, settings: GraphSettings, tokens: TokenSource, policy: RetryPolicy) -> None:
        self.settings = settings
        self.tokens = tokens
        self.policy = policy
        base = urllib.parse.urlsplit(settings.graph_url)
        self._origin = (base.scheme, base.netloc.lower())

    def get(self, url: str) -> dict[str, Any]:
        """The JSON object at `url` (a Graph URL; other hosts are refused)."""
        parts = urllib.parse.urlsplit(url)
        if (parts.scheme, parts.netloc.lower()) != self._origin:
            raise GraphError(
                f"refusing to send the token to {parts.scheme}://{parts.netloc}: it is not "
                f"the Graph endpoint {self.settings.graph_url}"
            )
        refreshed = False
        while True:
            token = self.tokens.get(refresh=refreshed)
            r = self._get(url, token)
            if r.status == 401 and not refreshed:
                log.info("Graph answered 401: fetching a new token")
                refreshed = True
                continue
            break
        if r.status == 200:
            doc = _json(r.body)
            if doc is None:
                raise GraphError(f"Graph sent a response that is not a JSON object: {_path(url)}")
            return doc
        raise self._failure(url, r)

    def _get(self, url: str, token: str) -> Response:
        request_id = str(uuid.uuid4())

        def once() -> Response:
            r = send(
                "GET",
                url,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json",
                    "client-request-id": request_id,
                },
                timeout=self.settings.timeout_seconds,
            )
            log.debug("GET %s -> %d", _path(url), r.status)
            return r

        try:
            return self.policy.run(once, f"GET {_path(url)}")
        except TransportError as e:
            raise GraphError(
                f"no answer from Graph after {self.policy.max_retries} retries: {e}"
            ) from None

    def _failure(self, url: str, r: Response) -> GraphError:
        doc = _json(r.body) or {}
        err = doc.get("error") if isinstance(doc.get("error"), dict) else {}
        code = str(err.get("code", "")) if err else ""
        message = str(err.get("message", "")) if err else r.body[:200].decode("utf-8", "replace")
        inner = err.get("innerError") if err else None
        request_id = inner.get("request-id", "") if isinstance(inner, dict) else ""
        said = f"Graph said: HTTP {r.status} {code}: {message}".rstrip(": ")
        if request_id:
            said += f" (request-id {request_id})"
        if r.status == 403:
            return GraphError(
                explain_forbidden(code, message, self.settings) + f" ({said})", 403, code
            )
        if r.status == 401:
            return GraphError(
                "Graph rejected the access token even after a new one was fetched: check that "
                f"the app is registered in tenant {self.settings.tenant_id} ({said})",
                401,
                code,
            )
        if r.status in (429, 500, 502, 503, 504):
            return GraphError(
                f"Graph still answered HTTP {r.status} after {self.policy.max_retries} retries "
                f"({said})",
                r.status,
                code,
            )
        return GraphError(f"{said} for {_path(url)}", r.status, code)


_LICENCE_CODES = frozenset({"Authentication_RequestFromNonPremiumTenantOrB2CTenant"})
_PERMISSION_CODES = frozenset({"Authorization_RequestDenied", "Authorization_Denied"})


def explain_forbidden(code: str, message: str, settings: GraphSettings) -> str:
    """What a 403 from the audit-log API means and what to do about it."""
    text = message.lower()
    if code in _LICENCE_CODES or "premium" in text or "licen" in text:
        return (
            "the tenant has no Microsoft Entra ID P1 or P2 licence, which Graph requires to read "
            "sign-in logs (directory audits need none); add a licence, or export the sign-in "
            "logs with diagnostic settings and ingest the files"
        )
    permissions = " and ".join(PERMISSIONS)
    consent = (
        f"give the app {settings.client_id} the Microsoft Graph application permissions "
        f"{permissions} and grant admin consent (Entra admin center > App registrations > "
        "API permissions)"
    )
    if code in _PERMISSION_CODES or "privilege" in text or "permission" in text:
        return f"the app is not allowed to read audit logs: {consent}"
    return (
        f"Graph refused access: either the app lacks permissions ({consent}) or the tenant "
        "lacks the Entra ID P1/P2 licence that sign-in logs need"
    )


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def _path(url: str) -> str:
    """A URL without its host, for messages (it holds no secrets)."""
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{urllib.parse.unquote(parts.query)}" if parts.query else "")


# -- pulling -----------------------------------------------------------------------------------


@dataclass
class TablePull:
    """What one pull did for one table."""

    table: str
    pulled: int = 0
    ingested: int = 0
    duplicates: int = 0
    rejected: int = 0
    pages: int = 0
    retries: int = 0
    start: str = ""
    checkpoint: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PullSummary:
    connector: str
    tables: list[TablePull] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.error is None for t in self.tables)

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables)

    def table(self, name: str) -> TablePull:
        return next(t for t in self.tables if t.table == name)

    def to_json(self) -> dict[str, Any]:
        return {"connector": self.connector, "tables": [t.to_json() for t in self.tables]}


LAST_PULL = "last-pull"  # the checkpoint key of the last pull's summary (not a table)


def parse_time(value: object) -> datetime | None:
    """A Graph timestamp (`2024-05-01T12:00:00Z`, up to 7 fraction digits) as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def iso(t: datetime) -> str:
    """OData's datetime literal, to the second, rounded down."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_checkpoint(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def windows(
    start: datetime, now: datetime, hours: int
) -> Iterator[tuple[datetime, datetime | None]]:
    """[start, now) in spans of `hours`; the last one has no end."""
    step = timedelta(hours=hours)
    while start + step < now:
        yield start, start + step
        start += step
    yield start, None


class GraphPull:
    """One pull of a stored connector into the workspace.

    Args:
        ws: the workspace.
        name: the connector's name.
        clock, sleep, rng: injectable (tests); real time by default.
    """

    def __init__(
        self,
        ws: Workspace,
        name: str = "graph",
        *,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.ws = ws
        self.name = name
        self.settings, credential = load(ws, name)
        policy = RetryPolicy(max_retries=self.settings.max_retries, rng=rng or random.Random())
        if clock is not None:
            policy.clock = clock
        if sleep is not None:
            policy.sleep = sleep
        self.policy = policy
        self.tokens = TokenSource(
            self.settings.authority_host,
            self.settings.tenant_id,
            self.settings.client_id,
            credential,
            self.settings.scope,
            policy,
            self.settings.timeout_seconds,
        )
        self.client = GraphClient(self.settings, self.tokens, policy)

    def run(
        self, tables: Iterable[str] | None = None, since: datetime | None = None
    ) -> PullSummary:
        """Pull each table (default: the connector's); a table that fails does not stop the
        others, except when no token can be had at all."""
        names = list(tables) if tables is not None else list(self.settings.tables)
        unknown = [t for t in names if t not in STREAMS]
        if unknown:
            raise ConnectorError(
                f"--tables: {', '.join(unknown)}: Graph tables are {', '.join(STREAMS)}"
            )
        summary = PullSummary(self.name)
        auth_failure: str | None = None
        for table in names:
            result = TablePull(table)
            summary.tables.append(result)
            if auth_failure is not None:
                result.error = auth_failure
                continue
            try:
                self._pull(STREAMS[table], since, result)
            except AuthError as e:
                auth_failure = result.error = str(e)
            except GraphError as e:
                result.error = str(e)
            if result.error:
                log.error("%s: %s", table, result.error)
            result.checkpoint = self.ws.get_checkpoint(self.name, table)
        # what the pull did, errors included, for the ingestion health (workspace/health.py)
        self.ws.set_checkpoint(self.name, LAST_PULL, json.dumps(summary.to_json()))
        return summary

    def _tenant(self) -> str | None:
        if _GUID.match(self.settings.tenant_id):
            return self.settings.tenant_id.lower()
        tid = token_claims(self.tokens.get()).get("tid")
        return str(tid) if tid else None

    def _start(self, stream: Stream, since: datetime | None, now: datetime) -> datetime:
        if since is not None:
            return since
        oldest = now - timedelta(days=self.settings.lookback_days)
        cp = parse_time(self.ws.get_checkpoint(self.name, stream.table))
        if cp is None:
            return oldest
        start = cp - timedelta(minutes=self.settings.overlap_minutes)
        if start < oldest:
            log.warning(
                "%s: the checkpoint %s is older than %d days; events before %s are past "
                "Entra's retention and cannot be pulled",
                stream.table,
                _iso_checkpoint(cp),
                self.settings.lookback_days,
                iso(oldest),
            )
            return oldest
        return start

    def _pull(self, stream: Stream, since: datetime | None, result: TablePull) -> None:
        now = self.policy.clock()
        start = self._start(stream, since, now)
        result.start = iso(start)
        tenant = self._tenant()
        retries_before = self.policy.retries
        seen_any = False
        try:
            for lo, hi in windows(start, now, self.settings.window_hours):
                newest = self._window(stream, lo, hi, tenant, result)
                seen_any = seen_any or newest is not None
                self._advance(stream.table, newest)
            if not seen_any and self.ws.get_checkpoint(self.name, stream.table) is None:
                # Nothing at all yet: the next pull need not look back `lookback_days` again.
                self._advance(stream.table, now - timedelta(minutes=self.settings.overlap_minutes))
        finally:
            result.retries = self.policy.retries - retries_before
        log.info(
            "%s: pulled %d, ingested %d, duplicates %d, rejected %d, pages %d, retries %d",
            stream.table,
            result.pulled,
            result.ingested,
            result.duplicates,
            result.rejected,
            result.pages,
            result.retries,
        )

    def _advance(self, table: str, newest: datetime | None) -> None:
        if newest is None:
            return
        current = parse_time(self.ws.get_checkpoint(self.name, table))
        if current is None or newest > current:
            self.ws.set_checkpoint(self.name, table, _iso_checkpoint(newest))

    def list_url(self, stream: Stream, lo: datetime, hi: datetime | None) -> str:
        """The first page's URL for one window of a stream."""
        beta = stream.beta_only or (
            stream.kind == SIGNIN and self.settings.signins_version == "beta"
        )
        clauses = [f"{stream.time_field} ge {iso(lo)}"]
        if hi is not None:
            clauses.append(f"{stream.time_field} le {iso(hi)}")
        if beta and stream.event_type is not None:
            clauses.append(f"signInEventTypes/any(t: t eq '{stream.event_type}')")
        query = (
            "$filter="
            + urllib.parse.quote(" and ".join(clauses), safe=":'/()")
            + f"&$top={self.settings.page_size}"
        )
        version = "beta" if beta else "v1.0"
        return f"{self.settings.graph_url.rstrip('/')}/{version}/{stream.resource}?{query}"

    def _window(
        self,
        stream: Stream,
        lo: datetime,
        hi: datetime | None,
        tenant: str | None,
        result: TablePull,
    ) -> datetime | None:
        """Every page of one window, each committed before the next is fetched; returns the
        newest event time seen."""
        url: str | None = self.list_url(stream, lo, hi)
        newest: datetime | None = None
        while url:
            doc = self.client.get(url)
            items = doc.get("value")
            if not isinstance(items, list):
                raise GraphError(f"Graph's response has no `value` array: {_path(url)}")
            result.pages += 1
            page_newest = self._ingest_page(stream, items, tenant, result)
            if page_newest is not None and (newest is None or page_newest > newest):
                newest = page_newest
            link = doc.get("@odata.nextLink")
            if link == url:
                raise GraphError(f"Graph's @odata.nextLink points to the same page: {_path(url)}")
            url = link if isinstance(link, str) and link else None
        return newest

    def _ingest_page(
        self, stream: Stream, items: list[Any], tenant: str | None, result: TablePull
    ) -> datetime | None:
        ing = Ingestor(self.ws)
        source = f"graph:{self.name}:{stream.table}"
        newest: datetime | None = None
        for i, obj in enumerate(items, 1):
            where = f"page {result.pages}, item {i}"
            add_object(ing, obj, source, where, kind=stream.kind, tenant_id=tenant)
            t = parse_time(obj.get(stream.time_field)) if isinstance(obj, dict) else None
            if t is not None and (newest is None or t > newest):
                newest = t
        s = ing.close()  # committed: only now may the checkpoint move past these events
        result.pulled += len(items)
        result.ingested += s.ingested
        result.duplicates += s.duplicates
        result.rejected += s.rejected
        return newest


def pull(
    ws: Workspace,
    name: str = "graph",
    *,
    tables: Iterable[str] | None = None,
    since: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> PullSummary:
    """Pull a stored Graph connector's tables into the workspace (see the module docstring).

    Raises:
        ConnectorError: the connector is missing or misconfigured, or a table is unknown.
    """
    return GraphPull(ws, name, clock=clock, sleep=sleep, rng=rng).run(tables, since)


def check_credentials(
    settings: GraphSettings, credential: Credential, *, timeout: float | None = None
) -> dict[str, object]:
    """Fetch one token (no Graph call): the token's claims that matter, or AuthError."""
    tokens = TokenSource(
        settings.authority_host,
        settings.tenant_id,
        settings.client_id,
        credential,
        settings.scope,
        RetryPolicy(max_retries=2),
        timeout or settings.timeout_seconds,
    )
    claims = token_claims(tokens.get())
    return {k: claims[k] for k in ("tid", "appid", "roles") if k in claims}


__all__ = [
    "DEFAULT_TABLES",
    "KIND",
    "STREAMS",
    "ConnectorError",
    "GraphClient",
    "GraphError",
    "GraphPull",
    "GraphSettings",
    "PullSummary",
    "Stream",
    "TablePull",
    "check_credentials",
    "configure",
    "explain_forbidden",
    "load",
    "pull",
    "windows",
]
