"""Bearer-token authentication, roles, expiry, revocation and failed-attempt rate limiting."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.monitor.query import LogsQueryClient

from kustodian.cli.main import main
from kustodian.server import ServerSettings, create_app, tokens
from kustodian.server.app import FailureLimiter
from kustodian.workspace.workspace import Workspace
from tests.server.conftest import ApiKey, Live, ServerThread, make_workspace

PLAIN = {"enforce_https": False}


def query(live: Live, key: str | None, scheme: str = "Bearer") -> httpx.Response:
    headers = {"Authorization": f"{scheme} {key}"} if key is not None else {}
    return httpx.post(
        f"{live.endpoint}/workspaces/{live.workspace_id}/query",
        json={"query": "print 1"},
        headers=headers,
    )


@pytest.mark.parametrize("role", ["reader", "contributor", "admin"])
def test_every_role_may_query(live: Live, role: str) -> None:
    assert query(live, live.keys[role]).status_code == 200


@pytest.mark.parametrize(
    "key",
    [None, "basic", "kst_000000000000_nope", "not-a-token", "expired", "revoked", "wrong-secret"],
)
def test_missing_or_bad_tokens_are_401(live: Live, key: str | None) -> None:
    if key in ("expired", "revoked"):
        key = live.keys[key]
    elif key == "wrong-secret":
        key = live.keys["reader"][:-4] + "AAAA"
    r = query(live, "dXNlcjpwdw==", "Basic") if key == "basic" else query(live, key)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AuthorizationRequiredError"
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_sdk_raises_on_a_revoked_token(live: Live) -> None:
    c = LogsQueryClient(ApiKey(live.keys["revoked"]), endpoint=live.endpoint)
    with pytest.raises(HttpResponseError) as e:
        c.query_workspace(live.workspace_id, "print 1", timespan=None, **PLAIN)
    assert e.value.status_code == 401 and "AuthorizationRequiredError" in str(e.value)


def test_reader_may_not_manage_tokens(live: Live) -> None:
    for role in ("reader", "contributor"):
        r = httpx.get(
            f"{live.url}/manage/v1/tokens", headers={"Authorization": f"Bearer {live.keys[role]}"}
        )
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "InsufficientAccessError"


def test_admin_creates_and_revokes_tokens_over_the_api(live: Live) -> None:
    admin = {"Authorization": f"Bearer {live.keys['admin']}"}
    made = httpx.post(
        f"{live.url}/manage/v1/tokens", json={"role": "reader", "name": "api-made"}, headers=admin
    )
    assert made.status_code == 201
    doc = made.json()
    assert doc["role"] == "reader" and doc["state"] == "active"
    assert query(live, doc["token"]).status_code == 200
    listed = httpx.get(f"{live.url}/manage/v1/tokens", headers=admin).json()["value"]
    assert all("token" not in t for t in listed)
    assert any(t["name"] == "api-made" for t in listed)
    gone = httpx.delete(f"{live.url}/manage/v1/tokens/{doc['id']}", headers=admin)
    assert gone.status_code == 204
    assert query(live, doc["token"]).status_code == 401  # revocation takes effect at once


def test_tokens_are_stored_hashed(live: Live) -> None:
    secret = live.keys["reader"].split("_", 2)[2]
    with live.ws.lock:
        rows = live.ws.execute("SELECT * FROM _kustodian.tokens").fetchall()
    assert rows and secret not in repr(rows)


def test_repeated_failures_are_rate_limited(tmp_path: Path) -> None:
    ws, keys = make_workspace(tmp_path / "ws")
    app = create_app(ws, ServerSettings(auth_failures=3, auth_window=60))
    with ServerThread(app) as srv:
        live = Live(f"http://127.0.0.1:{srv.port}", ws, ws.workspace_id, keys)
        assert [query(live, "kst_0_bad").status_code for _ in range(3)] == [401, 401, 401]
        blocked = query(live, keys["reader"])  # even a good token waits out the lockout
        assert blocked.status_code == 429
        assert blocked.json()["error"]["code"] == "TooManyRequests"
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        assert httpx.get(f"{live.url}/health").status_code == 200
    ws.close()


def test_failure_window_slides() -> None:
    limiter = FailureLimiter(2, 60)
    limiter.fail("a", now=0)
    limiter.fail("a", now=10)
    assert limiter.retry_after("a", now=11) == 49
    assert limiter.retry_after("b", now=11) is None
    assert limiter.retry_after("a", now=61) is None  # the first failure left the window


def test_token_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ws"
    Workspace.init(path).close()
    assert (
        main(
            [
                "token",
                "create",
                "--workspace",
                str(path),
                "--role",
                "reader",
                "--name",
                "ci",
                "--expires-in",
                "P30D",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    token = out.out.strip()
    assert re.fullmatch(r"kst_[0-9a-f]{12}_[\w-]{43}", token)
    assert "not shown again" in out.err
    assert main(["token", "list", "--workspace", str(path), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["name"], listed["role"], listed["state"]) == ("ci", "reader", "active")
    assert listed["expires"] and token not in json.dumps(listed)
    assert main(["token", "revoke", "ci", "--workspace", str(path)]) == 0
    with Workspace.open(path) as ws, pytest.raises(tokens.TokenError, match="revoked"):
        tokens.verify(ws, token)
    assert main(["token", "revoke", "ci", "--workspace", str(path)]) == 2
    assert (
        main(
            [
                "token",
                "create",
                "--workspace",
                str(path),
                "--role",
                "reader",
                "--expires-in",
                "soon",
            ]
        )
        == 2
    )
