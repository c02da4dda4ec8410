"""Write records in the shapes Entra exports them, for ingestion round trips.

- Event Hub: message bodies `{"records": [...]}`, one category per body (as Entra batches them).
- Storage account archive: `insights-logs-<category>/tenantId=<tid>/y=/m=/d=/h=/m=00/PT1H.json`,
  one JSON record per line, a blob per category and hour of `time`.
- Microsoft Graph: `/auditLogs/signIns` and `/auditLogs/directoryAudits` response pages whose
  `value` items are the records' `properties` (the Graph objects), linked by `@odata.nextLink`.
  Pages are in time order, as with `$orderby=createdDateTime asc`.

Each writer streams: it holds at most one body, one open blob per category, or one page per
stream in memory.
"""

from __future__ import annotations

import gzip as gz
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

GRAPH = "https://graph.microsoft.com"

# category -> (stream file prefix, API version, resource path, $filter of the stream or "")
GRAPH_STREAMS: dict[str, tuple[str, str, str, str]] = {
    "SignInLogs": ("signIns", "v1.0", "auditLogs/signIns", ""),
    "NonInteractiveUserSignInLogs": (
        "signIns-nonInteractiveUser",
        "beta",
        "auditLogs/signIns",
        "signInEventTypes/any(t: t eq 'nonInteractiveUser')",
    ),
    "ServicePrincipalSignInLogs": (
        "signIns-servicePrincipal",
        "beta",
        "auditLogs/signIns",
        "signInEventTypes/any(t: t eq 'servicePrincipal')",
    ),
    "ManagedIdentitySignInLogs": (
        "signIns-managedIdentity",
        "beta",
        "auditLogs/signIns",
        "signInEventTypes/any(t: t eq 'managedIdentity')",
    ),
    "AuditLogs": ("directoryAudits", "v1.0", "auditLogs/directoryAudits", ""),
}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def write_event_hub(
    records: Iterable[dict[str, Any]],
    directory: str | Path,
    per_body: int = 500,
    gzip: bool = False,
) -> list[Path]:
    """Event Hub message bodies, one file each.

    Args:
        records: diagnostic-settings records.
        directory: created if missing; files are `<category>-<n>.json` (`.json.gz` with gzip).
        per_body: records per body (at most).
        gzip: compress each file.

    Returns:
        The files written, in the order they were written.
    """
    if per_body < 1:
        raise ValueError("per_body must be at least 1")
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    buffers: dict[str, list[dict[str, Any]]] = {}
    written: list[Path] = []

    def flush(category: str) -> None:
        body = buffers.pop(category)
        name = f"{category.lower()}-{len(written) + 1:06d}.json" + (".gz" if gzip else "")
        data = _dumps({"records": body}).encode()
        path = root / name
        path.write_bytes(gz.compress(data, mtime=0) if gzip else data)
        written.append(path)

    for r in records:
        buf = buffers.setdefault(r["category"], [])
        buf.append(r)
        if len(buf) >= per_body:
            flush(r["category"])
    for category in list(buffers):
        flush(category)
    return written


def archive_path(record: dict[str, Any]) -> str:
    """The blob path of a record: container, tenant, and the hour of its `time`."""
    t: str = record["time"]
    return (
        f"insights-logs-{record['category'].lower()}/tenantId={record['tenantId']}/"
        f"y={t[0:4]}/m={t[5:7]}/d={t[8:10]}/h={t[11:13]}/m=00/PT1H.json"
    )


def write_storage_archive(records: Iterable[dict[str, Any]], root: str | Path) -> list[Path]:
    """A storage account's `insights-logs-*` containers as a directory tree (JSON lines).

    Returns:
        The blobs written, sorted.
    """
    base = Path(root)
    handles: dict[str, IO[str]] = {}
    seen: set[str] = set()
    hour = ""
    try:
        for r in records:
            rel = archive_path(r)
            if r["time"][:13] != hour:
                hour = r["time"][:13]
                for h in handles.values():
                    h.close()
                handles.clear()
            f = handles.get(rel)
            if f is None:
                path = base / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                f = handles[rel] = path.open("a" if rel in seen else "w", encoding="utf-8")
                seen.add(rel)
            f.write(_dumps(r))
            f.write("\n")
    finally:
        for h in handles.values():
            h.close()
    return sorted(base / rel for rel in seen)


def write_graph_pages(
    records: Iterable[dict[str, Any]],
    directory: str | Path,
    page_size: int = 1000,
) -> list[Path]:
    """Microsoft Graph list responses for the sign-in and audit categories.

    Files are `<stream>-<page>.json`; `@odata.nextLink` carries `$skiptoken=<next file stem>`.
    Categories Graph does not list this way (RiskyUsers, UserRiskEvents) are skipped.

    Returns:
        The pages written, in the order they were written.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    pages: dict[str, list[Any]] = {}
    numbers: dict[str, int] = {}
    written: list[Path] = []

    def flush(category: str, more: bool) -> None:
        prefix, version, resource, flt = GRAPH_STREAMS[category]
        n = numbers.get(category, 0) + 1
        numbers[category] = n
        doc: dict[str, Any] = {
            "@odata.context": f"{GRAPH}/{version}/$metadata#{resource}",
            "value": pages.pop(category),
        }
        if more:
            query = f"$filter={flt.replace(' ', '%20')}&" if flt else ""
            doc["@odata.nextLink"] = (
                f"{GRAPH}/{version}/{resource}?{query}$skiptoken={prefix}-{n + 1:05d}"
            )
        path = root / f"{prefix}-{n:05d}.json"
        path.write_text(_dumps(doc), encoding="utf-8")
        written.append(path)

    for r in records:
        category = r["category"]
        if category not in GRAPH_STREAMS:
            continue
        page = pages.setdefault(category, [])
        if len(page) >= page_size:
            flush(category, more=True)
            page = pages.setdefault(category, [])
        page.append(r["properties"])
    for category in list(pages):
        flush(category, more=False)
    return written
