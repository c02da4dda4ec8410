"""The escape corpus (tests/engines/escape_corpus.yaml) through the HTTP query API, plus huge
results: every case answers 200 with the payload as data or 400 with the KQL diagnostic in
Azure's error shape; never a 500, never the secret file's content, never a changed setting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.engines import escape_corpus as corpus
from tests.engines.escape_corpus import Case, Secret
from tests.server.conftest import MAX_ROWS, Live

CASES = corpus.load_cases()


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    return Secret(tmp_path_factory.mktemp("outside-http"))


def post(live: Live, kql: str, prefer: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {live.keys['reader']}"}
    if prefer:
        headers["Prefer"] = prefer
    return httpx.post(
        f"{live.endpoint}/workspaces/{live.workspace_id}/query",
        json={"query": kql},
        headers=headers,
        timeout=60,
    )


def cells(table: dict[str, Any]) -> list[list[Any]]:
    """Rows as the API sends them, with dynamic cells (JSON text) read back."""
    dynamic = [c["type"] == "dynamic" for c in table["columns"]]
    return [
        [json.loads(v) if d and isinstance(v, str) and v else v for v, d in zip(row, dynamic)]
        for row in table["rows"]
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_escape_attempt_fails_cleanly_over_http(live: Live, secret: Secret, case: Case) -> None:
    case = case.bind(secret)
    before = corpus.engine_state(live.ws)
    r = post(live, case.kql)
    assert secret.sentinel not in r.text
    doc = r.json()
    if case.expect == "code":
        assert r.status_code == 400, (case.id, doc)
        assert doc["error"]["code"] == "BadArgumentError"
        inner = doc["error"]["innererror"]  # the diagnostic is the innermost error
        assert inner["code"] in ("SyntaxError", "SemanticError")
        assert inner["innererror"]["code"] == case.expected, (case.id, doc)
        assert case.expected in inner["innererror"]["message"]
    else:
        assert r.status_code == 200, (case.id, doc)
        table = doc["tables"][0]
        rows = cells(table)
        if case.expect == "value" and case.expected is None:
            rows = [[None if v == "" else v for v in row] for row in rows]
        corpus.check_clean(case, [c["name"] for c in table["columns"]], rows)
    assert corpus.engine_state(live.ws) == before
    assert sorted(p.name for p in secret.dir.iterdir()) == ["secret.csv"]


def test_ten_million_rows_are_capped_by_the_engine(live: Live) -> None:
    """The row cap is a LIMIT in the engine, not a truncation after fetching everything:
    ten billion rows (which no server could hold) come back as fast as ten million."""
    for n in (10_000_000, 10_000_000_000):
        r = post(live, f"range x from 1 to {n} step 1")
        assert r.status_code == 200
        doc = r.json()
        assert doc["tables"][0]["rows"] == [[i] for i in range(1, MAX_ROWS + 1)]
        assert doc["error"]["code"] == "PartialError"
        assert doc["error"]["innererror"]["code"] == "E_QUERY_RESULT_SET_TOO_LARGE"


@pytest.mark.parametrize(
    "kql",
    [
        "range x from 1 to 1000000000000 step 1 | summarize count()",
        "range x from 1 to 1000000000000 step 1 | sort by x desc | take 1",
    ],
)
def test_a_trillion_row_range_times_out_cleanly(live: Live, kql: str) -> None:
    r = post(live, kql, prefer="wait=1")
    assert r.status_code == 400
    inner = r.json()["error"]["innererror"]["innererror"]
    assert inner["code"] == "KQL4002"
    assert "Prefer: wait" in inner["hint"]
    # the server is still healthy and answers the next query
    assert httpx.get(f"{live.url}/health", timeout=10).json() == {"status": "ok"}
    assert post(live, "print x = 1").json()["tables"][0]["rows"] == [[1]]


def test_a_probe_that_runs_too_long_is_a_clean_timeout(live: Live) -> None:
    """bag_unpack reads the data while compiling; that is cancelled like the query itself."""
    kql = (
        "range x from 1 to 1000000000000 step 1 | where x < 0 "
        "| extend d = bag_pack(tostring(x), 1) | evaluate bag_unpack(d)"
    )
    r = post(live, kql, prefer="wait=1")
    assert r.status_code == 400
    assert r.json()["error"]["innererror"]["innererror"]["code"] == "KQL4002"


@pytest.mark.parametrize("kql", corpus.TOO_DEEP.values(), ids=list(corpus.TOO_DEEP))
def test_a_query_too_deep_to_compile_is_a_bad_request(live: Live, kql: str) -> None:
    r = post(live, kql)
    assert r.status_code == 400
    assert r.json()["error"]["innererror"]["innererror"]["code"] == "KQL1011"


def test_a_huge_request_body_is_refused_before_it_is_read(live: Live) -> None:
    """A query body past 8 MB is a 413, with or without Content-Length, and the server stays up."""
    headers = {"Authorization": f"Bearer {live.keys['reader']}"}
    url = f"{live.endpoint}/workspaces/{live.workspace_id}/query"
    body = b'{"query": "print x = \'' + b"a" * (9 * 1024 * 1024) + b"'\"}"

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 1 << 20):
            yield body[i : i + (1 << 20)]

    for content in (body, chunks()):
        r = httpx.post(url, content=content, headers=headers, timeout=60)
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "ContentLengthLimitExceeded"
    assert post(live, "print x = 1").json()["tables"][0]["rows"] == [[1]]
