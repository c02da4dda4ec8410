"""`kustodian connect graph` and `kustodian pull`, in-process, against the local fake Graph.

The secret must never show: not on stdout or stderr, not in the log records, not in plain text in
any file of the workspace directory.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.cli.main import main
from tests.connectors.fake_graph import (
    CLIENT_ID,
    LICENCE_ERROR,
    SECRET,
    TENANT,
    FakeGraph,
    Fault,
    audit,
    minutes,
    signin,
)
from tests.connectors.test_graph import make_certificate


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph() as f:
        yield f


@pytest.fixture
def wsdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KUSTODIAN_WORKSPACE", raising=False)
    monkeypatch.delenv("KUSTODIAN_SECRET_KEY", raising=False)
    path = tmp_path / "ws"
    assert main(["init", str(path)]) == 0
    return path


def connect_args(wsdir: Path, fake: FakeGraph, *extra: str) -> list[str]:
    return [
        "connect",
        "graph",
        "--workspace",
        str(wsdir),
        "--tenant-id",
        TENANT,
        "--client-id",
        CLIENT_ID,
        "--authority-host",
        fake.url,
        "--graph-url",
        fake.url,
        "--lookback-days",
        "1",
        *extra,
    ]


def workspace_bytes(wsdir: Path) -> bytes:
    return b"".join(f.read_bytes() for f in sorted(wsdir.rglob("*")) if f.is_file())


def test_the_secret_never_appears_in_output_logs_or_files(
    wsdir: Path,
    fake: FakeGraph,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger="kustodian")
    monkeypatch.setenv("GRAPH_SECRET", SECRET)
    assert main(connect_args(wsdir, fake, "--client-secret-env", "GRAPH_SECRET", "--check")) == 0
    connected = capsys.readouterr()
    assert "token ok for tenant " + TENANT in connected.out
    assert "stored connector 'graph'" in connected.out

    assert main(["connect", "graph", "--workspace", str(wsdir), "--show"]) == 0
    shown = capsys.readouterr()
    assert f"client_id: {CLIENT_ID}" in shown.out
    assert "client secret: ******** (stored encrypted)" in shown.out

    now = datetime.now(UTC)  # the command runs on the real clock
    fake.signins += [signin(i, now - minutes(i)) for i in (1, 2, 3)]
    fake.audits.append(audit(1, now - minutes(4)))
    fake.faults.append(Fault("signIns", 429, {"Retry-After": "0"}))
    assert main(["pull", "--workspace", str(wsdir), "-v"]) == 0
    pulled = capsys.readouterr()
    assert "SigninLogs" in pulled.out and "ingested 3" in pulled.out
    assert "retries 1" in pulled.out
    assert "HTTP 429; retry 1 of 6" in pulled.err  # the retry is reported (-v: every request)

    everything = "".join(
        [connected.out, connected.err, shown.out, shown.err, pulled.out, pulled.err, caplog.text]
    )
    assert caplog.records  # the log was captured, so its absence of the secret means something
    assert SECRET not in everything
    # at rest: the settings are readable, the secret is not
    with Workspace.open(wsdir, create=False) as ws:
        assert ws.get_secret("connector.graph.client_secret") == SECRET
        assert ws.query("SigninLogs | count").rows == [[3]]
    at_rest = workspace_bytes(wsdir)
    assert CLIENT_ID.encode() in at_rest  # plain settings are visible to this scan...
    assert SECRET.encode() not in at_rest  # ...the secret is not
    assert SECRET not in (wsdir / "workspace.json").read_text()


def test_secret_from_standard_input_and_an_update_keeps_it(
    wsdir: Path,
    fake: FakeGraph,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    assert main(connect_args(wsdir, fake, "--client-secret-stdin")) == 0
    # a later `connect` without a credential changes settings and keeps the stored secret
    update = ["connect", "graph", "--workspace", str(wsdir), "--overlap-minutes", "30"]
    assert main(update) == 0
    with Workspace.open(wsdir, create=False) as ws:
        assert ws.get_secret("connector.graph.client_secret") == SECRET
        found = ws.connector("graph")
        assert found is not None and found[1]["overlap_minutes"] == 30
    assert SECRET not in capsys.readouterr().out


def test_a_secret_on_the_command_line_is_refused_without_echoing_it(
    wsdir: Path, fake: FakeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(connect_args(wsdir, fake, "--client-secret", SECRET)) == 2
    err = capsys.readouterr().err
    assert "--client-secret-stdin or --client-secret-env" in err
    assert SECRET not in err


def test_connect_needs_a_credential_and_check_reports_a_wrong_one(
    wsdir: Path,
    fake: FakeGraph,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(connect_args(wsdir, fake)) == 2
    assert "--client-secret-stdin, --client-secret-env VAR or --certificate" in (
        capsys.readouterr().err
    )
    monkeypatch.setenv("WRONG", "wrong-secret-value")
    assert main(connect_args(wsdir, fake, "--client-secret-env", "WRONG", "--check")) == 2
    err = capsys.readouterr().err
    assert "AADSTS7000215" in err and "nothing was stored" in err
    assert "wrong-secret-value" not in err
    with Workspace.open(wsdir, create=False) as ws:
        assert ws.connector("graph") is None


def test_certificate_connect_shows_the_thumbprint_not_the_key(
    wsdir: Path, fake: FakeGraph, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pem, cert = make_certificate(tmp_path)
    fake.certificate = cert
    assert main(connect_args(wsdir, fake, "--certificate", str(pem), "--check")) == 0
    assert main(["connect", "graph", "--workspace", str(wsdir), "--show"]) == 0
    out = capsys.readouterr().out
    assert "auth: certificate" in out and "certificate_thumbprint: " in out
    assert "private key: ******** (stored encrypted)" in out
    assert "PRIVATE KEY" not in out
    key_body = pem.read_text().split("-----")[2].strip().splitlines()[1]
    assert key_body.encode() not in workspace_bytes(wsdir)


def test_pull_reports_a_licence_error_and_exits_1(
    wsdir: Path,
    fake: FakeGraph,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPH_SECRET", SECRET)
    args = connect_args(wsdir, fake, "--client-secret-env", "GRAPH_SECRET", "--tables")
    assert main([*args, "SigninLogs,AuditLogs"]) == 0
    fake.faults.append(Fault("signIns", 403, body=LICENCE_ERROR))
    fake.audits.append(audit(1, datetime.now(UTC) - minutes(2)))
    capsys.readouterr()
    assert main(["pull", "--workspace", str(wsdir), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    tables = {t["table"]: t for t in doc[0]["tables"]}
    assert "P1 or P2 licence" in tables["SigninLogs"]["error"]
    assert tables["AuditLogs"]["ingested"] == 1 and tables["AuditLogs"]["error"] is None


def test_pull_options_are_checked(wsdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pull", "--workspace", str(wsdir)]) == 2
    assert "kustodian connect graph" in capsys.readouterr().err
    assert main(["pull", "--workspace", str(wsdir), "--since", "yesterday-ish"]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["pull", "--workspace", str(wsdir), "--name", "nope"]) == 2
    assert "no connector 'nope'" in capsys.readouterr().err
