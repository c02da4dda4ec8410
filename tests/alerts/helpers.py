"""Small tenants for alert tests: sign-in rows at chosen times, rules from YAML text."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from kustodian import Workspace
from kustodian.alerts import Rule, parse_text, save_rule
from kustodian.ingest import ingest_rows

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
_ids = itertools.count(1)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def signins(ws: Workspace, *rows: tuple[float, str] | dict[str, Any]) -> None:
    """Sign-ins at T0 + minutes, by UPN; dicts give more columns."""
    out = []
    for r in rows:
        row = dict(r) if isinstance(r, dict) else {"minutes": r[0], "UserPrincipalName": r[1]}
        minutes = row.pop("minutes")
        out.append(
            {
                "TimeGenerated": at(minutes).isoformat(),
                "Id": f"id-{next(_ids)}",
                "ResultType": "0",
                "IPAddress": "203.0.113.10",
                **row,
            }
        )
    ingest_rows(ws, "SigninLogs", out)


def rule(ws: Workspace, text: str) -> Rule:
    r = parse_text(text)[0]
    save_rule(ws, r)
    return r


def rule_yaml(name: str, query: str, **fields: Any) -> str:
    import yaml

    doc: dict[str, Any] = {
        "name": name,
        "severity": 0,
        "evaluationFrequency": "PT5M",
        "windowSize": "PT5M",
        "query": query,
        "criteria": {"operator": "GreaterThan", "threshold": 0},
    }
    criteria = fields.pop("criteria", {})
    doc["criteria"].update(criteria)
    doc.update(fields)
    return yaml.safe_dump(doc)
