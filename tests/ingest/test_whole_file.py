"""Files of records read whole by DuckDB (`Ingestor.add_file`): the same rows, dead letters and
summaries as block by block, and every record that needs a closer look sends the file there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from kustodian import Workspace
from kustodian.ingest import ingest_paths, readers, sink
from kustodian.ingest.mapping import CATEGORY_TABLES
from kustodian.kql.diagnostics import KqlError
from kustodian.simulate import Simulation, write_storage_archive
from tests.ingest.records import signin
from tests.simulate.conftest import END, SEED, USERS

BLOCKS = 1 << 40  # FILE_BYTES that no file reaches: block by block


@pytest.fixture
def whole(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every file is tried whole; the list collects what each attempt returned."""
    monkeypatch.setattr(readers, "FILE_BYTES", 0)
    results: list[bool] = []
    add_file = sink.Ingestor.add_file

    def spy(self: sink.Ingestor, *args: Any) -> bool:
        results.append(add_file(self, *args))
        return results[-1]

    monkeypatch.setattr(sink.Ingestor, "add_file", spy)
    return results


def rows(ws: Workspace, hide: str = "") -> dict[str, list[list[Any]]]:
    """Every table's rows but the columns that differ between two ingestions: TenantId (the
    workspace's id), _TimeReceived (the ingestion's own time) and `hide`."""
    out = {}
    for table in [*CATEGORY_TABLES.values(), "IngestionErrors"]:
        if table == "IngestionErrors":
            q = "IngestionErrors | project-away TimeGenerated, RunId, TenantId"
            q += " | order by Source asc, Position asc"
        else:
            q = f"{table} | order by TimeGenerated asc, Id asc"
            q += f" | project-away TenantId, _TimeReceived{hide}"
        out[table] = ws.query(q).rows
    return out


def ingest(
    paths: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    *,
    file_bytes: int | None = None,
    hide: str = "",
) -> tuple[dict[str, object], dict[str, list[list[Any]]]]:
    """Ingest into a fresh workspace that may read the files; (summary, rows)."""
    if file_bytes is not None:
        monkeypatch.setattr(readers, "FILE_BYTES", file_bytes)
    with Workspace.open(":memory:", readable=[str(p.parent) for p in paths]) as ws:
        summary = ingest_paths(ws, [str(p) for p in paths]).to_json()
        for key in ("seconds", "records_per_second", "run_id"):
            summary.pop(key)
        summary["new_columns"] = sorted(summary["new_columns"])  # type: ignore[type-var]
        return summary, rows(ws, hide)


def write_lines(path: Path, records: list[Any], *, newline: str = "\n") -> Path:
    with path.open("w", newline="") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)) + newline)
    return path


def records(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        signin(
            f"{i:08x}-0000-4000-8000-{i:012x}",
            upn=f"user{i % 7}@contoso.com",
            time=f"2024-06-20T05:{i // 60 % 60:02}:{i % 60:02}.1234567Z",
            result=("0", "50126")[i % 2],
        )
        for i in range(start, start + n)
    ]


def test_a_simulated_archive_read_whole_gives_the_rows_of_block_by_block(
    tmp_path: Path, whole: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    day = list(Simulation(1, USERS, SEED, END).records())
    write_storage_archive(day, tmp_path)
    files = sorted(tmp_path.rglob("PT1H.json"))
    summary, got = ingest(files, monkeypatch)
    tried = list(whole)
    assert tried.count(True) >= len(files) // 2, tried  # most files went whole
    expected_summary, expected = ingest(files, monkeypatch, file_bytes=BLOCKS)
    assert summary == expected_summary
    assert summary["ingested"] == len(day)
    for table, table_rows in expected.items():
        assert got[table] == table_rows, table


def test_the_billed_size_does_not_depend_on_how_the_json_is_spaced(
    tmp_path: Path, whole: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    recs = records(20)
    compact = write_lines(tmp_path / "a.json", [json.dumps(r, separators=(",", ":")) for r in recs])
    spaced = write_lines(tmp_path / "b.json", [json.dumps(r, indent=None) for r in recs])
    sizes = []
    for path in (compact, spaced):
        with Workspace.open(":memory:", readable=[str(tmp_path)]) as ws:
            ingest_paths(ws, [str(path)])
            sizes.append(ws.query("SigninLogs | order by Id asc | project _BilledSize").rows)
    assert whole == [True, True]
    assert sizes[0] == sizes[1] and all(s[0] > 500 for s in sizes[0])


def no_time(record: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in record["properties"].items() if k != "createdDateTime"}
    return {**{k: v for k, v in record.items() if k != "time"}, "properties": props}


def bad_files(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Files in which one record among good ones needs a closer look."""
    base = records(300)
    cases: dict[str, list[Any]] = {
        "a line that is not JSON": [*base[:150], '{"time": "2024-06-20T05', *base[150:]],
        "a value that does not convert": [
            *base[:100],
            {**base[100], "durationMs": "soon"},
            *base[101:],
        ],
        "a field seen only late": [
            *base[:250],
            {**base[250], "properties": {**base[250]["properties"], "newField": "x"}},
            *base[251:],
        ],
        "another category": [
            *base[:200],
            signin("nonint-1", category="NonInteractiveUserSignInLogs"),
            *base[200:],
        ],
        "the same record twice": [*base, base[10]],
        "a JSON value that is not an object": [*base[:5], "[1, 2]", *base[5:]],
        "a record with no time": [*base[:3], no_time(base[3]), *base[4:]],
    }
    for name, recs in cases.items():
        yield name, write_lines(tmp_path / f"{name.replace(' ', '_')}.json", recs)


@pytest.mark.parametrize("case", range(7))
def test_a_record_that_needs_a_closer_look_sends_the_file_block_by_block(
    case: int, tmp_path: Path, whole: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sink, "SAMPLE_BYTES", 4000)  # a field first seen later is not typed
    name, path = list(bad_files(tmp_path))[case]
    # a record with no time of its own gets the time of each ingestion (and its place)
    hide = ", TimeGenerated" if name == "a record with no time" else ""
    summary, got = ingest([path], monkeypatch, hide=hide)
    assert whole == [False], name
    expected_summary, expected = ingest([path], monkeypatch, file_bytes=BLOCKS, hide=hide)
    if hide:
        got["SigninLogs"].sort(key=repr)
        expected["SigninLogs"].sort(key=repr)
    assert (summary, got) == (expected_summary, expected), name


def test_a_field_empty_in_the_first_records_and_set_later_gets_its_column(
    tmp_path: Path, whole: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sink, "SAMPLE_BYTES", 4000)  # the first two records type new fields
    recs = records(50)
    for i, r in enumerate(recs):
        r["properties"]["laterField"] = "" if i < 40 else f"value {i}"
    path = write_lines(tmp_path / "late.json", recs)
    summary, got = ingest([path], monkeypatch)
    assert whole == [False]
    assert summary["new_columns"] == ["SigninLogs.LaterField"]
    expected_summary, expected = ingest([path], monkeypatch, file_bytes=BLOCKS)
    assert (summary, got) == (expected_summary, expected)


def test_new_fields_are_typed_from_the_first_records_when_read_whole(
    tmp_path: Path, whole: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    recs = records(40)
    for i, r in enumerate(recs):
        r["properties"]["isTenantRestricted"] = i % 3 == 0
        r["properties"]["signInEventTypes"] = ["interactiveUser"]
    path = write_lines(tmp_path / "typed.json", recs)
    summary, got = ingest([path], monkeypatch)
    assert whole == [True]
    assert sorted(summary["new_columns"]) == [  # type: ignore[arg-type]
        "SigninLogs.IsTenantRestricted",
        "SigninLogs.SignInEventTypes",
    ]
    expected_summary, expected = ingest([path], monkeypatch, file_bytes=BLOCKS)
    assert (summary, got) == (expected_summary, expected)


def test_ingesting_a_file_again_adds_nothing(
    tmp_path: Path, whole: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_lines(tmp_path / "again.json", records(100))
    with Workspace.open(":memory:", readable=[str(tmp_path)]) as ws:
        first = ingest_paths(ws, [str(path)])
        again = ingest_paths(ws, [str(path)])
        assert ws.query("SigninLogs | count").rows == [[100]]
    assert whole == [True, False]  # the duplicates are counted block by block
    assert (first.ingested, first.duplicates) == (100, 0)
    assert (again.ingested, again.duplicates) == (0, 100)


def test_blank_lines_and_crlf_line_ends_are_read_whole(
    tmp_path: Path, whole: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    recs: list[Any] = records(30)
    path = write_lines(tmp_path / "crlf.json", [*recs[:10], "", *recs[10:]], newline="\r\n")
    summary, got = ingest([path], monkeypatch)
    assert whole == [True]
    expected_summary, expected = ingest([path], monkeypatch, file_bytes=BLOCKS)
    assert (summary, got) == (expected_summary, expected)
    assert summary["ingested"] == 30


def test_a_file_duckdb_may_not_read_is_read_block_by_block(
    tmp_path: Path, whole: list[bool]
) -> None:
    path = write_lines(tmp_path / "elsewhere.json", records(10))
    with Workspace.open(":memory:") as ws:  # no readable paths: the sandbox holds
        assert not ws.engine.may_read(path)
        assert ingest_paths(ws, [str(path)]).ingested == 10
    assert whole == [False]
    with Workspace.open(":memory:", readable=[str(tmp_path)]) as ws:
        assert ws.engine.may_read(path) and not ws.engine.may_read(tmp_path.parent / "x.json")
        other = tmp_path.parent / "outside.json"
        other.write_text('{"a": 1}\n')
        with pytest.raises(duckdb.PermissionException):
            ws.con.execute(f"SELECT * FROM read_json('{other}')").fetchall()
        # and user queries go through the guard, which lets no file function through
        with pytest.raises(KqlError):
            ws.query(f"SigninLogs | extend x = read_json('{path}')")


def test_the_watcher_reports_a_share_of_the_records_during_a_long_statement() -> None:
    seen: list[int] = []
    with Workspace.open(":memory:", bulk=True) as ws:
        ing = sink.Ingestor(ws, progress=lambda s: seen.append(s.ingested))
        con = ws.con
        with ing._watching(con, 1000):  # a statement of a second or two on 2 cores
            con.execute(
                "SELECT count(*) FROM range(400000000) t(i) WHERE hash(i) % 7 = 3"
            ).fetchall()
    assert seen and all(0 < n <= 1000 for n in seen) and seen == sorted(seen)
