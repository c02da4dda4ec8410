"""The HTTP server: Azure Monitor's Logs Query API over a workspace (docs/server.md).

`create_app(ws, settings)` is the ASGI app; `serve(ws, host=, port=, tls_cert=, tls_key=)` runs it
with uvicorn. Tokens live in `tokens.py`; the query log in `querylog.py`.
"""

from __future__ import annotations

from kustodian.server.app import ServerSettings, create_app
from kustodian.server.run import serve

__all__ = ["ServerSettings", "create_app", "serve"]
