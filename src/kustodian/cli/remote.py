"""The CLI while a server holds the workspace: commands run in the server's process.

Client side (`run_through_server`): when DuckDB refuses the workspace because another process
holds it, the CLI reads the server's `server.json` (server/handoff.py) and posts its argv, its
working directory and, for `-` arguments, its standard input to `POST /manage/v1/cli` with the
local admin token. It prints the streamed stdout/stderr as they come and exits with the
command's status.

Server side (`run_in_process`): the same command runs in a worker thread against the server's
open workspace. Its `print`s go to that request only (sys.stdout and sys.stderr route writes by
thread); `open_workspace` lends it the served workspace, which it cannot close. Relative paths
in the arguments are resolved against the client's working directory: client and server share
the machine and the files. Commands that cannot run there fail with a message: `serve`, `init`,
and options that name an environment variable (the server's environment is not the client's).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

CLI_PATH = "/manage/v1/cli"

# Arguments that are paths (resolved against the client's directory). `args` of `rules` are
# files or names: a name that is not a file there is left alone.
PATH_ARGS = ("paths", "files", "out", "export", "certificate", "ca_file")
MAYBE_PATH_ARGS = ("args",)
NOT_REMOTE = {
    "serve": "the workspace is already served by this server",
    "init": "the workspace already exists",
    "demo": "the demo uses its own workspace: run it without a server holding it",
}

Emit = Callable[[str, str], None]


class HeldByAnotherProcess(BaseException):
    """The workspace's database is held by another process: `cli.main.main` runs the command
    through the server holding it. A BaseException, so that no command's error handling
    swallows it (and one class, also when the CLI runs as `python -m kustodian.cli.main`)."""

    def __init__(self, root: Path, message: str) -> None:
        super().__init__(message)
        self.root, self.message = root, message


class ClientGone(BaseException):
    """Raised inside a remote command at its next output when the client has disconnected."""


# -- server side --------------------------------------------------------------------------------


@dataclass
class _Session:
    ws: Any
    emit: Emit
    stdin: str
    tty: dict[str, bool]
    gone: threading.Event = field(default_factory=threading.Event)


_local = threading.local()
_install_guard = threading.Lock()


def current_session() -> _Session | None:
    session: _Session | None = getattr(_local, "session", None)
    return session


def served_workspace() -> Any | None:
    """The workspace lent to the remote command running on this thread, if any."""
    session = current_session()
    return None if session is None else _Borrowed(session.ws)


class _Borrowed:
    """The server's workspace, lent to a command: closing it does nothing."""

    def __init__(self, ws: Any) -> None:
        object.__setattr__(self, "_ws", ws)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._ws, name, value)

    def close(self) -> None:
        pass

    def __enter__(self) -> _Borrowed:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _RoutedOut(io.TextIOBase):
    """sys.stdout or sys.stderr: a remote command's writes go to its client, others through."""

    def __init__(self, name: str, real: TextIO) -> None:
        self.name_ = name
        self.real = real

    def write(self, text: str) -> int:
        session = current_session()
        if session is None:
            return self.real.write(text)
        if session.gone.is_set():
            raise ClientGone
        if text:
            session.emit(self.name_, text)
        return len(text)

    def flush(self) -> None:
        if current_session() is None:
            self.real.flush()

    def isatty(self) -> bool:
        session = current_session()
        return self.real.isatty() if session is None else session.tty.get(self.name_, False)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8" if current_session() is not None else self.real.encoding

    def fileno(self) -> int:
        if current_session() is not None:
            raise io.UnsupportedOperation("a remote command has no file descriptor")
        return self.real.fileno()


class _RoutedIn(io.TextIOBase):
    """sys.stdin: a remote command reads what its client sent."""

    def __init__(self, real: TextIO) -> None:
        self.real = real

    def _source(self) -> TextIO:
        session = current_session()
        if session is None:
            return self.real
        buf: io.StringIO | None = getattr(_local, "stdin", None)
        if buf is None:
            buf = _local.stdin = io.StringIO(session.stdin)
        return buf

    def read(self, size: int | None = -1) -> str:
        return self._source().read(-1 if size is None else size)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return self._source().readline(-1 if size is None else size)

    def isatty(self) -> bool:
        return False if current_session() is not None else self.real.isatty()


def _install() -> None:
    with _install_guard:
        if not isinstance(sys.stdout, _RoutedOut):
            sys.stdout = _RoutedOut("stdout", sys.stdout)
        if not isinstance(sys.stderr, _RoutedOut):
            sys.stderr = _RoutedOut("stderr", sys.stderr)
        if not isinstance(sys.stdin, _RoutedIn):
            sys.stdin = _RoutedIn(sys.stdin)


@contextmanager
def _session(session: _Session) -> Iterator[None]:
    _install()
    _local.session, _local.stdin = session, None
    try:
        yield
    finally:
        _local.session = _local.stdin = None


def run_in_process(
    ws: Any,
    argv: list[str],
    cwd: str,
    emit: Emit,
    *,
    stdin: str = "",
    tty: dict[str, bool] | None = None,
    gone: threading.Event | None = None,
) -> int:
    """Run a CLI command against the served workspace `ws`; its output goes to `emit(stream,
    text)`. Returns its exit status.

    Args:
        cwd: the client's working directory: relative paths in argv are resolved against it.
        stdin: what the command reads from standard input.
        tty: whether the client's stdout/stderr are terminals (progress output follows them).
        gone: set when the client disconnects: the command stops at its next output.
    """
    from kustodian.cli.main import build_parser

    session = _Session(ws, emit, stdin, tty or {}, gone or threading.Event())
    with _session(session):
        try:
            args = build_parser().parse_args(argv)
            refused = _refusal(args, argv)
            if refused:
                print(f"error: {refused}", file=sys.stderr)
                return 2
            _resolve_paths(args, Path(cwd))
            if hasattr(args, "workspace"):
                args.workspace = ws.path
            code: int = args.func(args)
            return code
        except SystemExit as e:
            return _exit_status(e)


def _refusal(args: argparse.Namespace, argv: list[str]) -> str | None:
    command = args.command
    if command in NOT_REMOTE:
        return f"`kustodian {command}` cannot run through the server: {NOT_REMOTE[command]}"
    for name, value in vars(args).items():
        if name.endswith("_env") and value:
            option = "--" + name.replace("_", "-")
            return (
                f"{option} names an environment variable, and the server holding this workspace "
                "cannot read yours: stop the server, or give the value another way"
            )
    return None


def _resolve_paths(args: argparse.Namespace, cwd: Path) -> None:
    def resolve(value: Any, must_exist: bool) -> Any:
        if isinstance(value, list):
            return [resolve(v, must_exist) for v in value]
        if not isinstance(value, str) or not value or value == "-" or os.path.isabs(value):
            return value
        path = cwd / value
        return str(path) if not must_exist or path.exists() else value

    for name in PATH_ARGS:
        if getattr(args, name, None):
            setattr(args, name, resolve(getattr(args, name), False))
    for name in MAYBE_PATH_ARGS:
        if getattr(args, name, None):
            setattr(args, name, resolve(getattr(args, name), True))


def _exit_status(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=sys.stderr)
    return 1


# -- client side --------------------------------------------------------------------------------


def lock_holder(message: str) -> str:
    """'process 1234 (/usr/bin/python3)' from DuckDB's lock error, or 'another process'."""
    m = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", message)
    return f"process {m.group(2)} ({m.group(1)})" if m else "another process"


def run_through_server(argv: list[str], root: Path, lock_error: str) -> int:
    """Run the command through the server holding the workspace at `root`; its exit status."""
    from kustodian.server import handoff

    holder = lock_holder(lock_error)
    h = handoff.read(root)
    if h is None:
        return _fail(
            f"the workspace {root} is in use by {holder}, and no server.json there names a "
            "server to run the command through: wait for that process to finish (or stop it), "
            "then run the command again"
        )
    if not h.alive:
        return _fail(
            f"the workspace {root} is in use by {holder}; its server.json is stale (server "
            f"process {h.pid} is gone): wait for {holder} to finish, then run the command again"
        )
    # main() kept a `-` argument's standard input: the command may have read it already
    stdin = sys.stdin.getvalue() if isinstance(sys.stdin, io.StringIO) else ""
    body = {
        "argv": argv,
        "cwd": os.getcwd(),
        "stdin": stdin,
        "tty": {"stdout": sys.stdout.isatty(), "stderr": sys.stderr.isatty()},
    }
    try:
        return _stream(h, body)
    except KeyboardInterrupt:  # closing the connection stops the command at its next output
        return 130
    except BrokenPipeError:  # the reader went away (`| head`), as cli.main.main treats it
        sys.stderr.close()
        return 0
    except OSError as e:
        return _fail(
            f"the workspace {root} is held by the server at {h.url} (process {h.pid}), which "
            f"does not answer ({e}); check it (its log), or stop it and run the command again"
        )


def _stream(h: Any, body: dict[str, Any]) -> int:
    import ssl
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        h.url.rstrip("/") + CLI_PATH,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {h.token}", "Content-Type": "application/json"},
        method="POST",
    )
    context = None
    if h.url.startswith("https:"):
        # the server's own certificate is trusted (loopback: its name may not match)
        context = ssl.create_default_context(cafile=h.tls_cert)
        context.check_hostname = False
    try:
        response = urllib.request.urlopen(request, context=context)
    except urllib.error.HTTPError as e:
        return _fail(f"the server at {h.url} refused the command: {_api_message(e)}")
    code = 1
    with response:
        for line in response:
            item = json.loads(line)
            if "exit" in item:
                code = int(item["exit"])
                break
            out = sys.stdout if item.get("stream") == "stdout" else sys.stderr
            out.write(item.get("data", ""))
            out.flush()
    return code


def _api_message(e: Any) -> str:
    try:
        return str(json.loads(e.read())["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {e.code}"


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
