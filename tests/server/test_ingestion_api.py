"""The Logs Ingestion API with the real `LogsIngestionClient`: uploads, transforms, errors."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.monitor.ingestion import LogsIngestionClient, LogsUploadError

from kustodian.cli.main import main
from kustodian.ingest import dcr
from kustodian.server import ServerSettings, create_app
from tests.server.conftest import ApiKey, Live, ServerThread, make_workspace

PLAIN = {"enforce_https": False}
RULE = {
    "id": "dcr-00000000000000000000000000000abc",
    "name": "apps",
    "streams": {
        "Custom-AppEvents": {
            "columns": [
                {"name": "TimeGenerated", "type": "datetime"},
                {"name": "Message", "type": "string"},
                {"name": "Level", "type": "int"},
                {"name": "Props", "type": "dynamic"},
            ],
            "transform": "source | extend Severity = iff(Level >= 3, 'high', 'low'),"
            " User = tostring(Props.user)",
        },
        "Custom-Plain": {
            "columns": [
                {"name": "TimeGenerated", "type": "datetime"},
                {"name": "Id", "type": "string"},
            ],
            "outputTable": "PlainRows_CL",
        },
        "Microsoft-AuditLogs": {},
    },
}
RID = RULE["id"]


@pytest.fixture(scope="module")
def ingest_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    ws, keys = make_workspace(tmp_path_factory.mktemp("ingestapi") / "ws")
    dcr.apply_rule(ws, dcr.parse_rule(json.loads(json.dumps(RULE))))
    app = create_app(ws, ServerSettings(auth_failures=1000))
    with ServerThread(app) as srv:
        yield Live(f"http://127.0.0.1:{srv.port}", ws, ws.workspace_id, keys)
    ws.close()


def client(live: Live, role: str = "contributor") -> LogsIngestionClient:
    return LogsIngestionClient(endpoint=live.url, credential=ApiKey(live.keys[role]))


def rows_of(live: Live, kql: str) -> list[list[Any]]:
    return live.ws.query(kql).rows


def test_upload_is_chunked_gzipped_and_lands(ingest_live: Live) -> None:
    big = "x" * 1000
    logs = [
        {"TimeGenerated": "2026-01-01T00:00:00Z", "Id": f"p{i}", "Pad": big} for i in range(2500)
    ]
    client(ingest_live).upload(RID, "Custom-Plain", logs, **PLAIN)  # three 1 MiB chunks
    assert rows_of(ingest_live, "PlainRows_CL | count") == [[2500]]
    # undeclared fields are dropped, as Azure does
    names = [n for n, _ in ingest_live.ws.query("PlainRows_CL | take 1").columns]
    assert "Pad" not in names


def test_transform_is_applied_and_rows_are_queryable(ingest_live: Live) -> None:
    logs = [
        {
            "TimeGenerated": "2026-01-02T00:00:00Z",
            "Message": "a",
            "Level": 4,
            "Props": {"user": "ann"},
        },
        {
            "TimeGenerated": "2026-01-02T00:01:00Z",
            "Message": "b",
            "Level": 1,
            "Props": {"user": "bob"},
        },
    ]
    client(ingest_live).upload(RID, "Custom-AppEvents", logs, **PLAIN)
    got = rows_of(
        ingest_live, "AppEvents_CL | order by Message asc | project Message, Severity, User, Props"
    )
    assert got == [["a", "high", "ann", {"user": "ann"}], ["b", "low", "bob", {"user": "bob"}]]


def test_microsoft_stream_feeds_its_table_and_deduplicates(ingest_live: Live) -> None:
    row = {
        "TimeGenerated": "2026-01-03T00:00:00Z",
        "Id": "api-audit-1",
        "OperationName": "Add user",
    }
    c = client(ingest_live)
    c.upload(RID, "Microsoft-AuditLogs", [row], **PLAIN)
    c.upload(RID, "Microsoft-AuditLogs", [row], **PLAIN)
    assert rows_of(ingest_live, "AuditLogs | where Id == 'api-audit-1' | count") == [[1]]


def test_unknown_rule_or_stream_reaches_on_error(ingest_live: Live) -> None:
    errors: list[LogsUploadError] = []
    c = client(ingest_live)
    c.upload("dcr-" + "f" * 32, "Custom-Plain", [{"Id": "x"}], on_error=errors.append, **PLAIN)
    c.upload(RID, "Custom-Nope", [{"Id": "y"}], on_error=errors.append, **PLAIN)
    assert [e.error.status_code for e in errors] == [404, 404]  # type: ignore[attr-defined]
    assert errors[1].failed_logs == [{"Id": "y"}]
    with pytest.raises(HttpResponseError) as e:
        c.upload(RID, "Custom-Nope", [{"Id": "z"}], **PLAIN)
    assert e.value.status_code == 404 and "InvalidStream" in str(e.value)


@pytest.mark.parametrize(("role", "status"), [("reader", 403), ("revoked", 401)])
def test_contributor_role_is_required(ingest_live: Live, role: str, status: int) -> None:
    with pytest.raises(HttpResponseError) as e:
        client(ingest_live, role).upload(RID, "Custom-Plain", [{"Id": "r"}], **PLAIN)
    assert e.value.status_code == status


def post(live: Live, body: bytes, encoding: str | None = "gzip") -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {live.keys['contributor']}",
        "Content-Type": "application/json",
    }
    if encoding:
        headers["Content-Encoding"] = encoding
    return httpx.post(
        f"{live.url}/dataCollectionRules/{RID}/streams/Custom-Plain?api-version=2023-01-01",
        content=body,
        headers=headers,
    )


def test_bad_json_is_400_and_success_is_204(ingest_live: Live) -> None:
    r = post(ingest_live, gzip.compress(b"[{not json"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidJson"
    r = post(ingest_live, b'{"Id": "obj"}', None)
    assert r.status_code == 400
    r = post(ingest_live, b"plain", "gzip")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidContentEncoding"
    r = post(ingest_live, b'[{"Id": "plain-http"}]', None)
    assert r.status_code == 204 and r.content == b""


def test_too_large_is_413(ingest_live: Live) -> None:
    body = json.dumps([{"Id": "y" * 1000} for _ in range(1500)]).encode()
    r = post(ingest_live, body, None)
    assert r.status_code == 413 and r.json()["error"]["code"] == "ContentLengthLimitExceeded"
    r = post(ingest_live, gzip.compress(body))
    assert r.status_code == 413


def test_dcr_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws_dir = tmp_path / "ws"
    assert main(["init", str(ws_dir)]) == 0
    f = tmp_path / "rule.yaml"
    f.write_text(
        "name: web\nstreams:\n  Custom-Web:\n    columns:\n      - {name: Url, type: string}\n"
        "    transform: source | extend Host = tostring(parse_url(Url).Host)\n"
    )
    capsys.readouterr()
    assert main(["dcr", "apply", str(f), "--workspace", str(ws_dir)]) == 0
    out = capsys.readouterr().out
    assert "created data collection rule web (dcr-" in out and "Web_CL" in out
    assert main(["dcr", "list", "--workspace", str(ws_dir)]) == 0
    assert "Custom-Web -> Web_CL" in capsys.readouterr().out
    assert main(["dcr", "show", "web", "--json", "--workspace", str(ws_dir)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"].startswith("dcr-") and shown["streams"]["Custom-Web"]["transform"]
    assert main(["dcr", "apply", str(f), "--workspace", str(ws_dir)]) == 0
    assert f"updated data collection rule web ({shown['id']})" in capsys.readouterr().out
    f.write_text(
        "name: bad\nstreams:\n  Custom-X:\n    columns: [{name: A}]\n"
        "    transform: source | extend = =\n"
    )
    assert main(["dcr", "apply", str(f), "--workspace", str(ws_dir)]) == 2
    assert "transform" in capsys.readouterr().err
    assert main(["dcr", "delete", "web", "--workspace", str(ws_dir)]) == 0
    assert main(["dcr", "show", "web", "--workspace", str(ws_dir)]) == 2
