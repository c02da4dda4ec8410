"""Azurite, the Azure Storage emulator, as a real blob service for the storage connector's tests.

`make azurite` installs it (tools/azurite, pinned to 3.35.0, the last release that runs on Node
20). One server per test process, on a free port, started with node directly so that the PID we
stop is the server's; each test starts with no containers. Without node or the install the tests
are skipped, except under CI (the CI variable is set), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.net import free_port

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

REPO = Path(__file__).resolve().parents[2]
AZURITE_BLOB = REPO / "tools" / "azurite" / "node_modules" / "azurite" / "dist" / "src" / "blob"
# Azurite's well-known development account (public, documented by Microsoft).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
# The newest version Azurite 3.35 accepts; the client's default is newer.
API_VERSION = "2025-11-05"


@dataclass
class Azurite:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.url};"
        )

    def service(self) -> BlobServiceClient:
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(
            self.connection_string, api_version=API_VERSION
        )

    def reset(self) -> None:
        svc = self.service()
        for c in svc.list_containers():
            svc.delete_container(c.name)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the storage connector's tests against Azurite")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def azurite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed (Azurite needs Node.js 20)")
    if not (AZURITE_BLOB / "main.js").exists():
        _unavailable("Azurite is not installed: run `make azurite`")
    try:
        import azure.storage.blob  # noqa: F401
    except ImportError:
        _unavailable("azure-storage-blob is not installed")
    data = tmp_path_factory.mktemp("azurite")
    port = free_port()
    log = open(data / "azurite.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(node),
            str(AZURITE_BLOB / "main.js"),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(data),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, proc, data / "azurite.log")
        yield Azurite(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Azurite exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"Azurite did not listen on port {port} within 30 s")


@pytest.fixture
def azurite(azurite_server: Azurite) -> Azurite:
    """The server, with no containers."""
    azurite_server.reset()
    return azurite_server
