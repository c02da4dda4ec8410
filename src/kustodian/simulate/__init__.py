"""The demo tenant: deterministic Entra ID diagnostic-settings records for a simulated directory.

`simulate(days, users, seed, end)` yields records in the envelope Entra's diagnostic settings
write (spec section 3.2), in time order; `Simulation` also exposes the `Tenant` and the
`GroundTruth` of the run. Writers put records into the export shapes (Event Hub bodies, the
storage-account archive tree, Microsoft Graph pages); `simulate_live` paces records in real time.
"""

from __future__ import annotations

from kustodian.simulate.engine import DEFAULT_END, Simulation, simulate
from kustodian.simulate.export import write_event_hub, write_graph_pages, write_storage_archive
from kustodian.simulate.live import simulate_live
from kustodian.simulate.lockout import Outcome, SmartLockout
from kustodian.simulate.tenant import Tenant, User, build_tenant
from kustodian.simulate.truth import GroundTruth

__all__ = [
    "DEFAULT_END",
    "GroundTruth",
    "Outcome",
    "Simulation",
    "SmartLockout",
    "Tenant",
    "User",
    "build_tenant",
    "simulate",
    "simulate_live",
    "write_event_hub",
    "write_graph_pages",
    "write_storage_archive",
]
