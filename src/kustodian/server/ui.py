"""The web UI's routes: the app at `/`, sign-in (`/ui/...`), saved queries, security headers.

- `GET /` (and `/index.html`): the single-page app; `/assets/*`: its bundle (built from `ui/`
  by `make ui` into `static/`, shipped in the wheel).
- `POST /ui/login` `{token}`: an API token opens a session (cookie + CSRF token);
  `GET /ui/login?code=...`: the one-time link printed by `kustodian serve`;
  `GET /ui/session`: who is signed in (and the CSRF token); `POST /ui/logout`.
- `GET /manage/v1/saved-queries`, `PUT|DELETE /manage/v1/saved-queries/{id}`.

Every response carries the security headers of `SECURITY_HEADERS` (docs/ui.md#security).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kustodian.server import saved_queries, sessions, tokens
from kustodian.server.errors import ApiError
from kustodian.server.sessions import Session, SessionError
from kustodian.server.tokens import Role, TokenError, TokenInfo

if TYPE_CHECKING:
    from kustodian.server.app import Server

STATIC = Path(__file__).parent / "static"

# Everything loads from our origin; scripts strictly 'self' (no inline script, no eval in the
# page); Monaco's workers are bundle files, so `worker-src 'self'` (no blob:) is enough.
# `style-src 'unsafe-inline'`: Monaco writes <style> elements at run time (themes, token colours,
# decorations, the suggest widget): without it Chromium blocks 32 of them and the editor renders
# unstyled (checked by hand with the stricter policy; docs/ui.md#security).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (API answers too: harmless there)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.raw = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *self.raw]
            await send(message)

        await self.app(scope, receive, add)


# -- authentication by session -------------------------------------------------------------------


async def session_identity(server: Server, request: Request) -> TokenInfo:
    """The token a request's session cookie stands for; unsafe methods need the CSRF header.

    Raises ApiError 401 (no live session) or 403 (CSRF).
    """
    session = _session(server, request)
    if not sessions.check_csrf(session, request.method, request.headers.get(sessions.CSRF_HEADER)):
        raise ApiError(
            403,
            "CsrfTokenInvalid",
            f"A {request.method} request from the web UI needs the session's CSRF token in the "
            "X-CSRF-Token header",
        )
    try:
        return await run_in_threadpool(sessions.token_info, server.ws, session.token_id)
    except SessionError as e:
        server.sessions.close(request.cookies.get(sessions.COOKIE, ""))
        raise _signed_out(str(e)) from None


def _session(server: Server, request: Request) -> Session:
    # Not counted as failed authentication: a cookie is 256 random bits (nothing to guess), and
    # a signed-out page asks /ui/session on every load
    cookie = request.cookies.get(sessions.COOKIE)
    if not cookie:
        raise _signed_out("no session")
    try:
        return server.sessions.get(cookie)
    except SessionError as e:
        raise _signed_out(str(e)) from None


def _signed_out(why: str) -> ApiError:
    # also clears a stale cookie (after a restart, sign-out elsewhere or expiry)
    clear = f"{sessions.COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict"
    return ApiError(
        401,
        "AuthorizationRequiredError",
        f"Not signed in ({why}); sign in again",
        headers={"Set-Cookie": clear},
    )


def _session_json(server: Server, session: Session) -> dict[str, Any]:
    return {
        "name": session.name,
        "role": session.role.label,
        "workspaceId": server.ws.workspace_id,
        "csrfToken": session.csrf,
        "expires": session.expires_at(),
    }


def _with_cookie(response: Response, request: Request, cookie: str, max_age: int) -> Response:
    response.set_cookie(
        sessions.COOKIE,
        cookie,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


class UiRoutes:
    """The handlers, over one Server (its workspace, limiter and sessions)."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def _signed_in(self, request: Request, info: TokenInfo, response: Response) -> Response:
        """`response` with the cookie of a new session for `info`."""
        cookie, _ = self.server.sessions.open(info)
        return _with_cookie(response, request, cookie, int(self.server.sessions.ttl))

    async def login(self, request: Request) -> Response:
        """`POST /ui/login` `{"token": "kst_..."}`: open a session."""
        address = self.server.check_limit(request)
        # JSON only: an HTML form on another site cannot send it, so it cannot sign a browser
        # in to the attacker's session (login CSRF)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise ApiError(
                415, "UnsupportedMediaType", "Sign in with Content-Type: application/json"
            )
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "BadArgumentError", "The request body is not valid JSON") from None
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise ApiError(400, "BadArgumentError", 'The body must be {"token": "<API token>"}')
        try:
            info = await run_in_threadpool(tokens.verify, self.server.ws, token.strip())
        except TokenError:
            self.server.limiter.fail(address)
            raise ApiError(
                401,
                "AuthorizationRequiredError",
                "The token is invalid, expired or revoked",
            ) from None
        cookie, session = self.server.sessions.open(info)
        response = JSONResponse(_session_json(self.server, session))
        return _with_cookie(response, request, cookie, int(self.server.sessions.ttl))

    async def login_link(self, request: Request) -> Response:
        """`GET /ui/login?code=...`: the one-time link; then on to the app."""
        address = self.server.check_limit(request)
        code = request.query_params.get("code", "")
        if not code:
            return RedirectResponse("/#/login", status_code=303)
        try:
            info = await run_in_threadpool(sessions.redeem_login_code, self.server.ws, code)
        except TokenError:
            self.server.limiter.fail(address)
            return RedirectResponse("/#/login?error=link", status_code=303)
        return self._signed_in(request, info, RedirectResponse("/#/logs", status_code=303))

    async def whoami(self, request: Request) -> Response:
        """`GET /ui/session`: the signed-in session, with its CSRF token."""
        session = _session(self.server, request)
        try:
            await run_in_threadpool(sessions.token_info, self.server.ws, session.token_id)
        except SessionError as e:
            raise _signed_out(str(e)) from None
        return JSONResponse(_session_json(self.server, session))

    async def logout(self, request: Request) -> Response:
        """`POST /ui/logout` (CSRF-checked): end the session and clear the cookie."""
        await session_identity(self.server, request)
        self.server.sessions.close(request.cookies.get(sessions.COOKIE, ""))
        response = Response(status_code=204)
        response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict")
        return response

    # -- saved queries -------------------------------------------------------------------------

    async def list_saved(self, request: Request) -> Response:
        """`GET /manage/v1/saved-queries` (reader): `{"value": [{id, name, query, timespan,
        author, created, updated}]}`."""
        await self.server.authenticate(request, Role.READER)
        found = await run_in_threadpool(saved_queries.list_saved, self.server.ws)
        return JSONResponse({"value": [q.to_json() for q in found]})

    async def put_saved(self, request: Request) -> Response:
        """`PUT /manage/v1/saved-queries/{id}` (contributor) `{name, query, timespan}`: 201 when
        new, 200 when replaced, with the saved query."""
        who = await self.server.authenticate(request, Role.CONTRIBUTOR)
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "BadArgumentError", "The request body is not valid JSON") from None
        try:
            saved, new = await run_in_threadpool(
                saved_queries.put, self.server.ws, request.path_params["id"], body, who.name
            )
        except saved_queries.SavedQueryError as e:
            raise ApiError(400, "BadArgumentError", str(e)) from None
        return JSONResponse(saved.to_json(), status_code=201 if new else 200)

    async def delete_saved(self, request: Request) -> Response:
        """`DELETE /manage/v1/saved-queries/{id}` (contributor): 204, or 404."""
        await self.server.authenticate(request, Role.CONTRIBUTOR)
        query_id = request.path_params["id"]
        if not await run_in_threadpool(saved_queries.delete, self.server.ws, query_id):
            raise ApiError(404, "SavedQueryNotFound", f"No saved query '{query_id}'")
        return Response(status_code=204)

    # -- the app -------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        """`GET /`: the web UI (a single page; its bundle is under `/assets/`)."""
        page = STATIC / "index.html"
        if not page.is_file():
            raise ApiError(
                503,
                "UiNotBuilt",
                "The web UI is not built into this installation: run `make ui` in a source "
                "checkout (it needs Node and npm), or install a built wheel",
            )
        return FileResponse(page, headers={"cache-control": "no-cache"})


def routes(server: Server) -> list[BaseRoute]:
    """The UI's routes, for create_app."""
    ui = UiRoutes(server)
    return [
        Route("/", ui.index, methods=["GET"]),
        Route("/index.html", ui.index, methods=["GET"]),
        Mount("/assets", StaticFiles(directory=STATIC / "assets", check_dir=False)),
        Route("/ui/login", ui.login, methods=["POST"]),
        Route("/ui/login", ui.login_link, methods=["GET"]),
        Route("/ui/session", ui.whoami, methods=["GET"]),
        Route("/ui/logout", ui.logout, methods=["POST"]),
        Route("/manage/v1/saved-queries", ui.list_saved, methods=["GET"]),
        Route("/manage/v1/saved-queries/{id}", ui.put_saved, methods=["PUT"]),
        Route("/manage/v1/saved-queries/{id}", ui.delete_saved, methods=["DELETE"]),
    ]
