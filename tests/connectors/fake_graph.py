"""A local HTTP server that plays Entra ID's token endpoint and Microsoft Graph's audit-log API.

Real sockets on 127.0.0.1 (a `ThreadingHTTPServer` in a thread): the connector's HTTP client runs
unmodified against it. It honours what the connector relies on: `$filter` on the time field
(`ge`, `le`) and on `signInEventTypes/any(t: t eq '...')`, `$top`, `@odata.nextLink` paging with
`$skiptoken`, newest-first order, gzip, bearer tokens that can expire, and client credentials
(secret, or a certificate-signed JWT assertion whose signature it verifies). Faults (429, 503,
403, ...) are scripted per request.

Also: builders for Graph `signIn` and `directoryAudit` objects shaped like beta's.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TENANT = "7b1c3d2e-0000-4000-8000-00000000a11d"
CLIENT_ID = "5f0c9a1b-1111-4222-8333-444455556666"
SECRET = "s3cr3t~Q8Q~Kustodian-test-value-0123456789"


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def guid(n: int, prefix: str = "0000") -> str:
    return f"{prefix}{n:04x}-0000-4000-8000-{n:012x}"


def signin(
    n: int,
    when: datetime,
    event_type: str = "interactiveUser",
    *,
    code: int = 0,
    upn: str | None = None,
) -> dict[str, Any]:
    """A beta `signIn` object (the v1.0 one lacks signInEventTypes and authentication*)."""
    upn = upn or f"user{n}@contoso.com"
    reason = {
        0: "Other.",
        50126: "Error validating credentials due to invalid username or password.",
    }
    return {
        "id": guid(n, "5151"),
        "createdDateTime": iso(when),
        "userDisplayName": f"User {n}",
        "userPrincipalName": upn,
        "userId": guid(n, "0a0a"),
        "appId": "00000002-0000-0ff1-ce00-000000000000",
        "appDisplayName": "Office 365 Exchange Online",
        "ipAddress": f"203.0.113.{n % 250}",
        "clientAppUsed": "Browser",
        "correlationId": guid(n, "c0c0"),
        "conditionalAccessStatus": "notApplied",
        "isInteractive": event_type == "interactiveUser",
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes_v2": [],
        "resourceDisplayName": "Office 365 Exchange Online",
        "resourceId": "00000002-0000-0ff1-ce00-000000000000",
        "resourceTenantId": TENANT,
        "homeTenantId": TENANT,
        "status": {
            "errorCode": code,
            "failureReason": reason.get(code, "Other."),
            "additionalDetails": None,
        },
        "deviceDetail": {
            "deviceId": "",
            "displayName": "",
            "operatingSystem": "Windows10",
            "browser": "Edge 124.0.0",
            "isCompliant": False,
            "isManaged": False,
            "trustType": "",
        },
        "location": {
            "city": "Oslo",
            "state": "Oslo",
            "countryOrRegion": "NO",
            "geoCoordinates": {"altitude": None, "latitude": 59.9139, "longitude": 10.7522},
        },
        "appliedConditionalAccessPolicies": [
            {
                "id": "1f2e3d4c-0000-4000-8000-00000000ca01",
                "displayName": "Require MFA for admins",
                "enforcedGrantControls": ["Mfa"],
                "enforcedSessionControls": [],
                "result": "notApplied",
            }
        ],
        "authenticationRequirement": "singleFactorAuthentication",
        "authenticationDetails": [
            {
                "authenticationStepDateTime": iso(when),
                "authenticationMethod": "Password",
                "authenticationMethodDetail": "Password in the cloud",
                "succeeded": code == 0,
                "authenticationStepResultDetail": "Correct password"
                if code == 0
                else "Invalid username or password or Invalid on-premise username or password.",
                "authenticationStepRequirement": "Primary authentication",
            }
        ],
        "signInEventTypes": [event_type],
    }


def audit(n: int, when: datetime) -> dict[str, Any]:
    """A v1.0 `directoryAudit` object: a guest invitation."""
    return {
        "id": f"Invited Users_{guid(n, 'aaaa')}_{n}",
        "category": "UserManagement",
        "correlationId": guid(n, "c1c1"),
        "result": "success",
        "resultReason": "",
        "activityDisplayName": "Invite external user",
        "activityDateTime": iso(when),
        "loggedByService": "Invited Users",
        "operationType": "Add",
        "initiatedBy": {
            "app": None,
            "user": {
                "id": guid(1, "0a0a"),
                "displayName": "Admin One",
                "userPrincipalName": "admin1@contoso.com",
                "ipAddress": "198.51.100.7",
            },
        },
        "targetResources": [
            {
                "id": guid(n, "0b0b"),
                "displayName": f"guest{n}@fabrikam.com",
                "type": "User",
                "userPrincipalName": f"guest{n}_fabrikam.com#EXT#@contoso.onmicrosoft.com",
                "modifiedProperties": [],
            }
        ],
        "additionalDetails": [{"key": "invitationId", "value": guid(n, "1111")}],
    }


# -- the server ------------------------------------------------------------------------------


@dataclass
class Fault:
    """Answer the next `times` requests whose path contains `path` (and whose query contains
    `query`) with this status, headers and body instead of the real answer."""

    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    query: str = ""


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]


_BETA_ONLY = ("signInEventTypes", "authenticationRequirement", "authenticationDetails")


class FakeGraph:
    def __init__(self) -> None:
        self.tenant = TENANT
        self.client_id = CLIENT_ID
        self.secret = SECRET
        self.certificate: Any = None  # a cryptography certificate: accept its assertions
        self.signins: list[dict[str, Any]] = []
        self.audits: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.requests: list[Seen] = []
        self.token_uses: int | None = None  # each token works for this many Graph requests
        self.tokens: dict[str, int | None] = {}
        self.issued = 0
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGraph:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def graph_requests(self, resource: str = "") -> list[Seen]:
        return [r for r in self.requests if r.method == "GET" and resource in r.path]

    def filters(self, resource: str = "") -> list[str]:
        return [r.query.get("$filter", "") for r in self.graph_requests(resource)]

    # -- answers -------------------------------------------------------------------------------

    def fault_for(self, path: str, query: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.times > 0 and f.path in path and f.query in query:
                    f.times -= 1
                    return f
        return None

    def token(self, seen: Seen) -> tuple[int, dict[str, Any]]:
        form = seen.form
        if seen.path != f"/{self.tenant}/oauth2/v2.0/token":
            return 400, {"error": "invalid_request", "error_description": "AADSTS90002: Tenant"}
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.client_id
        ):
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016: app"}
        if form.get("scope") != f"{self.url}/.default":
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: scope"}
        if "client_secret" in form:
            ok = form["client_secret"] == self.secret
        else:
            ok = self._assertion_ok(form.get("client_assertion", ""), seen)
        if not ok:
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the "
                "secret being sent in the request is the client secret value.\r\nTrace ID: x",
            }
        with self.lock:
            self.issued += 1
            claims = {"tid": self.tenant, "appid": self.client_id, "roles": ["AuditLog.Read.All"]}
            payload = _b64(json.dumps({**claims, "n": self.issued}).encode())
            value = f"{_b64(b'{}')}.{payload}.sig{self.issued}"
            self.tokens[value] = self.token_uses
        return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": value}

    def _assertion_ok(self, assertion: str, seen: Seen) -> bool:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        if self.certificate is None or seen.form.get("client_assertion_type") is None:
            return False
        head, body, sig = assertion.split(".")
        claims = json.loads(_unb64(body))
        header = json.loads(_unb64(head))
        try:
            self.certificate.public_key().verify(
                _unb64(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:
            return False
        return (
            header.get("alg") == "RS256"
            and claims.get("aud") == f"{self.url}{seen.path}"
            and claims.get("iss") == claims.get("sub") == self.client_id
            and claims["exp"] > claims["nbf"]
        )

    def authorized(self, headers: dict[str, str]) -> bool:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            if token not in self.tokens:
                return False
            left = self.tokens[token]
            if left is None:
                return True
            if left <= 0:
                return False
            self.tokens[token] = left - 1
            return True

    def listing(self, seen: Seen) -> tuple[int, dict[str, Any]]:
        m = re.fullmatch(r"/(v1\.0|beta)/auditLogs/(signIns|directoryAudits)", seen.path)
        if m is None:
            return 404, {"error": {"code": "ResourceNotFound", "message": "no such resource"}}
        version, resource = m.groups()
        source = self.signins if resource == "signIns" else self.audits
        time_field = "createdDateTime" if resource == "signIns" else "activityDateTime"
        flt = seen.query.get("$filter", "")
        items = [o for o in source if _matches(o, flt, time_field, resource == "signIns")]
        items.sort(key=lambda o: o[time_field], reverse=True)  # Graph: newest first
        top = int(seen.query.get("$top", "1000"))
        skip = int(seen.query.get("$skiptoken", "0"))
        page = [dict(o) for o in items[skip : skip + top]]
        if version == "v1.0":
            page = [{k: v for k, v in o.items() if k not in _BETA_ONLY} for o in page]
        doc: dict[str, Any] = {
            "@odata.context": f"{self.url}/{version}/$metadata#auditLogs/{resource}",
            "value": page,
        }
        if skip + top < len(items):
            query = {"$filter": flt, "$top": str(top), "$skiptoken": str(skip + top)}
            doc["@odata.nextLink"] = (
                f"{self.url}{seen.path}?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote)}"
            )
        return 200, doc


def _matches(obj: dict[str, Any], flt: str, time_field: str, is_signin: bool) -> bool:
    when = obj[time_field]
    for op, value in re.findall(rf"{time_field} (ge|le) (\S+)", flt):
        if (op == "ge" and when < value) or (op == "le" and when > value):
            return False
    if is_signin:
        wanted = re.search(r"signInEventTypes/any\(t: t eq '(\w+)'\)", flt)
        kind = wanted.group(1) if wanted else "interactiveUser"  # Graph's default
        return kind in obj.get("signInEventTypes", ["interactiveUser"])
    return True


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _handler(fake: FakeGraph) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _seen(self) -> Seen:
            parts = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            seen = Seen(
                self.command,
                parts.path,
                dict(urllib.parse.parse_qsl(parts.query)),
                {k.lower(): v for k, v in self.headers.items()},
                dict(urllib.parse.parse_qsl(body)),
            )
            with fake.lock:
                fake.requests.append(seen)
            return seen

        def _send(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(doc).encode() if doc is not None else b""
            extra = dict(headers or {})
            if "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 200:
                body = gzip.compress(body)
                extra["Content-Encoding"] = "gzip"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("request-id", str(uuid.uuid4()))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            seen = self._seen()
            fault = fake.fault_for(seen.path, "")
            if fault is not None:
                self._send(fault.status, fault.body, fault.headers)
                return
            self._send(*fake.token(seen))

        def do_GET(self) -> None:
            seen = self._seen()
            fault = fake.fault_for(
                seen.path, urllib.parse.unquote(urllib.parse.urlsplit(self.path).query)
            )
            if fault is not None:
                self._send(fault.status, fault.body, fault.headers)
                return
            if not fake.authorized(seen.headers):
                self._send(
                    401,
                    {
                        "error": {
                            "code": "InvalidAuthenticationToken",
                            "message": "Access token has expired or is not yet valid.",
                            "innerError": {"request-id": str(uuid.uuid4())},
                        }
                    },
                )
                return
            self._send(*fake.listing(seen))

    return Handler


def graph_error(code: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2024-05-01T12:00:00", "request-id": str(uuid.uuid4())},
        }
    }


LICENCE_ERROR = graph_error(
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
)
PERMISSION_ERROR = graph_error(
    "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
