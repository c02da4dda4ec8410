"""Kustodian: a self-hosted Log Analytics workspace for Entra ID logs, with a real KQL engine."""

from __future__ import annotations

from kustodian.result import QueryResult
from kustodian.workspace.workspace import Workspace

__all__ = ["QueryResult", "Workspace"]
__version__ = "0.1.0"
