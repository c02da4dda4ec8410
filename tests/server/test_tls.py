"""`kustodian serve --tls-cert/--tls-key`: the SDK works with only the endpoint changed."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
from azure.monitor.query import LogsQueryClient, LogsQueryResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kustodian.workspace.workspace import Workspace
from tests.net import free_port
from tests.server.conftest import ApiKey, make_workspace

ROOT = Path(__file__).resolve().parents[2]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_certificates(out: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Kustodian test CA"))
        .issuer_name(_name("Kustodian test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = out / "ca.pem", out / "server.pem", out / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_tls_with_a_trusted_self_signed_ca_and_graceful_shutdown(tmp_path: Path) -> None:
    ca, cert, key = make_certificates(tmp_path)
    ws, keys = make_workspace(tmp_path / "ws")
    workspace_id = ws.workspace_id
    ws.close()  # the server process opens it
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "kustodian.cli.main", "serve", "--workspace", str(tmp_path / "ws")]
    cmd += ["--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"https://127.0.0.1:{port}"
        trust = ssl.create_default_context(cafile=str(ca))
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", verify=trust).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        # only the endpoint and the CA to trust: no enforce_https=False over TLS
        client = LogsQueryClient(
            ApiKey(keys["reader"]), endpoint=f"{base}/v1", connection_verify=str(ca)
        )
        with client:  # closed before shutdown: an idle TLS keep-alive delays it
            result = client.query_workspace(workspace_id, "SigninLogs | count", timespan=None)
        assert isinstance(result, LogsQueryResult) and result.tables[0].rows[0][0] == 3
        # over TLS the web UI's session cookie is Secure
        login = httpx.post(f"{base}/ui/login", json={"token": keys["reader"]}, verify=trust)
        assert "secure" in [f.strip().lower() for f in login.headers["set-cookie"].split(";")]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the process ends by it
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert '"msg": "workspace closed"' in err
    assert f"https://127.0.0.1:{port}/ui/login?code=" in err  # the one-time sign-in link
    logs = [line for line in err.splitlines() if line.startswith("{")]
    assert any('"path": "/v1/workspaces/' in line and '"status": 200' in line for line in logs)
    assert keys["reader"] not in err and "SigninLogs | count" not in err
    with Workspace.open(tmp_path / "ws") as ws:  # released, and the query was logged
        assert ws.query("LAQueryLogs | project QueryText").rows == [["SigninLogs | count"]]
