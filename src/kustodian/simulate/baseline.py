"""Ordinary days: people sign in at the office or at home, their apps refresh tokens all day,
workloads authenticate on timers. This is most of the volume; the scenarios ride on top.
"""

from __future__ import annotations

from datetime import date
from itertools import accumulate

from kustodian.simulate import catalog as cat
from kustodian.simulate.catalog import App
from kustodian.simulate.engine import HOUR, MINUTE, Attempt, Place, Simulation
from kustodian.simulate.records import TICKS
from kustodian.simulate.tenant import User


def plan_day(sim: Simulation, d: date) -> None:
    """Push the intents of local day `d` for every account and workload."""
    weekday = d.weekday() < 5
    for u in sim.tenant.users:
        kind = u.kind
        if kind in ("member", "admin", "hire"):
            _person(sim, u, d, weekday)
        elif kind == "guest":
            _guest(sim, u, d, weekday)
        elif kind == "service":
            _scanner(sim, u, d, weekday)
        elif kind == "disabled":
            _leftover_phone(sim, u, d, interactive=True)
    _workloads(sim, d, weekday)


def _apps(sim: Simulation, u: User, device: str) -> tuple[list[App], list[int], list[App]]:
    """(interactive apps, their cumulative weights, non-interactive apps) for a device."""
    key = (device, u.is_admin)
    got = sim.app_lists.get(key)
    if got is None:
        ok = [a for a in sim.tenant.apps if a.device == device and (u.is_admin or not a.admin_only)]
        inter = [a for a in ok if a.weight]
        nonint = [a for a in ok if a.nonint]
        got = (inter, list(accumulate(a.weight for a in inter)), nonint)
        sim.app_lists[key] = got
    return got


def _person(sim: Simulation, u: User, d: date, weekday: bool) -> None:
    rng = sim.plan_rng
    st = sim.state[u.id]
    day0 = sim.local(d, u.city, 0)
    if day0 + 24 * HOUR <= st.active_from or d in sim.away.get(u.id, ()):
        return
    if day0 >= st.disabled_at:
        _leftover_phone(sim, u, d, interactive=rng.random() < 0.5)
        return
    if rng.random() >= (0.93 if weekday else 0.12):
        if rng.random() < 0.5:
            _phone(sim, u, d, weekday=False)
        return
    at_office = bool(u.office) and weekday and rng.random() < u.office_days / 5
    place = sim.office(u) if at_office else sim.home(u)
    begin = 7.5 + rng.random() * 2
    length = 7 + rng.random() * 3
    inter, cum, nonint = _apps(sim, u, "laptop")
    t0 = sim.local(d, u.city, begin)
    s = sim.session(u, u.laptop, place, nonint, since=t0)
    first = sim.windows_sign_in if u.laptop.platform == "windows" else inter[0]
    sim.push(t0, sim.interactive, (s, first, 0))
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
        app = rng.choices(inter, cum_weights=cum)[0]
        sim.push(t0 + int(rng.uniform(0.1, length) * HOUR), sim.interactive, (s, app, 1))
    if u.is_admin:
        for _ in range(rng.randint(1, 3)):
            t = t0 + int(rng.uniform(0.2, length) * HOUR)
            sim.push(t, sim.interactive, (s, cat.AZURE_PORTAL, 1))
    for _ in range(rng.randint(14, 28)):
        sim.push(t0 + int(rng.uniform(0.02, length) * HOUR), sim.nonint, s)
    if rng.random() < 0.75:
        _phone(sim, u, d, weekday, place if rng.random() < 0.5 else None)


def _phone(sim: Simulation, u: User, d: date, weekday: bool, place: Place | None = None) -> None:
    rng = sim.plan_rng
    if place is None:
        place = sim.new_place(u.mobile, u.city)
    _, _, nonint = _apps(sim, u, "phone")
    s = sim.session(u, u.phone_device, place, nonint, since=sim.local(d, u.city, 0))
    lo, hi = (7.0, 22.0) if weekday else (9.0, 22.0)
    for _ in range(rng.randint(3, 9) if weekday else rng.randint(1, 4)):
        sim.push(sim.local(d, u.city, rng.uniform(lo, hi)), sim.nonint, s)
    if rng.random() < 0.12:
        sim.push(sim.local(d, u.city, rng.uniform(lo, hi)), sim.interactive, (s, nonint[0], 0))
    if u.id in sim.eas_users:
        # the phone's built-in mail app still speaks Exchange ActiveSync: blocked by CA002
        for _ in range(rng.randint(2, 4)):
            t = sim.local(d, u.city, rng.uniform(lo, hi))
            sim.push(t, sim.attempt, _legacy(sim, u, place, "Exchange ActiveSync", "eas"))


def _legacy(sim: Simulation, u: User, place: Place, client: str, scenario: str) -> Attempt:
    ua = "Apple-iPhone15C2/2104.61" if client == "Exchange ActiveSync" else ""
    return Attempt(
        scenario,
        u,
        u.upn,
        place,
        cat.EXCHANGE_APP,
        client,
        ua,
        sim.device_detail(u.phone_device if client == "Exchange ActiveSync" else u.laptop, False),
        password="",
        correct=True,
    )


def _guest(sim: Simulation, u: User, d: date, weekday: bool) -> None:
    rng = sim.plan_rng
    st = sim.state[u.id]
    day0 = sim.local(d, u.city, 0)
    if day0 < st.active_from or not weekday or rng.random() >= 0.3:
        return
    _, _, nonint = _apps(sim, u, "laptop")
    shared = [a for a in nonint if a.name in ("Microsoft Teams", "Microsoft Office")]
    s = sim.session(u, u.laptop, sim.home(u), shared, since=sim.local(d, u.city, 0))
    t0 = sim.local(d, u.city, 9 + rng.random() * 6)
    sim.push(t0, sim.interactive, (s, sim.teams, 0))
    for _ in range(rng.randint(2, 6)):
        sim.push(t0 + int(rng.uniform(0.05, 3) * HOUR), sim.nonint, s)


def _scanner(sim: Simulation, u: User, d: date, weekday: bool) -> None:
    """The multifunction printer mails scans with basic auth (SMTP AUTH): legacy, but excluded
    from the legacy-auth block, so it succeeds with a single factor."""
    if not weekday:
        return
    rng = sim.plan_rng
    place = sim.office(u)
    for h in range(8, 18, 2):
        if rng.random() < 0.8:
            t = sim.local(d, u.city, h + rng.random() * 2)
            sim.push(t, sim.attempt, _legacy(sim, u, place, "Authenticated SMTP", "scanner"))


def _leftover_phone(sim: Simulation, u: User, d: date, interactive: bool) -> None:
    """A departed user's phone keeps trying after the account is disabled (50057)."""
    rng = sim.plan_rng
    _, _, nonint = _apps(sim, u, "phone")
    s = sim.session(u, u.phone_device, sim.home(u), nonint, since=sim.local(d, u.city, 0))
    for _ in range(rng.randint(2, 5)):
        sim.push(sim.local(d, u.city, rng.uniform(6, 23)), sim.nonint, s)
    if interactive:
        sim.push(sim.local(d, u.city, rng.uniform(8, 20)), sim.interactive, (s, nonint[0], 0))


def _workloads(sim: Simulation, d: date, weekday: bool) -> None:
    rng = sim.plan_rng
    midnight = sim.midnight(d)
    for w in sim.tenant.workloads:
        if w.weekdays_only and not weekday:
            continue
        place = sim.workload_place(w)
        offset = rng.randrange(w.every_hours * 60)
        for minute in range(offset, 24 * 60, w.every_hours * 60):
            t = midnight + minute * MINUTE + rng.randrange(60 * TICKS)
            sim.push(t, sim.workload_signin, (w, place, 0))
