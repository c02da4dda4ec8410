"""Built-in detections: they compile, take parameters (and workspace settings), and fire on the
simulated tenant's planted scenarios and not elsewhere.

The simulated run is evaluated at chosen scheduled ticks, not at every tick of the window (a
query compiles in tens of milliseconds; every tick of three days would take minutes): for each
rule, the tick after each event of its own scenario and of its neighbours (the near misses: the
forgetful user for brute force, medium-risk sign-ins for high risk, phone-call MFA for SMS),
from the simulation's timeline, plus one tick every six hours for the benign background. Then
the threshold detections again with each threshold one above what the simulation planted: the
just-below-threshold variants, which must stay quiet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kustodian import Workspace
from kustodian.alerts import RuleError, evaluate, get_rule, list_alerts, list_rules
from kustodian.alerts.detections import detections, disable, enable, refresh
from kustodian.alerts.evaluate import floor_tick
from kustodian.cli.demo import detection_parameters
from kustodian.ingest import ingest_records
from kustodian.simulate import Simulation
from kustodian.workspace.named_locations import (
    NamedLocationError,
    remove_named_location,
    set_named_location,
    trusted_ranges,
)

END = datetime(2024, 5, 1, tzinfo=UTC)
DAYS = 3
INVITE_AFTER = timedelta(hours=6)
MIN_HISTORY = timedelta(days=1)  # new-country's default learning period
LOOKBACK = timedelta(days=2)
SAMPLE_EVERY = timedelta(hours=6)
SECURITY_INFO = {"User registered security info", "User registered all required security info"}
# detection -> the timeline events (scenarios, audit activities) it is evaluated after
EVENTS: dict[str, set[str]] = {
    "break-glass": {"break-glass"},
    "smart-lockout": {"lockout", "brute-force", "forgetful"},
    "mfa-fatigue": {"fatigue", "fraud"},
    "mfa-fraud": {"fraud", "fatigue"},
    "password-spray": {"spray", "brute-force"},
    "brute-force": {"lockout", "brute-force", "forgetful", "spray"},
    "brute-force-unused-account": {"brute-force", "lockout"},
    "guest-invitations": {"Invite external user"},
    "guest-invite-redeemed": {"Redeem external user invite"},
    "guest-invite-not-redeemed": {"Invite external user", "Redeem external user invite"},
    "security-info-untrusted-location": SECURITY_INFO,
    "new-country": {"travel", "fatigue", "tor"},
    "legacy-auth-success": {"scanner", "eas", "spray"},
    "disabled-account-attempts": {"disabled-account", "brute-force"},
    "privileged-single-factor": {"privileged-single-factor", "break-glass", "Add member to role"},
    "sms-mfa": {"sms-mfa", "fraud"},
    "high-risk-signin": {"high-risk", "fatigue", "tor", "travel"},
}
# the dimension that names what a detection is about (default the user)
ENTITY = {"password-spray": "IPAddress", "new-country": "UserPrincipalName"}
GUESTS = ("guest-invitations", "guest-invite-redeemed", "guest-invite-not-redeemed")


def test_every_detection_compiles_with_defaults() -> None:
    ws = Workspace.open(":memory:")
    names = list(detections())
    assert len(names) == 17
    for n in names:
        rule = enable(ws, n)
        assert rule.name == f"builtin-{n}" and rule.custom_properties["mitreTechniques"]
    assert {r.name for r in list_rules(ws)} == {f"builtin-{n}" for n in names}


def test_enable_with_parameters_and_disable() -> None:
    ws = Workspace.open(":memory:")
    rule = enable(ws, "break-glass", {"accounts": "bg1@x.com,0000-id"}, ["admins"])
    assert '"bg1@x.com", "0000-id"' in rule.query and rule.severity == 0
    assert rule.action_groups == ("admins",)
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


def test_named_locations_are_a_setting_the_detection_reads(tmp_path: Any) -> None:
    ws = Workspace.init(tmp_path / "ws")
    set_named_location(ws, "HQ", ["203.0.113.10/31", "203.0.113.12"])
    set_named_location(ws, "Guest Wi-Fi", ["198.51.100.0/24"], trusted=False)
    assert trusted_ranges(ws) == ["203.0.113.10/31", "203.0.113.12/32"]
    rule = enable(ws, "security-info-untrusted-location", action_groups=["soc"])
    assert '"203.0.113.10/31", "203.0.113.12/32"' in rule.query
    assert "198.51.100.0/24" not in rule.query
    disable(ws, "security-info-untrusted-location")
    set_named_location(ws, "London", ["192.0.2.0/28"])
    assert refresh(ws) == ["builtin-security-info-untrusted-location"]
    again = get_rule(ws, "builtin-security-info-untrusted-location")
    assert again is not None and '"192.0.2.0/28", "203.0.113.10/31"' in again.query
    assert not again.enabled and again.action_groups == ("soc",)  # kept as they were
    # an explicit value is not replaced by the setting
    enable(ws, "security-info-untrusted-location", {"trusted_ranges": "10.0.0.0/8"})
    assert refresh(ws) == []
    ws.close()
    ws = Workspace.open(tmp_path / "ws", create=False)  # stored in workspace.json
    assert trusted_ranges(ws) == ["192.0.2.0/28", "203.0.113.10/31", "203.0.113.12/32"]
    with pytest.raises(NamedLocationError, match=r"'HQ': '10\.0\.0\.300/8' is not an IPv4 range"):
        set_named_location(ws, "HQ", ["10.0.0.300/8"])
    with pytest.raises(NamedLocationError, match=r"no named location 'Paris' \(named locations"):
        remove_named_location(ws, "Paris")
    ws.close()


# --- the simulated tenant ---------------------------------------------------------------------


@dataclass
class Run:
    sim: Simulation
    records: list[dict[str, Any]]
    samples: list[datetime]  # the background ticks

    def times(self, detection: str) -> list[datetime]:
        """When the detection's own and neighbouring scenarios happened, and the samples."""
        want = EVENTS[detection]
        return [_time(t) for what, t in self.sim.truth.timeline if what in want] + self.samples


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def run() -> Run:
    sim = Simulation(days=DAYS, users=30, seed=7, end=END.isoformat())
    records = list(sim.records())
    start = END - timedelta(days=DAYS)
    samples = [start + k * SAMPLE_EVERY for k in range(1, DAYS * 4 + 1)]
    return Run(sim, records, samples)


def enabled_workspace(r: Run, params: dict[str, dict[str, Any]]) -> Workspace:
    """The run's records in a new workspace with the detections enabled (the demo's setup:
    the offices as named locations, the break-glass accounts, the directory's admins as
    privileged accounts), except that the scanner is not allowed legacy authentication and
    invitations are late after 6 hours (the window is 3 days)."""
    ws = Workspace.open(":memory:")
    ingest_records(ws, r.records)
    t = r.sim.tenant
    for loc in t.named_locations:
        if loc.trusted:
            set_named_location(ws, loc.name, list(loc.ips))
    setup: dict[str, dict[str, Any]] = {
        **detection_parameters(t),
        "legacy-auth-success": {},
        "guest-invite-not-redeemed": {"after": "6h"},
    }
    for n in params or detections():
        enable(ws, n, {**setup.get(n, {}), **params.get(n, {})})
    return ws


def fired_entities(ws: Workspace, r: Run) -> dict[str, set[str]]:
    for rule in list_rules(ws):
        f = rule.evaluation_frequency
        times = r.times(rule.name.removeprefix("builtin-"))
        for tick in sorted({floor_tick(t, f) + f for t in times}):
            evaluate(ws, tick, rules=[rule], catch_up=False)
    fired: dict[str, set[str]] = {}
    for a in list_alerts(ws):
        n = a.rule.removeprefix("builtin-")
        key = ENTITY.get(n, "Guest" if n in GUESTS else "UserPrincipalName")
        fired.setdefault(n, set()).add(str(a.dimensions[key]).lower())
    return fired


def seasoned(r: Run, upn: str, at: str) -> bool:
    """Whether the user signed in successfully within new-country's lookback before its
    learning period (`min_history`): a user first seen hours before the trip has no history
    that could make a country new, whatever the simulator knows of their home."""
    when = _time(at)
    since = floor_tick(when, timedelta(hours=1)) + timedelta(hours=1) - LOOKBACK
    return any(
        rec["resultType"] == "0"
        and rec["properties"].get("userPrincipalName") == upn
        and since <= _time(rec["time"]) < when - MIN_HISTORY
        for rec in r.records
        if rec["category"] in ("SignInLogs", "NonInteractiveUserSignInLogs")
    )


def expected(r: Run) -> dict[str, set[str]]:
    sim = r.sim
    t = sim.truth
    ts = {v.upn for v in t.security_info if not v.trusted}

    def late(i: Any) -> bool:
        due = datetime.fromisoformat(i.invited_at[:19]).replace(tzinfo=UTC) + INVITE_AFTER
        redeemed = i.redeemed_at
        return due < END and (redeemed is None or _time(redeemed) > due)

    scanner = {u.upn for u in sim.tenant.users if u.kind == "service"}
    invites = t.invitations.values()
    want: dict[str, set[str]] = {
        "break-glass": set(t.break_glass),
        "smart-lockout": set(t.lockouts),
        "mfa-fatigue": {f.upn for f in t.fatigue},
        "mfa-fraud": {f.upn for f in t.fraud},
        "password-spray": set(t.spray_ips),
        "brute-force": set(t.lockout_victims),
        "brute-force-unused-account": set(t.brute_force_targets),
        "guest-invitations": {i.guest_upn for i in invites},
        "guest-invite-redeemed": {i.guest_upn for i in invites if i.redeemed_at},
        "guest-invite-not-redeemed": {i.guest_upn for i in invites if late(i)},
        "security-info-untrusted-location": ts,
        "new-country": {u for u, _, at in t.new_country if seasoned(r, u, at)},
        "legacy-auth-success": scanner if t.legacy["Authenticated SMTP"] else set(),
        "disabled-account-attempts": set(t.disabled_attempts),
        "privileged-single-factor": set(t.privileged_single_factor) - set(sim.tenant.break_glass),
        "sms-mfa": set(t.sms_mfa),
        "high-risk-signin": set(t.high_risk),
    }
    return {n: {v.lower() for v in s} for n, s in want.items()}


def table(want: dict[str, set[str]], fired: dict[str, set[str]]) -> str:
    lines = [
        "| detection | planted | fired (true) | missed | false positives | precision | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in sorted(want):
        got = fired.get(n, set())
        tp, fp, fn = got & want[n], got - want[n], want[n] - got
        precision = f"{len(tp) / len(got):.2f}" if got else "-"
        recall = f"{len(tp) / len(want[n]):.2f}" if want[n] else "-"
        lines.append(
            f"| {n} | {len(want[n])} | {len(tp)} | {len(fn)} | {len(fp)} | {precision} | {recall} |"
        )
    return "\n".join(lines)


def test_detections_on_the_simulated_tenant(run: Run) -> None:
    ws = enabled_workspace(run, {})
    fired = fired_entities(ws, run)
    want = expected(run)
    assert set(want) == set(detections())
    print("\n" + table(want, fired))
    for n in sorted(want):
        got = fired.get(n, set())
        assert want[n], f"{n}: the simulation planted nothing"
        assert got <= want[n], f"{n}: false positives {sorted(got - want[n])}"
        assert got == want[n], f"{n}: missed {sorted(want[n] - got)}"
    # the trip abroad of a user first seen seven hours before it is not a planted new country
    assert {u for u, _, _ in run.sim.truth.new_country} - want["new-country"] == {
        "omar.berg@contoso.com"
    }


# threshold parameter -> the planted count it must exceed to stay quiet
Planted = Callable[[Simulation], int]
THRESHOLDS: dict[str, tuple[str, Planted]] = {
    "smart-lockout": ("min_lockouts", lambda s: max(s.truth.lockouts.values())),
    "mfa-fatigue": ("min_denials", lambda s: max(f.denied for f in s.truth.fatigue)),
    "password-spray": ("min_users", lambda s: len(s.truth.spray_targets)),
    "brute-force": (
        "min_failures",
        lambda s: max(
            s.truth.bad_passwords[u] + s.truth.lockouts[u] for u in s.truth.lockout_victims
        ),
    ),
    "brute-force-unused-account": (
        "min_failures",
        lambda s: max(
            s.truth.bad_passwords[u] + s.truth.lockouts[u] for u in s.truth.brute_force_targets
        ),
    ),
    "disabled-account-attempts": (
        "min_attempts",
        lambda s: max(s.truth.disabled_attempts.values()),
    ),
}


def test_just_below_threshold_variants_stay_quiet(run: Run) -> None:
    params = {n: {p: planted(run.sim) + 1} for n, (p, planted) in THRESHOLDS.items()}
    ws = enabled_workspace(run, params)
    fired = fired_entities(ws, run)
    print("\n" + "\n".join(f"{n}: {params[n]} -> {sorted(fired.get(n, ()))}" for n in params))
    assert fired == {}
