"""Real local receivers for notification tests: an SMTP server (aiosmtpd) and HTTP servers
(stdlib), plus a fake clock whose sleep advances it, so retry schedules run in no time."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.actions import parse_document
from kustodian.actions.store import save_group
from tests.net import free_port

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


class FakeClock:
    """`clock()` is the fake now; `sleep(s)` records the wait and advances the clock."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ws() -> Iterator[Workspace]:
    w = Workspace.open(":memory:")
    yield w
    w.close()


def add_group(ws: Workspace, doc: dict[str, Any]) -> None:
    for g in parse_document(doc, "test"):
        save_group(ws, g)


# -- HTTP receivers ------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A local HTTP server answering POSTs from a script: each entry is a status, or
    ("sleep", seconds, status); the last entry repeats."""

    url: str = ""
    script: list[Any] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)

    def next_answer(self) -> Any:
        i = min(len(self.received) - 1, len(self.script) - 1)
        return self.script[i]


@pytest.fixture
def http_receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
                answer = state.next_answer()
            if isinstance(answer, tuple):
                _, seconds, answer = answer
                time.sleep(seconds)
            payload = b"ok" if answer < 300 else b"receiver says no"
            try:
                self.send_response(answer)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (timeout tests)
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


# -- SMTP ----------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls_sessions: list[bool] = field(default_factory=list)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        implicit = server.transport.get_extra_info("ssl_object") is not None
        self.box.tls_sessions.append(session.ssl is not None or implicit)
        return "250 OK"


USER, PASSWORD = "alerts@contoso.com", "s3cret-pw"


def start_smtp(box: Mailbox, **kwargs: Any) -> Any:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (
            data.login.decode(),
            data.password.decode(),
        ) == (USER, PASSWORD)
        if ok:
            box.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        _Handler(box),
        hostname="127.0.0.1",
        port=box.port,
        authenticator=authenticator,
        **kwargs,
    )
    controller.start()
    return controller


@pytest.fixture
def smtp_plain() -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    c = start_smtp(box, auth_require_tls=False)
    yield box
    c.stop()


@dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("tls")
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Cert(d / "cert.pem", d / "key.pem")


def server_context(c: Cert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(c.cert), str(c.key))
    return ctx


@pytest.fixture
def smtp_starttls(self_signed: Cert) -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    c = start_smtp(box, tls_context=server_context(self_signed), require_starttls=True)
    yield box
    c.stop()


@pytest.fixture
def smtp_ssl(self_signed: Cert) -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    # aiosmtpd counts only STARTTLS as TLS for AUTH; this whole connection is TLS
    c = start_smtp(box, ssl_context=server_context(self_signed), auth_require_tls=False)
    yield box
    c.stop()


def payload(
    rule: str = "Break-glass account sign-in",
    severity: str = "Sev0",
    condition: str = "Fired",
    dimensions: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A Log Alerts V2 common-schema payload, as the evaluator builds one."""
    dims = dimensions or [
        {"name": "UserPrincipalName", "value": "breakglass1@contoso.com"},
        {"name": "IPAddress", "value": "203.0.113.7"},
    ]
    return {
        "schemaId": "azureMonitorCommonAlertSchema",
        "data": {
            "essentials": {
                "alertId": "/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/"
                "6a1b2c3d-0000-4000-8000-000000000001",
                "alertRule": rule,
                "severity": severity,
                "signalType": "Log",
                "monitorCondition": condition,
                "monitoringService": "Log Alerts V2",
                "alertTargetIDs": [
                    "/subscriptions/s/resourcegroups/rg/providers/"
                    "microsoft.operationalinsights/workspaces/contoso-identity"
                ],
                "configurationItems": ["contoso-identity"],
                "originAlertId": "abc",
                "firedDateTime": "2024-05-01T12:00:00.000Z",
                "description": "A break-glass account signed in: page the identity team.",
                "essentialsVersion": "1.0",
                "alertContextVersion": "1.0",
            },
            "alertContext": {
                "properties": {},
                "conditionType": "LogQueryCriteria",
                "condition": {
                    "windowSize": "PT5M",
                    "allOf": [
                        {
                            "searchQuery": 'SigninLogs | where UserPrincipalName startswith "breakglass"',
                            "metricMeasureColumn": None,
                            "targetResourceTypes": "['Microsoft.OperationalInsights/workspaces']",
                            "operator": "GreaterThan",
                            "threshold": "0",
                            "timeAggregation": "Count",
                            "dimensions": dims,
                            "metricValue": 2,
                            "failingPeriods": {
                                "numberOfEvaluationPeriods": 1,
                                "minFailingPeriodsToAlert": 1,
                            },
                            "linkToSearchResultsUI": "http://localhost:8080/query?q=1",
                            "linkToFilteredSearchResultsUI": "http://localhost:8080/query?q=2",
                            "linkToSearchResultsAPI": "http://localhost:8080/v1/q1",
                            "linkToFilteredSearchResultsAPI": "http://localhost:8080/v1/q2",
                        }
                    ],
                    "windowStartTime": "2024-05-01T11:55:00Z",
                    "windowEndTime": "2024-05-01T12:00:00Z",
                },
            },
            "customProperties": {"Runbook": "https://wiki.contoso.com/breakglass"},
        },
    }
