"""The HTTP server: Azure Monitor's Logs Query API over a workspace (docs/server.md).

`create_app(ws, settings)` is the ASGI app; `serve(ws, host=, port=, tls_cert=, tls_key=)` runs it
with uvicorn. Tokens live in `tokens.py`; the query log in `querylog.py`.

The app and its web framework are imported on first use, so that commands which only touch a
module of this package (the CLI's hand-off file, tokens) start without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kustodian.server.app import ServerSettings, create_app
    from kustodian.server.run import serve

__all__ = ["ServerSettings", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("ServerSettings", "create_app"):
        from kustodian.server import app

        return getattr(app, name)
    if name == "serve":
        from kustodian.server.run import serve

        return serve
    raise AttributeError(f"module 'kustodian.server' has no attribute '{name}'")
