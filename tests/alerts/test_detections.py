"""Built-in detections: they compile, take parameters, and fire on the simulated tenant's planted
scenarios (scheduled evaluation over the whole 3-day window) and not elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kustodian import Workspace
from kustodian.alerts import RuleError, evaluate, get_rule, list_alerts, list_rules
from kustodian.alerts.detections import detections, disable, enable
from kustodian.ingest import ingest_records
from kustodian.simulate import Simulation

END = datetime(2024, 5, 1, tzinfo=UTC)
INVITE_AFTER = timedelta(hours=6)
KNOWN_MISSES = {"new-country"}


def test_every_detection_compiles_with_defaults() -> None:
    ws = Workspace.open(":memory:")
    names = list(detections())
    assert len(names) == 11
    for n in names:
        rule = enable(ws, n)
        assert rule.name == f"builtin-{n}" and rule.custom_properties["mitreTechniques"]
    assert {r.name for r in list_rules(ws)} == {f"builtin-{n}" for n in names}


def test_enable_with_parameters_and_disable() -> None:
    ws = Workspace.open(":memory:")
    rule = enable(ws, "break-glass", {"accounts": "bg1@x.com,0000-id"})
    assert '"bg1@x.com", "0000-id"' in rule.query and rule.severity == 0
    assert get_rule(ws, "builtin-break-glass") is not None
    rule = enable(ws, "password-spray", {"min_users": "9"})
    assert "Users >= 9" in rule.query
    with pytest.raises(RuleError, match="no parameter 'nope'"):
        enable(ws, "password-spray", {"nope": 1})
    with pytest.raises(RuleError, match="expected an integer"):
        enable(ws, "password-spray", {"min_users": "many"})
    disable(ws, "break-glass")
    r = get_rule(ws, "builtin-break-glass")
    assert r is not None and not r.enabled


@pytest.fixture(scope="module")
def simulated() -> tuple[Simulation, dict[str, set[str]]]:
    sim = Simulation(days=3, users=30, seed=7, end=END.isoformat())
    ws = Workspace.open(":memory:")
    ingest_records(ws, sim.records())
    for n in detections():
        enable(ws, n, {"after": "6h"} if n == "guest-invite-not-redeemed" else None)
    start = END - timedelta(days=3)
    for day in range(4):  # catch-up covers at most 2 days: step a day at a time
        evaluate(ws, start + timedelta(days=day))
    fired: dict[str, set[str]] = {n: set() for n in detections()}
    for a in list_alerts(ws):
        values = [str(v) for k, v in sorted(a.dimensions.items()) if k != "Country"]
        fired[a.rule.removeprefix("builtin-")].add(values[0] if values else "")
    return sim, fired


def expected(sim: Simulation) -> dict[str, set[str]]:
    t = sim.truth
    ts = {v.upn for v in t.security_info if not v.trusted}

    def late(i: object) -> bool:
        invited = datetime.fromisoformat(i.invited_at)  # type: ignore[attr-defined]
        due = invited + INVITE_AFTER
        redeemed = i.redeemed_at  # type: ignore[attr-defined]
        return due < END and (redeemed is None or datetime.fromisoformat(redeemed) > due)

    scanner = {u.upn for u in sim.tenant.users if u.kind == "service"}
    return {
        "break-glass": set(t.break_glass),
        "smart-lockout": set(t.lockouts),
        "mfa-fatigue": {f.upn for f in t.fatigue},
        "mfa-fraud": {f.upn for f in t.fraud},
        "password-spray": set(t.spray_ips),
        "brute-force-unused-account": set(t.brute_force_targets),
        "guest-invite-not-redeemed": {i.guest_upn for i in t.invitations.values() if late(i)},
        "security-info-untrusted-location": ts,
        "new-country": {u for u, _, _ in t.new_country},
        "legacy-auth-success": scanner if t.legacy["Authenticated SMTP"] else set(),
        "disabled-account-attempts": set(t.disabled_attempts),
    }


def test_detections_on_the_simulated_tenant(
    simulated: tuple[Simulation, dict[str, set[str]]],
) -> None:
    sim, fired = simulated
    want = expected(sim)
    lines = [
        "| detection | planted | fired (true) | missed | false positives |",
        "|---|---|---|---|---|",
    ]
    for n in sorted(want):
        tp, fp, fn = fired[n] & want[n], fired[n] - want[n], want[n] - fired[n]
        lines.append(f"| {n} | {len(want[n])} | {len(tp)} | {len(fn)} | {len(fp)} |")
    print("\n" + "\n".join(lines))
    for n in sorted(want):
        assert want[n], f"{n}: the simulation planted nothing"
        assert fired[n] <= want[n], f"{n}: false positives {sorted(fired[n] - want[n])}"
        if n not in KNOWN_MISSES:
            assert fired[n] == want[n], f"{n}: missed {sorted(want[n] - fired[n])}"
    # the trip abroad (omar.berg, JP) is missed: see docs/detections.md
    assert len(want["new-country"] - fired["new-country"]) <= 1
