"""Microsoft Graph objects as diagnostic-settings records, and the `graph` file format.

Graph's `/auditLogs/signIns` (v1.0 and beta) and `/auditLogs/directoryAudits` return the same
camelCase objects that diagnostic settings put in a record's `properties` (spec §3.5). Wrapping
each object in the record envelope (spec §3.2) sends it through the one mapping of spec §3.3, so a
sign-in pulled from Graph and the diagnostic record of the same event give the same row, and the
same `Id` makes them one row (`_ItemId` is derived from it).

- `to_record(obj)`: a Graph `signIn` or `directoryAudit` → a diagnostic-settings record.
- `signin_category(obj)`: which sign-in category (and so which table) a sign-in belongs to.
- `FORMATS`: the `graph` file format: saved Graph response pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from kustodian.ingest.mapping import diagnostic_record
from kustodian.ingest.readers import Format, ReadError, _lines, _whole
from kustodian.ingest.sink import DIAG, Ingestor

SIGNIN = "signIn"
AUDIT = "directoryAudit"

# Beta's `signInEventTypes` value → diagnostic-settings category, in the order they are tried.
EVENT_TYPE_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("interactiveUser", "SignInLogs"),
    ("nonInteractiveUser", "NonInteractiveUserSignInLogs"),
    ("servicePrincipal", "ServicePrincipalSignInLogs"),
    ("managedIdentity", "ManagedIdentitySignInLogs"),
)
SIGNIN_OPERATION = "Sign-in activity"


class GraphObjectError(ValueError):
    """An object is neither a Graph signIn nor a directoryAudit."""


def object_kind(obj: Mapping[str, Any], hint: str | None = None) -> str:
    """`SIGNIN` or `AUDIT`: from the page's `@odata.context` when it says, else the object's
    time field (`createdDateTime` or `activityDateTime`).

    Raises:
        GraphObjectError: neither tells.
    """
    if hint in (SIGNIN, AUDIT):
        return hint
    if "createdDateTime" in obj:
        return SIGNIN
    if "activityDateTime" in obj:
        return AUDIT
    raise GraphObjectError(
        "not a Graph signIn or directoryAudit: it has neither createdDateTime nor activityDateTime"
    )


def context_kind(context: object) -> str | None:
    """The kind of objects an `@odata.context` URL describes (`.../$metadata#auditLogs/signIns`)."""
    if not isinstance(context, str):
        return None
    tail = context.rsplit("#", 1)[-1].lower()
    if "signins" in tail:
        return SIGNIN
    if "directoryaudits" in tail:
        return AUDIT
    return None


def signin_category(obj: Mapping[str, Any]) -> str:
    """The category of a sign-in: beta's `signInEventTypes`, else v1.0's `isInteractive`."""
    types = obj.get("signInEventTypes")
    if isinstance(types, list) and types:
        for event_type, category in EVENT_TYPE_CATEGORIES:
            if event_type in types:
                return category
    if obj.get("isInteractive") is False:
        return "NonInteractiveUserSignInLogs"
    return "SignInLogs"


def to_record(
    obj: Mapping[str, Any], *, kind: str | None = None, tenant_id: str | None = None
) -> dict[str, Any]:
    """A Graph object as a diagnostic-settings record (spec §3.2 envelope, §3.5 fields).

    Args:
        obj: a `signIn` (v1.0 or beta) or a `directoryAudit`.
        kind: `SIGNIN` or `AUDIT` when known (from the request or `@odata.context`).
        tenant_id: the tenant the logs come from (`AADTenantId`); without it, a sign-in's
            `resourceTenantId` (else `homeTenantId`) stands in, and an audit event has none.

    Raises:
        GraphObjectError: the object is neither kind, or lacks its time field.
    """
    kind = object_kind(obj, kind)
    time_field = "createdDateTime" if kind == SIGNIN else "activityDateTime"
    if not obj.get(time_field):
        raise GraphObjectError(f"a Graph {kind} without {time_field}")
    props = {k: v for k, v in obj.items() if not k.startswith("@odata.")}
    if kind == SIGNIN:
        return _signin_record(props, tenant_id)
    return _audit_record(props, tenant_id)


def _signin_record(p: dict[str, Any], tenant_id: str | None) -> dict[str, Any]:
    status = _object(p.get("status"))
    location = _object(p.get("location"))
    code = status.get("errorCode")
    tenant = tenant_id or p.get("resourceTenantId") or p.get("homeTenantId") or ""
    identity = (
        p.get("userDisplayName") or p.get("userPrincipalName") or p.get("servicePrincipalName")
    )
    return diagnostic_record(
        time=p.get("createdDateTime"),
        tenant=str(tenant),
        operation=SIGNIN_OPERATION,
        category=signin_category(p),
        result_type="" if code is None else str(code),
        # Graph says "Other." as the failure reason of a success; Log Analytics leaves it empty.
        description="" if code in (0, "0") else status.get("failureReason") or "",
        ip=p.get("ipAddress") or "",
        correlation=p.get("correlationId") or "",
        identity=identity or "",
        level=4,
        location=location.get("countryOrRegion") or "",
        properties=p,
    )


def _audit_record(p: dict[str, Any], tenant_id: str | None) -> dict[str, Any]:
    by = _object(p.get("initiatedBy"))
    who = _object(by.get("user")) or _object(by.get("app"))
    result = p.get("result")
    return diagnostic_record(
        time=p.get("activityDateTime"),
        tenant=tenant_id or "",
        operation=p.get("activityDisplayName") or "",
        category="AuditLogs",
        # Diagnostic records spell the audit result "Success"/"Failure" (properties: lower case).
        result_type=result[:1].upper() + result[1:] if isinstance(result, str) else "",
        description="",
        ip=who.get("ipAddress") or "",
        correlation=p.get("correlationId") or "",
        identity=who.get("displayName") or who.get("userPrincipalName") or "",
        level="Informational",
        location="",
        properties=p,
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def add_object(
    ing: Ingestor,
    obj: object,
    source: str,
    position: str,
    *,
    kind: str | None = None,
    tenant_id: str | None = None,
    fmt: str = "graph",
) -> bool:
    """Convert one Graph object and add it to the ingestor; a bad one goes to IngestionErrors.

    Returns:
        Whether the object was added (it may still be rejected when its values are mapped).
    """
    if not isinstance(obj, dict):
        ing.reject(source, position, "a Graph page item is not a JSON object", _text(obj), fmt)
        return False
    try:
        record = to_record(obj, kind=kind, tenant_id=tenant_id)
    except GraphObjectError as e:
        ing.reject(source, position, str(e), _text(obj), fmt)
        return False
    ing.add(orjson.dumps(record).decode(), source, position, shape=DIAG, fmt=fmt)
    return True


def _text(obj: object) -> str:
    return orjson.dumps(obj, default=str).decode()


# -- the `graph` file format ----------------------------------------------------------------------


def _sniff_graph(path: Path, head: bytes) -> bool:
    text = head.lstrip()
    if not text.startswith((b"{", b"[")):
        return False
    if b'"@odata.context"' in head or b'"@odata.nextLink"' in head:
        return True
    if text.startswith(b"{") and text[1:].lstrip().startswith(b'"value"'):
        return True
    # A bare array of Graph objects: their time field, and no diagnostic envelope.
    return (
        text.startswith(b"[")
        and (b'"createdDateTime"' in head or b'"activityDateTime"' in head)
        and b'"properties"' not in head
        and b'"records"' not in head
    )


def _pages(path: Path) -> Iterator[tuple[str, object]]:
    """The file's documents with their positions: one document, or one per line."""
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        return
    try:
        doc = orjson.loads(first[1])
    except orjson.JSONDecodeError:  # one document over several lines
        try:
            yield "", orjson.loads(_whole(path))
        except orjson.JSONDecodeError as e:
            raise ReadError(f"not valid JSON: {e}") from None
        return
    yield "line 1", doc
    for i, raw in lines:
        if not raw.strip():
            continue
        try:
            yield f"line {i}", orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            yield f"line {i}", _BadLine(str(e), raw.decode("utf-8", "replace"))


class _BadLine:
    def __init__(self, reason: str, raw: str) -> None:
        self.reason, self.raw = reason, raw


def _read_graph(ing: Ingestor, path: Path, label: str, table: str | None) -> None:
    page_no = 0
    for where, doc in _pages(path):
        if isinstance(doc, _BadLine):
            ing.reject(label, where, f"not valid JSON: {doc.reason}", doc.raw, "graph")
        elif isinstance(doc, list) and doc and all(_is_page(d) for d in doc):
            for page in doc:  # an array of pages
                page_no += 1
                read_page(ing, page, label, f"page {page_no}")
        elif isinstance(doc, dict) and _is_page(doc):
            page_no += 1
            read_page(ing, doc, label, f"page {page_no}")
        elif isinstance(doc, list):  # a bare array of Graph objects
            for i, obj in enumerate(doc, 1):
                add_object(ing, obj, label, f"{where}, item {i}" if where else f"item {i}")
        elif isinstance(doc, dict):  # one Graph object per line
            add_object(ing, doc, label, where or "item 1")
        else:
            ing.reject(label, where or "document", "not a Graph page", _text(doc), "graph")


def _is_page(doc: object) -> bool:
    """A response page: `value` plus OData annotations (`@odata.context`, `@odata.nextLink`)."""
    return (
        isinstance(doc, dict)
        and "value" in doc
        and all(k.startswith("@") for k in doc if k != "value")
    )


def read_page(
    ing: Ingestor,
    page: Mapping[str, Any],
    source: str,
    position: str,
    *,
    kind: str | None = None,
    tenant_id: str | None = None,
) -> int:
    """Add a Graph response page's `value` objects to the ingestor; returns how many it held."""
    items = page.get("value")
    if not isinstance(items, list):
        ing.reject(source, position, "the page's `value` is not an array", _text(page), "graph")
        return 0
    kind = kind or context_kind(page.get("@odata.context"))
    for i, obj in enumerate(items, 1):
        add_object(ing, obj, source, f"{position}, item {i}", kind=kind, tenant_id=tenant_id)
    return len(items)


FORMATS = [
    Format(
        "graph",
        "Microsoft Graph responses: /auditLogs/signIns and /directoryAudits pages (v1.0, beta)",
        _sniff_graph,
        _read_graph,
        priority=5,
    ),
]

__all__ = [
    "AUDIT",
    "EVENT_TYPE_CATEGORIES",
    "FORMATS",
    "SIGNIN",
    "GraphObjectError",
    "add_object",
    "context_kind",
    "object_kind",
    "read_page",
    "signin_category",
    "to_record",
]
