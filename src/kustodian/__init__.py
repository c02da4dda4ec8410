"""Kustodian: a self-hosted Log Analytics workspace for Entra ID logs, with a real KQL engine.

`Workspace` and `QueryResult` load the engine (DuckDB, Arrow) on first use, so that importing
the compiler (`kustodian.kql`) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kustodian.result import QueryResult
    from kustodian.workspace.workspace import Workspace

__all__ = ["QueryResult", "Workspace"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "Workspace":
        from kustodian.workspace.workspace import Workspace

        return Workspace
    if name == "QueryResult":
        from kustodian.result import QueryResult

        return QueryResult
    raise AttributeError(f"module 'kustodian' has no attribute {name!r}")
