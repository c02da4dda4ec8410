"""Requests to a live server and the checks every test of the management API makes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.server.conftest import Live


def call(
    live: Live, method: str, path: str, role: str | None = "admin", **kw: Any
) -> httpx.Response:
    headers = dict(kw.pop("headers", {}))
    if role is not None:
        headers["Authorization"] = f"Bearer {live.keys[role]}"
    return httpx.request(method, live.url + path, headers=headers, timeout=60, **kw)


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {"code", "message", ...}} as JSON."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert set(doc) == {"error"}
    err: dict[str, Any] = doc["error"]
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    assert set(err) <= {"code", "message", "details", "innererror"}
    if code is not None:
        assert err["code"] == code, err
    return err
