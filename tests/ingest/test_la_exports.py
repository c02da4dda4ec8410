"""Log Analytics exports (CSV and JSON): the Sentinel sample files, round trips, bad cells."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from kustodian.cli.main import main
from kustodian.ingest import ingest_paths
from kustodian.ingest.readers import detect, formats
from kustodian.kql.types import KType
from kustodian.workspace.workspace import Workspace

from .conftest import rows

ADELE_FIRST = "cfb68155-70f5-4e28-b046-0a3a7086c401"


def test_sample_files_are_detected_as_log_analytics_exports(samples: Path) -> None:
    known = formats()
    for name in ("sign-in_adelete.csv", "disable_accounts.csv", "AuditLogs_Hunting.csv"):
        chosen = detect(samples / name, known, None)
        assert chosen is not None and chosen.name == "la-export", name


def test_adele_vance_sign_ins(ws: Workspace, samples: Path) -> None:
    summary = ingest_paths(ws, [str(samples / "sign-in_adelete.csv")])
    assert (summary.ingested, summary.rejected, summary.tables) == (56, 0, {"SigninLogs": 56})
    assert summary.new_columns == []  # every column, twins and `[UTC]` included, is known
    by_result = rows(
        ws,
        "SigninLogs | summarize n = count(), first = min(TimeGenerated), "
        "last = max(TimeGenerated) by ResultType | order by ResultType asc",
    )
    assert by_result == [
        {"ResultType": "0", "n": 53, "first": "2021-04-28T14:08:45.221Z",
         "last": "2021-04-28T15:19:08.373Z"},
        {"ResultType": "16000", "n": 2, "first": "2021-04-28T14:29:08.356Z",
         "last": "2021-04-28T14:34:15.992Z"},
        {"ResultType": "50058", "n": 1, "first": "2021-04-28T14:29:16.617Z",
         "last": "2021-04-28T14:29:16.617Z"},
    ]  # fmt: skip
    [first] = rows(ws, f"SigninLogs | where Id == '{ADELE_FIRST}'")
    assert first["TimeGenerated"] == first["CreatedDateTime"] == "2021-04-28T14:08:45.221Z"
    assert first["Status"] == {"errorCode": 0}
    assert first["LocationDetails"]["city"] == "Azor"
    assert first["LocationDetails"]["geoCoordinates"]["latitude"] == pytest.approx(32.0295600)
    assert first["DeviceDetail"] == {
        "operatingSystem": "Windows 10",
        "deviceId": "",
        "browser": "Edge 90.0.818",
    }
    assert first["ConditionalAccessPolicies"][0]["displayName"] == (
        "Exchange Online Requires Compliant Device"
    )
    assert first["MfaDetail"] == {}
    assert first["IsInteractive"] is True
    assert json.loads(first["AuthenticationDetails"])[0]["authenticationMethod"] == (
        "Previously satisfied"
    )
    assert first["UserPrincipalName"] == "adelev@m365x816222.onmicrosoft.com"


def test_dynamic_columns_are_queryable_as_objects(ws: Workspace, samples: Path) -> None:
    ingest_paths(ws, [str(samples / "sign-in_adelete.csv")])
    result = rows(
        ws,
        "SigninLogs | where Status.errorCode == 50058 "
        "| project code = tostring(Status.errorCode), city = tostring(LocationDetails.city)",
    )
    assert result == [{"code": "50058", "city": "Azor"}]


def test_disabled_account_rows_take_the_ingestion_time(ws: Workspace, samples: Path) -> None:
    summary = ingest_paths(ws, [str(samples / "disable_accounts.csv")])
    assert (summary.ingested, summary.rejected) == (4, 0)
    result = rows(
        ws,
        "SigninLogs | project ResultType, Status, TenantId, late = TimeGenerated > ago(1h), "
        "same = TimeGenerated == _TimeReceived",
    )
    assert [r["ResultType"] for r in result] == ["50057"] * 4
    assert {r["Status"]["errorCode"] for r in result} == {50057}
    assert all(r["late"] and r["same"] for r in result)
    assert {r["TenantId"] for r in result} == {ws.workspace_id}  # the file has no TenantId


def test_audit_hunting_output_keeps_its_projected_columns(ws: Workspace, samples: Path) -> None:
    summary = ingest_paths(ws, [str(samples / "AuditLogs_Hunting.csv")])
    assert (summary.ingested, summary.rejected) == (5, 0)
    assert "AuditLogs.AccountCustomEntity" in summary.new_columns
    result = rows(
        ws,
        "AuditLogs | project OperationName, Category, Result, AADOperationType, "
        "upn = tostring(InitiatedBy.user.userPrincipalName), "
        "target = tostring(TargetResources[0].displayName), AccountCustomEntity",
    )
    assert len(result) == 5
    assert {r["OperationName"] for r in result} == {
        "Update application – Certificates and secrets management "
    }
    assert {r["Category"] for r in result} == {"ApplicationManagement"}
    first = next(r for r in result if r["target"] == "purview-spn-user099")
    assert first["upn"] == "victim@buildseccxpninja.onmicrosoft.com"
    assert first["AccountCustomEntity"] == "Victim@buildseccxpninja.onmicrosoft.com"


def test_query_output_is_refused_with_a_reason(ws: Workspace, samples: Path) -> None:
    summary = ingest_paths(ws, [str(samples / "signinLogs.csv")])
    assert (summary.ingested, summary.rejected) == (0, 1)
    [error] = rows(ws, "IngestionErrors")
    assert error["Position"] == "line 2"
    assert error["TargetTable"] == "SigninLogs"
    assert error["Reason"].startswith("looks like query output, not rows of SigninLogs: 10 of 12")
    assert "--table NAME_CL" in error["Reason"]
    assert json.loads(error["RawData"])["IPCustomEntity"] == "175.45.176.99"


def test_query_output_goes_into_a_custom_table_with_table(ws: Workspace, samples: Path) -> None:
    ws.create_custom_table(
        "DisabledAccountSignins_CL",
        [("StartTime", KType.DATETIME), ("IPAddress", KType.STRING)],
    )
    summary = ingest_paths(ws, [str(samples / "signinLogs.csv")], table="DisabledAccountSignins_CL")
    assert (summary.ingested, summary.rejected) == (1, 0)
    [row] = rows(ws, "DisabledAccountSignins_CL")
    assert row["StartTime"] == "2021-04-19T12:13:19.483Z"  # from `StartTime [UTC]`
    assert row["IPAddress"] == "175.45.176.99"
    assert row["Type"] == "DisabledAccountSignins_CL"
    # JSON text in a CSV cell types its new column dynamic, as a typed source would have
    assert row["DisabledAccountSet"] == ["johns@m365x816222.onmicrosoft.com"]


def test_every_sample_file_and_reingesting_adds_nothing(ws: Workspace, samples: Path) -> None:
    files = sorted(str(p) for p in samples.glob("*.csv"))
    first = ingest_paths(ws, files)
    assert first.tables == {"SigninLogs": 60, "AuditLogs": 5}
    assert (first.ingested, first.duplicates, first.rejected) == (65, 0, 1)
    again = ingest_paths(ws, files)
    assert (again.ingested, again.duplicates, again.rejected) == (0, 65, 1)
    counts = rows(
        ws, "union SigninLogs, AuditLogs, IngestionErrors | summarize n = count() by Type"
    )
    assert sorted((r["Type"], r["n"]) for r in counts) == [
        ("AuditLogs", 5),
        ("IngestionErrors", 1),
        ("SigninLogs", 60),
    ]


def test_cli_ingest_of_the_sample_folder(
    tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "ws")]) == 0
    capsys.readouterr()
    code = main(["ingest", "--workspace", str(tmp_path / "ws"), "--json", str(samples)])
    assert code == 1  # signinLogs.csv is refused (README.md is skipped: documentation)
    summary = json.loads(capsys.readouterr().out)
    assert summary["tables"] == {"AuditLogs": 5, "SigninLogs": 60}
    assert summary["rejected"] == 1


# -- round trips -----------------------------------------------------------------------------

TABLES = ("SigninLogs", "AuditLogs")


def _snapshot(ws: Workspace, table: str) -> list[dict[str, Any]]:
    return sorted(
        rows(ws, f"{table} | project-away _TimeReceived"), key=lambda r: str(r["_ItemId"])
    )


def _source_workspace(tmp_path: Path, samples: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "source")
    for name in ("sign-in_adelete.csv", "disable_accounts.csv", "AuditLogs_Hunting.csv"):
        assert ingest_paths(ws, [str(samples / name)]).rejected == 0
    return ws


def test_csv_export_ingests_back_to_identical_rows(tmp_path: Path, samples: Path) -> None:
    source = _source_workspace(tmp_path, samples)
    before = {t: _snapshot(source, t) for t in TABLES}
    source.close()
    out = tmp_path / "export"
    args = ["export", *TABLES, "--workspace", str(tmp_path / "source"), "--format", "csv"]
    assert main([*args, "--out", str(out)]) == 0
    with Workspace.init(tmp_path / "copy", workspace_id=_id(tmp_path / "source")) as copy:
        summary = ingest_paths(copy, [str(out / f"{t}.csv") for t in TABLES])
        assert (summary.ingested, summary.rejected) == (65, 0)
        for t in TABLES:
            assert _snapshot(copy, t) == before[t], t
        again = ingest_paths(copy, [str(out)])
        assert (again.ingested, again.duplicates) == (0, 65)


def test_query_json_ingests_back_to_identical_rows(
    tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _source_workspace(tmp_path, samples)
    before = {t: _snapshot(source, t) for t in TABLES}
    source.close()
    files = []
    for t in TABLES:
        assert main(["query", t, "--workspace", str(tmp_path / "source"), "--format", "json"]) == 0
        path = tmp_path / f"{t}.json"
        path.write_text(capsys.readouterr().out, encoding="utf-8")
        files.append(str(path))
    with Workspace.init(tmp_path / "copy", workspace_id=_id(tmp_path / "source")) as copy:
        summary = ingest_paths(copy, files)
        assert (summary.ingested, summary.rejected) == (65, 0)
        for t in TABLES:
            assert _snapshot(copy, t) == before[t], t


def _id(path: Path) -> str:
    with Workspace.open(path) as ws:
        return ws.workspace_id


def test_json_array_of_row_objects(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(
        json.dumps(
            [
                {
                    "TimeGenerated": "2025-03-01T10:00:00Z",
                    "Id": "a1",
                    "ResultType": "50126",
                    "Status": '{"errorCode":50126}',  # dynamic as JSON text (PowerShell)
                    "LocationDetails": {"city": "Oslo"},
                    "Type": "SigninLogs",
                },
                {"TimeGenerated": "2025-03-01T10:05:00Z", "Id": "b2", "Type": "AuditLogs"},
                {"TimeGenerated": "2025-03-01T10:06:00Z", "Id": "c3"},
            ]
        ),
        encoding="utf-8",
    )
    assert detect(path, formats(), None).name == "la-json"  # type: ignore[union-attr]
    summary = ingest_paths(ws, [str(path)])
    assert summary.tables == {"SigninLogs": 1, "AuditLogs": 1}
    [signin] = rows(ws, "SigninLogs")
    assert signin["Status"] == {"errorCode": 50126}
    assert signin["LocationDetails"] == {"city": "Oslo"}
    [error] = rows(ws, "IngestionErrors")
    assert error["Position"] == "row 3"
    assert "no Type column" in error["Reason"]


# -- malformed cells ------------------------------------------------------------------------

MALFORMED = (
    "TimeGenerated,Id,ResultType,Status,Type\n"
    '2025-03-01T10:00:00Z,ok-1,0,"{\n  ""errorCode"": 0\n}",SigninLogs\n'  # lines 2-4
    "not a date,bad-date,0,{},SigninLogs\n"  # line 5
    '2025-03-01T10:02:00Z,bad-json,0,"{""errorCode"": 5",SigninLogs\n'  # line 6
    "2025-03-01T10:03:00Z,ok-2,50126,,SigninLogs\n"  # line 7
)


def test_malformed_cells_go_to_ingestion_errors_with_their_lines(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(MALFORMED, encoding="utf-8")
    summary = ingest_paths(ws, [str(path)])
    assert (summary.ingested, summary.rejected) == (2, 2)
    landed = rows(ws, "SigninLogs | project Id, Status | order by Id asc")
    assert landed == [{"Id": "ok-1", "Status": {"errorCode": 0}}, {"Id": "ok-2", "Status": None}]
    errors = rows(ws, "IngestionErrors | project Position, Reason, RawData | order by Position asc")
    assert [e["Position"] for e in errors] == ["line 5", "line 6"]
    assert "TimeGenerated (datetime): not a date" in errors[0]["Reason"]
    assert "Status (dynamic): not valid JSON" in errors[1]["Reason"]
    assert json.loads(errors[1]["RawData"])["Id"] == "bad-json"


def test_twin_columns_take_the_string_twin_when_the_dynamic_one_is_empty(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "twins.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["TimeGenerated [UTC]", "Id", "Status_dynamic", "Status_string", "Type"])
        w.writerow(["3/1/2025, 10:00:00.000 AM", "t1", '{"errorCode":0}', "", "SigninLogs"])
        w.writerow(["3/1/2025, 1:00:00.000 PM", "t2", "", '{"errorCode":1}', "SigninLogs"])
    assert ingest_paths(ws, [str(path)]).ingested == 2
    result = rows(ws, "SigninLogs | project TimeGenerated, Id, Status | order by Id asc")
    assert result == [
        {"TimeGenerated": "2025-03-01T10:00:00Z", "Id": "t1", "Status": {"errorCode": 0}},
        {"TimeGenerated": "2025-03-01T13:00:00Z", "Id": "t2", "Status": {"errorCode": 1}},
    ]


def test_azure_data_explorer_v1_document(ws: Workspace, tmp_path: Path) -> None:
    doc = {
        "Tables": [
            {
                "TableName": "Table_0",
                "Columns": [
                    {
                        "ColumnName": "TimeGenerated",
                        "DataType": "DateTime",
                        "ColumnType": "datetime",
                    },
                    {"ColumnName": "Id", "DataType": "String", "ColumnType": "string"},
                    {"ColumnName": "Status", "DataType": "Object", "ColumnType": "dynamic"},
                    {"ColumnName": "Type", "DataType": "String", "ColumnType": "string"},
                ],
                "Rows": [["2025-03-01T10:00:00Z", "v1", '{"errorCode":0}', "SigninLogs"]],
            },
            {"TableName": "Table_1", "Columns": [], "Rows": []},
        ]
    }
    path = tmp_path / "adx.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert ingest_paths(ws, [str(path)]).tables == {"SigninLogs": 1}
    assert rows(ws, "SigninLogs | project Id, Status") == [{"Id": "v1", "Status": {"errorCode": 0}}]
