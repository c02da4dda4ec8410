"""`POST /manage/v1/cli` (admin): run a CLI command in the server, against its workspace.

The body is `{"argv": [...], "cwd": "/abs/dir", "stdin": "...", "tty": {"stdout": false,
"stderr": false}}`; the answer streams newline-delimited JSON: `{"stream": "stdout"|"stderr",
"data": "..."}` items as the command writes, then `{"exit": N}`. How the CLI uses it:
cli/remote.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from kustodian.cli.remote import CLI_PATH, ClientGone, run_in_process
from kustodian.server import handoff
from kustodian.server.errors import ApiError
from kustodian.server.tokens import Role

if TYPE_CHECKING:
    from kustodian.server.app import Server

log = logging.getLogger("kustodian.server")

LOOPBACK = ("127.0.0.1", "::1", "localhost")
_commands: dict[threading.Thread, threading.Event] = {}  # running commands and their stop flag
_commands_guard = threading.Lock()


def stop_commands(timeout: float = 30.0) -> None:
    """At shutdown, before the workspace closes: stop the running commands (at their next
    output) and wait for them, at most `timeout` seconds in all."""
    with _commands_guard:
        running = list(_commands.items())
    for _, gone in running:
        gone.set()
    deadline = time.monotonic() + timeout
    for thread, _ in running:
        thread.join(max(0.0, deadline - time.monotonic()))


def routes(server: Server) -> list[Route]:
    """The endpoint's route, for create_app."""

    async def cli(request: Request) -> Response:
        who = await server.authenticate(request, Role.ADMIN)
        local = request.client is not None and request.client.host in LOOPBACK
        if not local or who.id != handoff.published_token(server.ws):
            raise ApiError(
                403,
                "InsufficientAccessError",
                "Only the local CLI credential of this server (its server.json), from this "
                "machine, may run commands in it",
            )
        argv, cwd, stdin, tty = _parse(await _body(request))
        log.info("cli", extra={"fields": {"token": who.name, "command": argv[:2]}})
        return StreamingResponse(
            _run(server, argv, cwd, stdin, tty), media_type="application/x-ndjson"
        )

    return [Route(CLI_PATH, cli, methods=["POST"])]


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise ApiError(400, "BadArgumentError", "The body must be JSON") from None


def _parse(body: Any) -> tuple[list[str], str, str, dict[str, bool]]:
    if not isinstance(body, dict):
        raise ApiError(400, "BadArgumentError", "The body must be a JSON object")
    argv, cwd = body.get("argv"), body.get("cwd")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise ApiError(400, "BadArgumentError", "'argv' must be a non-empty list of strings")
    if not isinstance(cwd, str) or not os.path.isabs(cwd):
        raise ApiError(400, "BadArgumentError", "'cwd' must be an absolute directory path")
    stdin = body.get("stdin") or ""
    if not isinstance(stdin, str):
        raise ApiError(400, "BadArgumentError", "'stdin' must be a string")
    tty = body.get("tty") or {}
    if not isinstance(tty, dict):
        raise ApiError(400, "BadArgumentError", "'tty' must be an object")
    return argv, cwd, stdin, {k: bool(v) for k, v in tty.items() if k in ("stdout", "stderr")}


async def _run(
    server: Server, argv: list[str], cwd: str, stdin: str, tty: dict[str, bool]
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    gone = threading.Event()

    def emit(stream: str, text: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, {"stream": stream, "data": text})

    def work() -> None:
        with _commands_guard:
            _commands[threading.current_thread()] = gone
        try:
            code = run_in_process(server.ws, argv, cwd, emit, stdin=stdin, tty=tty, gone=gone)
        except ClientGone:
            code = 130
        except Exception as e:  # the client gets a line, the log the traceback
            log.exception("cli command failed", extra={"fields": {"command": argv[:2]}})
            emit("stderr", f"error: the command failed in the server: {e}\n")
            code = 1
        finally:
            with _commands_guard:
                _commands.pop(threading.current_thread(), None)
        with contextlib.suppress(RuntimeError):  # the loop is gone (shutdown): nobody listens
            loop.call_soon_threadsafe(queue.put_nowait, {"exit": code})

    # its own thread, not the request pool: a command (simulate --live) may run for long
    threading.Thread(target=work, name="kustodian-cli", daemon=True).start()
    try:
        while True:
            item = await queue.get()
            yield json.dumps(item) + "\n"
            if "exit" in item:
                return
    finally:
        gone.set()  # a client that went away stops the command at its next output
