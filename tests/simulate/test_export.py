"""The export shapes: Event Hub bodies, the storage-account archive tree, Graph pages."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from kustodian.simulate import write_event_hub, write_graph_pages, write_storage_archive
from tests.simulate.conftest import Run


def test_event_hub_bodies(small: Run, tmp_path: Path) -> None:
    files = write_event_hub(small.records, tmp_path, per_body=500)
    bodies = [json.loads(f.read_text()) for f in files]
    assert all(list(b) == ["records"] for b in bodies)
    assert all(0 < len(b["records"]) <= 500 for b in bodies)
    # one category per body, as Entra batches them, and nothing lost or repeated
    assert all(len({r["category"] for r in b["records"]}) == 1 for b in bodies)
    got = [r for b in bodies for r in b["records"]]
    assert sorted(got, key=lambda r: r["properties"]["id"]) == sorted(
        small.records, key=lambda r: r["properties"]["id"]
    )
    assert [f.name for f in files][:2] == [
        "noninteractiveusersigninlogs-000001.json",
        "noninteractiveusersigninlogs-000002.json",
    ]
    assert len(files) == 9


def test_event_hub_bodies_gzipped(small: Run, tmp_path: Path) -> None:
    files = write_event_hub(small.records[:300], tmp_path, per_body=100, gzip=True)
    assert all(f.name.endswith(".json.gz") for f in files)
    got = [r for f in files for r in json.loads(gzip.decompress(f.read_bytes()))["records"]]
    assert Counter(r["properties"]["id"] for r in got) == Counter(
        r["properties"]["id"] for r in small.records[:300]
    )
    # the same input gives the same bytes (no timestamps in the gzip header)
    again = write_event_hub(small.records[:300], tmp_path / "again", per_body=100, gzip=True)
    assert [f.read_bytes() for f in files] == [f.read_bytes() for f in again]


def test_storage_archive_tree(small: Run, tmp_path: Path) -> None:
    blobs = write_storage_archive(small.records, tmp_path)
    tid = small.sim.tenant.tenant_id
    lines = 0
    for blob in blobs:
        rel = blob.relative_to(tmp_path).parts
        container, tenant, y, m, d, h, minute, name = rel
        assert container.startswith("insights-logs-")
        assert tenant == f"tenantId={tid}" and minute == "m=00" and name == "PT1H.json"
        for line in blob.read_text().splitlines():
            r = json.loads(line)
            lines += 1
            assert container == f"insights-logs-{r['category'].lower()}"
            t = r["time"]
            assert (y, m, d, h) == (f"y={t[:4]}", f"m={t[5:7]}", f"d={t[8:10]}", f"h={t[11:13]}")
    assert lines == len(small.records)
    containers = {b.relative_to(tmp_path).parts[0] for b in blobs}
    assert containers == {
        "insights-logs-signinlogs",
        "insights-logs-noninteractiveusersigninlogs",
        "insights-logs-serviceprincipalsigninlogs",
        "insights-logs-managedidentitysigninlogs",
        "insights-logs-auditlogs",
        "insights-logs-riskyusers",
        "insights-logs-userriskevents",
    }


def test_storage_archive_rewrites_a_blob_on_a_second_run(small: Run, tmp_path: Path) -> None:
    write_storage_archive(small.records[:50], tmp_path)
    blobs = write_storage_archive(small.records[:50], tmp_path)
    assert sum(len(b.read_text().splitlines()) for b in blobs) == 50


def test_graph_pages(small: Run, tmp_path: Path) -> None:
    pages = write_graph_pages(small.records, tmp_path, page_size=100)
    by_stream: dict[str, list[dict[str, object]]] = {}
    for page in pages:
        stream = page.name.rsplit("-", 1)[0]
        by_stream.setdefault(stream, []).append(json.loads(page.read_text()))
    assert set(by_stream) == {
        "signIns",
        "signIns-nonInteractiveUser",
        "signIns-servicePrincipal",
        "signIns-managedIdentity",
        "directoryAudits",
    }
    for stream, docs in by_stream.items():
        for i, doc in enumerate(docs):
            assert str(doc["@odata.context"]).startswith("https://graph.microsoft.com/")
            if i < len(docs) - 1:
                # the link names the next page's file
                assert str(doc["@odata.nextLink"]).endswith(f"$skiptoken={stream}-{i + 2:05d}")
            else:
                assert "@odata.nextLink" not in doc
    signins = [v for d in by_stream["signIns"] for v in d["value"]]  # type: ignore[attr-defined]
    assert signins == [r["properties"] for r in small.of("SignInLogs")]
    audits = [v for d in by_stream["directoryAudits"] for v in d["value"]]  # type: ignore[attr-defined]
    assert audits == [r["properties"] for r in small.of("AuditLogs")]
    assert by_stream["signIns"][0]["@odata.context"] == (
        "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns"
    )
    nonint = by_stream["signIns-nonInteractiveUser"][0]
    assert "signInEventTypes/any" in str(nonint["@odata.nextLink"])


@pytest.mark.parametrize("size", [0, -1])
def test_sizes_must_be_positive(tmp_path: Path, size: int) -> None:
    with pytest.raises(ValueError):
        write_event_hub([], tmp_path, per_body=size)
    with pytest.raises(ValueError):
        write_graph_pages([], tmp_path, page_size=size)
