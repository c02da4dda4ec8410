"""Simulated records written as Graph response pages and ingested back give the rows of the
diagnostic-settings records themselves: the Graph reader and the diagnostic path agree."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kustodian import Workspace
from kustodian.ingest import ingest_paths, ingest_records
from kustodian.simulate import Simulation, write_graph_pages

GRAPH_TABLES = (
    "SigninLogs",
    "AADNonInteractiveUserSignInLogs",
    "AADServicePrincipalSignInLogs",
    "AADManagedIdentitySignInLogs",
    "AuditLogs",
)
# TenantId is each workspace's own id; _TimeReceived and _BilledSize describe the received text.
# A Graph directoryAudit does not name its tenant, so a saved page cannot give AuditLogs one.
HIDDEN = {
    "AuditLogs": "TenantId, _TimeReceived, _BilledSize, AADTenantId, ResourceId",
}


def rows(ws: Workspace, table: str) -> list[list[Any]]:
    hidden = HIDDEN.get(table, "TenantId, _TimeReceived, _BilledSize")
    return ws.query(f"{table} | project-away {hidden} | order by TimeGenerated asc, Id asc").rows


def test_graph_pages_of_a_simulated_day_ingest_to_the_same_rows(tmp_path: Path) -> None:
    records = list(Simulation(1, 20, 3, datetime(2024, 5, 1, tzinfo=UTC)).records())
    write_graph_pages(records, tmp_path, page_size=100)
    with Workspace.open(":memory:") as direct, Workspace.open(":memory:") as via_graph:
        ingest_records(direct, records)
        summary = ingest_paths(via_graph, [str(tmp_path)])
        expected = sum(r["category"] not in ("RiskyUsers", "UserRiskEvents") for r in records)
        assert (summary.ingested, summary.rejected) == (expected, 0)
        for table in GRAPH_TABLES:
            assert rows(via_graph, table) == rows(direct, table), table
        assert all(rows(direct, t) for t in GRAPH_TABLES)  # every table had events to compare
