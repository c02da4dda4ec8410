"""Running the app with uvicorn: TLS, structured JSON logs, graceful shutdown."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from kustodian.server.app import Background, ServerSettings, create_app
from kustodian.workspace.workspace import Workspace

# Seconds in-flight requests get to finish after SIGINT/SIGTERM before connections are closed.
SHUTDOWN_GRACE = 30


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update(fields)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # "kustodian": the alerts, actions and connectors log while serving too
    for name in ("kustodian", "kustodian.server", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


def serve(
    ws: Workspace,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    settings: ServerSettings | None = None,
    log_level: str = "info",
    background: Sequence[Background] = (),
    handoff: bool = True,
) -> None:
    """Serve `ws` until SIGINT/SIGTERM, then close it.

    On a signal, uvicorn stops accepting connections, lets in-flight requests finish (up to
    SHUTDOWN_GRACE seconds), runs the app's shutdown (which closes the workspace, checkpointing
    DuckDB) and then re-raises the signal, so the process ends as the signal says.
    `background` threads (the live simulator) run while serving, as in `create_app`.

    With `handoff` (and a workspace directory), the server leaves a server.json there while it
    runs, so that the CLI can run commands through it (server/handoff.py).
    """
    import uvicorn

    from kustodian.server import handoff as handoff_file

    configure_logging(log_level)
    scheme = "https" if tls_cert else "http"
    local = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    url = f"{scheme}://{_url_host(local)}:{port}"
    publish = None
    if handoff and ws.root is not None:
        publish = lambda: handoff_file.published(ws, url, tls_cert)  # noqa: E731
    config = uvicorn.Config(
        create_app(
            ws, settings, close_workspace=True, background=background, while_serving=publish
        ),
        host=host,
        port=port,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        log_config=None,
        access_log=False,  # AccessLog logs requests, without query strings
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        server_header=False,
    )
    uvicorn.Server(config).run()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
