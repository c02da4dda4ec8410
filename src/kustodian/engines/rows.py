"""Reading a single row from a DuckDB result."""

from __future__ import annotations

from typing import Any


def first_row(result: Any) -> Any:
    """The first row of a result, or None; the result is read to the end.

    Not `fetchone()`: DuckDB 2 keeps a partly fetched result open on the connection, and the next
    `register` (an ingestion batch) then fails with "unfinished result".
    """
    rows = result.fetchall()
    return rows[0] if rows else None
