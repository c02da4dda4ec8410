"""The web UI's sessions: sign-in by token or one-time link, cookie flags, CSRF, expiry, sign-out,
security headers; and the saved-queries API. Over HTTP against the live server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from kustodian.server import ServerSettings, create_app, sessions, tokens
from kustodian.server.sessions import SessionError, Sessions
from kustodian.server.tokens import Role, TokenError
from kustodian.workspace.workspace import Workspace
from tests.server.conftest import Live, ServerThread, make_workspace


def signed_in(live: Live, role: str = "contributor") -> tuple[httpx.Client, str]:
    """A client holding a session cookie, and the session's CSRF token."""
    client = httpx.Client(base_url=live.url)
    r = client.post("/ui/login", json={"token": live.keys[role]})
    assert r.status_code == 200, r.text
    return client, r.json()["csrfToken"]


def query(
    client: httpx.Client, live: Live, headers: dict[str, str] | None = None
) -> httpx.Response:
    return client.post(
        f"/v1/workspaces/{live.workspace_id}/query", json={"query": "print 1"}, headers=headers
    )


def test_login_sets_a_strict_httponly_cookie_and_returns_the_session(live: Live) -> None:
    r = httpx.post(f"{live.url}/ui/login", json={"token": live.keys["reader"]})
    assert r.status_code == 200
    doc = r.json()
    assert (doc["name"], doc["role"], doc["workspaceId"]) == ("reader", "reader", live.workspace_id)
    assert len(doc["csrfToken"]) >= 32
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=")
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert "secure" not in flags  # plain HTTP here; test_tls.py checks Secure over TLS


@pytest.mark.parametrize("body", [{"token": "kst_000000000000_nope"}, {"token": ""}, {}])
def test_login_with_a_bad_token_is_refused(live: Live, body: dict[str, str]) -> None:
    r = httpx.post(f"{live.url}/ui/login", json=body)
    assert r.status_code in (400, 401)
    assert r.json()["error"]["code"] in ("BadArgumentError", "AuthorizationRequiredError")
    assert "set-cookie" not in r.headers


def test_login_takes_only_json(live: Live) -> None:
    # an HTML form (text/plain, urlencoded) from another site cannot sign a browser in
    r = httpx.post(
        f"{live.url}/ui/login",
        content=f'{{"token": "{live.keys["reader"]}", "x": "="}}',
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "UnsupportedMediaType"
    assert "set-cookie" not in r.headers


def test_session_queries_need_the_csrf_header_on_unsafe_methods(live: Live) -> None:
    client, csrf = signed_in(live, "reader")
    refused = query(client, live)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "CsrfTokenInvalid"
    assert query(client, live, {"X-CSRF-Token": "wrong"}).status_code == 403
    ok = query(client, live, {"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    assert ok.json()["tables"][0]["rows"] == [[1]]
    # a safe method needs no CSRF token
    meta = client.get(f"/v1/workspaces/{live.workspace_id}/metadata")
    assert meta.status_code == 200


def test_a_session_has_its_tokens_role(live: Live) -> None:
    client, csrf = signed_in(live, "reader")
    r = client.put(
        "/manage/v1/saved-queries/x",
        json={"name": "x", "query": "print 1"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "InsufficientAccessError"


def test_logout_ends_the_session(live: Live) -> None:
    client, csrf = signed_in(live)
    assert client.get("/ui/session").status_code == 200
    assert client.post("/ui/logout").status_code == 403  # CSRF applies to sign-out too
    cookie = client.cookies[sessions.COOKIE]
    assert client.post("/ui/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/ui/session").status_code == 401
    # the old cookie, replayed, is dead
    replay = httpx.get(f"{live.url}/ui/session", cookies={sessions.COOKIE: cookie})
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "AuthorizationRequiredError"


def test_signed_out_page_loads_are_not_failed_sign_ins(tmp_path) -> None:
    ws, keys = make_workspace(tmp_path / "ws")
    with ServerThread(create_app(ws, ServerSettings(auth_failures=3, alert_check=0))) as srv:
        url = f"http://127.0.0.1:{srv.port}"
        for _ in range(5):  # the sign-in page asks who is signed in on every load
            assert httpx.get(f"{url}/ui/session").status_code == 401
        stale = httpx.get(f"{url}/ui/session", cookies={sessions.COOKIE: "from-before-a-restart"})
        assert stale.status_code == 401
        assert stale.headers["set-cookie"].startswith(f"{sessions.COOKIE}=; Max-Age=0")
        for _ in range(3):  # wrong tokens are counted
            r = httpx.post(f"{url}/ui/login", json={"token": "kst_000000000000_nope"})
            assert r.status_code == 401
        r = httpx.post(f"{url}/ui/login", json={"token": keys["reader"]})
        assert r.status_code == 429
    ws.close()


def test_revoking_the_token_ends_its_sessions(live: Live) -> None:
    secret, info = tokens.create(live.ws, Role.READER, "soon-revoked")
    client = httpx.Client(base_url=live.url)
    assert client.post("/ui/login", json={"token": secret}).status_code == 200
    assert client.get("/ui/session").status_code == 200
    tokens.revoke(live.ws, info.id)
    r = client.get("/ui/session")
    assert r.status_code == 401
    assert "revoked" in r.json()["error"]["message"]


def test_the_one_time_login_link_signs_in_once(live: Live) -> None:
    code = sessions.create_login_code(live.ws)
    client = httpx.Client(base_url=live.url)
    r = client.get(f"/ui/login?code={code}")
    assert r.status_code == 303
    assert r.headers["location"] == "/#/logs"
    assert client.get("/ui/session").json()["role"] == "admin"
    again = httpx.get(f"{live.url}/ui/login?code={code}")
    assert again.status_code == 303
    assert again.headers["location"] == "/#/login?error=link"
    assert "set-cookie" not in again.headers


def test_an_expired_login_code_is_refused(live: Live) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    code = sessions.create_login_code(live.ws, now=past)
    with pytest.raises(TokenError, match="expired"):
        sessions.redeem_login_code(live.ws, code)


def test_sessions_expire_when_idle_and_at_their_end() -> None:
    info = tokens.TokenInfo("abc", "n", Role.READER, datetime.now(UTC), None, None, None)
    store = Sessions(ttl=100, idle=10)
    cookie, session = store.open(info, now=1000)
    assert store.get(cookie, now=1009) is session
    assert store.get(cookie, now=1018) is session  # each request restarts the idle clock
    with pytest.raises(SessionError, match="expired"):
        store.get(cookie, now=1029)
    cookie, _ = store.open(info, now=2000)
    for t in range(2005, 2100, 5):
        store.get(cookie, now=t)
    with pytest.raises(SessionError, match="expired"):
        store.get(cookie, now=2100)
    with pytest.raises(SessionError, match="unknown"):
        store.get("never-issued", now=2000)


def test_sessions_kept_in_the_workspace_outlive_the_store(tmp_path: Path) -> None:
    """A new store (a restarted server) finds the sessions of the old one, with their role,
    CSRF token and idle clock; signing out and expiry remove them from the workspace too."""
    with Workspace.open(tmp_path / "ws") as ws:
        info = tokens.TokenInfo("abc", "ann", Role.CONTRIBUTOR, datetime.now(UTC), None, None, None)
        first = Sessions(ws, ttl=10_000, idle=600)
        cookie, opened = first.open(info, now=1000)
        first.get(cookie, now=1100)  # the stored idle clock moves (at most once a minute)
        again = Sessions(ws, ttl=10_000, idle=600).get(cookie, now=1650)
        assert (again.name, again.role, again.csrf) == ("ann", Role.CONTRIBUTOR, opened.csrf)
        with pytest.raises(SessionError, match="expired"):  # idle since 1650
            Sessions(ws, ttl=10_000, idle=600).get(cookie, now=2300)
        with pytest.raises(SessionError, match="unknown"):  # and gone from the workspace
            Sessions(ws, ttl=10_000, idle=600).get(cookie, now=2301)
        other, _ = first.open(info, now=3000)
        first.close(other)
        with pytest.raises(SessionError, match="unknown"):
            Sessions(ws).get(other, now=3001)
        rows = ws.execute("SELECT count(*) FROM _kustodian.ui_sessions").fetchone()
        assert rows == (0,)


def test_a_restarted_server_keeps_its_browsers_signed_in(tmp_path: Path) -> None:
    ws, keys = make_workspace(tmp_path / "ws")
    try:
        with ServerThread(create_app(ws, ServerSettings(alert_check=0))) as srv:
            live = Live(f"http://127.0.0.1:{srv.port}", ws, ws.workspace_id, keys)
            client, csrf = signed_in(live)
            cookies = dict(client.cookies)
        with ServerThread(create_app(ws, ServerSettings(alert_check=0))) as srv:
            url = f"http://127.0.0.1:{srv.port}"
            with httpx.Client(base_url=url, cookies=cookies) as again:
                assert again.get("/ui/session").json()["name"] == "contributor"
                r = again.post(
                    f"/v1/workspaces/{ws.workspace_id}/query",
                    json={"query": "print 1"},
                    headers={sessions.CSRF_HEADER: csrf},
                )
                assert r.status_code == 200, r.text
    finally:
        ws.close()


def test_a_session_ends_no_later_than_its_token() -> None:
    now = datetime.now(UTC)
    info = tokens.TokenInfo("abc", "n", Role.READER, now, now + timedelta(seconds=30), None, None)
    _, session = Sessions(ttl=3600).open(info, now=now.timestamp())
    assert session.expires == pytest.approx(now.timestamp() + 30)


def test_every_response_has_the_security_headers(live: Live) -> None:
    for r in (httpx.get(f"{live.url}/health"), httpx.get(f"{live.url}/ui/session")):
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self';" in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


# -- saved queries -------------------------------------------------------------------------------


def bearer(live: Live, role: str = "contributor") -> dict[str, str]:
    return {"Authorization": f"Bearer {live.keys[role]}"}


def test_saved_queries_are_created_listed_replaced_and_deleted(live: Live) -> None:
    url = f"{live.url}/manage/v1/saved-queries"
    body = {"name": "Failures", "query": "SigninLogs | where ResultType != '0'", "timespan": "P7D"}
    created = httpx.put(f"{url}/failures-1", json=body, headers=bearer(live))
    assert created.status_code == 201
    assert created.json()["author"] == "contributor"
    listed = httpx.get(url, headers=bearer(live, "reader")).json()["value"]
    mine = [q for q in listed if q["id"] == "failures-1"]
    assert [(q["name"], q["query"], q["timespan"]) for q in mine] == [
        ("Failures", body["query"], "P7D")
    ]
    body2 = {**body, "name": "Failures (24h)", "timespan": None}
    replaced = httpx.put(f"{url}/failures-1", json=body2, headers=bearer(live))
    assert replaced.status_code == 200
    assert replaced.json()["created"] == created.json()["created"]
    assert replaced.json()["timespan"] is None
    assert httpx.delete(f"{url}/failures-1", headers=bearer(live)).status_code == 204
    gone = httpx.delete(f"{url}/failures-1", headers=bearer(live))
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "SavedQueryNotFound"


@pytest.mark.parametrize(
    ("query_id", "body", "field"),
    [
        ("ok", {"query": "print 1"}, "'name'"),
        ("ok", {"name": "n", "query": ""}, "'query'"),
        ("ok", {"name": "n", "query": "print 1", "timespan": "yesterday"}, "'timespan'"),
        ("ok", ["not", "an", "object"], "JSON object"),
        ("bad id!", {"name": "n", "query": "print 1"}, "saved query id"),
    ],
)
def test_a_bad_saved_query_names_its_field(
    live: Live, query_id: str, body: object, field: str
) -> None:
    r = httpx.put(f"{live.url}/manage/v1/saved-queries/{query_id}", json=body, headers=bearer(live))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BadArgumentError"
    assert field in r.json()["error"]["message"]


def test_readers_cannot_save_queries(live: Live) -> None:
    r = httpx.put(
        f"{live.url}/manage/v1/saved-queries/x",
        json={"name": "x", "query": "print 1"},
        headers=bearer(live, "reader"),
    )
    assert r.status_code == 403
