from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from kustodian.simulate import Simulation

# The pinned small run: a few days, tens of users, so the suite stays fast.
DAYS, USERS, SEED = 3, 30, 7
END = datetime(2024, 5, 1, tzinfo=UTC)


@dataclass
class Run:
    sim: Simulation
    records: list[dict[str, Any]]

    def of(self, category: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["category"] == category]

    def signins(self, upn: str | None = None, **match: Any) -> list[dict[str, Any]]:
        """SignInLogs records, optionally of one user and with property values in `match`."""
        out = []
        for r in self.records:
            if r["category"] != "SignInLogs":
                continue
            p = r["properties"]
            if upn is not None and p["userPrincipalName"] != upn:
                continue
            if all(p.get(k) == v for k, v in match.items()):
                out.append(r)
        return out

    def audits(self, operation: str) -> list[dict[str, Any]]:
        return [r for r in self.of("AuditLogs") if r["operationName"] == operation]


@pytest.fixture(scope="session")
def small() -> Run:
    sim = Simulation(DAYS, USERS, SEED, END)
    return Run(sim, list(sim.records()))
