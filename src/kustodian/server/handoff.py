"""`server.json`: how the CLI reaches a workspace that a running server holds.

DuckDB lets one process open a database file for writing. While `kustodian serve` holds the
workspace, the CLI runs its commands through the server instead (`POST /manage/v1/cli`,
remote_cli.py). The server leaves, in the workspace directory, a file only its owner can read
(mode 0600) with its URL, its process id and an admin token created for this run:

    {"url": "http://127.0.0.1:8080", "pid": 4242, "token": "kst_...", "token_id": "...",
     "workspace_id": "...", "tls_cert": null, "started": "2024-05-01T12:00:00+00:00"}

The token is revoked and the file removed when the server shuts down. A server killed without
shutting down leaves both behind: the file is stale when its process is gone, and whoever opens
the workspace next (the CLI, or the next server) removes it and revokes its token.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kustodian.workspace.workspace import Workspace

FILE = "server.json"
TOKEN_NAME = "local-cli"  # the admin token of a server's own CLI; one per running server

# The token ids this process published, by workspace path: the only credentials that may run CLI
# commands in the server (remote_cli.py), so that an admin token used over the network cannot
# make the server read its local files.
_published: dict[str, str] = {}


def published_token(ws: Workspace) -> str | None:
    """The id of the local CLI token this process published for `ws`, if it is serving it."""
    return _published.get(ws.path)


@dataclass(frozen=True)
class Handoff:
    """A server's `server.json`."""

    url: str
    pid: int
    token: str
    token_id: str
    workspace_id: str
    tls_cert: str | None
    started: str

    @property
    def alive(self) -> bool:
        """Whether the process that wrote the file still runs (same machine)."""
        return pid_alive(self.pid)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def read(root: Path) -> Handoff | None:
    """The server.json of the workspace at `root`, or None when there is none (or it is not
    one: a half-written or foreign file)."""
    try:
        doc = json.loads((root / FILE).read_text(encoding="utf-8"))
        return Handoff(
            url=str(doc["url"]),
            pid=int(doc["pid"]),
            token=str(doc["token"]),
            token_id=str(doc["token_id"]),
            workspace_id=str(doc["workspace_id"]),
            tls_cert=doc.get("tls_cert"),
            started=str(doc.get("started", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_stale(ws: Workspace) -> Handoff | None:
    """Remove the server.json a dead server left, and revoke its token; returns it if any.

    Call with the workspace open: then no server holds it, so a file whose process is still
    alive is stale too (a reused process id).
    """
    from kustodian.server import tokens

    if ws.root is None or not (ws.root / FILE).exists():
        return None
    stale = read(ws.root)
    with contextlib.suppress(FileNotFoundError):
        (ws.root / FILE).unlink()
    if stale is not None:
        tokens.revoke(ws, stale.token_id)
    return stale


@contextlib.contextmanager
def published(ws: Workspace, url: str, tls_cert: str | None = None) -> Iterator[Handoff]:
    """While serving: an admin token for the owner, in `server.json`; both gone afterwards."""
    from kustodian.server import tokens

    assert ws.root is not None, "only a workspace directory has a server.json"
    clear_stale(ws)
    for t in tokens.list_tokens(ws):  # left by servers killed before they could revoke them
        if t.name.startswith(TOKEN_NAME + "-") and t.revoked is None:
            tokens.revoke(ws, t.id)
    pid = os.getpid()
    text, info = tokens.create(ws, tokens.Role.ADMIN, f"{TOKEN_NAME}-{pid}", None)
    handoff = Handoff(
        url,
        pid,
        text,
        info.id,
        ws.workspace_id,
        str(Path(tls_cert).resolve()) if tls_cert else None,
        datetime.now(UTC).isoformat(timespec="seconds"),
    )
    _write_private(ws.root / FILE, handoff.__dict__)
    _published[ws.path] = info.id
    try:
        yield handoff
    finally:
        _published.pop(ws.path, None)
        with contextlib.suppress(FileNotFoundError):
            (ws.root / FILE).unlink()
        tokens.revoke(ws, info.id)


def _write_private(path: Path, doc: dict[str, Any]) -> None:
    """Write `doc` as JSON readable by the owner only: created 0600, then renamed into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
    os.replace(tmp, path)
