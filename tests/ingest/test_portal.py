"""Entra admin center downloads (CSV and JSON) into the Log Analytics tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kustodian.ingest import ingest_paths
from kustodian.ingest.exports import initiated_by, parse_location, portal_table
from kustodian.ingest.readers import detect, formats
from kustodian.workspace.workspace import Workspace

from .conftest import rows

# The header row of a 2025 interactive/non-interactive download, with the portal's quirks
# (trailing spaces, a double space, "Incoming token type" twice): see exports.py, source S-b.
SIGNIN_HEADER = (
    "Date (UTC),Request ID,User agent,Correlation ID,User ID,User,Username,User type,"
    "Cross tenant access type,Incoming token type,Authentication Protocol,"
    "Unique token identifier,Original transfer method,Client credential type,"
    "Token Protection - Sign In Session,Token Protection - Sign In Session StatusCode,"
    "Application,Application ID ,App owner tenant ID,Resource,Resource ID ,Resource tenant ID,"
    "Resource owner tenant ID,Home tenant ID,Home tenant name,IP address,Location,Status,"
    "Sign-in error code,Failure reason,Client app,Device ID,Browser,Operating System,Compliant,"
    "Managed,Join Type,Multifactor authentication result,Multifactor authentication auth method,"
    "Multifactor authentication auth detail,Authentication requirement,Sign-in identifier,"
    "Session ID,IP address (seen by resource),Through Global Secure Access,"
    "Global Secure Access IP address,Autonomous system  number,Flagged for review,"
    "Token issuer type,Incoming token type,Token issuer name,Latency,Conditional Access"
)
TENANT = "22222222-2222-4222-8222-222222222222"
SIGNIN_ROWS = [
    # a success with MFA from Seattle
    "2025-01-01T08:19:41Z,5e3a1c2d-0000-4000-8000-000000000001,"
    '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0.0.0",'
    "c0ffee00-0000-4000-8000-000000000001,11111111-1111-4111-8111-111111111111,Adele Vance,"
    "adelev@contoso.com,Member,none,none,none,AbCdEf123,,none,,,Microsoft Office 365 Portal,"
    "00000006-0000-0ff1-ce00-000000000000,,Office 365 Exchange Online,"
    f"00000002-0000-0ff1-ce00-000000000000,{TENANT},,{TENANT},Contoso,203.0.113.7,"
    '"Seattle, Washington, US",Success,0,Other.,Browser,,Edge 131.0.0,Windows10,False,False,,'
    "MFA successfully completed,Mobile app notification,,Multifactor authentication,"
    "adelev@contoso.com,00a1b2c3-0000-4000-8000-000000000001,,False,,8075,False,AzureAD,none,,"
    "112,Success",
    # a bad password by ROPC from Moscow
    "2025-01-01T09:00:05.123Z,5e3a1c2d-0000-4000-8000-000000000002,python-requests/2.31,"
    "c0ffee00-0000-4000-8000-000000000002,11111111-1111-4111-8111-111111111111,Adele Vance,"
    "adelev@contoso.com,Member,none,none,ropc,XyZ987,,none,,,Azure Portal,"
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c,,Windows Azure Service Management API,"
    f"797f4846-ba00-4fd7-ba43-dac1f8f63013,{TENANT},,{TENANT},Contoso,198.51.100.9,"
    '"Moscow, Moscow, RU",Failure,50126,'
    '"Error validating credentials due to invalid username or password.",'
    "Mobile Apps and Desktop clients,,,,,,,,,,Single-factor authentication,adelev@contoso.com,"
    ",,False,,12345,True,AzureAD,none,,55,Not Applied",
]
SIGNIN_CSV = "\n".join([SIGNIN_HEADER, *SIGNIN_ROWS]) + "\n"

# An ApplicationSignIns download (22 headers, S-b).
APP_CSV = (
    "Date (UTC),Request ID,Correlation ID,Service principal ID,Service principal name,"
    "Credential key ID,Credential thumbprint,Application,Application ID ,App owner tenant ID,"
    "Resource,Resource ID ,Resource tenant ID,Resource owner tenant ID,Home tenant ID,"
    "Home tenant name,IP address,Location,Status,Sign-in error code,Failure reason,"
    "Conditional Access\n"
    "2025-01-02T03:04:05Z,ab000000-0000-4000-8000-000000000001,cd000000-0000-4000-8000-0000000000"
    "01,99999999-9999-4999-8999-999999999999,Backup Job,k-1,,Backup Job,"
    "aaaaaaaa-0000-4000-8000-000000000000,,Microsoft Graph,00000003-0000-0000-c000-000000000000,"
    f"{TENANT},,{TENANT},Contoso,192.0.2.10,"
    '"Amsterdam, Noord-Holland, NL",Failure,7000215,"Invalid client secret provided.",'
    "Not Applied\n"
)

AUDIT_CSV = (
    "Date (UTC),CorrelationId,Service,Category,Activity,Result,ResultReason,User Agent,"
    "ActorType,ActorDisplayName,ActorObjectId,ActorUserPrincipalName,IPAddress,"
    "ActorHomeTenantId,ActorHomeTenantName,ActorServicePrincipalId,ActorServicePrincipalName,"
    "Target1Type,Target1DisplayName,Target1ObjectId,Target1UserPrincipalName,"
    "Target1ModifiedProperty1Name,Target1ModifiedProperty1OldValue,"
    "Target1ModifiedProperty1NewValue,Target1ModifiedProperty2Name,"
    "Target1ModifiedProperty2OldValue,Target1ModifiedProperty2NewValue,Target2Type,"
    "Target2DisplayName,Target2ObjectId,Target2UserPrincipalName,AdditionalDetail1Key,"
    "AdditionalDetail1Value,AdditionalDetail2Key,AdditionalDetail2Value\n"
    # a user invites a guest
    "2025-01-01T10:00:00Z,aaaa0000-0000-4000-8000-000000000001,Invited Users,UserManagement,"
    "Invite external user,Success,,Mozilla/5.0,User,Megan Bowen,"
    "33333333-3333-4333-8333-333333333333,meganb@contoso.com,203.0.113.8,,,,,User,"
    "guest_fabrikam.com#EXT#@contoso.com,44444444-4444-4444-8444-444444444444,"
    'guest_fabrikam.com#EXT#@contoso.com,Email,[],"[""guest@fabrikam.com""]",,,,,,,,'
    "invitationId,55555555-5555-4555-8555-555555555555,oid,44444444-4444-4444-8444-444444444444\n"
    # an app adds a secret (Entra's activity name ends in a space)
    "2025-01-01T11:00:00Z,aaaa0000-0000-4000-8000-000000000002,Core Directory,"
    "ApplicationManagement,Update application – Certificates and secrets management ,Failure,"
    "Microsoft.Online.DirectoryServices.AuthorizationException,,Application,Graph Explorer,"
    "66666666-6666-4666-8666-666666666666,,,,,66666666-6666-4666-8666-666666666666,"
    "Graph Explorer,Application,EntApp01,77777777-7777-4777-8777-777777777777,,KeyDescription,"
    '[],"[""[KeyIdentifier=1,KeyType=Password]""]",Included Updated Properties,,'
    '"""KeyDescription""",ServicePrincipal,EntApp01 SP,88888888-8888-4888-8888-888888888888,,,,'
    ",\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_interactive_download_maps_to_signinlogs(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "InteractiveSignIns_2025-01-01_2025-01-02.csv", SIGNIN_CSV)
    assert detect(path, formats(), None).name == "portal-csv"  # type: ignore[union-attr]
    summary = ingest_paths(ws, [str(path)])
    assert (summary.ingested, summary.rejected, summary.tables) == (2, 0, {"SigninLogs": 2})
    ok, bad = rows(ws, "SigninLogs | project-away _TimeReceived | order by TimeGenerated asc")
    assert ok["TimeGenerated"] == ok["CreatedDateTime"] == "2025-01-01T08:19:41Z"
    assert bad["TimeGenerated"] == "2025-01-01T09:00:05.123Z"
    assert (ok["ResultType"], bad["ResultType"]) == ("0", "50126")
    assert ok["Status"] == {
        "errorCode": 0,
        "failureReason": "Other.",
        "additionalDetails": "MFA successfully completed",
    }
    assert bad["Status"] == {
        "errorCode": 50126,
        "failureReason": "Error validating credentials due to invalid username or password.",
    }
    assert bad["ResultDescription"] == bad["Status"]["failureReason"]
    assert ok["ResultDescription"] == ""
    assert ok["LocationDetails"] == {
        "city": "Seattle",
        "state": "Washington",
        "countryOrRegion": "US",
    }
    assert (ok["Location"], bad["Location"]) == ("US", "RU")
    assert ok["DeviceDetail"] == {
        "browser": "Edge 131.0.0",
        "operatingSystem": "Windows10",
        "isCompliant": False,
        "isManaged": False,
    }
    assert bad["DeviceDetail"] is None
    assert ok["MfaDetail"] == {"authMethod": "Mobile app notification"}
    expected = {
        "Id": "5e3a1c2d-0000-4000-8000-000000000001",
        "UserPrincipalName": "adelev@contoso.com",
        "UserDisplayName": "Adele Vance",
        "Identity": "Adele Vance",
        "UserId": "11111111-1111-4111-8111-111111111111",
        "UserType": "Member",
        "AppDisplayName": "Microsoft Office 365 Portal",
        "AppId": "00000006-0000-0ff1-ce00-000000000000",  # "Application ID " (trailing space)
        "ResourceDisplayName": "Office 365 Exchange Online",
        "ResourceIdentity": "00000002-0000-0ff1-ce00-000000000000",
        "ResourceTenantId": TENANT,
        "AADTenantId": TENANT,
        "IPAddress": "203.0.113.7",
        "ClientAppUsed": "Browser",
        "AuthenticationRequirement": "multiFactorAuthentication",
        "ConditionalAccessStatus": "success",
        "AutonomousSystemNumber": "8075",  # "Autonomous system  number" (two spaces)
        "ProcessingTimeInMilliseconds": "112",
        "IsInteractive": True,
        "FlaggedForReview": False,
        "OperationName": "Sign-in activity",
        "Category": "SignInLogs",
        "TokenIssuerType": "AzureAD",
        "UniqueTokenIdentifier": "AbCdEf123",
        "HomeTenantName": "Contoso",  # no such column: kept as an extension
        "SessionId": "00a1b2c3-0000-4000-8000-000000000001",
    }
    assert {k: ok[k] for k in expected} == expected
    assert bad["AuthenticationRequirement"] == "singleFactorAuthentication"
    assert bad["ConditionalAccessStatus"] == "notApplied"
    assert bad["FlaggedForReview"] is True
    assert "SigninLogs.HomeTenantName" in summary.new_columns


def test_non_interactive_download_follows_its_file_name(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "NonInteractiveSignIns_2025-01-01_2025-01-02.csv", SIGNIN_CSV)
    summary = ingest_paths(ws, [str(path)])
    assert summary.tables == {"AADNonInteractiveUserSignInLogs": 2}
    [bad] = rows(ws, "AADNonInteractiveUserSignInLogs | where ResultType == '50126'")
    # these columns are strings in the non-interactive table: JSON text
    assert json.loads(bad["Status"])["errorCode"] == 50126
    assert json.loads(bad["LocationDetails"])["city"] == "Moscow"
    assert bad["ProcessingTimeInMs"] == "55"
    assert bad["IsInteractive"] is False
    assert bad["Category"] == "NonInteractiveUserSignInLogs"


def test_service_principal_download(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "ApplicationSignIns_2025-01-02_2025-01-03.csv", APP_CSV)
    summary = ingest_paths(ws, [str(path)])
    assert (summary.tables, summary.rejected) == ({"AADServicePrincipalSignInLogs": 1}, 0)
    assert not any(c.endswith(".Status") for c in summary.new_columns)
    [row] = rows(ws, "AADServicePrincipalSignInLogs")
    assert row["ResultType"] == "7000215"
    assert row["ResultDescription"] == "Invalid client secret provided."
    assert row["ServicePrincipalId"] == "99999999-9999-4999-8999-999999999999"
    assert row["ServicePrincipalName"] == row["Identity"] == "Backup Job"
    assert row["ServicePrincipalCredentialKeyId"] == "k-1"
    assert json.loads(row["LocationDetails"])["countryOrRegion"] == "NL"
    assert row["TimeGenerated"] == "2025-01-02T03:04:05Z"
    assert "Status" not in row  # the table has no Status column; nothing is made up for it


@pytest.mark.parametrize(
    ("headers", "name", "table"),
    [
        (SIGNIN_HEADER, "download.csv", "SigninLogs"),
        (SIGNIN_HEADER, "MSISignIns_2025.csv", "AADManagedIdentitySignInLogs"),
        (APP_CSV.split("\n", 1)[0], "download.csv", "AADServicePrincipalSignInLogs"),
        (
            APP_CSV.split("\n", 1)[0] + ",Managed Identity type",
            "download.csv",
            "AADManagedIdentitySignInLogs",
        ),
        (AUDIT_CSV.split("\n", 1)[0], "download.csv", "AuditLogs"),
        ("TimeGenerated,Id,Type", "export.csv", None),
    ],
)
def test_portal_table_from_headers_and_file_name(headers: str, name: str, table: str) -> None:
    assert portal_table(headers.split(","), Path(name)) == table


def test_audit_download_maps_to_auditlogs(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "AuditLogs_2025-01-01.csv", AUDIT_CSV)
    assert detect(path, formats(), None).name == "portal-csv"  # type: ignore[union-attr]
    summary = ingest_paths(ws, [str(path)])
    assert (summary.ingested, summary.rejected) == (2, 0)
    invite, secret = rows(ws, "AuditLogs | order by TimeGenerated asc")
    assert invite["TimeGenerated"] == invite["ActivityDateTime"] == "2025-01-01T10:00:00Z"
    assert invite["OperationName"] == invite["ActivityDisplayName"] == "Invite external user"
    assert (invite["LoggedByService"], invite["Category"]) == ("Invited Users", "UserManagement")
    assert (invite["Result"], invite["ResultType"]) == ("success", "Success")
    assert invite["InitiatedBy"] == {
        "user": {
            "id": "33333333-3333-4333-8333-333333333333",
            "displayName": "Megan Bowen",
            "userPrincipalName": "meganb@contoso.com",
            "ipAddress": "203.0.113.8",
        }
    }
    assert invite["TargetResources"] == [
        {
            "type": "User",
            "displayName": "guest_fabrikam.com#EXT#@contoso.com",
            "id": "44444444-4444-4444-8444-444444444444",
            "userPrincipalName": "guest_fabrikam.com#EXT#@contoso.com",
            "modifiedProperties": [
                {"displayName": "Email", "oldValue": "[]", "newValue": '["guest@fabrikam.com"]'}
            ],
        }
    ]
    assert invite["AdditionalDetails"] == [
        {"key": "invitationId", "value": "55555555-5555-4555-8555-555555555555"},
        {"key": "oid", "value": "44444444-4444-4444-8444-444444444444"},
    ]
    assert invite["UserAgent"] == "Mozilla/5.0"  # no such column: an extension
    assert secret["OperationName"] == "Update application – Certificates and secrets management "
    assert secret["InitiatedBy"] == {
        "app": {
            "displayName": "Graph Explorer",
            "servicePrincipalName": "Graph Explorer",
            "servicePrincipalId": "66666666-6666-4666-8666-666666666666",
        }
    }
    assert [t["type"] for t in secret["TargetResources"]] == ["Application", "ServicePrincipal"]
    assert secret["TargetResources"][0]["modifiedProperties"][1] == {
        "displayName": "Included Updated Properties",
        "oldValue": None,
        "newValue": '"KeyDescription"',
    }
    assert secret["AdditionalDetails"] == []
    # the who-invited query reads the invitation id as the first additional detail
    result = rows(
        ws,
        "AuditLogs | where OperationName == 'Invite external user' "
        "| project InvitationId = tostring(AdditionalDetails[0].value), "
        "By = tostring(InitiatedBy.user.userPrincipalName)",
    )
    assert result == [
        {"InvitationId": "55555555-5555-4555-8555-555555555555", "By": "meganb@contoso.com"}
    ]


def test_reingesting_downloads_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    files = [
        str(_write(tmp_path, "InteractiveSignIns_x.csv", SIGNIN_CSV)),
        str(_write(tmp_path, "AuditLogs_x.csv", AUDIT_CSV)),  # audit rows have no Id
    ]
    assert ingest_paths(ws, files).ingested == 4
    again = ingest_paths(ws, files)
    assert (again.ingested, again.duplicates) == (0, 4)


# -- portal JSON --------------------------------------------------------------------------------

GRAPH_SIGNIN = {
    "id": "5e3a1c2d-0000-4000-8000-000000000002",
    "createdDateTime": "2025-01-01T09:00:05.123Z",
    "userDisplayName": "Adele Vance",
    "userPrincipalName": "adelev@contoso.com",
    "userId": "11111111-1111-4111-8111-111111111111",
    "appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
    "appDisplayName": "Azure Portal",
    "ipAddress": "198.51.100.9",
    "clientAppUsed": "Mobile Apps and Desktop clients",
    "correlationId": "c0ffee00-0000-4000-8000-000000000002",
    "conditionalAccessStatus": "notApplied",
    "isInteractive": True,
    "resourceDisplayName": "Windows Azure Service Management API",
    "resourceId": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
    "resourceTenantId": TENANT,
    "status": {
        "errorCode": 50126,
        "failureReason": "Error validating credentials due to invalid username or password.",
        "additionalDetails": None,
    },
    "deviceDetail": {"deviceId": "", "operatingSystem": "", "browser": ""},
    "location": {
        "city": "Moscow",
        "state": "Moscow",
        "countryOrRegion": "RU",
        "geoCoordinates": {"latitude": 55.75, "longitude": 37.61},
    },
    "appliedConditionalAccessPolicies": [],
    "authenticationDetails": [{"authenticationMethod": "Password", "succeeded": False}],
}
GRAPH_AUDIT = {
    "id": "Directory_aaaa0000_1",
    "category": "UserManagement",
    "correlationId": "aaaa0000-0000-4000-8000-000000000001",
    "result": "success",
    "resultReason": "",
    "activityDisplayName": "Invite external user",
    "activityDateTime": "2025-01-01T10:00:00.1234567Z",
    "loggedByService": "Invited Users",
    "operationType": "Add",
    "initiatedBy": {"user": {"displayName": "Megan Bowen", "userPrincipalName": "meganb@c.com"}},
    "targetResources": [{"id": "t-1", "type": "User", "modifiedProperties": []}],
    "additionalDetails": [{"key": "invitationId", "value": "55555555"}],
}


def test_portal_json_download(ws: Workspace, tmp_path: Path) -> None:
    download = json.dumps([GRAPH_SIGNIN, GRAPH_AUDIT, 42], indent=2)
    path = _write(tmp_path, "InteractiveSignIns_2025-01-01_2025-01-02.json", download)
    assert detect(path, formats(), None).name == "portal-json"  # type: ignore[union-attr]
    summary = ingest_paths(ws, [str(path)])
    assert (summary.tables, summary.rejected) == ({"SigninLogs": 1, "AuditLogs": 1}, 1)
    [signin] = rows(ws, "SigninLogs")
    assert signin["TimeGenerated"] == signin["CreatedDateTime"] == "2025-01-01T09:00:05.123Z"
    assert (signin["ResultType"], signin["Status"]["errorCode"]) == ("50126", 50126)
    assert signin["ResultDescription"] == GRAPH_SIGNIN["status"]["failureReason"]  # type: ignore[index]
    assert signin["LocationDetails"]["city"] == "Moscow"
    assert signin["Location"] == "RU"
    assert signin["ResourceIdentity"] == "797f4846-ba00-4fd7-ba43-dac1f8f63013"
    assert signin["ConditionalAccessPolicies"] == []
    assert json.loads(signin["AuthenticationDetails"]) == GRAPH_SIGNIN["authenticationDetails"]
    assert (signin["OperationName"], signin["Category"]) == ("Sign-in activity", "SignInLogs")
    [audit] = rows(ws, "AuditLogs")
    assert audit["TimeGenerated"] == "2025-01-01T10:00:00.1234567Z"
    assert (audit["OperationName"], audit["AADOperationType"]) == ("Invite external user", "Add")
    assert audit["Category"] == "UserManagement"
    assert audit["AdditionalDetails"] == [{"key": "invitationId", "value": "55555555"}]
    [error] = rows(ws, "IngestionErrors")
    assert (error["Position"], error["Reason"]) == ("row 3", "not a JSON object")


def test_portal_json_sign_in_kind_from_file_name_or_fields(ws: Workspace, tmp_path: Path) -> None:
    non_interactive = _write(
        tmp_path, "NonInteractiveSignIns_2025.json", json.dumps([GRAPH_SIGNIN])
    )
    service = {
        "id": "sp-1",
        "createdDateTime": "2025-01-01T12:00:00Z",
        "servicePrincipalId": "99999999-9999-4999-8999-999999999999",
        "servicePrincipalName": "Backup Job",
        "status": {"errorCode": 0},
    }
    other = _write(tmp_path, "download.json", json.dumps([service]))
    assert ingest_paths(ws, [str(non_interactive)]).tables == {"AADNonInteractiveUserSignInLogs": 1}
    # a renamed download: its fields tell a service principal sign-in
    summary = ingest_paths(ws, [str(other)], fmt="portal-json")
    assert summary.tables == {"AADServicePrincipalSignInLogs": 1}
    [sp] = rows(ws, "AADServicePrincipalSignInLogs")
    assert (sp["ResultType"], sp["Identity"]) == ("0", "Backup Job")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("InteractiveSignIns_2025-01-01_2025-01-02.json", "portal-json"),
        ("AuditLogs_2025-01-01.json", "portal-json"),
        ("signins-page.json", "graph"),  # other arrays of Graph objects: the Graph format
    ],
)
def test_portal_json_is_told_from_graph_by_its_name(tmp_path: Path, name: str, fmt: str) -> None:
    path = _write(tmp_path, name, json.dumps([GRAPH_SIGNIN]))
    assert detect(path, formats(), None).name == fmt  # type: ignore[union-attr]


def test_powershell_pascal_case_objects_with_format(ws: Workspace, tmp_path: Path) -> None:
    pascal = {k[:1].upper() + k[1:]: v for k, v in GRAPH_SIGNIN.items()}
    pascal["Status"] = {"ErrorCode": 50126, "FailureReason": "Bad password"}
    path = _write(tmp_path, "Get-MgAuditLogSignIn.json", json.dumps([pascal]))
    summary = ingest_paths(ws, [str(path)], fmt="portal-json")
    assert summary.tables == {"SigninLogs": 1}
    [row] = rows(ws, "SigninLogs")
    assert row["Status"] == {"errorCode": 50126, "failureReason": "Bad password"}
    assert row["LocationDetails"]["countryOrRegion"] == "RU"


def test_csv_and_json_downloads_of_one_sign_in_are_one_row(ws: Workspace, tmp_path: Path) -> None:
    csv_file = _write(tmp_path, "InteractiveSignIns_x.csv", SIGNIN_CSV)
    json_file = _write(tmp_path, "InteractiveSignIns_x.json", json.dumps([GRAPH_SIGNIN]))
    assert ingest_paths(ws, [str(csv_file)]).ingested == 2
    summary = ingest_paths(ws, [str(json_file)])
    assert (summary.ingested, summary.duplicates) == (0, 1)  # same Request ID, same _ItemId


# -- the pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Seattle, Washington, US",
            {"city": "Seattle", "state": "Washington", "countryOrRegion": "US"},
        ),
        ("Azor, Tel Aviv, IL", {"city": "Azor", "state": "Tel Aviv", "countryOrRegion": "IL"}),
        ("Seattle, , US", {"city": "Seattle", "countryOrRegion": "US"}),
        ("Oslo, NO", {"city": "Oslo", "countryOrRegion": "NO"}),
        ("NO", {"countryOrRegion": "NO"}),
        ("Unknown", {}),
        ("", {}),
    ],
)
def test_parse_location(text: str, expected: dict[str, str]) -> None:
    assert parse_location(text) == expected


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ({"type": "User", "userPrincipalName": "a@c.com", "id": "u1"},
         {"user": {"id": "u1", "userPrincipalName": "a@c.com"}}),
        ({"type": "ServicePrincipal", "displayName": "App", "id": "sp1"},
         {"app": {"displayName": "App", "servicePrincipalId": "sp1"}}),
        ({"displayName": "App", "id": "o1", "servicePrincipalId": "sp1"},
         {"app": {"displayName": "App", "servicePrincipalId": "sp1", "appId": "o1"}}),
        ({"type": "", "userPrincipalName": "a@c.com"}, {"user": {"userPrincipalName": "a@c.com"}}),
        ({"type": "User"}, {}),
    ],
)  # fmt: skip
def test_initiated_by(actor: dict[str, str], expected: dict[str, dict[str, str]]) -> None:
    assert initiated_by(actor) == expected


@pytest.mark.parametrize(
    "headers",
    ["Date,User,Amount", "Date (UTC),Activity,Notes", "Date (UTC),User,Status,Location"],
)
def test_other_csv_files_are_not_portal_downloads(headers: str) -> None:
    assert portal_table(headers.split(","), Path("InteractiveSignIns.csv")) is None


def test_a_bad_date_in_a_download_rejects_its_row_only(ws: Workspace, tmp_path: Path) -> None:
    text = SIGNIN_CSV.replace("2025-01-01T09:00:05.123Z", "yesterday")
    path = _write(tmp_path, "InteractiveSignIns_bad.csv", text)
    summary = ingest_paths(ws, [str(path)])
    assert (summary.ingested, summary.rejected) == (1, 1)
    [error] = rows(ws, "IngestionErrors")
    assert (error["Position"], error["Format"], error["TargetTable"]) == (
        "line 3",
        "portal-csv",
        "SigninLogs",
    )
    assert "TimeGenerated (datetime): yesterday" in error["Reason"]
