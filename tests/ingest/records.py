"""Small diagnostic-settings records for ingestion tests (spec §3.2 envelope)."""

from __future__ import annotations

from typing import Any

TENANT = "2ad3fc79-1859-42fa-9011-6f8df2251b22"


def signin(
    id: str,
    upn: str = "ann@contoso.com",
    time: str = "2024-06-20T05:01:02.1234567Z",
    result: str = "0",
    category: str = "SignInLogs",
    **properties: Any,
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": id,
        "createdDateTime": time.replace("Z", "+00:00"),
        "userPrincipalName": upn,
        "userDisplayName": upn.split("@")[0].title(),
        "ipAddress": "203.0.113.7",
        "appDisplayName": "Azure Portal",
        "status": {"errorCode": int(result), "failureReason": "" if result == "0" else "failed"},
        "location": {"city": "Seattle", "state": "Washington", "countryOrRegion": "US"},
        "deviceDetail": {"operatingSystem": "Windows 10", "browser": "Edge 120.0"},
        "isInteractive": category == "SignInLogs",
        "authenticationRequirement": "multiFactorAuthentication",
        "appliedConditionalAccessPolicies": [
            {"id": "p1", "displayName": "Require MFA", "enforcedGrantControls": ["Mfa"]}
        ],
        "authenticationDetails": [{"authenticationMethod": "Password", "succeeded": True}],
        "resourceId": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        "riskEventTypes_v2": [],
    }
    props.update(properties)
    return {
        "time": time,
        "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity",
        "operationVersion": "1.0",
        "category": category,
        "tenantId": TENANT,
        "resultType": result,
        "resultSignature": "None",
        "resultDescription": "" if result == "0" else "Invalid username or password",
        "durationMs": 0,
        "callerIpAddress": "203.0.113.7",
        "correlationId": f"corr-{id}",
        "identity": props["userDisplayName"],
        "Level": 4,
        "location": "US",
        "properties": props,
    }


def audit(
    id: str,
    activity: str = "Invite external user",
    time: str = "2024-06-20T06:00:00.0000000Z",
    **properties: Any,
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": id,
        "category": "UserManagement",
        "correlationId": f"corr-{id}",
        "result": "success",
        "resultReason": "",
        "activityDisplayName": activity,
        "activityDateTime": time.replace("Z", "+00:00"),
        "loggedByService": "Invited Users",
        "operationType": "Add",
        "initiatedBy": {"user": {"userPrincipalName": "admin@contoso.com", "id": "u-admin"}},
        "targetResources": [{"displayName": "guest@fabrikam.com", "type": "User"}],
        "additionalDetails": [{"key": "invitationId", "value": f"inv-{id}"}],
    }
    props.update(properties)
    return {
        "time": time,
        "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
        "operationName": activity,
        "operationVersion": "1.0",
        "category": "AuditLogs",
        "tenantId": TENANT,
        "resultType": "Success",
        "resultSignature": "None",
        "durationMs": 0,
        "callerIpAddress": "198.51.100.7",
        "correlationId": f"corr-{id}",
        "Level": "Informational",
        "properties": props,
    }
