"""The `graph` format: saved Microsoft Graph responses, mapped as diagnostic-settings records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.ingest import ingest_paths, ingest_records
from kustodian.ingest.graph import GraphObjectError, signin_category, to_record
from kustodian.ingest.readers import detect, formats, read_head
from tests.ingest.records import TENANT, audit, signin

CONTEXT = "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns"
AUDIT_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits"


@pytest.fixture
def ws() -> Workspace:
    return Workspace.open(":memory:")


def graph_signin(id: str, result: str = "0", **extra: Any) -> dict[str, Any]:
    """A Graph signIn: the `properties` of the diagnostic record of the same event."""
    failure = "" if result == "0" else "Invalid username or password"
    record = signin(
        id,
        result=result,
        correlationId=f"corr-{id}",
        resourceTenantId=TENANT,
        homeTenantId=TENANT,
        signInEventTypes=["interactiveUser"],
        status={"errorCode": int(result), "failureReason": failure},
        **extra,
    )
    return dict(record["properties"])


def write(path: Path, doc: Any, *, indent: int | None = 2) -> Path:
    path.write_text(json.dumps(doc, indent=indent))
    return path


def one(ws: Workspace, kql: str) -> dict[str, Any]:
    r = ws.query(kql)
    assert len(r.rows) == 1, r.rows
    return {name: v for (name, _), v in zip(r.columns, r.rows[0])}


def test_a_saved_page_ingests_and_bad_items_name_their_page_and_item(
    tmp_path: Path, ws: Workspace
) -> None:
    page = {
        "@odata.context": CONTEXT,
        "@odata.nextLink": "https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x",
        "value": [graph_signin("a", "50126"), graph_signin("b"), {"id": "c"}, "text"],
    }
    s = ingest_paths(ws, [str(write(tmp_path / "signIns-1.json", page))])
    assert (s.ingested, s.rejected, s.tables) == (2, 2, {"SigninLogs": 2})
    errors = ws.query("IngestionErrors | project Position, Format, Reason | order by Position asc")
    assert errors.rows == [
        ["page 1, item 3", "graph", "a Graph signIn without createdDateTime"],
        ["page 1, item 4", "graph", "a Graph page item is not a JSON object"],
    ]


def test_graph_sign_ins_map_to_the_log_analytics_columns(tmp_path: Path, ws: Workspace) -> None:
    page = {"@odata.context": CONTEXT, "value": [graph_signin("a", "50126")]}
    ingest_paths(ws, [str(write(tmp_path / "p.json", page))])
    row = one(ws, "SigninLogs")
    assert row["TimeGenerated"] == "2024-06-20T05:01:02.1234567Z"
    assert row["CreatedDateTime"] == "2024-06-20T05:01:02.1234567Z"
    assert row["UserPrincipalName"] == "ann@contoso.com"
    assert row["ResultType"] == "50126"  # a string column
    assert row["ResultDescription"] == "Invalid username or password"
    assert row["Status"] == {"errorCode": 50126, "failureReason": "Invalid username or password"}
    assert row["LocationDetails"] == {
        "city": "Seattle",
        "state": "Washington",
        "countryOrRegion": "US",
    }
    assert row["Location"] == "US"
    assert row["ConditionalAccessPolicies"] == [
        {"id": "p1", "displayName": "Require MFA", "enforcedGrantControls": ["Mfa"]}
    ]
    assert row["AuthenticationRequirement"] == "multiFactorAuthentication"
    assert json.loads(row["AuthenticationDetails"]) == [
        {"authenticationMethod": "Password", "succeeded": True}
    ]
    assert row["OperationName"] == "Sign-in activity"
    assert row["Category"] == "SignInLogs"
    assert row["Identity"] == "Ann"
    assert row["AADTenantId"] == TENANT
    assert row["CorrelationId"] == "corr-a"
    assert row["Id"] == "a"
    assert row["IsInteractive"] is True
    assert row["ResourceIdentity"] == "797f4846-ba00-4fd7-ba43-dac1f8f63013"
    # Kusto's number-vs-string comparison works on it, as Sentinel rules expect
    assert ws.query("SigninLogs | where ResultType == 50126 | count").rows == [[1]]


def test_the_same_event_from_graph_and_from_diagnostic_settings_is_one_identical_row(
    tmp_path: Path,
) -> None:
    obj = graph_signin("e1", "50126")
    diagnostic = signin(
        "e1",
        result="50126",
        **{k: v for k, v in obj.items() if k not in ("id",)},
    )
    assert diagnostic["properties"] == obj
    page = write(tmp_path / "p.json", {"@odata.context": CONTEXT, "value": [obj]})
    hidden = "project-away _TimeReceived, _BilledSize"  # when and how big the input was

    via_graph, via_diag = Workspace.open(":memory:"), Workspace.open(":memory:")
    ingest_paths(via_graph, [str(page)])
    ingest_records(via_diag, [diagnostic])
    a, b = via_graph.query(f"SigninLogs | {hidden}"), via_diag.query(f"SigninLogs | {hidden}")
    # TenantId is each workspace's own id; everything else is equal, _ItemId included
    tenant = [n for n, _ in a.columns].index("TenantId")
    assert a.columns == b.columns
    assert [v for i, v in enumerate(a.rows[0]) if i != tenant] == [
        v for i, v in enumerate(b.rows[0]) if i != tenant
    ]

    ws = Workspace.open(":memory:")
    assert ingest_records(ws, [diagnostic]).ingested == 1
    again = ingest_paths(ws, [str(page)])
    assert (again.ingested, again.duplicates) == (0, 1)
    assert ws.query("SigninLogs | count").rows == [[1]]


def test_arrays_of_pages_json_lines_and_bare_arrays(tmp_path: Path, ws: Workspace) -> None:
    pages = [
        {"@odata.context": CONTEXT, "value": [graph_signin("a1"), graph_signin("a2")]},
        {"@odata.context": CONTEXT, "value": [graph_signin("a3")]},
    ]
    write(tmp_path / "array.json", pages)
    (tmp_path / "lines.jsonl").write_text(
        "\n".join(
            json.dumps({"@odata.context": CONTEXT, "value": [graph_signin(f"l{i}")]})
            for i in (1, 2, 3)
        )
        + "\n"
    )
    write(tmp_path / "bare.json", [graph_signin("b1"), graph_signin("b2")], indent=None)
    s = ingest_paths(ws, [str(tmp_path)])
    assert (s.ingested, s.rejected) == (8, 0)
    assert len(ws.query("SigninLogs | distinct Id").rows) == 8


def test_positions_in_json_lines_and_arrays_of_pages(tmp_path: Path, ws: Workspace) -> None:
    (tmp_path / "lines.jsonl").write_text(
        json.dumps({"@odata.context": CONTEXT, "value": [graph_signin("l1")]})
        + "\n{not json\n"
        + json.dumps({"@odata.context": CONTEXT, "value": [graph_signin("l2"), 7]})
        + "\n"
    )
    s = ingest_paths(ws, [str(tmp_path / "lines.jsonl")], fmt="graph")
    assert (s.ingested, s.rejected) == (2, 2)
    positions = ws.query("IngestionErrors | project Position | order by Position asc").rows
    assert positions == [["line 2"], ["page 2, item 2"]]


def test_directory_audits_map_to_audit_logs(tmp_path: Path, ws: Workspace) -> None:
    obj = dict(audit("x1")["properties"])
    obj["initiatedBy"] = {"user": {"displayName": "Admin", "userPrincipalName": "admin@c.com"}}
    ingest_paths(
        ws, [str(write(tmp_path / "a.json", {"@odata.context": AUDIT_CONTEXT, "value": [obj]}))]
    )
    row = one(ws, "AuditLogs")
    assert row["TimeGenerated"] == "2024-06-20T06:00:00Z"
    assert row["OperationName"] == "Invite external user"
    assert row["ActivityDisplayName"] == "Invite external user"
    assert row["Category"] == "UserManagement"
    assert (row["Result"], row["ResultType"]) == ("success", "Success")
    assert row["AADOperationType"] == "Add"
    assert row["Identity"] == "Admin"
    assert row["InitiatedBy"] == {
        "user": {"displayName": "Admin", "userPrincipalName": "admin@c.com"}
    }
    assert row["AdditionalDetails"] == [{"key": "invitationId", "value": "inv-x1"}]


def test_sign_in_event_types_pick_the_table() -> None:
    base = {"createdDateTime": "2024-06-20T05:00:00Z"}
    assert signin_category({**base, "signInEventTypes": ["nonInteractiveUser"]}) == (
        "NonInteractiveUserSignInLogs"
    )
    assert signin_category({**base, "signInEventTypes": ["servicePrincipal"]}) == (
        "ServicePrincipalSignInLogs"
    )
    assert signin_category({**base, "signInEventTypes": ["managedIdentity"]}) == (
        "ManagedIdentitySignInLogs"
    )
    assert signin_category({**base, "isInteractive": False}) == "NonInteractiveUserSignInLogs"
    assert signin_category({**base, "isInteractive": True}) == "SignInLogs"
    # a sign-in without either (v1.0 lists interactive sign-ins only)
    assert signin_category(base) == "SignInLogs"
    with pytest.raises(GraphObjectError, match="neither createdDateTime nor activityDateTime"):
        to_record({"id": "x"})
    with pytest.raises(GraphObjectError, match="a Graph directoryAudit without activityDateTime"):
        to_record({"id": "x", "createdDateTime": "2024-06-20T05:00:00Z"}, kind="directoryAudit")


def test_service_principal_sign_ins_from_graph(tmp_path: Path, ws: Workspace) -> None:
    obj = {
        "id": "sp1",
        "createdDateTime": "2024-06-20T05:00:00Z",
        "appId": "a-1",
        "servicePrincipalName": "nightly-job",
        "status": {"errorCode": 7000215},
        "location": {"countryOrRegion": "SE"},
        "signInEventTypes": ["servicePrincipal"],
        "@odata.type": "#microsoft.graph.signIn",
    }
    ingest_paths(
        ws, [str(write(tmp_path / "sp.json", {"@odata.context": CONTEXT, "value": [obj]}))]
    )
    row = one(
        ws,
        "AADServicePrincipalSignInLogs | project Id, Identity, ResultType, Location, LocationDetails",
    )
    assert row == {
        "Id": "sp1",
        "Identity": "nightly-job",
        "ResultType": "7000215",
        "Location": "SE",
        "LocationDetails": '{"countryOrRegion":"SE"}',  # a string column in this table
    }


def test_detection_tells_graph_pages_from_diagnostic_records(tmp_path: Path) -> None:
    known = formats()
    assert "graph" in known

    def sniff(name: str, doc: Any) -> str | None:
        path = write(tmp_path / name, doc)
        assert read_head(path)
        found = detect(path, known, None)
        return found.name if found else None

    assert sniff("page.json", {"@odata.context": CONTEXT, "value": []}) == "graph"
    assert sniff("value.json", {"value": [graph_signin("v")]}) == "graph"
    assert sniff("bare.json", [graph_signin("b")]) == "graph"
    assert sniff("hub.json", {"records": [signin("h")]}) == "diagnostic"
    assert sniff("records.json", [signin("r")]) == "diagnostic"
    assert sniff("audit-records.json", [audit("r")]) == "diagnostic"


def test_a_successful_sign_in_has_no_result_description() -> None:
    from kustodian.ingest.graph import to_record

    ok = to_record(
        {
            "id": "x",
            "createdDateTime": "2024-05-01T00:00:00Z",
            "status": {"errorCode": 0, "failureReason": "Other."},
        },
        kind="signIn",
    )
    failed = to_record(
        {
            "id": "y",
            "createdDateTime": "2024-05-01T00:00:00Z",
            "status": {"errorCode": 50126, "failureReason": "Invalid username or password."},
        },
        kind="signIn",
    )
    assert ok["resultDescription"] == ""
    assert failed["resultDescription"] == "Invalid username or password."
