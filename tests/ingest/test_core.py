"""The ingestion core: mapping to Log Analytics columns, dead letters, duplicates, new fields."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.ingest import ingest_paths, ingest_records, ingest_rows
from tests.ingest.records import TENANT, audit, signin


@pytest.fixture
def ws() -> Workspace:
    return Workspace.open(":memory:")


def one(ws: Workspace, kql: str) -> dict[str, Any]:
    r = ws.query(kql)
    assert len(r.rows) == 1, r.rows
    return dict(zip([n for n, _ in r.columns], r.rows[0]))


def test_a_sign_in_record_maps_to_log_analytics_columns(ws: Workspace) -> None:
    s = ingest_records(ws, [signin("s1", result="50126")])
    assert (s.ingested, s.duplicates, s.rejected) == (1, 0, 0)
    row = one(ws, "SigninLogs")
    assert row["TimeGenerated"] == "2024-06-20T05:01:02.1234567Z"
    assert row["CreatedDateTime"] == "2024-06-20T05:01:02.1234567Z"
    assert row["ResultType"] == "50126"
    assert row["Status"] == {"errorCode": 50126, "failureReason": "failed"}
    assert row["LocationDetails"]["countryOrRegion"] == "US"
    assert row["ConditionalAccessPolicies"][0]["displayName"] == "Require MFA"
    # A JSON array in a string column stays JSON text, as Log Analytics keeps it.
    assert json.loads(row["AuthenticationDetails"]) == [
        {"authenticationMethod": "Password", "succeeded": True}
    ]
    assert row["ResourceIdentity"] == "797f4846-ba00-4fd7-ba43-dac1f8f63013"
    assert row["Level"] == "4"
    assert row["IsInteractive"] is True
    assert row["AADTenantId"] == TENANT
    assert row["Location"] == "US"
    assert row["CorrelationId"] == "corr-s1"
    assert row["OperationName"] == "Sign-in activity"
    assert row["Category"] == "SignInLogs"
    assert row["TenantId"] == ws.workspace_id
    assert row["Type"] == "SigninLogs"
    assert row["SourceSystem"] == "Azure AD"
    assert row["ResourceProvider"] == "Microsoft.aadiam"
    assert len(row["_ItemId"]) == 36 and row["_ItemId"].count("-") == 4
    assert row["_TimeReceived"] is not None and row["_BilledSize"] > 0
    # Columns the record lacks are empty strings, never null (Kusto strings).
    assert row["RiskDetail"] == ""


def test_the_admin_queries_work_on_ingested_records(ws: Workspace) -> None:
    ingest_records(ws, [signin("a", result="50053"), signin("b"), audit("i1")])
    assert ws.query('SigninLogs | where ResultType == "50053"').rows[0][0]
    assert len(ws.query("SigninLogs | where ResultType == 50053").rows) == 1
    row = one(
        ws,
        "AuditLogs | extend InvitedBy = tostring(InitiatedBy.user.userPrincipalName), "
        "InvitationId = tostring(AdditionalDetails[0].value) | project InvitedBy, InvitationId, "
        "Category, AADOperationType, LoggedByService, OperationName, Result",
    )
    assert row == {
        "InvitedBy": "admin@contoso.com",
        "InvitationId": "inv-i1",
        "Category": "UserManagement",
        "AADOperationType": "Add",
        "LoggedByService": "Invited Users",
        "OperationName": "Invite external user",
        "Result": "success",
    }


def test_non_interactive_sign_ins_keep_status_as_json_text(ws: Workspace) -> None:
    ingest_records(ws, [signin("n1", result="50126", category="NonInteractiveUserSignInLogs")])
    row = one(
        ws,
        "AADNonInteractiveUserSignInLogs | project Status, Code = toint(parse_json(Status)"
        ".errorCode), City = tostring(todynamic(LocationDetails).city)",
    )
    assert json.loads(row["Status"])["errorCode"] == 50126
    assert row["Code"] == 50126 and row["City"] == "Seattle"


def test_time_offsets_are_converted_to_utc(ws: Workspace) -> None:
    ingest_records(ws, [signin("t1", time="2024-06-20T07:01:02.5+02:00")])
    assert one(ws, "SigninLogs | project TimeGenerated")["TimeGenerated"] == (
        "2024-06-20T05:01:02.5Z"
    )


def test_ingesting_the_same_records_again_adds_nothing(ws: Workspace) -> None:
    first = ingest_records(ws, [signin("a"), signin("b")])
    again = ingest_records(ws, [signin("b"), signin("c"), signin("c")])
    assert (first.ingested, first.duplicates) == (2, 0)
    assert (again.ingested, again.duplicates) == (1, 2)
    assert ws.query("SigninLogs | summarize count()").rows == [[3]]


def test_duplicates_are_found_in_every_batch(ws: Workspace) -> None:
    from kustodian.ingest.sink import Ingestor

    ing = Ingestor(ws, batch_rows=3)
    for i in range(10):
        ing.add(json.dumps(signin(f"id{i % 4}")), "test", f"record {i}")
    s = ing.close()
    assert (s.ingested, s.duplicates) == (4, 6)


def test_bad_records_go_to_ingestion_errors_and_the_rest_lands(ws: Workspace) -> None:
    from kustodian.ingest.sink import Ingestor

    ing = Ingestor(ws)
    good = json.dumps(signin("ok"))
    ing.add(good, "f.json", "line 1")
    ing.add("{not json", "f.json", "line 2")
    ing.add("[1, 2]", "f.json", "line 3")
    ing.add(json.dumps({"category": "ProvisioningLogs", "properties": {}}), "f.json", "line 4")
    ing.add(json.dumps({"time": "2024-01-01T00:00:00Z"}), "f.json", "line 5")
    ing.add(json.dumps(signin("bad") | {"durationMs": "abc"}), "f.json", "line 6")
    ing.add(json.dumps(signin("bad-time", time="yesterday")), "f.json", "line 7")
    s = ing.close()
    assert (s.ingested, s.rejected) == (1, 6)
    errors = ws.query(
        "IngestionErrors | project Position, Reason, TargetTable, RawData, Source, RunId "
        "| order by Position asc"
    ).rows
    assert [e[0] for e in errors] == [f"line {i}" for i in range(2, 8)]
    reasons = {e[0]: e[1] for e in errors}
    assert reasons["line 2"] == "not valid JSON"
    assert reasons["line 3"] == "not a JSON object"
    assert "ProvisioningLogs".lower() in reasons["line 4"] and "no table" in reasons["line 4"]
    assert reasons["line 5"] == "the record has no category"
    assert "DurationMs (long): abc" in reasons["line 6"]
    assert reasons["line 7"].endswith(
        "TimeGenerated (datetime): yesterday; CreatedDateTime (datetime): yesterday"
    )
    raw = {e[0]: e[3] for e in errors}
    assert raw["line 2"] == "{not json"
    assert all(e[4] == "f.json" and e[5] == s.run_id for e in errors)
    # Errors are kept once, however often the same bad file is ingested.
    again = Ingestor(ws)
    again.add("{not json", "f.json", "line 2")
    assert again.close().rejected == 1
    assert len(ws.query("IngestionErrors").rows) == 6


def test_unknown_fields_become_typed_columns_that_survive_a_reopen(tmp_path: Path) -> None:
    extra = {
        "brandNewText": "hello",
        "brandNewCount": 7,
        "brandNewFlag": True,
        "brandNewObject": {"a": [1, 2]},
        "alwaysEmpty": "",
    }
    with Workspace.open(tmp_path / "ws") as ws:
        s = ingest_records(ws, [signin("x", **extra) | {"envelopeExtra": "kept"}])
        assert sorted(s.new_columns) == [
            "SigninLogs.BrandNewCount",
            "SigninLogs.BrandNewFlag",
            "SigninLogs.BrandNewObject",
            "SigninLogs.BrandNewText",
            "SigninLogs.EnvelopeExtra",
        ]
    with Workspace.open(tmp_path / "ws") as ws:
        types = dict(ws.catalog.tables["SigninLogs"].columns)
        assert types["BrandNewCount"].value == "long"
        assert types["BrandNewFlag"].value == "bool"
        assert types["BrandNewObject"].value == "dynamic"
        assert "AlwaysEmpty" not in types
        row = one(
            ws, "SigninLogs | project BrandNewText, BrandNewCount, BrandNewObject, EnvelopeExtra"
        )
        assert row == {
            "BrandNewText": "hello",
            "BrandNewCount": 7,
            "BrandNewObject": {"a": [1, 2]},
            "EnvelopeExtra": "kept",
        }
        # The next record with the same field fills the same column.
        ingest_records(ws, [signin("y", brandNewCount=8)])
        assert ws.query("SigninLogs | where BrandNewCount == 8 | count").rows == [[1]]


def test_event_hub_bodies_and_storage_archives(tmp_path: Path, ws: Workspace) -> None:
    root = tmp_path / "exports"
    root.mkdir()
    (root / "body.json").write_text(json.dumps({"records": [signin("e1"), signin("e2")]}, indent=2))
    with gzip.open(root / "bodies.json.gz", "wt") as f:
        f.write(json.dumps({"records": [signin("e3")]}) + "\n")
        f.write(json.dumps({"records": [signin("e4"), audit("a1")]}) + "\n")
    blob = root / "insights-logs-signinlogs/tenantId=x/y=2024/m=06/d=20/h=05/m=00/PT1H.json"
    blob.parent.mkdir(parents=True)
    blob.write_text(json.dumps(signin("b1")) + "\n{broken\n" + json.dumps(signin("b2")) + "\n")
    s = ingest_paths(ws, [str(root)])
    assert (s.ingested, s.rejected) == (7, 1)
    assert s.tables == {"SigninLogs": 6, "AuditLogs": 1}
    err = one(ws, "IngestionErrors | project Source, Position, Format")
    assert err["Source"].endswith("h=05/m=00/PT1H.json") and err["Position"] == "line 2"
    assert err["Format"] == "diagnostic"
    again = ingest_paths(ws, [str(root)])
    assert (again.ingested, again.duplicates) == (0, 7)


def test_rows_in_log_analytics_shape(tmp_path: Path, ws: Workspace) -> None:
    rows = [
        {
            "TimeGenerated": "2024-06-20T05:00:00Z",
            "Id": "r1",
            "UserPrincipalName": "a@x.com",
            "Status": {"errorCode": 0},
            "IsInteractive": "true",
        },
        {"Id": "r2", "UserPrincipalName": "b@x.com", "Status": '{"errorCode": 50053}'},
    ]
    s = ingest_rows(ws, "SigninLogs", rows)
    assert s.ingested == 2
    got = ws.query(
        "SigninLogs | project Id, Status, IsInteractive, T = isnotnull(TimeGenerated) "
        "| order by Id asc"
    ).rows
    assert got == [["r1", {"errorCode": 0}, True, True], ["r2", {"errorCode": 50053}, None, True]]
    csv_file = tmp_path / "rows.csv"
    csv_file.write_text("Id,UserPrincipalName,TimeGenerated\nr3,c@x.com,2024-06-21T00:00:00Z\n")
    assert ingest_paths(ws, [str(csv_file)], table="SigninLogs").ingested == 1


def test_a_custom_table_takes_rows(ws: Workspace) -> None:
    from kustodian.kql.types import KType

    ws.create_custom_table("Doors_CL", [("Door", KType.STRING), ("Opened", KType.LONG)])
    s = ingest_rows(ws, "Doors_CL", [{"Door": "front", "Opened": 3, "TimeGenerated": "2024-01-01"}])
    assert s.ingested == 1
    assert ws.query("Doors_CL | project Door, Opened").rows == [["front", 3]]
    with pytest.raises(ValueError, match="_CL"):
        ws.create_custom_table("Doors", [])


def test_long_lines_and_blank_lines_in_json_lines_files(tmp_path: Path, ws: Workspace) -> None:
    """Event Hub bodies of up to 1 MB per line; blank and CRLF lines; a BOM."""
    big = {"records": [signin(f"big{i}", padding="x" * 2000) for i in range(100)]}
    path = tmp_path / "bodies.json"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps(big).encode() + b"\r\n\r\n" + json.dumps(big).encode() + b"\n"
    )
    s = ingest_paths(ws, [str(path)])
    assert (s.ingested, s.duplicates, s.rejected) == (100, 100, 0)
    lines = tmp_path / "PT1H.json"
    lines.write_bytes(
        b"\n".join(json.dumps(signin(f"l{i}")).encode() for i in range(5)) + b"\r\n  \n{bad}\n"
    )
    s = ingest_paths(ws, [str(lines)])
    assert (s.ingested, s.rejected) == (5, 1)
    assert ws.query("IngestionErrors | project Position, RawData").rows == [["line 7", "{bad}"]]


def test_blocks_are_cut_into_batches_that_keep_line_numbers(ws: Workspace) -> None:
    from kustodian.ingest.sink import Ingestor

    ing = Ingestor(ws, batch_rows=3)
    first = "\n".join([*(json.dumps(signin(f"a{i}")) for i in range(3)), "{bad", ""])
    ing.add_block(first.encode() + b"\n", "one.json", 1)  # lines 1-4, then a blank line 5
    second = "\n".join(json.dumps(signin(f"b{i}")) for i in range(4)) + "\n{worse\n"
    ing.add_block(second.encode(), "two.json", 10)
    s = ing.close()
    assert (s.ingested, s.rejected) == (7, 2)
    assert ws.query("IngestionErrors | project Source, Position | order by Source asc").rows == [
        ["one.json", "line 4"],
        ["two.json", "line 14"],
    ]


def test_rows_without_checked_fields_in_a_custom_table(ws: Workspace) -> None:
    """Only string columns and no time: nothing needs converting before the insert."""
    from kustodian.kql.types import KType

    ws.create_custom_table("Notes_CL", [("Note", KType.STRING)])
    s = ingest_rows(ws, "Notes_CL", [{"Note": "a"}, {"Note": "b"}, {"Note": "a"}])
    assert (s.ingested, s.duplicates) == (2, 1)
    assert ws.query("Notes_CL | where isnotnull(TimeGenerated) | count").rows == [[2]]


def test_transactions_end_on_batch_boundaries_whatever_the_chunk_size(ws: Workspace) -> None:
    """Chunks are cut so that a transaction holds exactly `batch_rows` records (DuckDB writes a
    transaction of whole row groups straight to the database file)."""
    from kustodian.ingest.sink import Ingestor

    committed: list[int] = []

    class Counting(Ingestor):
        def _commit(self) -> None:
            if self._txn_open:
                committed.append(self._in_txn)
            super()._commit()

    ing = Counting(ws, batch_rows=5)
    ing.chunk_rows = 2
    block = "".join(json.dumps(signin(f"t{i}")) + "\n" for i in range(12))
    ing.add_block(block.encode(), "f.json", 1)
    s = ing.close()
    assert s.ingested == 12
    assert committed == [5, 5, 2]


def test_a_transaction_does_not_keep_its_chunks_in_memory(ws: Workspace) -> None:
    """Memory stays bounded by one chunk, however many chunks a transaction holds."""
    import pyarrow as pa

    from kustodian.ingest.sink import Ingestor

    ing = Ingestor(ws, batch_rows=1_000_000)
    ing.chunk_rows = 50
    record = json.dumps(signin("m", userAgent="x" * 20_000))
    peaks = []
    for i in range(20):  # 20 chunks of 50 records of 20 KB, all in one transaction
        for j in range(50):
            ing.add(record.replace('"m"', f'"m{i}-{j}"'), "f.json", f"record {j}")
        peaks.append(pa.total_allocated_bytes())
    s = ing.close()
    assert s.ingested == 1000
    assert max(peaks) < 3 * 50 * len(record), peaks


def test_chunks_that_leave_the_previous_route_are_routed_again(ws: Workspace) -> None:
    """A chunk is first mapped on the route of the previous one (same table, known key sets);
    a new field, a bad line or another category sends it through routing, losing nothing."""
    from kustodian.ingest.sink import Ingestor

    routed: list[int] = []
    current = [0]

    class Counting(Ingestor):
        def _route(self, con: Any, b: Any, received: Any) -> Any:
            routed.append(current[0])
            return super()._route(con, b, received)

    ing = Counting(ws)
    chunks = [
        [signin("r0"), signin("r1")],  # 0: routed; sets the route
        [signin("r2") | {"durationMs": "abc"}, signin("r3")],  # 1: on the route
        [signin("r4", newField="x"), "{bad"],  # 2: a new key set and a bad line
        [signin("r5"), signin("n1", category="NonInteractiveUserSignInLogs")],  # 3: two tables
        [signin("r6"), signin("r7", newField="y")],  # 4: routed (no route after 3)
        [signin("r8", newField="z")],  # 5: on the route of 4
        [signin("r9", otherField=True)],  # 6: a new key set
    ]
    line = 1
    for i, records in enumerate(chunks):
        current[0] = i
        text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
        line += ing.add_block(text.encode(), "f.json", line)
        ing.flush()
    s = ing.close()
    assert routed == [0, 2, 3, 4, 6]
    assert (s.ingested, s.rejected, s.duplicates) == (10, 2, 0)
    assert s.tables == {"SigninLogs": 9, "AADNonInteractiveUserSignInLogs": 1}
    assert ws.query(
        "SigninLogs | where isnotempty(NewField) | project Id, NewField | order by Id asc"
    ).rows == [["r4", "x"], ["r7", "y"], ["r8", "z"]]
    assert ws.query("SigninLogs | where OtherField | project Id").rows == [["r9"]]
    assert ws.query("IngestionErrors | project Position, Reason | order by Position asc").rows == [
        ["line 3", "values that do not convert to their column type: DurationMs (long): abc"],
        ["line 6", "not valid JSON"],
    ]


def test_a_small_file_is_one_block_of_its_own_size(tmp_path: Path) -> None:
    """The ingestor keeps the blocks of small files until they fill a chunk: a block must not
    hold a whole block-sized buffer for a few kilobytes."""
    from kustodian.ingest.readers import _blocks

    path = tmp_path / "small.json"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3')  # the last line without a line break
    with path.open("rb") as f:
        head = f.read(4)
        blocks = [(bytes(buf), cut, len(buf)) for buf, cut in _blocks(f, head)]
    size = path.stat().st_size  # 25 bytes: the first block is the file, cut after its lines
    assert [(data[:cut], length) for data, cut, length in blocks] == [
        (b'{"a": 1}\n{"a": 2}\n', size),
        (b'{"a": 3', 7),
    ]
