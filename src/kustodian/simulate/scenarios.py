"""The things an identity admin looks for, planned on top of the ordinary days.

Each scenario picks its actors (distinct people, so their stories do not mix) and times inside the
window, and pushes intents. Outcomes (lockouts, blocks, redemptions) are decided when the intents
are resolved, in time order, and land in the ground truth only if their records are emitted.

The number of instances grows with the window, but every scenario happens at least once, so a
three-day run of thirty users shows all of them.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from kustodian.simulate import catalog as cat
from kustodian.simulate import records as rec
from kustodian.simulate.catalog import App, City
from kustodian.simulate.engine import (
    HOUR,
    MINUTE,
    Attempt,
    AuditSpec,
    Place,
    Simulation,
)
from kustodian.simulate.records import TICKS, iso
from kustodian.simulate.tenant import Device, User, guid

SECOND = TICKS
CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/123.0.0.0 Safari/537.36"
)
ATTACKER_DEVICE: dict[str, Any] = {
    "deviceId": "",
    "displayName": "",
    "operatingSystem": "Windows 10",
    "browser": "Chrome 123.0.0",
    "isCompliant": False,
    "isManaged": False,
    "trustType": "",
}
NO_DEVICE: dict[str, Any] = {"deviceId": "", "operatingSystem": "", "browser": ""}
INVITATION_PORTAL = App(
    "4660504c-45b3-4674-a709-71951a6b0763",
    "Microsoft Invitation Acceptance Portal",
    cat.GRAPH[0],
    cat.GRAPH[1],
    "Browser",
    "laptop",
    0,
    0,
)
CONSENT_APP = "Fabrikam Meeting Scheduler"
SUBSTRATE = "Microsoft Substrate Management"


def plan_all(sim: Simulation) -> None:
    """Plan every scenario of the run (in a fixed order: the order is part of the seed)."""
    p = Planner(sim)
    p.new_accounts()
    p.break_glass()
    p.smart_lockout()
    p.forgetful()
    p.brute_force()
    p.spray()
    p.fatigue()
    p.fraud()
    p.invitations()
    p.onboarding()
    p.phone_replacement()
    p.disable()
    p.legacy_phone()
    p.travel()
    p.tor()
    p.leaked_credentials()
    p.groups()
    p.roles()
    p.password_resets()
    p.consent()
    p.directory_sync_noise()
    p.workload_failure()


class Planner:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.rng: random.Random = sim.plan_rng
        self.tenant = sim.tenant
        people = [u for u in self.tenant.users if u.kind == "member"]
        self.rng.shuffle(people)
        # office workers first: their familiar-location sign-ins show the separate counters
        self.pool = sorted(people, key=lambda u: not u.office)
        self.members = list(self.pool)
        self.admins = self.tenant.admins
        self.helpdesk = [a for a in self.admins if a.role != "Global Administrator"] or self.admins
        self.global_admin = next(a for a in self.admins if a.role == "Global Administrator")

    # --- helpers -----------------------------------------------------------------------------

    def n(self, per_days: int) -> int:
        return max(1, self.sim.days // per_days)

    def actor(self, want: str = "") -> User:
        """A member not used by another scenario (with `want` as MFA method when one is left)."""
        if not self.pool:
            # a tiny tenant: people get a second part to play
            self.pool = list(self.members)
        for i, u in enumerate(self.pool):
            if not want or u.mfa_method == want:
                return self.pool.pop(i)
        u = self.pool.pop(0)
        u.mfa_method = want
        return u

    def slice_index(self, i: int, n: int, lo: int = 0) -> int:
        days = self.sim.days
        span = max(1, days - lo)
        return min(days - 1, lo + int((i + self.rng.random()) * span / n))

    def at(self, index: int, hour: float) -> int:
        """A time `hour` hours into the index-th day of the window."""
        return self.sim.start + index * rec.DAY + int(hour * HOUR)

    def local(self, index: int, city: City, lo: float, hi: float) -> int:
        """A time between local hours lo and hi on the index-th day, kept inside the window."""
        sim = self.sim
        t = sim.start + index * rec.DAY + 12 * HOUR
        d = rec.from_ticks(t).date()
        got = sim.local(d, city, self.rng.uniform(lo, hi))
        if got > sim.end - 4 * HOUR:
            got = sim.end - 4 * HOUR - self.rng.randrange(3 * HOUR)
        return max(got, sim.start + MINUTE + self.rng.randrange(HOUR))

    def initiator(self, u: User, place: Place | None = None) -> dict[str, Any]:
        ip = place.ip if place is not None else self.sim.home(u).ip
        return {
            "user": {
                "id": u.id,
                "displayName": u.display_name,
                "userPrincipalName": u.upn,
                "ipAddress": ip,
                "roles": [],
            }
        }

    def admin_place(self, a: User) -> Place:
        return self.sim.office(a) if a.office else self.sim.home(a)

    def attacker(self, net: cat.Network | None = None) -> Place:
        return self.sim.new_place(net or self.rng.choice(cat.ATTACK))

    def attempt(self, t: int, a: Attempt) -> None:
        self.sim.push(t, self.sim.attempt, a)

    def audit(self, t: int, spec: AuditSpec) -> None:
        self.sim.push_audit(t, spec)

    def own_device(self, u: User) -> dict[str, Any]:
        return self.sim.device_detail(u.laptop, True)

    def portal(self) -> App:
        return next(a for a in self.tenant.apps if a.name == "OfficeHome")

    def set_password(self, u: User) -> Any:
        st = self.sim.state[u.id]
        new = f"pw-{guid(self.rng)}"

        def effect(t: int) -> None:
            st.password = new
            st.lockout.unlock()
            st.revoked_at = t

        return effect

    # --- accounts ----------------------------------------------------------------------------

    def new_accounts(self) -> None:
        """New accounts created at the start of the window that nobody ever signs in to."""
        for i, u in enumerate(self.tenant.of_kind("new")):
            a = self.global_admin
            t = self.sim.start + (40 + 7 * i) * MINUTE
            self.sim.state[u.id].active_from = t
            self.audit(t, self._add_user(a, u, "Member"))

    def _add_user(self, by: User, u: User, user_type: str) -> AuditSpec:
        return AuditSpec(
            "Add user",
            "UserManagement",
            "Core Directory",
            "Add",
            self.initiator(by, self.admin_place(by) if by.kind == "admin" else None),
            [
                rec.user_target(
                    u.id,
                    u.upn,
                    None,
                    [
                        rec.modified("AccountEnabled", None, [True]),
                        rec.modified("DisplayName", None, [u.display_name]),
                        rec.modified("UserPrincipalName", None, [u.upn]),
                        rec.modified("UserType", None, [user_type]),
                    ],
                )
            ],
            [],
        )

    # --- break-glass -------------------------------------------------------------------------

    def break_glass(self) -> None:
        """Emergency accounts sign in rarely: at least once each per run, to the Azure portal
        from the HQ network; the first with a FIDO2 key, the second with its password."""
        paw = Device(
            guid(self.rng),
            "CONTOSO-PAW-01",
            "Windows 11",
            "Edge 124.0.0",
            "Azure AD joined",
            True,
            True,
            "laptop",
            "windows",
        )
        for k, upn in enumerate(self.tenant.break_glass):
            u = self.tenant.by_upn[upn]
            n = max(1, round(self.sim.days / 15))
            for i in range(n):
                t = self.at(self.slice_index(i, n), self.rng.uniform(1, 22))
                place = self.sim.office(u)
                self.attempt(
                    t,
                    Attempt(
                        "break-glass",
                        u,
                        upn,
                        place,
                        cat.AZURE_PORTAL,
                        "Browser",
                        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                        "like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
                        self.sim.device_detail(paw, True),
                        password=None if k == 0 else "",
                        correct=True,
                        fido=k == 0,
                    ),
                )
                s = self.sim.session(u, paw, place, [cat.AZURE_PORTAL], since=t)
                for j in range(self.rng.randint(2, 4)):
                    self.sim.push(t + (j + 1) * self.rng.randint(3, 9) * MINUTE, self.sim.nonint, s)

    # --- password attacks --------------------------------------------------------------------

    def smart_lockout(self) -> None:
        """Someone abroad guesses an existing member's password: 50126 until the unfamiliar-
        location counter reaches 10, then 50053 while locked (longer each time). Repeated
        guesses do not count. The owner keeps signing in at the office: another counter."""
        for i in range(self.n(10)):
            victim = self.actor()
            self.sim.truth.lockout_victims.append(victim.upn)
            place = self.attacker()
            t = self.local(self.slice_index(i, self.n(10)), victim.city, 9.5, 14)
            guesses: list[str] = []
            for j in range(30):
                if guesses and self.rng.random() < 0.15:
                    pw = self.rng.choice(guesses[-3:])  # the same wrong password again
                else:
                    pw = f"guess-{i}-{j}"
                    guesses.append(pw)
                self.attempt(
                    t,
                    Attempt(
                        "lockout",
                        victim,
                        victim.upn,
                        place,
                        self.portal(),
                        "Browser",
                        CHROME_WIN,
                        ATTACKER_DEVICE,
                        pw,
                    ),
                )
                t += self.rng.randint(12, 45) * SECOND

    def forgetful(self) -> None:
        """A member cycles through three old passwords at the office: only three bad hashes are
        remembered, so twelve failures count three times and nothing locks. Then SSPR."""
        u = self.actor()
        self.sim.truth.forgetful.append(u.upn)
        idx = self.slice_index(0, 1)
        t = self.local(idx, u.city, 8, 11)
        place = self.sim.office(u) if u.office else self.sim.home(u)
        for pw in (
            "old-A",
            "old-B",
            "old-A",
            "old-C",
            "old-B",
            "old-A",
            "old-C",
            "old-C",
            "old-B",
            "old-A",
            "old-B",
            "old-C",
        ):
            self.attempt(
                t,
                Attempt(
                    "forgetful",
                    u,
                    u.upn,
                    place,
                    self.portal(),
                    "Browser",
                    CHROME_WIN,
                    self.own_device(u),
                    pw,
                ),
            )
            t += self.rng.randint(8, 30) * SECOND
        t += 2 * MINUTE
        self.audit(
            t,
            AuditSpec(
                "Reset password (self-service)",
                "UserManagement",
                "Self-service Password Management",
                "Update",
                self.initiator(u, place),
                [rec.user_target(u.id, u.upn, u.display_name)],
                [],
                reason="User successfully reset password",
                effect=self.set_password(u),
            ),
        )
        self.attempt(
            t + 90 * SECOND,
            Attempt(
                "forgetful",
                u,
                u.upn,
                place,
                self.portal(),
                "Browser",
                CHROME_WIN,
                self.own_device(u),
                "",
                correct=True,
                mfa="approve",
            ),
        )

    def brute_force(self) -> None:
        """Guessing against new accounts that have never signed in (plus a name that does not
        exist, 50034, and the disabled account, 50057), from a Tor exit."""
        targets = self.tenant.of_kind("new")
        missing = f"admin@{self.tenant.domain}"
        disabled = self.tenant.of_kind("disabled")
        truth = self.sim.truth
        truth.brute_force_targets.extend(u.upn for u in targets)
        for i in range(self.n(10)):
            place = self.sim.new_place(cat.TOR)
            truth.brute_force_ips.append(place.ip)
            t = self.at(self.slice_index(i, self.n(10)), self.rng.uniform(2, 6))
            ua = "python-requests/2.31.0"
            for u in targets:
                for j in range(14):
                    self.attempt(
                        t,
                        Attempt(
                            "brute-force",
                            u,
                            u.upn,
                            place,
                            self.portal(),
                            "Browser",
                            ua,
                            NO_DEVICE,
                            f"bf-{i}-{j}",
                        ),
                    )
                    t += self.rng.randint(4, 20) * SECOND
            for j in range(3):
                self.attempt(
                    t,
                    Attempt(
                        "brute-force",
                        None,
                        missing,
                        place,
                        self.portal(),
                        "Browser",
                        ua,
                        NO_DEVICE,
                        f"bf-{j}",
                    ),
                )
                t += self.rng.randint(4, 20) * SECOND
            for u in disabled:
                for j in range(2):
                    self.attempt(
                        t,
                        Attempt(
                            "brute-force",
                            u,
                            u.upn,
                            place,
                            self.portal(),
                            "Browser",
                            ua,
                            NO_DEVICE,
                            f"bf-{j}",
                        ),
                    )
                    t += self.rng.randint(4, 20) * SECOND

    def spray(self) -> None:
        """Three addresses try a few common passwords against many users, slowly (no lockout:
        each user sees one attempt per password). One user has one of them: IMAP is legacy
        authentication, so Conditional Access blocks it (53003)."""
        sim, truth = self.sim, self.sim.truth
        people = [u for u in self.tenant.users if u.kind in ("member", "admin") and u.enabled]
        for i in range(self.n(10)):
            ips = [self.attacker(cat.ATTACK[k]) for k in (0, 1, 3)]
            clients = (
                ("IMAP4", "BAV2ROPC"),
                ("Other clients", "BAV2ROPC"),
                ("Browser", CHROME_WIN),
            )
            truth.spray_ips.extend(p.ip for p in ips)
            targets = self.rng.sample(people, min(len(people), 150))
            truth.spray_targets.update(u.upn for u in targets)
            passwords = self.rng.sample(cat.SPRAY_PASSWORDS, 3)
            hit = None
            if i == 0:
                hit = next(
                    (u for k, u in enumerate(targets) if k % 3 == 0 and u in self.pool), targets[0]
                )
                if hit in self.pool:
                    self.pool.remove(hit)
                sim.state[hit.id].password = passwords[-1]
                truth.spray_hits.append(hit.upn)
            t0 = self.at(self.slice_index(i, self.n(10)), self.rng.uniform(0, 8))
            for r, pw in enumerate(passwords):
                t = t0 + r * self.rng.randint(35, 55) * MINUTE
                for k, u in enumerate(targets):
                    place = ips[k % 3]
                    client, ua = clients[k % 3]
                    app = cat.EXCHANGE_APP if client != "Browser" else self.portal()
                    self.attempt(
                        t,
                        Attempt(
                            "spray",
                            u,
                            u.upn,
                            place,
                            app,
                            client,
                            ua,
                            NO_DEVICE,
                            pw,
                            risk=("high", ("passwordSpray",)) if u is hit else ("none", ()),
                        ),
                    )
                    t += self.rng.randint(2, 6) * SECOND
            if hit is not None:
                when = t0 + 5 * HOUR
                sim.push(
                    when,
                    sim.risk_event,
                    (
                        hit,
                        "passwordSpray",
                        "high",
                        "offline",
                        ips[0],
                        guid(self.rng),
                        guid(self.rng),
                        "atRisk",
                        "none",
                    ),
                )
                sim.push(when + MINUTE, sim.risky_user, (hit, "high", "atRisk", "none"))

    # --- MFA ----------------------------------------------------------------------------------

    def fatigue(self) -> None:
        """The attacker has the password and pushes until the victim approves: a burst of
        500121 (declined, one unanswered, one wrong number), then success. The attacker then
        registers its own Authenticator; hours later the SOC resets the password."""
        for i in range(self.n(15)):
            victim = self.actor("push")
            place = self.attacker(cat.ATTACK[1])
            t = self.at(self.slice_index(i, self.n(15)), self.rng.uniform(1, 6))
            denials = ["deny"] * self.rng.randint(5, 8) + ["timeout", "wrong_number"]
            self.rng.shuffle(denials)
            burst = _Burst(self, victim, place)
            for why in [*denials, "approve"]:
                self.attempt(
                    t,
                    Attempt(
                        "fatigue",
                        victim,
                        victim.upn,
                        place,
                        self.portal(),
                        "Browser",
                        CHROME_WIN,
                        ATTACKER_DEVICE,
                        "",
                        correct=True,
                        mfa=why,
                        risk=("medium", ("unfamiliarFeatures",)),
                        after=burst.after,
                    ),
                )
                t += self.rng.randint(50, 150) * SECOND

    def fraud(self) -> None:
        """Fraud reports: a victim with phone-call MFA presses the fraud code (500121 "Fraud Code
        Entered", the audit event, and MFA blocked after); another one reports the push as
        suspicious in the app (user risk high)."""
        sim = self.sim
        for i in range(self.n(15)):
            victim = self.actor("voice")
            place = self.attacker(cat.ATTACK[2])
            t = self.at(self.slice_index(i, self.n(15)), self.rng.uniform(0, 5))
            report = AuditSpec(
                "Fraud reported - user is blocked for MFA",
                "UserManagement",
                "MFA",
                "Update",
                self.initiator(victim, place),
                [rec.user_target(victim.id, victim.upn, victim.display_name)],
                [{"key": "FraudReportType", "value": "Phone call fraud code"}],
                reason="Fraud reported by user",
            )
            self.attempt(
                t,
                Attempt(
                    "fraud",
                    victim,
                    victim.upn,
                    place,
                    self.portal(),
                    "Browser",
                    CHROME_WIN,
                    ATTACKER_DEVICE,
                    "",
                    correct=True,
                    mfa="fraud",
                    after=_AuditOn(sim, 500121, report).after,
                ),
            )
            for _ in range(2):
                t += self.rng.randint(3, 9) * MINUTE
                self.attempt(
                    t,
                    Attempt(
                        "fraud",
                        victim,
                        victim.upn,
                        place,
                        self.portal(),
                        "Browser",
                        CHROME_WIN,
                        ATTACKER_DEVICE,
                        "",
                        correct=True,
                        mfa="deny",
                    ),
                )
        for i in range(self.n(15)):
            victim = self.actor("push")
            place = self.attacker(cat.ATTACK[0])
            t = self.at(self.slice_index(i, self.n(15)), self.rng.uniform(8, 16))
            cid = guid(self.rng)
            self.attempt(
                t,
                Attempt(
                    "fraud",
                    victim,
                    victim.upn,
                    place,
                    self.portal(),
                    "Browser",
                    CHROME_WIN,
                    ATTACKER_DEVICE,
                    "",
                    correct=True,
                    mfa="app_fraud",
                    correlation=cid,
                ),
            )
            sim.push(
                t + 30 * SECOND,
                sim.risk_event,
                (
                    victim,
                    "userReportedSuspiciousActivity",
                    "high",
                    "realtime",
                    place,
                    cid,
                    guid(self.rng),
                    "atRisk",
                    "none",
                ),
            )
            sim.push(t + 60 * SECOND, sim.risky_user, (victim, "high", "atRisk", "none"))

    # --- guests ------------------------------------------------------------------------------

    def invitations(self) -> None:
        """Members and admins invite guests; two in three redeem (the guest signs in, then
        "Redeem external user invite"), the rest never do."""
        sim = self.sim
        guests = [u for u in self.tenant.guests if u.created_in_run]
        inviters = self.admins + self.pool[-5:]
        for i, g in enumerate(guests):
            by = self.rng.choice(inviters)
            t = self.local(self.slice_index(i, len(guests)), by.city, 9, 16)
            if i == 0:
                t = self.local(0, by.city, 9, 12)
            place = self.admin_place(by)
            inv = guid(self.rng)
            self.audit(
                t,
                AuditSpec(
                    "Invite external user",
                    "UserManagement",
                    "Invited Users",
                    "Add",
                    self.initiator(by, place),
                    [rec.user_target(g.id, g.upn, g.display_name)],
                    [
                        {"key": "invitationId", "value": inv},
                        {"key": "invitedUserEmailAddress", "value": g.email},
                    ],
                    effect=_Invited(sim, inv, by.upn, g, t),
                ),
            )
            self.audit(t + 2 * SECOND, self._add_user(by, g, "Guest"))
            if i % 3 == 2:
                sim.state[g.id].active_from = 1 << 62
                continue
            r = t + int(self.rng.uniform(0.3, 30 if i else 6) * HOUR)
            sim.state[g.id].active_from = r
            home = sim.home(g)
            self.attempt(
                r,
                Attempt(
                    "redeem",
                    g,
                    g.upn,
                    home,
                    INVITATION_PORTAL,
                    "Browser",
                    user_agent_for(g),
                    self.own_device(g),
                    None,
                    mfa="approve",
                ),
            )
            text = f"UPN: {g.upn}, Email: {g.email}, InvitationId: {inv}, Flags: {self.rng.choice((0, 4))}"
            target = rec.user_target(g.id, text, text)
            self.audit(
                r + 3 * SECOND,
                AuditSpec(
                    "Redeem external user invite",
                    "UserManagement",
                    "Invited Users",
                    "Update",
                    self.initiator(g, home),
                    [target],
                    [],
                    effect=_Redeemed(sim, inv),
                ),
            )

    # --- security info -----------------------------------------------------------------------

    def onboarding(self) -> None:
        """New hires: "Add user"; the next morning the first sign-in asks for MFA registration
        (50072), they register at the office (a trusted location), and sign in."""
        sim = self.sim
        hires = self.tenant.of_kind("hire")
        for i, u in enumerate(hires):
            a = self.rng.choice(self.helpdesk)
            idx = self.slice_index(i, len(hires))
            t = self.local(idx, a.city, 8, 10) - 20 * HOUR
            t = max(t, sim.start + 10 * MINUTE)
            self.audit(t, self._add_user(a, u, "Member"))
            first = t + int(self.rng.uniform(14, 18) * HOUR)
            first = min(first, sim.end - 3 * HOUR)
            sim.state[u.id].active_from = first
            place = sim.office(u) if u.office else sim.home(u)
            sim.push(first, _onboard, (sim, u, place, self.initiator(u, place)))

    def phone_replacement(self) -> None:
        """A member with a new phone re-registers the Authenticator from home (not a trusted
        location, and benign)."""
        u = self.actor("push")
        place = self.sim.home(u)
        t = self.local(self.slice_index(0, 1), u.city, 18, 21)
        self.audit(
            t,
            _security_info(
                "User deleted security info",
                u,
                self.initiator(u, place),
                "User deleted Authenticator App with Notification and Code",
            ),
        )
        self.audit(
            t + 2 * MINUTE,
            _security_info(
                "User registered security info",
                u,
                self.initiator(u, place),
                "User registered Authenticator App with Notification and Code",
            ),
        )

    # --- accounts going away -----------------------------------------------------------------

    def disable(self) -> None:
        """Someone leaves: "Disable account"; their devices keep trying (50057)."""
        u = self.actor()
        a = self.rng.choice(self.helpdesk)
        idx = max(0, self.sim.days // 2 - 1) if self.sim.days > 1 else 0
        t = self.local(idx, a.city, 16, 18)
        st = self.sim.state[u.id]
        st.disabled_at = t
        self.sim.truth.disabled_in_run.append(u.upn)

        def effect(_: int) -> None:
            st.enabled = False

        self.audit(
            t,
            AuditSpec(
                "Disable account",
                "UserManagement",
                "Core Directory",
                "Update",
                self.initiator(a, self.admin_place(a)),
                [
                    rec.user_target(
                        u.id, u.upn, None, [rec.modified("AccountEnabled", [True], [False])]
                    )
                ],
                [],
                effect=effect,
            ),
        )

    def legacy_phone(self) -> None:
        self.sim.eas_users.add(self.actor().id)

    # --- where people are --------------------------------------------------------------------

    def travel(self) -> None:
        """A member travels: sign-ins from a country they have never signed in from (MFA, an
        unfamiliar-features detection of low risk on the first one)."""
        sim = self.sim
        for i in range(self.n(10)):
            u = self.actor()
            net = self.rng.choice(cat.TRAVEL)
            city = net.cities[0]
            first = self.slice_index(i, self.n(10), lo=1 if sim.days > 1 else 0)
            n_days = min(self.rng.randint(1, 3), sim.days - first)
            for k in range(n_days):
                idx = first + k
                d = rec.from_ticks(sim.start + idx * rec.DAY + 12 * HOUR).date()
                sim.away.setdefault(u.id, set()).update({d, d + timedelta(days=1)} if k else {d})
                place = sim.new_place(net, city)
                t = self.local(idx, city, 8, 10)
                risk = ("low", ("unfamiliarFeatures",)) if k == 0 else ("none", ())
                cid = guid(self.rng)
                self.attempt(
                    t,
                    Attempt(
                        "travel",
                        u,
                        u.upn,
                        place,
                        self.portal(),
                        "Browser",
                        user_agent_for(u),
                        self.own_device(u),
                        "",
                        correct=True,
                        mfa="approve",
                        risk=risk,
                        correlation=cid,
                    ),
                )
                if k == 0:
                    sim.push(
                        t + 20 * SECOND,
                        sim.risk_event,
                        (
                            u,
                            "unfamiliarFeatures",
                            "low",
                            "realtime",
                            place,
                            cid,
                            guid(self.rng),
                            "atRisk",
                            "none",
                        ),
                    )
                _, _, nonint = _laptop_apps(sim, u)
                s = sim.session(u, u.laptop, place, nonint, since=t)
                for _ in range(self.rng.randint(8, 16)):
                    sim.push(t + int(self.rng.uniform(0.05, 9) * HOUR), sim.nonint, s)

    def tor(self) -> None:
        """A member tries the Tor Browser: an anonymous-IP detection (medium); the risk policy
        asks for MFA and passing it remediates the risk."""
        sim = self.sim
        u = self.actor()
        place = sim.new_place(cat.TOR)
        t = self.local(self.slice_index(0, 1), u.city, 19, 22)
        cid = guid(self.rng)
        self.attempt(
            t,
            Attempt(
                "tor",
                u,
                u.upn,
                place,
                self.portal(),
                "Browser",
                "Mozilla/5.0 (Windows NT 10.0; rv:115.0) Gecko/20100101 Firefox/115.0",
                ATTACKER_DEVICE,
                "",
                correct=True,
                mfa="approve",
                risk=("medium", ("anonymizedIPAddress",)),
                correlation=cid,
                remediate=True,
            ),
        )
        sim.push(
            t + 15 * SECOND,
            sim.risk_event,
            (
                u,
                "anonymizedIPAddress",
                "medium",
                "realtime",
                place,
                cid,
                guid(self.rng),
                "remediated",
                "userPassedMFADrivenByRiskBasedPolicy",
            ),
        )

    def leaked_credentials(self) -> None:
        """Microsoft finds a member's credentials in a leak (offline, high); the member changes
        the password and the risk is remediated."""
        sim = self.sim
        u = self.actor()
        nowhere = Place("", 0, "", rec.EMPTY_OBJ, False, rec.EMPTY, "")
        t = self.at(self.slice_index(0, 1), self.rng.uniform(2, 10))
        sim.push(
            t,
            sim.risk_event,
            (
                u,
                "leakedCredentials",
                "high",
                "offline",
                nowhere,
                guid(self.rng),
                "",
                "atRisk",
                "none",
            ),
        )
        sim.push(t + 2 * MINUTE, sim.risky_user, (u, "high", "atRisk", "none"))
        later = min(t + int(self.rng.uniform(4, 10) * HOUR), sim.end - HOUR)
        place = sim.home(u)
        self.audit(
            later,
            AuditSpec(
                "Change password (self-service)",
                "UserManagement",
                "Self-service Password Management",
                "Update",
                self.initiator(u, place),
                [rec.user_target(u.id, u.upn, u.display_name)],
                [],
                reason="Successfully changed password",
                effect=self.set_password(u),
            ),
        )
        sim.push(
            later + 30 * SECOND,
            sim.risky_user,
            (u, "none", "remediated", "userPerformedSecuredPasswordChange"),
        )

    # --- ordinary admin work -----------------------------------------------------------------

    def groups(self) -> None:
        sim = self.sim
        people = [u for u in self.tenant.users if u.kind in ("member", "admin")]
        groups = list(self.tenant.groups.items())
        per_day = max(1, len(self.tenant.users) // 60)
        for idx in range(sim.days):
            for k in range(per_day + (per_day // 3 or (idx % 2))):
                a = self.rng.choice(self.helpdesk)
                u = self.rng.choice(people)
                name, gid = self.rng.choice(groups)
                remove = k >= per_day
                t = self.local(idx, a.city, 9, 17)
                self.audit(
                    t,
                    AuditSpec(
                        "Remove member from group" if remove else "Add member to group",
                        "GroupManagement",
                        "Core Directory",
                        "Delete" if remove else "Add",
                        self.initiator(a, self.admin_place(a)),
                        [
                            rec.user_target(
                                u.id,
                                u.upn,
                                None,
                                [
                                    rec.modified(
                                        "Group.ObjectID",
                                        gid if remove else None,
                                        None if remove else gid,
                                    ),
                                    rec.modified(
                                        "Group.DisplayName",
                                        name if remove else None,
                                        None if remove else name,
                                    ),
                                ],
                            ),
                            {
                                "id": gid,
                                "displayName": name,
                                "type": "Group",
                                "modifiedProperties": [],
                                "administrativeUnits": [],
                                "groupType": "unifiedGroups",
                            },
                        ],
                        [],
                    ),
                )

    def roles(self) -> None:
        """Role assignments, one of them to an admin role (Global Administrator). The new
        admin's sign-ins at the office stay single-factor: the admin MFA policy (CA003)
        targets the directory's admins as they were, not the new role holder."""
        picks = [("Global Administrator", self.actor())]
        if self.sim.days >= 7:
            picks += [
                (r, self.rng.choice(self.pool)) for r in ("Security Reader", "Reports Reader")
            ]
        for i, (role, u) in enumerate(picks):
            a = self.global_admin
            t = self.local(self.slice_index(i, len(picks)), a.city, 10, 16)
            rid = guid(self.rng)
            template = cat.ROLES[role]
            self.audit(
                t,
                AuditSpec(
                    "Add member to role",
                    "RoleManagement",
                    "Core Directory",
                    "Add",
                    self.initiator(a, self.admin_place(a)),
                    [
                        rec.user_target(
                            u.id,
                            u.upn,
                            None,
                            [
                                rec.modified("Role.ObjectID", None, rid),
                                rec.modified("Role.DisplayName", None, role),
                                rec.modified("Role.TemplateId", None, template),
                                rec.modified(
                                    "Role.WellKnownObjectName", None, role.replace(" ", "")
                                ),
                            ],
                        ),
                        {
                            "id": rid,
                            "displayName": role,
                            "type": "Role",
                            "modifiedProperties": [],
                            "administrativeUnits": [],
                        },
                    ],
                    [],
                ),
            )

    def password_resets(self) -> None:
        people = [u for u in self.tenant.users if u.kind == "member"]
        for i in range(self.n(5)):
            a = self.rng.choice(self.helpdesk)
            u = self.rng.choice(people)
            t = self.local(self.slice_index(i, self.n(5)), a.city, 9, 17)
            self.audit(
                t,
                AuditSpec(
                    "Reset user password",
                    "UserManagement",
                    "Core Directory",
                    "Update",
                    self.initiator(a, self.admin_place(a)),
                    [rec.user_target(u.id, u.upn, None)],
                    [],
                    effect=self.set_password(u),
                ),
            )

    def consent(self) -> None:
        app_id, sp_id = guid(self.rng), guid(self.rng)
        for i in range(self.n(10)):
            u = self.rng.choice(self.pool)
            t = self.local(self.slice_index(i, self.n(10)), u.city, 10, 17)
            init = self.initiator(u)
            target = {
                "id": sp_id,
                "displayName": CONSENT_APP,
                "type": "ServicePrincipal",
                "administrativeUnits": [],
                "modifiedProperties": [
                    rec.modified("ConsentContext.IsAdminConsent", None, "False"),
                    rec.modified("ConsentContext.OnBehalfOfAll", None, "False"),
                    rec.modified(
                        "ConsentAction.Permissions",
                        None,
                        "Scope: User.Read Calendars.ReadWrite offline_access",
                    ),
                ],
            }
            details = [
                {"key": "User-Agent", "value": CHROME_WIN},
                {"key": "AppId", "value": app_id},
            ]
            self.audit(
                t,
                AuditSpec(
                    "Consent to application",
                    "ApplicationManagement",
                    "Core Directory",
                    "Assign",
                    init,
                    [target],
                    details,
                ),
            )
            self.audit(
                t + SECOND,
                AuditSpec(
                    "Add delegated permission grant",
                    "ApplicationManagement",
                    "Core Directory",
                    "Assign",
                    init,
                    [dict(target, modifiedProperties=[])],
                    [],
                ),
            )

    def directory_sync_noise(self) -> None:
        """Microsoft's own services update users all day ("Update user" by an app)."""
        app = {
            "app": {
                "appId": guid(self.rng),
                "displayName": SUBSTRATE,
                "servicePrincipalId": guid(self.rng),
                "servicePrincipalName": None,
            }
        }
        people = [u for u in self.tenant.users if u.kind in ("member", "admin")]
        per_day = 1 + len(self.tenant.users) // 60
        for idx in range(self.sim.days):
            for _ in range(per_day):
                u = self.rng.choice(people)
                t = self.at(idx, self.rng.uniform(0, 24))
                self.audit(
                    t,
                    AuditSpec(
                        "Update user",
                        "UserManagement",
                        "Core Directory",
                        "Update",
                        app,
                        [
                            rec.user_target(
                                u.id,
                                u.upn,
                                None,
                                [rec.modified("Included Updated Properties", None, "")],
                            )
                        ],
                        [],
                    ),
                )

    def workload_failure(self) -> None:
        """The pipeline's secret expired: one failed service principal sign-in (7000215)."""
        w = next(w for w in self.tenant.workloads if w.kind == "sp")
        t = self.at(self.slice_index(0, 1), self.rng.uniform(0, 23))
        self.sim.push(t, self.sim.workload_signin, (w, self.sim.workload_place(w), 7000215))


# --- resolution-time helpers ---------------------------------------------------------------


class _AuditOn:
    """Emit an audit event a few seconds after an attempt, if it ended with `code`."""

    def __init__(self, sim: Simulation, code: int, spec: AuditSpec) -> None:
        self.sim, self.code, self.spec = sim, code, spec

    def after(self, t: int, a: Attempt, code: int) -> None:
        if code == self.code:
            self.sim.push_audit(t + 4 * SECOND, self.spec)


class _Invited:
    def __init__(self, sim: Simulation, inv: str, by: str, g: User, t: int) -> None:
        self.sim, self.inv, self.by, self.g, self.t = sim, inv, by, g, t

    def __call__(self, t: int) -> None:
        from kustodian.simulate.truth import Invitation

        self.sim.truth.invitations[self.inv] = Invitation(
            self.inv, self.by, self.g.email, self.g.upn, iso(t)
        )


class _Redeemed:
    def __init__(self, sim: Simulation, inv: str) -> None:
        self.sim, self.inv = sim, inv

    def __call__(self, t: int) -> None:
        got = self.sim.truth.invitations.get(self.inv)
        if got is not None:
            got.redeemed_at = iso(t)


class _Burst:
    """Counts an MFA-fatigue burst's denials; after the approval, what the attacker does next."""

    def __init__(self, planner: Planner, victim: User, place: Place) -> None:
        self.p, self.victim, self.place = planner, victim, place
        self.denied = 0

    def after(self, t: int, a: Attempt, code: int) -> None:
        if code == 500121:
            self.denied += 1
            return
        if code != 0:
            return
        p, sim, u, place = self.p, self.p.sim, self.victim, self.place
        sim.fatigue_done(u.upn, place.ip, self.denied, iso(t))
        rng = p.rng
        sim.push(
            t + 5 * SECOND,
            sim.risk_event,
            (
                u,
                "unfamiliarFeatures",
                "medium",
                "realtime",
                place,
                a.correlation,
                guid(rng),
                "atRisk",
                "none",
            ),
        )
        sim.push(t + 20 * SECOND, sim.risky_user, (u, "medium", "atRisk", "none"))
        device = Device(
            guid(rng), "", "Windows 10", "Chrome 123.0.0", "", False, False, "laptop", "windows"
        )
        _, _, nonint = _laptop_apps(sim, u)
        s = sim.session(u, device, place, nonint, since=t, owner=False)
        for _ in range(rng.randint(8, 14)):
            sim.push(t + int(rng.uniform(0.02, 4) * HOUR), sim.nonint, s)
        sim.push_audit(
            t + 6 * MINUTE,
            _security_info(
                "User registered security info",
                u,
                p.initiator(u, place),
                "User registered Authenticator App with Notification and Code",
            ),
        )
        admin = rng.choice(p.helpdesk)
        later = t + int(rng.uniform(2, 3) * HOUR)
        sim.push_audit(
            later,
            AuditSpec(
                "Reset user password",
                "UserManagement",
                "Core Directory",
                "Update",
                p.initiator(admin, p.admin_place(admin)),
                [rec.user_target(u.id, u.upn, None)],
                [],
                effect=p.set_password(u),
            ),
        )
        sim.push(
            later + 30 * SECOND,
            sim.risky_user,
            (u, "none", "remediated", "adminGeneratedTemporaryPassword"),
        )


def _security_info(activity: str, u: User, init: dict[str, Any], reason: str) -> AuditSpec:
    return AuditSpec(
        activity,
        "UserManagement",
        "Authentication Methods",
        "Add" if "registered" in activity else "Delete",
        init,
        [rec.user_target(u.id, u.upn, u.display_name)],
        [{"key": "User-Agent", "value": CHROME_WIN}],
        reason=reason,
    )


def _onboard(t: int, arg: tuple[Simulation, User, Place, dict[str, Any]]) -> None:
    sim, u, place, init = arg
    app = MY_SIGNINS_APP
    p = sim.base_props(
        u, u.upn, place, sim.device_detail(u.laptop, True), app, "Browser", user_agent_for(u), True
    )
    st = sim.state[u.id]
    when = rec.iso_offset(t)
    st.lockout.attempt(t / TICKS, st.password, True, familiar=True)
    from kustodian.simulate.engine import password_step
    from kustodian.simulate.lockout import Outcome

    p["authenticationDetails"] = [password_step(when, Outcome.SUCCESS)]
    cid = guid(sim.rng)
    sim.finish_signin(t, p, 50072, correlation=cid)
    sim.push_audit(
        t + 95 * SECOND,
        _security_info(
            "User registered security info",
            u,
            init,
            "User registered Authenticator App with Notification and Code",
        ),
    )
    sim.push_audit(
        t + 100 * SECOND,
        _security_info(
            "User registered all required security info",
            u,
            init,
            "User registered all required security info",
        ),
    )
    sim.push(
        t + 2 * MINUTE,
        sim.attempt,
        Attempt(
            "onboarding",
            u,
            u.upn,
            place,
            app,
            "Browser",
            user_agent_for(u),
            sim.device_detail(u.laptop, True),
            None,
            mfa="approve",
            correlation=cid,
        ),
    )


MY_SIGNINS_APP = cat.MY_SIGNINS


def _laptop_apps(sim: Simulation, u: User) -> tuple[list[App], list[int], list[App]]:
    from kustodian.simulate.baseline import _apps

    return _apps(sim, u, "laptop")


def user_agent_for(u: User) -> str:
    return cat.user_agent("OfficeHome", u.laptop.platform)
