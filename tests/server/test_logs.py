"""Structured server logs: one JSON line per request with method, path (never the query string),
status, duration and the token's public id; never a token, a secret or (at INFO) query text."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kustodian.server.run import JsonFormatter
from tests.server.conftest import Live

SECRET_QUERY = "print password = 'hunter2-in-the-query-text'"


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def requests(self, count: int) -> list[dict[str, Any]]:
        """The access-log lines, once `count` are there (each is written after its response)."""
        deadline = time.monotonic() + 10
        while True:
            found = [line for line in self.lines() if line["msg"] == "request"]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


@pytest.fixture(params=["INFO", "DEBUG"])
def captured(request: pytest.FixtureRequest) -> Iterator[Captured]:
    cap = Captured()
    handler = logging.StreamHandler(cap.stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(n) for n in ("kustodian", "kustodian.server", "uvicorn.error")]
    saved = [(lg.handlers, lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.handlers = [handler]
        lg.setLevel(request.param)
        lg.propagate = False
    yield cap
    for lg, (handlers, level, propagate) in zip(loggers, saved):
        lg.handlers, lg.level, lg.propagate = handlers, level, propagate


def test_requests_are_logged_without_tokens_or_secrets(live: Live, captured: Captured) -> None:
    live.ws.set_secret("connector:test:client-secret", "s3cr3t-value-of-a-connector")
    reader, admin = live.keys["reader"], live.keys["admin"]
    reader_id = reader.split("_")[1]
    wrong = "_".join(reader.split("_")[:2]) + "_not-the-right-secret-at-all"
    base = f"{live.endpoint}/workspaces/{live.workspace_id}"

    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    made: list[str] = []
    with httpx.Client(timeout=30) as c:
        assert c.post(
            f"{base}/query", json={"query": SECRET_QUERY}, headers=auth(reader)
        ).is_success
        assert c.get(
            f"{base}/query", params={"query": SECRET_QUERY}, headers=auth(reader)
        ).is_success
        assert (
            c.post(f"{base}/query", json={"query": "print ("}, headers=auth(reader)).status_code
            == 400
        )
        assert c.get(f"{base}/metadata", headers=auth(wrong)).status_code == 401
        assert c.get(f"{base}/metadata", headers=auth("kst_000000000000_guess")).status_code == 401
        r = c.post(
            f"{live.url}/manage/v1/tokens",
            json={"role": "reader", "name": "logged"},
            headers=auth(admin),
        )
        made.append(r.json()["token"])
        assert (
            c.delete(
                f"{live.url}/manage/v1/tokens/{r.json()['id']}", headers=auth(admin)
            ).status_code
            == 204
        )
        assert c.get(f"{live.url}/health").status_code == 200

    lines = captured.requests(8)
    assert len(lines) == 8
    for line in lines:
        assert {"ts", "level", "method", "path", "status", "duration_ms", "token_id"} <= set(line)
        assert "?" not in line["path"]
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert [(x["method"], x["status"], x["token_id"]) for x in lines[:5]] == [
        ("POST", 200, reader_id),
        ("GET", 200, reader_id),
        ("POST", 400, reader_id),
        ("GET", 401, None),
        ("GET", 401, None),
    ]
    assert lines[0]["path"] == f"/v1/workspaces/{live.workspace_id}/query"
    assert lines[-1]["path"] == "/health" and lines[-1]["token_id"] is None

    text = captured.stream.getvalue()
    secrets = [*live.keys.values(), *made, "not-the-right-secret", "s3cr3t-value-of-a-connector"]
    for secret in secrets:
        # a token is kst_<id>_<secret>, and the secret itself may hold "_"
        assert secret.split("_", 2)[-1] not in text
    failures = [x for x in captured.lines() if x["msg"] == "authentication failed"]
    assert [x["why"] for x in failures] == ["wrong token secret", "unknown token"]
    if logging.getLogger("kustodian.server").level > logging.DEBUG:
        assert "hunter2" not in text  # query text is logged at DEBUG only
