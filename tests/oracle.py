"""Microsoft's own KQL parser and binder as a test oracle.

`KustoOracle` drives `tools/kusto-oracle/oracle.js` (the npm package `@kusto/language-service-next`
under node) as one long-lived process speaking JSON lines. It answers Kusto's diagnostics (KS
codes, offsets) and result schema for a query; it never executes anything. `make oracle`
installs it; `get_oracle()` returns None when node or the installed package is missing.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[1]
ORACLE_DIR = REPO / "tools" / "kusto-oracle"
ORACLE_JS = ORACLE_DIR / "oracle.js"
PACKAGE_DIR = ORACLE_DIR / "node_modules" / "@kusto" / "language-service-next"
ENTRA_SCHEMA = REPO / "src" / "kustodian" / "workspace" / "schemas" / "entra_schema.json"

Tables = dict[str, list[tuple[str, str]]]


class OracleError(RuntimeError):
    """The oracle process failed or rejected a request."""


@dataclass(frozen=True)
class OracleDiagnostic:
    code: str  # Kusto's, e.g. "KS142"
    severity: str  # "Error", "Warning", "Suggestion" or "Information"
    start: int  # code-point offset into the query
    length: int
    message: str


@dataclass(frozen=True)
class OracleResult:
    diagnostics: list[OracleDiagnostic]
    columns: list[tuple[str, str]] | None  # (name, Kusto type); None when not tabular

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]


class KustoOracle:
    """A client for oracle.js; the node process starts on the first `analyze`."""

    def __init__(self, node: str = "node", script: Path = ORACLE_JS) -> None:
        self._argv = [node, str(script)]
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._ids = count(1)
        self._lock = threading.Lock()

    def analyze(
        self, query: str, tables: Tables | None = None, *, all_severities: bool = False
    ) -> OracleResult:
        """Kusto's diagnostics (errors only unless `all_severities`) and result schema for `query`."""
        request: dict[str, Any] = {"id": next(self._ids), "query": query}
        if tables is not None:
            request["tables"] = tables
        if all_severities:
            request["all"] = True
        with self._lock:
            reply = self._roundtrip(request)
        if "error" in reply:
            raise OracleError(reply["error"])
        diagnostics = [OracleDiagnostic(**d) for d in reply["diagnostics"]]
        columns = reply["columns"]
        return OracleResult(diagnostics, None if columns is None else [(n, t) for n, t in columns])

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
                self._proc = None
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None

    def __enter__(self) -> KustoOracle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _roundtrip(self, request: dict[str, Any]) -> dict[str, Any]:
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            assert self._stderr is not None
            self._stderr.seek(0)
            detail = self._stderr.read().strip()
            self._proc = None
            raise OracleError(f"oracle process exited ({proc.wait()}): {detail}")
        reply: dict[str, Any] = json.loads(line)
        if reply.get("id") != request["id"]:
            raise OracleError(f"reply {reply!r} does not answer request {request['id']}")
        return reply

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is None:
            if self._stderr is not None:
                self._stderr.close()
            # Lives as long as the process; read back when it dies.
            self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            self._proc = subprocess.Popen(
                self._argv,
                cwd=ORACLE_DIR,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
                encoding="utf-8",
            )
        return self._proc


_shared: KustoOracle | None = None


def get_oracle() -> KustoOracle | None:
    """The shared oracle, or None when node or the npm package (`make oracle`) is missing."""
    global _shared
    if _shared is None:
        node = shutil.which("node")
        if node is None or not PACKAGE_DIR.is_dir():
            return None
        _shared = KustoOracle(node)
        atexit.register(_shared.close)
    return _shared


def entra_tables() -> Tables:
    """The Entra ID workspace schema (SigninLogs, AuditLogs, ...) in the oracle's format: the
    schema file's columns plus Log Analytics' standard columns, as a workspace has them."""
    from kustodian.kql.catalog import STANDARD_COLUMNS

    schema: dict[str, list[dict[str, str]]] = json.loads(ENTRA_SCHEMA.read_text(encoding="utf-8"))
    standard = [(name, t.value) for name, t in STANDARD_COLUMNS]
    return {
        table: [(c["name"], c["type"]) for c in cols] + standard for table, cols in schema.items()
    }
