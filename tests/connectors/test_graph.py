"""The Graph connector against a local server that plays Entra ID and Graph over real HTTP.

The connector's HTTP client is not mocked: it talks to `FakeGraph` (fake_graph.py) on
127.0.0.1. Only the clock and `sleep` are injected, so retries never really wait.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.connectors.auth import ClientCertificate, ClientSecret, Credential
from kustodian.connectors.graph import (
    ConnectorError,
    GraphSettings,
    PullSummary,
    configure,
    load,
    pull,
    windows,
)
from kustodian.connectors.http import retry_after_seconds
from tests.connectors.fake_graph import (
    CLIENT_ID,
    LICENCE_ERROR,
    PERMISSION_ERROR,
    SECRET,
    TENANT,
    FakeGraph,
    Fault,
    audit,
    iso,
    minutes,
    signin,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph() as f:
        yield f


@pytest.fixture
def ws() -> Iterator[Workspace]:
    w = Workspace.open(":memory:")
    yield w
    w.close()


def connect(
    ws: Workspace, fake: FakeGraph, credential: Credential | None = None, **settings: Any
) -> None:
    values: dict[str, Any] = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "authority_host": fake.url,
        "graph_url": fake.url,
        "lookback_days": 1,
        **settings,
    }
    configure(ws, "graph", GraphSettings(**values), credential or ClientSecret(SECRET))


class Puller:
    """`pull()` with a settable clock and recorded sleeps."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.clock = Clock(NOW)
        self.sleeps: list[float] = []

    def __call__(self, **kwargs: Any) -> PullSummary:
        return pull(
            self.ws, clock=self.clock, sleep=self.sleeps.append, rng=random.Random(7), **kwargs
        )


def count(ws: Workspace, table: str) -> int:
    return int(ws.query(f"{table} | count").rows[0][0])


def checkpoint(ws: Workspace, table: str = "SigninLogs") -> str | None:
    return ws.get_checkpoint("graph", table)


def five_signins(fake: FakeGraph) -> None:
    fake.signins += [signin(i, NOW - minutes(10 * (6 - i))) for i in range(1, 6)]  # -50 .. -10


# -- paging and checkpoints ---------------------------------------------------------------------


def test_first_pull_follows_nextlink_and_sets_each_tables_checkpoint(
    ws: Workspace, fake: FakeGraph
) -> None:
    five_signins(fake)
    fake.signins.append(signin(9, NOW - minutes(5), "nonInteractiveUser"))
    fake.audits += [audit(1, NOW - minutes(30)), audit(2, NOW - minutes(3))]
    connect(
        ws, fake, tables=("SigninLogs", "AADNonInteractiveUserSignInLogs", "AuditLogs"), page_size=2
    )
    s = Puller(ws)(tables=None)
    t = s.table("SigninLogs")
    assert (t.pulled, t.ingested, t.duplicates, t.rejected, t.pages, t.retries, t.error) == (
        5,
        5,
        0,
        0,
        3,
        0,
        None,
    )
    assert count(ws, "SigninLogs") == 5
    assert count(ws, "AADNonInteractiveUserSignInLogs") == 1
    assert count(ws, "AuditLogs") == 2
    assert checkpoint(ws) == "2024-05-01T11:50:00Z"
    assert checkpoint(ws, "AuditLogs") == "2024-05-01T11:57:00Z"
    # the first page's URL: beta, the time filter from the lookback, the event type, $top
    first = fake.graph_requests("signIns")[0]
    assert first.path == "/beta/auditLogs/signIns"
    assert first.query["$filter"] == (
        "createdDateTime ge 2024-04-30T12:00:00Z and "
        "signInEventTypes/any(t: t eq 'interactiveUser')"
    )
    assert first.query["$top"] == "2"
    assert [r.query.get("$skiptoken") for r in fake.graph_requests("signIns")[:3]] == [
        None,
        "2",
        "4",
    ]
    assert fake.graph_requests("directoryAudits")[0].path == "/v1.0/auditLogs/directoryAudits"
    assert fake.issued == 1  # one token for the whole pull


def test_second_pull_asks_only_for_newer_events(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    connect(ws, fake, tables=("SigninLogs",))
    run = Puller(ws)
    run()
    fake.requests.clear()
    fake.signins.append(signin(6, NOW + minutes(4)))
    run.clock.now = NOW + minutes(5)
    t = run().table("SigninLogs")
    # checkpoint 11:50 minus the 15-minute overlap
    assert fake.filters("signIns")[0].startswith("createdDateTime ge 2024-05-01T11:35:00Z and ")
    # the overlap re-reads -20 and -10 (duplicates); only the new event is added
    assert (t.pulled, t.ingested, t.duplicates) == (3, 1, 2)
    assert count(ws, "SigninLogs") == 6
    assert checkpoint(ws) == "2024-05-01T12:04:00Z"


def test_overlapping_pulls_add_nothing_twice(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    connect(ws, fake, tables=("SigninLogs",), overlap_minutes=60)
    run = Puller(ws)
    run()
    again = run().table("SigninLogs")
    assert (again.pulled, again.ingested, again.duplicates) == (5, 0, 5)
    assert count(ws, "SigninLogs") == 5
    assert ws.query("SigninLogs | summarize dcount(_ItemId)").rows[0][0] == 5


def test_a_late_event_inside_the_overlap_is_picked_up(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    connect(ws, fake, tables=("SigninLogs",))
    run = Puller(ws)
    run()
    # Graph shows two events late: one 12 minutes before the checkpoint, one 40 minutes before.
    fake.signins += [signin(20, NOW - minutes(22)), signin(21, NOW - minutes(50) - minutes(1))]
    run.clock.now = NOW + minutes(1)
    t = run().table("SigninLogs")
    assert t.ingested == 1
    upns = ws.query(
        "SigninLogs | where UserPrincipalName startswith 'user2' | project u=UserPrincipalName"
    )
    assert [r[0] for r in upns.rows] == ["user2@contoso.com", "user20@contoso.com"]
    assert checkpoint(ws) == "2024-05-01T11:50:00Z"  # a late event never moves it back


def test_a_backfill_is_pulled_in_windows_each_advancing_the_checkpoint(
    ws: Workspace, fake: FakeGraph
) -> None:
    fake.signins += [
        signin(1, NOW - dt.timedelta(hours=60)),
        signin(2, NOW - dt.timedelta(hours=5)),
    ]
    connect(ws, fake, tables=("SigninLogs",), lookback_days=3, window_hours=24)
    s = Puller(ws)()
    assert [f.split(" and signInEventTypes")[0] for f in fake.filters("signIns")] == [
        "createdDateTime ge 2024-04-28T12:00:00Z and createdDateTime le 2024-04-29T12:00:00Z",
        "createdDateTime ge 2024-04-29T12:00:00Z and createdDateTime le 2024-04-30T12:00:00Z",
        "createdDateTime ge 2024-04-30T12:00:00Z",
    ]
    assert s.table("SigninLogs").ingested == 2
    assert checkpoint(ws) == iso(NOW - dt.timedelta(hours=5))


def test_since_overrides_the_checkpoint_but_never_moves_it_back(
    ws: Workspace, fake: FakeGraph
) -> None:
    five_signins(fake)
    connect(ws, fake, tables=("SigninLogs",))
    run = Puller(ws)
    run()
    fake.requests.clear()
    run(since=NOW - minutes(45))
    assert fake.filters("signIns")[0].startswith("createdDateTime ge 2024-05-01T11:15:00Z")
    assert checkpoint(ws) == "2024-05-01T11:50:00Z"


def test_a_table_with_no_events_gets_a_checkpoint_so_it_is_not_rescanned(
    ws: Workspace, fake: FakeGraph
) -> None:
    connect(ws, fake, tables=("AADManagedIdentitySignInLogs",), lookback_days=3)
    run = Puller(ws)
    run()
    assert len(fake.filters("signIns")) == 3
    assert checkpoint(ws, "AADManagedIdentitySignInLogs") == "2024-05-01T11:45:00Z"
    fake.requests.clear()
    run()
    assert fake.filters("signIns") == [
        "createdDateTime ge 2024-05-01T11:30:00Z and "
        "signInEventTypes/any(t: t eq 'managedIdentity')"
    ]


def test_each_sign_in_stream_lands_in_its_table(ws: Workspace, fake: FakeGraph) -> None:
    fake.signins += [
        signin(1, NOW - minutes(9), "interactiveUser"),
        signin(2, NOW - minutes(8), "nonInteractiveUser"),
        signin(3, NOW - minutes(7), "servicePrincipal"),
        signin(4, NOW - minutes(6), "managedIdentity"),
    ]
    connect(ws, fake)
    s = Puller(ws)()
    assert s.ok
    assert {t.table: t.ingested for t in s.tables} == {
        "SigninLogs": 1,
        "AADNonInteractiveUserSignInLogs": 1,
        "AADServicePrincipalSignInLogs": 1,
        "AADManagedIdentitySignInLogs": 1,
        "AuditLogs": 0,
    }
    for table, n in (
        ("SigninLogs", 1),
        ("AADNonInteractiveUserSignInLogs", 2),
        ("AADServicePrincipalSignInLogs", 3),
        ("AADManagedIdentitySignInLogs", 4),
    ):
        assert ws.query(f"{table} | project AppId, Id").rows[0][1].endswith(f"{n:012x}")
    ni = ws.query("AADNonInteractiveUserSignInLogs | project Status, AuthenticationRequirement")
    assert ni.rows[0][1] == "singleFactorAuthentication"
    assert '"errorCode":0' in ni.rows[0][0].replace(" ", "")  # a string column in this table


def test_signins_from_v1_have_no_beta_filter(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    connect(
        ws, fake, tables=("SigninLogs", "AADNonInteractiveUserSignInLogs"), signins_version="v1.0"
    )
    Puller(ws)()
    interactive, noninteractive = (
        fake.graph_requests("signIns")[0],
        fake.graph_requests("signIns")[-1],
    )
    assert interactive.path == "/v1.0/auditLogs/signIns"
    assert interactive.query["$filter"] == "createdDateTime ge 2024-04-30T12:00:00Z"
    assert noninteractive.path == "/beta/auditLogs/signIns"  # beta is the only way to list them
    rows = ws.query("SigninLogs | project AuthenticationRequirement, IsInteractive").rows
    assert rows[0] == ["", True]  # v1.0 lacks authenticationRequirement


# -- throttling, failures and explanations -----------------------------------------------------


def test_429_with_retry_after_seconds_is_honoured(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    fake.faults.append(
        Fault("signIns", 429, {"Retry-After": "7"}, {"error": {"code": "TooManyRequests"}})
    )
    connect(ws, fake, tables=("SigninLogs",))
    run = Puller(ws)
    t = run().table("SigninLogs")
    assert run.sleeps == [7.0]
    assert (t.retries, t.ingested, t.error) == (1, 5, None)


def test_retry_after_as_an_http_date(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    when = format_datetime(NOW + dt.timedelta(seconds=30), usegmt=True)
    fake.faults.append(Fault("signIns", 503, {"Retry-After": when}, times=1, query="skiptoken=2"))
    connect(ws, fake, tables=("SigninLogs",), page_size=2)
    run = Puller(ws)
    t = run().table("SigninLogs")
    assert run.sleeps == [30.0]
    assert (t.retries, t.ingested, t.pages) == (1, 5, 3)


def test_503_without_retry_after_backs_off_exponentially_with_jitter(
    ws: Workspace, fake: FakeGraph
) -> None:
    five_signins(fake)
    fake.faults += [Fault("signIns", 503, times=3), Fault("directoryAudits", 504)]
    connect(ws, fake, tables=("SigninLogs", "AuditLogs"))
    run = Puller(ws)
    s = run()
    assert s.ok and s.table("SigninLogs").retries == 3 and s.table("AuditLogs").retries == 1
    assert len(run.sleeps) == 4
    for attempt, wait in enumerate(run.sleeps[:3]):
        assert 0 <= wait <= 2**attempt  # full jitter under a doubling bound
    assert len(set(run.sleeps[:3])) == 3


def test_retries_run_out_and_the_other_tables_go_on(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    fake.audits.append(audit(1, NOW - minutes(1)))
    fake.faults.append(Fault("signIns", 503, times=100))
    connect(ws, fake, tables=("SigninLogs", "AuditLogs"), max_retries=3)
    run = Puller(ws)
    s = run()
    assert s.table("SigninLogs").error is not None
    assert "HTTP 503 after 3 retries" in s.table("SigninLogs").error
    assert len(run.sleeps) == 3
    assert s.table("AuditLogs").ingested == 1 and s.table("AuditLogs").error is None


def test_403_for_a_tenant_without_premium_licence_is_explained(
    ws: Workspace, fake: FakeGraph
) -> None:
    fake.audits.append(audit(1, NOW - minutes(1)))
    fake.faults.append(Fault("signIns", 403, body=LICENCE_ERROR, times=100))
    connect(ws, fake, tables=("SigninLogs", "AADNonInteractiveUserSignInLogs", "AuditLogs"))
    run = Puller(ws)
    s = run()
    for table in ("SigninLogs", "AADNonInteractiveUserSignInLogs"):
        error = s.table(table).error or ""
        assert "no Microsoft Entra ID P1 or P2 licence" in error
        assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in error
        assert checkpoint(ws, table) is None
    assert s.table("AuditLogs").ingested == 1
    assert run.sleeps == []  # a 403 is not retried


def test_403_for_missing_permissions_names_them(ws: Workspace, fake: FakeGraph) -> None:
    fake.faults.append(Fault("directoryAudits", 403, body=PERMISSION_ERROR))
    connect(ws, fake, tables=("AuditLogs",))
    error = Puller(ws)().table("AuditLogs").error or ""
    assert "AuditLog.Read.All and Directory.Read.All" in error
    assert "admin consent" in error and CLIENT_ID in error
    assert "Authorization_RequestDenied" in error


def test_401_for_an_expired_token_fetches_a_new_one(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    fake.token_uses = 2  # the token expires (server-side) after two requests
    connect(ws, fake, tables=("SigninLogs",), page_size=2)
    t = Puller(ws)().table("SigninLogs")
    assert (t.ingested, t.pages, t.error) == (5, 3, None)
    assert fake.issued == 2
    statuses = [r.headers["authorization"][-4:] for r in fake.graph_requests("signIns")]
    assert statuses == ["sig1", "sig1", "sig1", "sig2"]  # page 3 failed once, then a new token


def test_401_again_after_a_refresh_is_an_error(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    fake.token_uses = 0  # no token works
    connect(ws, fake, tables=("SigninLogs",))
    t = Puller(ws)().table("SigninLogs")
    assert fake.issued == 2  # one refresh, not a loop
    assert "rejected the access token even after a new one" in (t.error or "")


def test_checkpoint_does_not_advance_when_a_page_fails(ws: Workspace, fake: FakeGraph) -> None:
    five_signins(fake)
    connect(ws, fake, tables=("SigninLogs",), max_retries=1, page_size=2)
    run = Puller(ws)
    run()
    assert checkpoint(ws) == "2024-05-01T11:50:00Z"
    fake.signins += [signin(i, NOW + minutes(i - 10)) for i in range(11, 15)]  # 12:01 .. 12:04
    run.clock.now = NOW + minutes(6)
    fake.faults.append(Fault("signIns", 500, times=2, query="skiptoken=2"))
    t = run().table("SigninLogs")
    assert t.error is not None and "HTTP 500" in t.error
    assert (t.pages, t.ingested) == (1, 2)  # the first page (newest two) is committed...
    assert checkpoint(ws) == "2024-05-01T11:50:00Z"  # ...but older events of the window are not
    t = run().table("SigninLogs")  # the next pull starts from the same place
    assert (t.error, t.ingested, t.duplicates) == (None, 2, 4)
    assert checkpoint(ws) == "2024-05-01T12:04:00Z"
    assert count(ws, "SigninLogs") == 9


def test_a_wrong_secret_stops_every_table_with_entras_reason(
    ws: Workspace, fake: FakeGraph
) -> None:
    connect(ws, fake, ClientSecret("not-the-secret"), tables=("SigninLogs", "AuditLogs"))
    s = Puller(ws)()
    for t in s.tables:
        assert t.error is not None and "AADSTS7000215" in t.error
        assert "the client secret is wrong" in t.error
        assert "not-the-secret" not in t.error
    assert fake.graph_requests() == []


def test_a_next_link_to_another_host_is_not_followed(ws: Workspace, fake: FakeGraph) -> None:
    page = {"value": [], "@odata.nextLink": "https://evil.example/v1.0/auditLogs/directoryAudits"}
    fake.faults.append(Fault("directoryAudits", 200, body=page))
    connect(ws, fake, tables=("AuditLogs",))
    error = Puller(ws)().table("AuditLogs").error or ""
    assert "refusing to send the token to https://evil.example" in error


def test_rejected_items_go_to_ingestion_errors_with_their_page(
    ws: Workspace, fake: FakeGraph
) -> None:
    fake.signins += [signin(1, NOW - minutes(3)), signin(2, NOW - minutes(2))]
    fake.signins[0]["isInteractive"] = "perhaps"  # not a bool
    connect(ws, fake, tables=("SigninLogs",))
    t = Puller(ws)().table("SigninLogs")
    assert (t.pulled, t.ingested, t.rejected) == (2, 1, 1)
    err = ws.query("IngestionErrors | project Source, Position, Reason").rows
    assert err[0][:2] == ["graph:graph:SigninLogs", "page 1, item 2"]
    assert "IsInteractive" in err[0][2]


# -- certificate credentials ------------------------------------------------------------------


def make_certificate(tmp_path: Path) -> tuple[Path, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kustodian-test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "app.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    return path, cert


def test_certificate_credential_signs_a_client_assertion(
    ws: Workspace, fake: FakeGraph, tmp_path: Path
) -> None:
    pem, cert = make_certificate(tmp_path)
    fake.certificate = cert
    five_signins(fake)
    connect(ws, fake, ClientCertificate(pem.read_bytes()), tables=("SigninLogs",))
    settings, credential = load(ws, "graph")
    assert settings.auth == "certificate" and len(settings.certificate_thumbprint) == 40
    assert isinstance(credential, ClientCertificate)
    t = Puller(ws)().table("SigninLogs")
    assert (t.ingested, t.error) == (5, None)
    form = next(r.form for r in fake.requests if r.method == "POST")
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert "client_secret" not in form


def test_a_certificate_not_registered_with_the_app_is_refused(
    ws: Workspace, fake: FakeGraph, tmp_path: Path
) -> None:
    pem, _ = make_certificate(tmp_path)
    _, other = make_certificate(tmp_path / "..")
    fake.certificate = other
    connect(ws, fake, ClientCertificate(pem.read_bytes()), tables=("AuditLogs",))
    assert "invalid_client" in (Puller(ws)().table("AuditLogs").error or "")


def test_a_pem_without_a_key_is_refused_with_a_message(tmp_path: Path) -> None:
    _, cert = make_certificate(tmp_path)
    from cryptography.hazmat.primitives import serialization

    with pytest.raises(ValueError, match="no private key"):
        ClientCertificate(cert.public_bytes(serialization.Encoding.PEM))


# -- settings and helpers ---------------------------------------------------------------------


def test_settings_are_validated_with_the_field_named() -> None:
    with pytest.raises(ConnectorError, match="client_id: 'nope' is not a GUID"):
        GraphSettings(tenant_id=TENANT, client_id="nope")
    with pytest.raises(ConnectorError, match="tables: Nope"):
        GraphSettings(tenant_id=TENANT, client_id=CLIENT_ID, tables=("Nope",))
    with pytest.raises(ConnectorError, match="page_size: 5000 is outside 1 to 1000"):
        GraphSettings(tenant_id=TENANT, client_id=CLIENT_ID, page_size=5000)
    s = GraphSettings(tenant_id="contoso.onmicrosoft.com", client_id=CLIENT_ID)
    assert GraphSettings.from_json(s.to_json()) == s


def test_pull_without_a_connector_says_how_to_add_one(ws: Workspace) -> None:
    with pytest.raises(ConnectorError, match="kustodian connect graph"):
        pull(ws)


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("12", NOW) == 12.0
    assert (
        retry_after_seconds(format_datetime(NOW + dt.timedelta(minutes=2), usegmt=True), NOW) == 120
    )
    assert retry_after_seconds("Wed, 01 May 2024 11:00:00 GMT", NOW) == 0.0  # in the past
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def test_windows_cover_the_span_and_the_last_is_open() -> None:
    spans = list(windows(NOW - dt.timedelta(hours=30), NOW, 12))
    assert spans == [
        (NOW - dt.timedelta(hours=30), NOW - dt.timedelta(hours=18)),
        (NOW - dt.timedelta(hours=18), NOW - dt.timedelta(hours=6)),
        (NOW - dt.timedelta(hours=6), None),
    ]


def test_a_next_link_to_the_same_page_is_an_error_not_a_loop(
    ws: Workspace, fake: FakeGraph
) -> None:
    from kustodian.connectors.graph import STREAMS, GraphPull

    connect(ws, fake, tables=("AuditLogs",))
    same = GraphPull(ws).list_url(STREAMS["AuditLogs"], NOW - dt.timedelta(days=1), None)
    fake.faults.append(Fault("directoryAudits", 200, body={"value": [], "@odata.nextLink": same}))
    error = Puller(ws)().table("AuditLogs").error or ""
    assert "points to the same page" in error


def test_a_throttled_token_endpoint_is_retried(ws: Workspace, fake: FakeGraph) -> None:
    fake.audits.append(audit(1, NOW - minutes(1)))
    fake.faults.append(Fault("oauth2", 503, {"Retry-After": "3"}))
    connect(ws, fake, tables=("AuditLogs",))
    run = Puller(ws)
    t = run().table("AuditLogs")
    assert (t.ingested, t.retries, t.error) == (1, 1, None)
    assert run.sleeps == [3.0]


def test_the_last_pull_and_its_errors_show_in_the_ingestion_health(
    ws: Workspace, fake: FakeGraph
) -> None:
    from kustodian.workspace.health import ingestion_health

    five_signins(fake)
    connect(ws, fake, tables=("SigninLogs", "AuditLogs"), max_retries=1)
    fake.faults.append(Fault("directoryAudits", 500, times=2))
    Puller(ws)()
    (health,) = ingestion_health(ws).connectors
    assert (health.name, health.kind) == ("graph", "graph") and health.last_pull is not None
    assert health.last_error is not None and health.last_error.startswith("AuditLogs: ")
    assert "HTTP 500" in health.last_error
    assert health.checkpoints == {"SigninLogs": "2024-05-01T11:50:00Z"}
