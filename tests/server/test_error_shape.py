"""One JSON error shape on every route: 401 without a credential, 403 below the route's role,
404 for unknown names and paths, 405 for other methods, 400 for a body that is not JSON."""

from __future__ import annotations

import re

import pytest

from kustodian.server import create_app
from kustodian.server.openapi import document
from kustodian.workspace.workspace import Workspace
from tests.server.api import call, error
from tests.server.conftest import Live


def operations() -> list[tuple[str, str, str, bool]]:
    """(method, path, role, has a body) of every route, from the OpenAPI document."""
    with Workspace.open(":memory:") as ws:
        doc = document(create_app(ws))
    return [
        (method.upper(), path, op.get("x-kustodian-role", ""), "requestBody" in op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    ]


OPS = operations()
SECURED = [(m, p, r) for m, p, r, _ in OPS if r != "none"]
ABOVE_READER = [(m, p, r) for m, p, r in SECURED if r in ("contributor", "admin")]
NAMED = [(m, p) for m, p, _, _ in OPS if "{" in p and m != "PUT"]
# /manage/v1/cli answers 403 to every credential but its server's local one (server.json) before
# it reads a body: tests/server/test_remote_cli.py covers its errors
WITH_BODY = [
    (m, p)
    for m, p, _, body in OPS
    if body and "dataCollectionRules" not in p and p != "/manage/v1/cli"
]
PATHS = sorted({p for _, p, _, _ in OPS})


def fill(path: str, live: Live, **values: str) -> str:
    values.setdefault("workspace", live.workspace_id)
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "nope-404"), path)


@pytest.mark.parametrize(("method", "path", "role"), SECURED)
def test_no_credential_is_401(live: Live, method: str, path: str, role: str) -> None:
    error(call(live, method, fill(path, live), None), 401, "AuthorizationRequiredError")


@pytest.mark.parametrize(("method", "path", "role"), ABOVE_READER)
def test_a_reader_is_refused_above_its_role(live: Live, method: str, path: str, role: str) -> None:
    r = call(live, method, fill(path, live), "reader", json={})
    assert f"needs {role}" in error(r, 403, "InsufficientAccessError")["message"]


@pytest.mark.parametrize(("method", "path"), NAMED)
def test_an_unknown_name_is_404(live: Live, method: str, path: str) -> None:
    body = {"query": "print 1"} if path.endswith("/query") else None
    r = call(live, method, fill(path, live, workspace="nope-404"), json=body)
    assert "nope-404" in error(r, 404)["message"]


@pytest.mark.parametrize(
    "path", ["/manage/v1/detections/nope-404", "/manage/v1/tables/nope-404/retention"]
)
def test_a_put_to_an_unknown_name_is_404(live: Live, path: str) -> None:
    error(call(live, "PUT", path, json={"retentionInDays": 30} if "tables" in path else {}), 404)


@pytest.mark.parametrize(("method", "path"), WITH_BODY)
def test_a_body_that_is_not_json_is_400(live: Live, method: str, path: str) -> None:
    url = fill(path, live, id="break-glass", name="AuditLogs")
    r = call(live, method, url, content="{nope", headers={"Content-Type": "application/json"})
    assert "not valid JSON" in error(r, 400, "BadArgumentError")["message"]


@pytest.mark.parametrize("path", ["/nope", "/manage/v1/nope", "/manage/v1/rules/a/b/c"])
def test_an_unknown_path_is_404(live: Live, path: str) -> None:
    error(call(live, "GET", path), 404, "PathNotFoundError")


@pytest.mark.parametrize("path", PATHS)
def test_another_method_is_405(live: Live, path: str) -> None:
    error(call(live, "PATCH", fill(path, live)), 405, "MethodNotAllowed")


@pytest.mark.parametrize("path", ["/manage/v1/rules/big", "/manage/v1/action-groups/big"])
def test_a_body_over_1_mb_is_413(live: Live, path: str) -> None:
    big = b"#" * (1024 * 1024 + 1)
    r = call(live, "PUT", path, content=big, headers={"Content-Type": "application/yaml"})
    error(r, 413, "ContentLengthLimitExceeded")
