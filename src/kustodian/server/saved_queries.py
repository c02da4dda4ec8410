"""Saved queries of the web UI's Logs page, kept in the workspace (`_kustodian.saved_queries`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kustodian.timespans import parse_timespan
from kustodian.workspace.workspace import Workspace

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_NAME = 200
MAX_QUERY = 100_000


class SavedQueryError(ValueError):
    """A saved query that cannot be stored: the message names the field."""


@dataclass(frozen=True, slots=True)
class SavedQuery:
    id: str
    name: str
    query: str
    timespan: str | None
    author: str
    created: datetime
    updated: datetime

    def to_json(self) -> dict[str, Any]:
        def iso(v: datetime) -> str:
            return v.astimezone(UTC).isoformat().replace("+00:00", "Z")

        return {
            "id": self.id,
            "name": self.name,
            "query": self.query,
            "timespan": self.timespan,
            "author": self.author,
            "created": iso(self.created),
            "updated": iso(self.updated),
        }


def check_id(query_id: str) -> str:
    if not ID.match(query_id):
        raise SavedQueryError(
            f"saved query id '{query_id[:120]}': use 1-100 letters, digits, '.', '_' or '-'"
        )
    return query_id


def parse_body(body: Any) -> tuple[str, str, str | None]:
    """(name, query, timespan) from `{name, query, timespan}`; raises SavedQueryError."""
    if not isinstance(body, dict):
        raise SavedQueryError('the body must be a JSON object {"name", "query", "timespan"}')
    name, query, timespan = body.get("name"), body.get("query"), body.get("timespan")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise SavedQueryError(f"'name' must be a non-empty string of at most {MAX_NAME} characters")
    if not isinstance(query, str) or not query.strip() or len(query) > MAX_QUERY:
        raise SavedQueryError(
            f"'query' must be a non-empty string of at most {MAX_QUERY} characters"
        )
    if timespan in (None, ""):
        return name.strip(), query, None
    if not isinstance(timespan, str):
        raise SavedQueryError("'timespan' must be an ISO 8601 duration or interval, or null")
    try:
        parse_timespan(timespan)
    except ValueError as e:
        raise SavedQueryError(f"'timespan': {e}") from None
    return name.strip(), query, timespan


_COLUMNS = "id, name, query, timespan, author, created, updated"


def list_saved(ws: Workspace) -> list[SavedQuery]:
    rows = ws.execute(
        f"SELECT {_COLUMNS} FROM _kustodian.saved_queries ORDER BY lower(name), id"
    ).fetchall()
    return [SavedQuery(*r) for r in rows]


def put(
    ws: Workspace, query_id: str, body: Any, author: str, now: datetime | None = None
) -> tuple[SavedQuery, bool]:
    """Create or replace a saved query; returns it and whether it is new."""
    check_id(query_id)
    name, query, timespan = parse_body(body)
    now = now or datetime.now(UTC)
    with ws.transaction() as con:
        row = con.execute(
            "SELECT created FROM _kustodian.saved_queries WHERE id = ?", [query_id]
        ).fetchone()
        created = row[0] if row else now
        con.execute("DELETE FROM _kustodian.saved_queries WHERE id = ?", [query_id])
        con.execute(
            "INSERT INTO _kustodian.saved_queries VALUES (?, ?, ?, ?, ?, ?, ?)",
            [query_id, name, query, timespan, author, created, now],
        )
    return SavedQuery(query_id, name, query, timespan, author, created, now), row is None


def delete(ws: Workspace, query_id: str) -> bool:
    """Delete a saved query; False when there was none."""
    with ws.transaction() as con:
        found = con.execute(
            "SELECT count(*) FROM _kustodian.saved_queries WHERE id = ?", [query_id]
        ).fetchone()
        con.execute("DELETE FROM _kustodian.saved_queries WHERE id = ?", [query_id])
    return bool(found and found[0])
