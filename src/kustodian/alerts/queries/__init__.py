"""Saved queries: KQL shipped as content (`*.kql` in this package), for the CLI and the UI.

A file starts with `// title: ...` and `// description: ...` comment lines; the rest is the
query. `kustodian queries list|show|run` reads them through `saved_queries()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kustodian.content import shipped_files

_HEADER = "// "


@dataclass(frozen=True, slots=True)
class SavedQuery:
    name: str  # the file name without .kql
    title: str
    description: str
    query: str  # the KQL text, header comments removed


def _parse(name: str, text: str) -> SavedQuery:
    fields: dict[str, str] = {}
    lines = text.splitlines()
    while lines and lines[0].startswith(_HEADER) and ":" in lines[0]:
        key, _, value = lines.pop(0)[len(_HEADER) :].partition(":")
        fields[key.strip()] = value.strip()
    return SavedQuery(
        name, fields.get("title", name), fields.get("description", ""), "\n".join(lines).strip()
    )


def saved_queries() -> dict[str, SavedQuery]:
    """The shipped saved queries, by name (sorted)."""
    return {name[:-4]: _parse(name[:-4], text) for name, text in shipped_files(__name__, ".kql")}


def get_saved_query(name: str) -> SavedQuery:
    """One saved query by name.

    Raises:
        LookupError: no saved query of that name (the message lists them).
    """
    all_ = saved_queries()
    if name not in all_:
        raise LookupError(f"no saved query named '{name}' (saved queries: {', '.join(all_)})")
    return all_[name]
