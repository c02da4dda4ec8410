"""`GET /openapi.json`: an OpenAPI 3.1 document of every route, pinned by a snapshot.

After changing a route, regenerate the snapshot with `make openapi` and review its diff.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import httpx
from openapi_spec_validator import validate
from starlette.routing import Route

from kustodian.server import create_app
from kustodian.server.openapi import OPERATIONS, snapshot_text, template
from kustodian.workspace.workspace import Workspace
from tests.server.conftest import Live

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"
REGENERATE = "make openapi"


def app_routes() -> set[tuple[str, str]]:
    with Workspace.open(":memory:") as ws:
        app = create_app(ws)
    return {
        (m, template(r))
        for r in app.routes
        if isinstance(r, Route)
        for m in r.methods or ()
        if m != "HEAD"
    }


def test_the_document_matches_the_snapshot() -> None:
    now = snapshot_text()
    pinned = SNAPSHOT.read_text()
    if now != pinned:
        diff = "".join(
            difflib.unified_diff(
                pinned.splitlines(keepends=True),
                now.splitlines(keepends=True),
                "snapshot",
                "now",
                n=2,
            )
        )
        raise AssertionError(
            f"The API changed: if that is meant, regenerate the snapshot with\n  {REGENERATE}\n"
            f"and review this diff in the commit:\n{diff}"
        )


def test_the_document_is_valid_openapi_3_1() -> None:
    doc: dict[str, Any] = json.loads(snapshot_text())
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises with the path of what is wrong


def test_every_route_is_declared_and_every_declaration_is_a_route() -> None:
    routes = app_routes()
    assert routes - set(OPERATIONS) == set(), "declare these routes in openapi._TABLE"
    assert set(OPERATIONS) - routes == set(), "these declarations have no route"


def test_every_schema_reference_resolves() -> None:
    doc = json.loads(snapshot_text())
    refs = set(_refs(doc))
    assert "#/components/schemas/Error" in refs
    assert {r.removeprefix("#/components/schemas/") for r in refs} <= set(
        doc["components"]["schemas"]
    )


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_server_serves_it_without_a_credential(live: Live) -> None:
    r = httpx.get(f"{live.url}/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == json.loads(SNAPSHOT.read_text())
