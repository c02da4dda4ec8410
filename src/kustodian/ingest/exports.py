"""Entra portal downloads and Log Analytics exports (docs/ingestion.md).

Formats:

- `portal-csv`: the Entra admin center's "Download" (CSV) of the sign-in logs (interactive,
  non-interactive, service principal, managed identity) and of the audit log. Headers are
  human-readable ("Date (UTC)", "Request ID", "Target1ModifiedProperty1Name"...); each row is
  rebuilt into Log Analytics columns, including the dynamic ones (`Status`, `LocationDetails`,
  `DeviceDetail`, `InitiatedBy`, `TargetResources`, `AdditionalDetails`).
- `portal-json`: the portal's JSON download: an array of Graph-shaped objects, wrapped in the
  diagnostic-settings envelope by the Graph connector's `to_record` (graph.py) and mapped like
  diagnostic records; the download's file name gives the sign-in kind.
- `la-export`: a Log Analytics query export (CSV) of raw table rows; each row's `Type` column
  names its table, `--table` overrides it.
- `la-json`: Log Analytics query results as JSON: the query API document
  (`{"tables": [{"name", "columns", "rows"}]}`, also what `kustodian query --format json`
  prints), or an array (or lines) of row objects.

The portal's header names are data (`SIGNIN_HEADERS`, `AUDIT_HEADERS`, `PORTAL_VALUES`), so a
header the portal renames can be corrected in one place. Sources, and what is unconfirmed, are
noted next to each table.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from kustodian.ingest.graph import SIGNIN_OPERATION, GraphObjectError, signin_category, to_record
from kustodian.ingest.mapping import la_mapping
from kustodian.ingest.readers import (
    Format,
    ReadError,
    _is_csv,
    _lines,
    _whole,
    csv_rows,
    read_head,
)
from kustodian.ingest.sink import DIAG, LA, Ingestor
from kustodian.kql.catalog import TableSchema
from kustodian.kql.types import KType

# -- the portal's CSV headers (data) -----------------------------------------------------------
#
# Sources (third-party; Microsoft does not document the download's columns: its page
# MicrosoftDocs/entra-docs `docs/identity/monitoring-health/howto-download-logs.md` only says CSV
# or JSON, timestamps in UTC):
#   S-a  bitpusher2k/M365IRScripts `02-ProcessEntraSignInLog.ps1` and `03-ProcessEntraAuditLog.ps1`
#        (2024): the column order of the admin center's sign-in and audit CSVs, ISO dates
#        (`2024-02-26T10:11:12Z`), Location as "city, state, country".
#   S-b  a community incident-response ETL's schema notes taken from real 2025 downloads: the 56
#        headers of InteractiveSignIns/NonInteractiveSignIns CSVs and the 22 of
#        ApplicationSignIns CSVs (note the portal's own quirks: "Application ID " and
#        "Resource ID " end in a space, "Autonomous system  number" has two, "Incoming token
#        type" appears twice).
#   S-c  a 2021 PowerShell script reading the four downloads by their default names
#        `InteractiveSignIns_<from>_<to>.csv`, `NonInteractiveSignIns_...`,
#        `ApplicationSignIns_...`, `MSISignIns_...` (and "Service principal name").
#   S-d  a Python timeline parser of `AuditLogs_<date>.csv` listing the audit header row.
# Headers are matched after trimming, collapsing runs of spaces and lower-casing, so the quirks
# above need no special entries. UNCONFIRMED: the managed-identity download's extra headers
# (taken from S-b's list of optional columns), and the values noted in PORTAL_VALUES.
#
# A target is a column, or `Column.key` for a field of a dynamic column; an `@name` value is
# computed by this module (times, Location, the error code, the actor). A header not listed here
# is kept as an extension column named after it in PascalCase ("Home tenant name" →
# HomeTenantName).

SIGNIN_HEADERS: dict[str, str] = {
    "date (utc)": "@date",
    "date": "@date",
    "request id": "Id",
    "user agent": "UserAgent",
    "correlation id": "CorrelationId",
    "user id": "UserId",
    "user": "UserDisplayName",
    "username": "UserPrincipalName",
    "user type": "UserType",
    "cross tenant access type": "CrossTenantAccessType",
    "incoming token type": "IncomingTokenType",
    "authentication protocol": "AuthenticationProtocol",
    "unique token identifier": "UniqueTokenIdentifier",
    "original transfer method": "OriginalTransferMethod",
    "client credential type": "ClientCredentialType",
    "token protection - sign in session": "TokenProtectionStatusDetails.signInSessionStatus",
    "token protection - sign in session statuscode": (
        "TokenProtectionStatusDetails.signInSessionStatusCode"
    ),
    "application": "AppDisplayName",
    "application id": "AppId",
    "app owner tenant id": "AppOwnerTenantId",
    "resource": "ResourceDisplayName",
    "resource id": "ResourceIdentity",
    "resource tenant id": "ResourceTenantId",
    "resource owner tenant id": "ResourceOwnerTenantId",
    "home tenant id": "HomeTenantId",
    "home tenant name": "HomeTenantName",
    "ip address": "IPAddress",
    "location": "@location",
    "status": "@status",
    "sign-in error code": "@error_code",
    "failure reason": "@failure_reason",
    "client app": "ClientAppUsed",
    "device id": "DeviceDetail.deviceId",
    "browser": "DeviceDetail.browser",
    "operating system": "DeviceDetail.operatingSystem",
    "compliant": "DeviceDetail.isCompliant",
    "managed": "DeviceDetail.isManaged",
    "join type": "DeviceDetail.trustType",
    "multifactor authentication result": "Status.additionalDetails",
    "multifactor authentication auth method": "MfaDetail.authMethod",
    "multifactor authentication auth detail": "MfaDetail.authDetail",
    "authentication requirement": "AuthenticationRequirement",
    "sign-in identifier": "SignInIdentifier",
    "session id": "SessionId",
    "ip address (seen by resource)": "IPAddressFromResourceProvider",
    "through global secure access": "IsThroughGlobalSecureAccess",
    "global secure access ip address": "GlobalSecureAccessIpAddress",
    "autonomous system number": "AutonomousSystemNumber",
    "flagged for review": "FlaggedForReview",
    "token issuer type": "TokenIssuerType",
    "token issuer name": "TokenIssuerName",
    "latency": "ProcessingTimeInMilliseconds",
    "conditional access": "ConditionalAccessStatus",
    # service principal and managed identity downloads (S-b, S-c)
    "service principal id": "ServicePrincipalId",
    "service principal name": "ServicePrincipalName",
    "credential key id": "ServicePrincipalCredentialKeyId",
    "credential thumbprint": "ServicePrincipalCredentialThumbprint",
    "federated credential id": "FederatedCredentialId",
    "managed identity type": "ManagedServiceIdentity.msiType",
    "associated resource id": "ManagedServiceIdentity.associatedResourceId",
    "federated token id": "ManagedServiceIdentity.federatedTokenId",
    "federated token issuer": "ManagedServiceIdentity.federatedTokenIssuer",
}

# Audit log download (S-a, S-d). The actor's fields go into `InitiatedBy.user` or `.app` (by
# ActorType); Target<n>... and AdditionalDetail<n>... are read by `_AUDIT_INDEXED`.
AUDIT_HEADERS: dict[str, str] = {
    "date (utc)": "@date",
    "date": "@date",
    "correlationid": "CorrelationId",
    "service": "LoggedByService",
    "category": "Category",
    "activity": "@activity",
    "result": "Result",
    "resultreason": "ResultReason",
    "user agent": "UserAgent",
    "useragent": "UserAgent",
    "actortype": "@actor.type",
    "actordisplayname": "@actor.displayName",
    "actorobjectid": "@actor.id",
    "actoruserprincipalname": "@actor.userPrincipalName",
    "ipaddress": "@actor.ipAddress",
    "actorhometenantid": "@actor.homeTenantId",
    "actorhometenantname": "@actor.homeTenantName",
    "actorserviceprincipalid": "@actor.servicePrincipalId",
    "actorserviceprincipalname": "@actor.servicePrincipalName",
}
_AUDIT_INDEXED = re.compile(
    r"^(?:target(?P<t>\d+)(?:modifiedproperty(?P<p>\d+)(?P<pf>name|oldvalue|newvalue)"
    r"|(?P<tf>type|displayname|objectid|userprincipalname|grouptype))"
    r"|additionaldetail(?P<a>\d+)(?P<af>key|value))$"
)
_TARGET_FIELDS = {
    "type": "type",
    "displayname": "displayName",
    "objectid": "id",
    "userprincipalname": "userPrincipalName",
    "grouptype": "groupType",
}
_PROPERTY_FIELDS = {"name": "displayName", "oldvalue": "oldValue", "newvalue": "newValue"}

# Display values the portal writes → the values Log Analytics stores, per column (lower-case
# keys). UNCONFIRMED: taken from scripts that imitate the download; a value not listed is kept.
PORTAL_VALUES: dict[str, dict[str, str]] = {
    "AuthenticationRequirement": {
        "single-factor authentication": "singleFactorAuthentication",
        "single factor authentication": "singleFactorAuthentication",
        "multifactor authentication": "multiFactorAuthentication",
        "multi-factor authentication": "multiFactorAuthentication",
    },
    "ConditionalAccessStatus": {
        "success": "success",
        "failure": "failure",
        "not applied": "notApplied",
        "notapplied": "notApplied",
    },
    "Result": {"success": "success", "failure": "failure", "timeout": "timeout"},
}
# Targets holding yes/no values, written as booleans.
_BOOLEAN_TARGETS = frozenset(
    {
        "DeviceDetail.isCompliant",
        "DeviceDetail.isManaged",
        "FlaggedForReview",
        "IsThroughGlobalSecureAccess",
    }
)
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})

# Where a table lacks a column under this name, the alternative it has.
_ALTERNATES: dict[str, tuple[str, ...]] = {
    "ProcessingTimeInMilliseconds": ("ProcessingTimeInMs",),
}
# Dynamic columns dropped (not made extensions) where a table lacks them: the service principal
# and managed identity tables keep the error in ResultType/ResultDescription only.
_DROPPED_WITHOUT_COLUMN = frozenset({"Status"})

# The default download names (S-c) → table; the first match wins ("NonInteractiveSignIns"
# contains "InteractiveSignIns"). Compared with letters only, lower case.
PORTAL_FILE_HINTS: tuple[tuple[str, str], ...] = (
    ("noninteractivesignins", "AADNonInteractiveUserSignInLogs"),
    ("noninteractiveusersignin", "AADNonInteractiveUserSignInLogs"),
    ("interactivesignins", "SigninLogs"),
    ("applicationsignins", "AADServicePrincipalSignInLogs"),
    ("serviceprincipalsignins", "AADServicePrincipalSignInLogs"),
    ("msisignins", "AADManagedIdentitySignInLogs"),
    ("managedidentitysignins", "AADManagedIdentitySignInLogs"),
)

# Table → diagnostic-settings category (spec §3.1), as diagnostic records spell it.
TABLE_CATEGORY = {
    "SigninLogs": "SignInLogs",
    "AADNonInteractiveUserSignInLogs": "NonInteractiveUserSignInLogs",
    "AADServicePrincipalSignInLogs": "ServicePrincipalSignInLogs",
    "AADManagedIdentitySignInLogs": "ManagedIdentitySignInLogs",
    "AuditLogs": "AuditLogs",
}


def normalise_header(header: str) -> str:
    """A header as the maps above key it: trimmed, single spaces, lower case."""
    return " ".join(header.split()).lower()


def file_hint(path: Path) -> str | None:
    """The sign-in table a download's file name names (`InteractiveSignIns_...csv`), if any."""
    letters = re.sub(r"[^a-z]", "", path.name.lower())
    for hint, table in PORTAL_FILE_HINTS:
        if hint in letters:
            return table
    return None


def portal_table(headers: list[str], path: Path) -> str | None:
    """The table a portal CSV download feeds, from its header row and file name.

    Audit downloads have Activity and Service; sign-in kinds come from the file name, else
    from the columns: service principal downloads have "Service principal ID" and no user,
    managed identity ones also "Managed identity type" [UNCONFIRMED]; user sign-ins default to
    the interactive table (non-interactive downloads look the same: keep their file name, or
    give --table).
    """
    names = {normalise_header(h) for h in headers}
    if not names & {"date (utc)", "date"}:
        return None
    if {"activity", "service", "category"} <= names or {"activity", "actortype"} <= names:
        return "AuditLogs"
    if len(names & set(SIGNIN_HEADERS) - {"date (utc)", "date"}) < 4:  # "User" alone is common
        return None
    hint = file_hint(path)
    if hint is not None:
        return hint
    has_user = bool(names & {"username", "user id", "user"})
    if "service principal id" in names and not has_user:
        if "managed identity type" in names:
            return "AADManagedIdentitySignInLogs"
        return "AADServicePrincipalSignInLogs"
    if has_user or "request id" in names:
        return "SigninLogs"
    return None


# -- portal CSV rows → Log Analytics rows --------------------------------------------------------


@dataclass
class _PortalPlan:
    """How one download's headers land in one table's columns."""

    table: str
    columns: dict[str, KType]
    targets: dict[str, str]  # header (as in the file) → target


def _portal_plan(headers: list[str], schema: TableSchema) -> _PortalPlan:
    columns = dict(schema.columns)
    by_lower = {c.lower(): c for c in columns}
    audit = schema.name == "AuditLogs" or "activity" in {normalise_header(h) for h in headers}
    known = AUDIT_HEADERS if audit else SIGNIN_HEADERS
    targets: dict[str, str] = {}
    for header in headers:
        norm = normalise_header(header)
        target = known.get(norm)
        if target is None and audit and _AUDIT_INDEXED.match(norm.replace(" ", "")):
            target = "@indexed"
        if target is None:
            target = _pascal(header)
        if not target.startswith("@"):
            target = _resolve(target, columns, by_lower)
        targets[header] = target
    return _PortalPlan(schema.name, columns, targets)


def _resolve(target: str, columns: dict[str, KType], by_lower: dict[str, str]) -> str:
    column, dot, key = target.partition(".")
    if column not in columns:
        for alt in _ALTERNATES.get(column, ()):
            if alt in columns:
                column = alt
                break
        else:
            column = by_lower.get(column.lower(), column)
    return f"{column}{dot}{key}"


def _pascal(header: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", header)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Field"


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    return True if v in _TRUE else False if v in _FALSE else None


@dataclass
class _RowBuilder:
    """Collects one portal row's columns, dynamic objects and computed parts."""

    plan: _PortalPlan
    row: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    special: dict[str, str] = field(default_factory=dict)

    def put(self, target: str, value: str) -> None:
        column, _, key = target.partition(".")
        out: Any = value
        if target in _BOOLEAN_TARGETS:
            flag = _bool(value)
            out = value if flag is None else flag
        out = PORTAL_VALUES.get(column, {}).get(value.strip().lower(), out) if not key else out
        if key:
            self.objects.setdefault(column, {})[key] = out
        else:
            self.row[column] = out

    def has(self, column: str) -> bool:
        return column in self.plan.columns

    def set_if_column(self, column: str, value: Any) -> None:
        if self.has(column) and value not in (None, ""):
            self.row.setdefault(column, value)

    def finish(self) -> dict[str, Any]:
        for column, obj in self.objects.items():
            if self.has(column) or column not in _DROPPED_WITHOUT_COLUMN:
                self.row[column] = obj
        return self.row


def portal_signin_row(cells: Mapping[str, str], plan: _PortalPlan) -> dict[str, Any]:
    """A sign-in download row as a Log Analytics row of `plan.table`."""
    b = _RowBuilder(plan)
    for header, raw in cells.items():
        value = raw or ""  # kept as written: Entra's own values can end in a space
        target = plan.targets.get(header)
        if not value.strip() or target is None:
            continue
        if target.startswith("@"):
            b.special[target] = value
        else:
            b.put(target, value)
    _signin_specials(b)
    table = plan.table
    identity = b.row.get("UserDisplayName") or b.row.get("ServicePrincipalName")
    tenant = b.row.get("ResourceTenantId") or b.row.get("HomeTenantId")
    constants: dict[str, Any] = {
        "OperationName": SIGNIN_OPERATION,
        "OperationVersion": "1.0",
        "Category": TABLE_CATEGORY.get(table, ""),
        "Identity": identity,
        "AADTenantId": tenant,
        "ResourceId": f"/tenants/{tenant}/providers/Microsoft.aadiam" if tenant else "",
        "ResultSignature": "None",
        "DurationMs": 0,
        "Level": "4",
        "SourceSystem": "Azure AD",
        "Resource": "Microsoft.aadiam",
        "ResourceGroup": "Microsoft.aadiam",
        "ResourceProvider": "Microsoft.aadiam",
    }
    if table in ("SigninLogs", "AADNonInteractiveUserSignInLogs"):
        constants["IsInteractive"] = table == "SigninLogs"
    for column, value in constants.items():
        b.set_if_column(column, value)
    return b.finish()


def _signin_specials(b: _RowBuilder) -> None:
    s = b.special
    if "@date" in s:
        b.row["TimeGenerated"] = s["@date"].strip()
        b.set_if_column("CreatedDateTime", s["@date"].strip())
    if "@location" in s:
        location = parse_location(s["@location"])
        if location:
            b.objects.setdefault("LocationDetails", {}).update(location)
            b.set_if_column("Location", location.get("countryOrRegion"))
    code = _error_code(s.get("@error_code"), s.get("@status"))
    reason = s.get("@failure_reason", "")
    if code is not None:
        b.row["ResultType"] = str(code)
        b.objects.setdefault("Status", {})["errorCode"] = code
    elif "@error_code" in s:  # not a number: kept as text rather than lost
        b.row["ResultType"] = s["@error_code"].strip()
    if reason:
        b.objects.setdefault("Status", {})["failureReason"] = reason
        if code != 0:
            b.row["ResultDescription"] = reason
    if "Status" in b.objects:  # errorCode first, as Entra writes it
        b.objects["Status"] = dict(sorted(b.objects["Status"].items(), key=_status_order))


def _status_order(item: tuple[str, Any]) -> int:
    return ("errorCode", "failureReason", "additionalDetails").index(item[0])


def _error_code(code: str | None, status: str | None) -> int | None:
    if code:
        try:
            return int(float(code))
        except ValueError:
            return None
    if status and status.strip().lower() == "success":
        return 0
    return None


def parse_location(text: str) -> dict[str, str]:
    """The portal's Location text ("Seattle, Washington, US") as `LocationDetails` fields.

    Three parts are city, state, country (S-a); two are taken as city and country, one as a
    country when it is a two-letter code, else a city [UNCONFIRMED: the download's forms other
    than three parts]. "Unknown" and empty parts are left out.
    """
    parts = [p.strip() for p in text.split(",")]
    if [p.lower() for p in parts if p] in ([], ["unknown"]):
        return {}
    if len(parts) >= 3:
        city, state, country = parts[0], ", ".join(parts[1:-1]), parts[-1]
    elif len(parts) == 2:
        city, state, country = parts[0], "", parts[1]
    elif re.fullmatch(r"[A-Za-z]{2}", parts[0]):
        city, state, country = "", "", parts[0]
    else:
        city, state, country = parts[0], "", ""
    out = {"city": city, "state": state, "countryOrRegion": country}
    return {k: v for k, v in out.items() if v}


def portal_audit_row(cells: Mapping[str, str], plan: _PortalPlan) -> dict[str, Any]:
    """An audit download row as an AuditLogs row."""
    b = _RowBuilder(plan)
    actor: dict[str, str] = {}
    targets: dict[int, dict[str, Any]] = {}
    details: dict[int, dict[str, str]] = {}
    for header, raw in cells.items():
        value = raw or ""  # kept as written: Entra's own values can end in a space
        target = plan.targets.get(header)
        if not value.strip() or target is None:
            continue
        if target.startswith("@actor."):
            actor[target.removeprefix("@actor.")] = value
        elif target == "@indexed":
            _indexed(normalise_header(header).replace(" ", ""), value, targets, details)
        elif target.startswith("@"):
            b.special[target] = value
        else:
            b.put(target, value)
    if "@date" in b.special:
        b.row["TimeGenerated"] = b.row["ActivityDateTime"] = b.special["@date"].strip()
    if "@activity" in b.special:
        b.row["ActivityDisplayName"] = b.special["@activity"]
        b.row["OperationName"] = b.special["@activity"]
    b.row["InitiatedBy"] = initiated_by(actor)
    b.row["TargetResources"] = [_target(targets[i]) for i in sorted(targets)]
    b.row["AdditionalDetails"] = [details[i] for i in sorted(details)]
    result = b.row.get("Result")
    who: dict[str, str] = next(iter(b.row["InitiatedBy"].values()), {})
    constants: dict[str, Any] = {
        "OperationVersion": "1.0",
        # Diagnostic records spell the audit result "Success"/"Failure" (the property: lower).
        "ResultType": result[:1].upper() + result[1:] if isinstance(result, str) else "",
        "ResultSignature": "None",
        "DurationMs": 0,
        "Identity": who.get("displayName") or who.get("userPrincipalName"),
        "Level": "Informational",
        "SourceSystem": "Azure AD",
        "Resource": "Microsoft.aadiam",
        "ResourceGroup": "Microsoft.aadiam",
        "ResourceProvider": "Microsoft.aadiam",
    }
    for column, value in constants.items():
        b.set_if_column(column, value)
    return b.finish()


def _indexed(
    name: str, value: str, targets: dict[int, dict[str, Any]], details: dict[int, dict[str, str]]
) -> None:
    m = _AUDIT_INDEXED.match(name)
    if m is None:
        return
    if m["a"] is not None:
        details.setdefault(int(m["a"]), {"key": "", "value": ""})[m["af"]] = value
        return
    target = targets.setdefault(int(m["t"]), {})
    if m["tf"] is not None:
        target[_TARGET_FIELDS[m["tf"]]] = value
        return
    props = target.setdefault("modifiedProperties", {})
    props.setdefault(int(m["p"]), {})[_PROPERTY_FIELDS[m["pf"]]] = value


_USER_KEYS = (
    "id",
    "displayName",
    "userPrincipalName",
    "ipAddress",
    "homeTenantId",
    "homeTenantName",
)


def initiated_by(actor: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """`InitiatedBy` from the download's Actor... columns: `{"user": {...}}` or `{"app": {...}}`.

    ActorType decides (a value naming a user, or an application/service principal
    [UNCONFIRMED: the portal's exact ActorType values]); without it, a user principal name
    means a user and a service principal id an app. An app's ActorObjectId is its service
    principal id unless ActorServicePrincipalId is also given (then it is kept as appId).
    """
    fields = {k: v for k, v in actor.items() if k != "type" and v}
    if not fields:
        return {}
    kind = actor.get("type", "").lower()
    is_app = "app" in kind or "service" in kind
    if not kind or not (is_app or "user" in kind):
        is_app = "userPrincipalName" not in fields and (
            "servicePrincipalId" in fields or "servicePrincipalName" in fields
        )
    if not is_app:
        return {"user": {k: fields[k] for k in _USER_KEYS if k in fields}}
    app: dict[str, str] = {
        k: fields[k] for k in ("displayName", "servicePrincipalName", "ipAddress") if k in fields
    }
    object_id, sp_id = fields.get("id"), fields.get("servicePrincipalId")
    app["servicePrincipalId"] = sp_id or object_id or ""
    if sp_id and object_id and object_id != sp_id:
        app["appId"] = object_id
    return {"app": {k: v for k, v in app.items() if v}}


def _target(target: dict[str, Any]) -> dict[str, Any]:
    """A target's modified properties, collected by index, as a list in index order."""
    props = target.get("modifiedProperties")
    if isinstance(props, dict):
        target["modifiedProperties"] = [
            {
                "displayName": p.get("displayName", ""),
                "oldValue": p.get("oldValue"),
                "newValue": p.get("newValue"),
            }
            for _, p in sorted(props.items())
        ]
    return target


# -- portal CSV: the format ----------------------------------------------------------------------


def _csv_header(head: bytes) -> list[str]:
    first = head.decode("utf-8", "replace").split("\n", 1)[0]
    return next(csv.reader(io.StringIO(first)), [])


def _sniff_portal_csv(path: Path, head: bytes) -> bool:
    if not _is_csv(path, head):
        return False
    return portal_table(_csv_header(head), path) is not None


def _read_portal_csv(ing: Ingestor, path: Path, label: str, table: str | None) -> None:
    rows = csv_rows(path)
    plan: _PortalPlan | None = None
    for line, cells in rows:
        if plan is None:
            target = table or portal_table(list(cells), path)
            schema = ing.ws.catalog.get(target) if target else None
            if schema is None:
                raise ReadError(
                    "not an Entra portal download this version knows (give --table "
                    "SigninLogs, AuditLogs, ... to say which log it is)"
                    if target is None
                    else f"no table '{target}' in this workspace"
                )
            plan = _portal_plan(list(cells), schema)
        build = portal_audit_row if plan.table == "AuditLogs" else portal_signin_row
        ing.add(
            orjson.dumps(build(cells, plan)).decode(),
            label,
            f"line {line}",
            shape=LA,
            table=plan.table,
            fmt="portal-csv",
        )


# -- portal JSON: Graph-shaped objects → diagnostic records -------------------------------------


def _camel(obj: Any) -> Any:
    """Keys in camelCase at every level (PowerShell's Graph SDK writes them in PascalCase)."""
    if isinstance(obj, dict):
        return {
            (k[:1].lower() + k[1:] if k[:1].isupper() else k): _camel(v) for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_camel(v) for v in obj]
    return obj


def portal_category(obj: Mapping[str, Any], hint: str | None) -> str:
    """The diagnostic category of a downloaded sign-in: the download's file name, else a
    service principal id without a user (a service principal, or with a managed identity type
    a managed identity, sign-in), else what the Graph connector decides (`signin_category`)."""
    if hint in TABLE_CATEGORY and hint != "AuditLogs":
        return TABLE_CATEGORY[hint]
    no_user = not obj.get("userPrincipalName") and not obj.get("userId")
    if not obj.get("signInEventTypes") and no_user and obj.get("servicePrincipalId"):
        msi = obj.get("managedServiceIdentity")
        if isinstance(msi, dict) and msi.get("msiType") not in (None, "", "none"):
            return TABLE_CATEGORY["AADManagedIdentitySignInLogs"]
        return TABLE_CATEGORY["AADServicePrincipalSignInLogs"]
    return signin_category(obj)


def _json_items(path: Path) -> Iterator[tuple[str, object]]:
    """The items of a JSON array (or of `{"value": [...]}`) as ("row N", item); else JSON
    lines as ("line N", item), an item that does not parse as `_Undecodable`.

    Raises:
        ReadError: the file is one JSON document that does not parse.
    """
    if not read_head(path).lstrip().startswith(b"["):
        first = next(((i, line) for i, line in _lines(path) if line.strip()), None)
        if first is None:
            return
        try:
            orjson.loads(first[1])
        except orjson.JSONDecodeError:
            pass  # one document over several lines
        else:
            yield from _json_lines(path)
            return
    try:
        doc = orjson.loads(_whole(path))
    except orjson.JSONDecodeError as e:
        raise ReadError(f"not valid JSON: {e}") from None
    for i, item in enumerate(_unwrap(doc), 1):
        yield f"row {i}", item


def _json_lines(path: Path) -> Iterator[tuple[str, object]]:
    for i, line in _lines(path):
        if not line.strip():
            continue
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            yield f"line {i}", _Undecodable(line.decode("utf-8", "replace"), str(e))
            continue
        items = _unwrap(doc)
        if len(items) == 1 and items[0] is doc:
            yield f"line {i}", doc
        else:
            for j, item in enumerate(items, 1):
                yield f"line {i}, row {j}", item


def _unwrap(doc: object) -> list[object]:
    """A page `{"value": [...]}` (Graph, saved by collectors) as its items; an array as is."""
    if isinstance(doc, dict) and isinstance(doc.get("value"), list):
        return list(doc["value"])
    return list(doc) if isinstance(doc, list) else [doc]


@dataclass(frozen=True)
class _Undecodable:
    text: str
    error: str


def _sniff_portal_json(path: Path, head: bytes) -> bool:
    """An array of Graph-shaped objects in a file named like a download; other such arrays
    are the `graph` format's (the same conversion, without the file name's sign-in kind)."""
    text = head.lstrip()
    if not text.startswith(b"[") or b'"@odata.' in text[:4096]:
        return False
    if b'"properties"' in text or b'"records"' in text:  # diagnostic records
        return False
    if file_hint(path) is None and "audit" not in path.name.lower():
        return False
    return b'"createdDateTime"' in text or b'"activityDateTime"' in text


def _read_portal_json(ing: Ingestor, path: Path, label: str, table: str | None) -> None:
    if table is not None and table not in TABLE_CATEGORY:
        raise ReadError(
            f"portal JSON feeds the Entra tables; --table must be one of {', '.join(TABLE_CATEGORY)}"
        )
    hint = table or file_hint(path)
    for position, item in _json_items(path):
        if isinstance(item, _Undecodable):
            ing.reject(label, position, f"not valid JSON: {item.error}", item.text, "portal-json")
            continue
        if not isinstance(item, dict):
            raw = orjson.dumps(item).decode()
            ing.reject(label, position, "not a JSON object", raw, "portal-json")
            continue
        # Graph's own camelCase objects are taken as they are (nested keys such as
        # AuthenticationDetails' `StatusSequence` are capitalised in Graph itself); objects
        # written by PowerShell's Graph SDK, PascalCase throughout, are converted.
        pascal = sum(1 for k in item if k[:1].isupper()) > len(item) // 2
        obj = _camel(item) if pascal else item
        try:
            record = to_record(obj)  # the Graph connector's conversion (graph.py)
        except GraphObjectError as e:
            ing.reject(label, position, str(e), orjson.dumps(item).decode(), "portal-json")
            continue
        if record["category"] != "AuditLogs":
            record["category"] = portal_category(obj, hint)
        ing.add(orjson.dumps(record).decode(), label, position, shape=DIAG, fmt="portal-json")


# -- Log Analytics exports: rows in table shape --------------------------------------------------

_UNIT_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")
_TWIN = re.compile(r"^(?P<base>.+)_(?P<kind>dynamic|string)$", re.IGNORECASE)


@dataclass
class _LaPlan:
    """How one header set lands in one table: merged names, dynamic keys, query-output check."""

    renames: dict[str, str]  # source key → key sent on (unit suffix off, twins merged)
    dynamic: frozenset[str]  # keys sent on whose column is dynamic
    refusal: str | None  # why these rows are not taken, when they look like query output


def _la_plan(
    schema: TableSchema,
    keys: list[str],
    extensions: dict[str, str],
    *,
    explicit: bool,
    typed_dynamic: frozenset[str] = frozenset(),
) -> _LaPlan:
    by_lower = {c.lower() for c, _ in schema.columns}
    lowered = {k.lower() for k in keys}
    renames: dict[str, str] = {}
    for key in keys:
        name = _UNIT_SUFFIX.sub("", key)
        twin = _TWIN.match(name)
        if twin is not None:
            base = twin["base"]
            other = "string" if twin["kind"].lower() == "dynamic" else "dynamic"
            if base.lower() in by_lower or f"{base}_{other}".lower() in lowered:
                name = base
        renames[key] = name
    sent = sorted(set(renames.values()))
    mapping = la_mapping(schema, set(sent), extensions)
    dynamic = {f.path[0] for f in mapping.fields if f.ktype is KType.DYNAMIC}
    dynamic |= {renames.get(k, k) for k in typed_dynamic}
    refusal = None
    unknown = [k for k in sent if k not in {f.path[0] for f in mapping.fields}]
    if not explicit and len(unknown) * 2 > len(sent):
        shown = ", ".join(unknown[:6]) + (", ..." if len(unknown) > 6 else "")
        refusal = (
            f"looks like query output, not rows of {schema.name}: {len(unknown)} of "
            f"{len(sent)} columns are not {schema.name} columns ({shown}). To keep it, create "
            f"a custom table and ingest into it: kustodian tables create NAME_CL ...; "
            f"kustodian ingest --table NAME_CL FILE"
        )
    return _LaPlan(renames, frozenset(dynamic), refusal)


class _BadCell(ValueError):
    pass


def decode_dynamic(column: str, value: object) -> object:
    """A dynamic cell's text as its JSON value: empty is null, `{...}`/`[...]`/`"..."` must
    parse, other text parses when it is JSON (numbers, true) and else stays a string.

    Raises:
        _BadCell: text that opens a JSON object, array or string does not parse.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        if text[0] in '{["':
            raise _BadCell(f"{column} (dynamic): not valid JSON ({e}): {text[:40]}") from None
        return value


@dataclass
class LaRows:
    """Sends rows in Log Analytics shape to their tables (the `Type` column, or `--table`)."""

    ing: Ingestor
    label: str
    fmt: str
    table: str | None
    typed_dynamic: frozenset[str] = frozenset()
    _plans: dict[tuple[str, tuple[str, ...]], _LaPlan] = field(default_factory=dict)

    def add(self, position: str, row: Mapping[str, object]) -> None:
        target = self.table or _type_of(row)
        schema = self._schema(target)
        if schema is None:
            self._reject(
                position,
                f"the row's Type '{target}' is not a table here; give --table"
                if target
                else "the row has no Type column naming its table; give --table",
                row,
                target,
            )
            return
        plan = self._plan(schema, tuple(row))
        if plan.refusal is not None:
            self._reject(position, plan.refusal, row, schema.name)
            return
        out: dict[str, object] = {}
        try:
            for key, value in row.items():
                name = plan.renames[key]
                if name in plan.dynamic:
                    value = decode_dynamic(name, value)
                if name not in out or out[name] in (None, ""):
                    out[name] = value
        except _BadCell as e:
            self._reject(position, f"a value that does not convert: {e}", row, schema.name)
            return
        self.ing.add(
            orjson.dumps(out).decode(),
            self.label,
            position,
            shape=LA,
            table=schema.name,
            fmt=self.fmt,
        )

    def _schema(self, name: str) -> TableSchema | None:
        tables = self.ing.ws.catalog.tables
        if name in tables:
            return tables[name]
        lowered = {t.lower(): t for t in tables}
        return tables.get(lowered.get(name.lower(), ""))

    def _plan(self, schema: TableSchema, keys: tuple[str, ...]) -> _LaPlan:
        ck = (schema.name, keys)
        if ck not in self._plans:
            self._plans[ck] = _la_plan(
                schema,
                list(keys),
                self.ing.ws.extension_sources(schema.name),
                explicit=self.table is not None,
                typed_dynamic=self.typed_dynamic,
            )
        return self._plans[ck]

    def _reject(self, position: str, reason: str, row: Mapping[str, object], table: str) -> None:
        raw = orjson.dumps(row, default=str).decode()
        self.ing.reject(self.label, position, reason, raw, self.fmt, table)


def _type_of(row: Mapping[str, object]) -> str:
    for key, value in row.items():
        if key.strip().lower() == "type" and isinstance(value, str):
            return value.strip()
    return ""


# -- la-export (CSV) -----------------------------------------------------------------------------


def _sniff_la_export(path: Path, head: bytes) -> bool:
    if not _is_csv(path, head):
        return False
    return "type" in {h.strip().lower() for h in _csv_header(head)}


def read_la_csv(
    ing: Ingestor, path: Path, label: str, table: str | None, fmt: str = "la-export"
) -> None:
    """A CSV of rows in Log Analytics shape (`la-export`, and `rows` with --table)."""
    if table is not None and ing.ws.catalog.get(table) is None:
        raise ReadError(f"no table '{table}' in this workspace")
    sink = LaRows(ing, label, fmt, table)
    for line, cells in csv_rows(path):
        sink.add(f"line {line}", cells)


# -- la-json -------------------------------------------------------------------------------------

# Query API column types (and Azure Data Explorer v1 DataType names) that hold JSON text.
_DYNAMIC_TYPES = frozenset({"dynamic", "object", "system.object"})


def _sniff_la_json(path: Path, head: bytes) -> bool:
    text = head.lstrip()
    if not text.startswith((b"{", b"[")) or b'"records"' in text[:4096]:
        return False
    start = text[:4096].lower()
    if b'"tables"' in start and b'"rows"' in text.lower():
        return True
    return b'"Type"' in text and (b'"TimeGenerated"' in text or b'"TenantId"' in text)


def read_la_json(
    ing: Ingestor, path: Path, label: str, table: str | None, fmt: str = "la-json"
) -> None:
    """Query results as JSON: the API document (first table), or row objects."""
    if table is not None and ing.ws.catalog.get(table) is None:
        raise ReadError(f"no table '{table}' in this workspace")
    head = read_head(path).lstrip()
    if head.startswith(b"{") and b'"tables"' in head[:4096].lower():
        _read_query_document(ing, orjson.loads(_whole(path)), label, table, fmt)
        return
    sink = LaRows(ing, label, fmt, table)
    for position, item in _json_items(path):
        if isinstance(item, _Undecodable):
            ing.reject(label, position, f"not valid JSON: {item.error}", item.text, fmt)
        elif not isinstance(item, dict):
            ing.reject(label, position, "not a JSON object", orjson.dumps(item).decode(), fmt)
        else:
            sink.add(position, item)


def _read_query_document(
    ing: Ingestor, doc: object, label: str, table: str | None, fmt: str
) -> None:
    tables = _get(doc, "tables")
    if not isinstance(tables, list) or not tables or not isinstance(tables[0], dict):
        raise ReadError("a query result document without tables")
    first = tables[0]
    columns = _get(first, "columns")
    rows = _get(first, "rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise ReadError("the first table has no columns or rows")
    names = [str(_get(c, "name") or _get(c, "columnName")) for c in columns]
    types = [str(_get(c, "type") or _get(c, "columnType") or _get(c, "dataType")) for c in columns]
    dynamic = frozenset(n for n, t in zip(names, types, strict=True) if t.lower() in _DYNAMIC_TYPES)
    sink = LaRows(ing, label, fmt, table, typed_dynamic=dynamic)
    for i, values in enumerate(rows, 1):
        if not isinstance(values, list) or len(values) != len(names):
            raw = orjson.dumps(values).decode()
            reason = f"a row of {len(values) if isinstance(values, list) else 'no'} values for "
            ing.reject(label, f"row {i}", f"{reason}{len(names)} columns", raw, fmt)
            continue
        sink.add(f"row {i}", dict(zip(names, values, strict=True)))


def _get(obj: object, key: str) -> object:
    """A key of a JSON object, ignoring case (the API writes `tables`, ADX v1 `Tables`)."""
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    lowered = {str(k).lower(): v for k, v in obj.items()}
    return lowered.get(key.lower())


FORMATS = [
    Format(
        "portal-csv",
        "Entra admin center download (CSV) of sign-in logs (any kind) or the audit log",
        _sniff_portal_csv,
        _read_portal_csv,
        priority=30,
        uses_table=True,
    ),
    Format(
        "portal-json",
        "Entra admin center download (JSON): Graph-shaped sign-in or audit objects",
        _sniff_portal_json,
        _read_portal_json,
        priority=4,  # before `graph`, which takes other arrays of Graph objects
        uses_table=True,
    ),
    Format(
        "la-export",
        "Log Analytics query export (CSV) of raw rows; each row's Type names its table",
        _sniff_la_export,
        read_la_csv,
        priority=40,
        uses_table=True,
    ),
    Format(
        "la-json",
        "Log Analytics query results (JSON): the query API document or row objects",
        _sniff_la_json,
        read_la_json,
        priority=45,
        uses_table=True,
    ),
]
