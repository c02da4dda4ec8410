"""The simulation: intents on a time-ordered heap, resolved against per-account state.

Planners (baseline.py, scenarios.py) push *intents* (a sign-in attempt, an audit event) with
their times. Intents are resolved in time order, because the outcome depends on what happened
before: Smart Lockout counters, a disabled account, an MFA block after a fraud report, tokens
revoked by a password reset. Resolving renders the records (records.py).

Everything random comes from `random.Random` streams seeded by the run's parameters, and no
clock is read, so the same (days, users, seed, end) give byte-identical records.
"""

from __future__ import annotations

import base64
import heapq
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from kustodian.simulate import catalog as cat
from kustodian.simulate import records as rec
from kustodian.simulate.catalog import App, City, Network, user_agent
from kustodian.simulate.lockout import Outcome, SmartLockout
from kustodian.simulate.records import MFA_STEP, MULTI, PRIMARY, SINGLE, TICKS, iso, iso_offset
from kustodian.simulate.tenant import Device, Tenant, User, Workload, build_tenant, guid, ip_in
from kustodian.simulate.truth import Fatigue, Fraud, GroundTruth, SecurityInfo

DEFAULT_END = datetime(2024, 5, 1, tzinfo=UTC)
HOUR = 3600 * TICKS
PROCESSING = {True: "processingTimeInMilliseconds", False: "processingTimeInMs"}
MINUTE = 60 * TICKS

Handler = Callable[[int, Any], None]


# --- places ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Place:
    """An IP address and what Entra knows about it."""

    ip: str
    asn: int
    country: str
    location: dict[str, Any]
    trusted: bool
    network: list[Any]  # networkLocationDetails
    kind: str  # Network.kind


def _loc(city: City, rng: random.Random) -> dict[str, Any]:
    return rec.location_detail(
        city.name,
        city.state,
        city.country,
        round(city.lat + rng.uniform(-0.05, 0.05), 5),
        round(city.lon + rng.uniform(-0.05, 0.05), 5),
    )


# --- sessions -------------------------------------------------------------------------------


@dataclass(slots=True)
class Session:
    """A device of a user on one network for a stretch of a day."""

    user: User
    device: Device
    place: Place
    requirement: str
    ca_status: str
    ca_list: list[Any]
    apps: list[App]
    cum: list[int]
    since: int = 0  # when its tokens were issued (a password reset after that revokes them)
    owner: bool = True  # False: someone else's device holding the user's tokens
    sso: bool = False  # a primary refresh token: later sign-ins need no password


@dataclass(slots=True)
class UserState:
    lockout: SmartLockout
    enabled: bool
    countries: set[str]
    password: str
    mfa_claim_until: int = 0
    mfa_blocked_until: int = 0
    revoked_at: int = 0  # refresh tokens issued before this fail (password reset)
    active_from: int = 0  # guests and hires: nothing before they exist
    disabled_at: int = 1 << 62


@dataclass(slots=True)
class Attempt:
    """An attacker's (or a scenario's) interactive sign-in attempt."""

    scenario: str
    user: User | None
    upn: str
    place: Place
    app: App
    client: str
    ua: str
    device: dict[str, Any]
    password: str | None  # None: no password step (token or passwordless)
    correct: bool = False
    mfa: str = ""  # "", deny, approve, fraud, app_fraud, timeout, wrong_number
    risk: tuple[str, tuple[str, ...]] = ("none", ())
    correlation: str = ""
    after: Callable[[int, Attempt, int], None] | None = None  # called with the result code
    fido: bool = False  # passwordless with a FIDO2 key (password must be None)
    remediate: bool = False  # passing MFA remediates the sign-in's risk


@dataclass(slots=True)
class AuditSpec:
    activity: str
    category: str
    service: str
    operation: str
    initiator: dict[str, Any]
    targets: list[dict[str, Any]]
    details: list[dict[str, str]]
    result: str = "success"
    reason: str = ""
    effect: Callable[[int], None] | None = None


MFA_TEXT = {
    "push": ("Mobile app notification", "MFA successfully completed"),
    "sms": ("Text message", "MFA successfully completed"),
    "voice": ("Phone call", "MFA successfully completed"),
}
DENIALS = {
    "deny": "MFA denied; user declined the authentication",
    "wrong_number": "MFA denied; user did not select the correct number",
    "timeout": "MFA denied; user did not respond to mobile app notification",
    "fraud": "MFA denied; Fraud Code Entered",
    "app_fraud": "MFA denied; Phone App Reported Fraud",
    "blocked": "MFA denied; user is blocked",
}


class Simulation:
    """One run: the tenant, its records in time order, and the ground truth they produce.

    Args:
        days: length of the window, ending at `end`.
        users: accounts in the directory when the window starts (at least 20).
        seed: the run's seed; the same arguments always give the same records.
        end: the window's end (exclusive); default 2024-05-01T00:00:00Z, never the clock.
    """

    def __init__(
        self,
        days: int = 30,
        users: int = 500,
        seed: int = 0,
        end: datetime | str | None = None,
    ) -> None:
        if days < 1:
            raise ValueError(f"days must be at least 1 (got {days})")
        if isinstance(end, str):
            end = datetime.fromisoformat(end.replace("Z", "+00:00"))
        self.days = days
        self.seed = seed
        end = end or DEFAULT_END
        self.end_dt = end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)
        self.end = rec.to_ticks(self.end_dt)
        self.start = self.end - days * rec.DAY
        self.tenant: Tenant = build_tenant(users, seed)
        self.truth = GroundTruth()
        self.rng = random.Random(f"kustodian-render:{seed}:{users}:{days}:{self.end}")
        self.plan_rng = random.Random(f"kustodian-plan:{seed}:{users}:{days}:{self.end}")
        self.tid = self.tenant.tenant_id
        self._heap: list[tuple[int, int, Handler, Any]] = []
        self._seq = 0
        self._out: list[dict[str, Any]] = []
        self.places: dict[str, Place] = {}
        self.state: dict[str, UserState] = {}
        for u in self.tenant.users:
            countries = {u.city.country, "US" if u.office == "hq" else "GB" if u.office else ""}
            self.state[u.id] = UserState(SmartLockout(), u.enabled, countries - {""}, u.password)
            if u.created_in_run:
                self.state[u.id].active_from = 1 << 62  # until a scenario creates it
        self._ca_cache: dict[tuple[str, ...], list[Any]] = {}
        self._detail_cache: dict[tuple[str, bool], dict[str, Any]] = {}
        self._office_places = {
            "hq": [self._office_place(ip, "Contoso HQ", cat.SEATTLE) for ip in cat.HQ_IPS],
            "london": [
                self._office_place(ip, "Contoso London", cat.LONDON) for ip in cat.LONDON_IPS
            ],
        }
        self._started = False
        # who holds an admin role (for single-factor sign-ins of privileged users)
        self.privileged: set[str] = {u.upn for u in self.tenant.users if u.is_admin}
        # planner state: app lists per (device, admin), days away travelling, phones that
        # still speak Exchange ActiveSync, one address per workload
        self.app_lists: dict[tuple[str, bool], tuple[list[App], list[int], list[App]]] = {}
        self.away: dict[str, set[date]] = {}
        self.eas_users: set[str] = set()
        self._workload_places: dict[str, Place] = {}
        by_name = {a.name: a for a in self.tenant.apps}
        self.windows_sign_in = by_name["Windows Sign In"]
        self.teams = by_name["Microsoft Teams"]
        from kustodian.simulate import scenarios

        scenarios.plan_all(self)  # actors and times are known before any record is made

    def workload_place(self, w: Workload) -> Place:
        p = self._workload_places.get(w.name)
        if p is None:
            p = self._workload_places[w.name] = self.new_place(cat.AZURE)
        return p

    # --- time ------------------------------------------------------------------------------

    @property
    def first_date(self) -> date:
        return rec.from_ticks(self.start).date() - timedelta(days=1)

    @property
    def last_date(self) -> date:
        return rec.from_ticks(self.end - 1).date()

    def midnight(self, d: date) -> int:
        return rec.to_ticks(datetime(d.year, d.month, d.day, tzinfo=UTC))

    def local(self, d: date, city: City, hour: float) -> int:
        """Ticks of `hour` o'clock on local day `d` in `city`."""
        return self.midnight(d) + int((hour - city.utc_offset) * HOUR)

    # --- the heap ----------------------------------------------------------------------------

    def push(self, t: int, handler: Handler, arg: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, handler, arg))

    def records(self) -> Iterator[dict[str, Any]]:
        """The run's records in time order (a run can be iterated once)."""
        if self._started:
            raise RuntimeError("a Simulation's records can be iterated only once")
        self._started = True
        from kustodian.simulate import baseline

        d = self.first_date
        while d <= self.last_date:
            baseline.plan_day(self, d)
            yield from self._flush(self.midnight(d))
            d += timedelta(days=1)
        yield from self._flush(self.end)

    def _flush(self, until: int) -> Iterator[dict[str, Any]]:
        heap, out = self._heap, self._out
        start, end = self.start, self.end
        while heap and heap[0][0] < until:
            t, _, handler, arg = heapq.heappop(heap)
            if t < start or t >= end:
                continue
            handler(t, arg)
            if out:
                yield from out
                out.clear()

    def emit(self, record: dict[str, Any]) -> None:
        self._out.append(record)
        self.truth.records[record["category"]] += 1
        self.truth.results[(record["category"], record["resultType"])] += 1

    # --- ids -------------------------------------------------------------------------------

    def guid(self) -> str:
        return guid(self.rng)

    def token_id(self) -> str:
        raw = self.rng.getrandbits(128).to_bytes(16, "little")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    # --- places ------------------------------------------------------------------------------

    def _office_place(self, ip: str, name: str, city: City) -> Place:
        p = Place(
            ip,
            8075,
            city.country,
            _loc(city, self.plan_rng),
            True,
            [{"networkType": "trustedNamedLocation", "networkNames": [name]}],
            "office",
        )
        self.places[ip] = p
        return p

    def place(self, ip: str, net: Network, city: City) -> Place:
        p = self.places.get(ip)
        if p is None:
            p = Place(ip, net.asn, city.country, _loc(city, self.plan_rng), False, [], net.kind)
            self.places[ip] = p
        return p

    def new_place(self, net: Network, city: City | None = None) -> Place:
        rng = self.plan_rng
        while True:
            ip = ip_in(net, rng)
            if ip not in self.places:
                return self.place(ip, net, city or rng.choice(net.cities))

    def home(self, u: User) -> Place:
        return self.place(u.home_ip, u.home_isp, u.city)

    def office(self, u: User) -> Place:
        return self.plan_rng.choice(self._office_places[u.office or "hq"])

    def familiar(self, u: User, p: Place) -> bool:
        if p.trusted:
            return True
        return p.country in self.state[u.id].countries and p.kind not in ("hosting", "tor")

    # --- Conditional Access ------------------------------------------------------------------

    def ca(self, results: tuple[str, ...]) -> list[Any]:
        got = self._ca_cache.get(results)
        if got is None:
            got = [
                {
                    "id": p.id,
                    "displayName": p.name,
                    "enforcedGrantControls": list(p.grant) if r not in ("notEnabled",) else [],
                    "enforcedSessionControls": [],
                    "result": r,
                    "conditionsSatisfied": 0,
                    "conditionsNotSatisfied": 0,
                }
                for p, r in zip(self.tenant.ca_policies, results)
            ]
            self._ca_cache[results] = got
        return got

    def evaluate_ca(
        self,
        u: User,
        app: App,
        client: str,
        trusted: bool,
        risk: str,
        compliant: bool,
        mfa_ok: bool,
    ) -> tuple[bool, bool, str, list[Any]]:
        """(MFA required, blocked, conditionalAccessStatus, policy results) for a sign-in whose
        first factor succeeded; `mfa_ok` says whether MFA was (or will be) satisfied."""
        exempt = u.kind == "breakglass"
        legacy = client in cat.LEGACY_CLIENTS
        ca1 = not exempt and u.kind != "service" and not legacy and not trusted
        ca2 = legacy and u.kind != "service" and not exempt
        ca3 = u.is_admin and not exempt and not legacy
        ca4 = risk in ("medium", "high") and not exempt and not legacy
        needs_mfa = ca1 or ca3 or ca4
        mfa_result = "success" if mfa_ok else "failure"
        res = (
            mfa_result if ca1 else "notApplied",
            "failure" if ca2 else "notApplied",
            mfa_result if ca3 else "notApplied",
            mfa_result if ca4 else "notApplied",
            (
                ("reportOnlySuccess" if compliant else "reportOnlyFailure")
                if app.resource_id == cat.AZURE_MGMT[0] and not exempt
                else "reportOnlyNotApplied"
            ),
            "notEnabled",
        )
        if ca2 or (needs_mfa and not mfa_ok):
            status = "failure"
        elif needs_mfa:
            status = "success"
        else:
            status = "notApplied"
        return needs_mfa, ca2, status, self.ca(res)

    # --- property objects --------------------------------------------------------------------

    def device_detail(self, d: Device, browser: bool) -> dict[str, Any]:
        key = (d.device_id, browser)
        got = self._detail_cache.get(key)
        if got is None:
            got = self._detail_cache[key] = d.detail(browser)
        return got

    def base_props(
        self,
        u: User | None,
        upn: str,
        place: Place,
        device: dict[str, Any],
        app: App,
        client: str,
        ua: str,
        interactive: bool,
    ) -> dict[str, Any]:
        """Every sign-in property with its default; callers override what differs."""
        guest = u is not None and u.user_type == "Guest"
        return {
            "id": "",
            "createdDateTime": "",
            "userDisplayName": u.display_name if u else "",
            "userPrincipalName": upn,
            "userId": u.id if u else "",
            "appId": app.app_id,
            "appDisplayName": app.name,
            "ipAddress": place.ip,
            "status": rec.EMPTY_OBJ,
            "clientAppUsed": client,
            "userAgent": ua,
            "deviceDetail": device,
            "location": place.location,
            "correlationId": "",
            "conditionalAccessStatus": "notApplied",
            "appliedConditionalAccessPolicies": rec.EMPTY,
            "originalRequestId": "",
            "isInteractive": interactive,
            "authenticationProcessingDetails": rec.CAE_FALSE,
            "networkLocationDetails": place.network,
            # the non-interactive table names this column ProcessingTimeInMs
            PROCESSING[interactive]: 0,
            "riskDetail": "none",
            "riskLevelAggregated": "none",
            "riskLevelDuringSignIn": "none",
            "riskState": "none",
            "riskEventTypes": rec.EMPTY,
            "riskEventTypes_v2": rec.EMPTY,
            "resourceDisplayName": app.resource,
            "resourceId": app.resource_id,
            "resourceServicePrincipalId": self.tenant.resource_sp_ids.get(app.resource_id, ""),
            "resourceTenantId": self.tid,
            "homeTenantId": u.home_tenant_id if guest and u else self.tid,
            "tokenIssuerName": "",
            "tokenIssuerType": "AzureAD",
            "authenticationDetails": rec.EMPTY,
            "authenticationRequirementPolicies": rec.EMPTY,
            "authenticationRequirement": SINGLE,
            "authenticationMethodsUsed": rec.EMPTY,
            "authenticationProtocol": "none",
            "authenticationContextClassReferences": rec.EMPTY,
            "mfaDetail": rec.EMPTY_OBJ,
            "alternateSignInName": upn if interactive else "",
            "signInIdentifier": upn if interactive else "",
            "signInIdentifierType": "userPrincipalName" if interactive else "",
            "signInEventTypes": rec.INTERACTIVE_TYPES if interactive else rec.NONINTERACTIVE_TYPES,
            "servicePrincipalId": "",
            "servicePrincipalName": "",
            "userType": u.user_type if u else "Member",
            "flaggedForReview": False,
            "isRisky": False,
            "isTenantRestricted": False,
            "autonomousSystemNumber": place.asn,
            "crossTenantAccessType": "b2bCollaboration" if guest else "none",
            "uniqueTokenIdentifier": "",
            "sessionLifetimePolicies": rec.EMPTY,
            "appliedEventListeners": rec.EMPTY,
            "ipAddressFromResourceProvider": "",
        }

    def finish_signin(
        self,
        t: int,
        p: dict[str, Any],
        code: int,
        extra: str = "",
        correlation: str = "",
    ) -> dict[str, Any]:
        """Stamp ids, time and status on sign-in properties and wrap them in the envelope."""
        rid = self.guid()
        cid = correlation or self.guid()
        p["id"] = rid
        p["originalRequestId"] = rid
        p["correlationId"] = cid
        p["createdDateTime"] = iso_offset(t)
        p["uniqueTokenIdentifier"] = self.token_id()
        p[PROCESSING[p["isInteractive"]]] = self.rng.randint(40, 400)
        reason, details = cat.ERRORS[code]
        p["status"] = rec.status(code, reason, extra or details)
        category = "SignInLogs" if p["isInteractive"] else "NonInteractiveUserSignInLogs"
        record = rec.envelope(
            t,
            self.tid,
            "Sign-in activity",
            category,
            str(code),
            reason,
            p["ipAddress"],
            cid,
            p["userDisplayName"] or p["userPrincipalName"],
            4,
            p["location"].get("countryOrRegion", ""),
            p,
        )
        self._note_signin(t, p, code, category, record["time"])
        self.emit(record)
        return record

    def _note_signin(self, t: int, p: dict[str, Any], code: int, category: str, at: str) -> None:
        truth = self.truth
        upn = p["userPrincipalName"]
        if code == 50053:
            truth.lockouts[upn] += 1
        elif code == 50126:
            truth.bad_passwords[upn] += 1
        elif code == 50057:
            truth.disabled_attempts[upn] += 1
            truth.timeline.append(("disabled-account", at))
        client = p["clientAppUsed"]
        if client in cat.LEGACY_CLIENTS:
            truth.legacy[client] += 1
        if category == "SignInLogs":
            truth.requirement[p["authenticationRequirement"]] += 1
            level = p["riskLevelDuringSignIn"]
            if level not in ("none", "hidden"):
                truth.risky_signins[level] += 1
            if "high" in (level, p["riskLevelAggregated"]) and p["riskState"] == "atRisk":
                truth.high_risk[upn] += 1
                truth.timeline.append(("high-risk", at))
            if code == 0 and p["mfaDetail"].get("authMethod") == "Text message":
                truth.sms_mfa[upn] += 1
                truth.timeline.append(("sms-mfa", at))
            if code == 0 and p["authenticationRequirement"] == SINGLE and upn in self.privileged:
                truth.privileged_single_factor[upn] += 1
                truth.timeline.append(("privileged-single-factor", at))
        if code != 0 or not p["userId"]:
            return
        st = self.state[p["userId"]]
        country = p["location"].get("countryOrRegion", "")
        if country and country not in st.countries:
            st.countries.add(country)
            truth.new_country.append((upn, country, at))
        if category == "SignInLogs" and upn in self._break_glass:
            truth.break_glass.setdefault(upn, []).append(at)

    @property
    def _break_glass(self) -> tuple[str, ...]:
        return self.tenant.break_glass

    # --- authentication steps ----------------------------------------------------------------

    def mfa_step(self, when: str, u: User, ok: bool = True, denial: str = "") -> dict[str, Any]:
        method, detail = MFA_TEXT.get(u.mfa_method, MFA_TEXT["push"])
        method_detail = u.phone if u.mfa_method in ("sms", "voice") else ""
        if ok:
            self.truth.mfa_methods[method] += 1
        return rec.step(when, method, ok, detail if ok else denial, MFA_STEP, method_detail)

    def mfa_detail(self, u: User) -> dict[str, Any]:
        method, _ = MFA_TEXT.get(u.mfa_method, MFA_TEXT["push"])
        return {"authMethod": method, "authDetail": u.phone if u.mfa_method != "push" else ""}

    # --- audit -----------------------------------------------------------------------------

    def audit(self, t: int, spec: AuditSpec) -> None:
        """Resolve an audit intent: apply its effect, emit its record."""
        if spec.effect is not None:
            spec.effect(t)
        cid = self.guid()
        prefix = {"Core Directory": "Directory", "Invited Users": "B2B"}.get(
            spec.service, spec.service.replace(" ", "")
        )
        props = rec.audit_properties(
            t,
            f"{prefix}_{cid}_{self.rng.randint(10000, 99999)}",
            spec.activity,
            spec.category,
            spec.service,
            spec.operation,
            cid,
            spec.initiator,
            spec.targets,
            spec.details,
            spec.result,
            spec.reason,
        )
        who = spec.initiator.get("user") or spec.initiator.get("app") or {}
        record = rec.envelope(
            t,
            self.tid,
            spec.activity,
            "AuditLogs",
            "Success" if spec.result == "success" else "Failure",
            "",
            who.get("ipAddress", "") or "",
            cid,
            who.get("displayName") or who.get("userPrincipalName") or "",
            "Informational",
            "",
            props,
        )
        if spec.activity in (
            "User registered security info",
            "User registered all required security info",
        ):
            ip = who.get("ipAddress", "")
            self.truth.security_info.append(
                SecurityInfo(
                    who.get("userPrincipalName", ""),
                    ip,
                    ip in self.tenant.trusted_ips,
                    spec.activity,
                    spec.reason,
                    record["time"],
                )
            )
        if spec.activity == "Add member to role":
            role = next(
                (
                    json_text(m["newValue"])
                    for m in spec.targets[0]["modifiedProperties"]
                    if m["displayName"] == "Role.DisplayName"
                ),
                "",
            )
            self.truth.role_assignments.append(
                (spec.targets[0]["userPrincipalName"], role, who.get("userPrincipalName", ""))
            )
            if role.endswith("Administrator"):
                self.privileged.add(spec.targets[0]["userPrincipalName"])
        self.truth.timeline.append((spec.activity, record["time"]))
        self.emit(record)

    def push_audit(self, t: int, spec: AuditSpec) -> None:
        self.push(t, self.audit, spec)

    # --- risk --------------------------------------------------------------------------------

    def risk_event(
        self, t: int, arg: tuple[User, str, str, str, Place, str, str, str, str]
    ) -> None:
        """A risk detection (AADUserRiskEvents). arg: (user, riskEventType, riskLevel,
        detectionTimingType, place, correlation id, request id, riskState, riskDetail)."""
        u, event_type, level, timing, place, correlation, request_id, state, detail = arg
        rid = f"{self.rng.getrandbits(256):064x}"
        when = iso(t)
        props = {
            "id": rid,
            "requestId": request_id,
            "correlationId": correlation,
            "riskEventType": event_type,
            "riskType": event_type,
            "riskState": state,
            "riskLevel": level,
            "riskDetail": detail,
            "source": "IdentityProtection"
            if event_type != "userReportedSuspiciousActivity"
            else "EndUserReported",
            "detectionTimingType": timing,
            "activity": "signin" if event_type != "leakedCredentials" else "user",
            "ipAddress": place.ip,
            "location": place.location,
            "activityDateTime": when,
            "detectedDateTime": when,
            "lastUpdatedDateTime": when,
            "userId": u.id,
            "userDisplayName": u.display_name,
            "userPrincipalName": u.upn,
            "additionalInfo": [{"Key": "userAgent", "Value": ""}] if place.ip else [],
            "tokenIssuerType": "AzureAD",
        }
        self.truth.risk_events[event_type] += 1
        self.emit(
            rec.envelope(
                t,
                self.tid,
                "User Risk Detection",
                "UserRiskEvents",
                "",
                "",
                place.ip,
                rid,
                u.display_name,
                4,
                place.country,
                props,
            )
        )

    def risky_user(self, t: int, arg: tuple[User, str, str, str]) -> None:
        u, level, state, detail = arg
        when = iso(t)
        props = {
            "id": u.id,
            "isDeleted": False,
            "isProcessing": False,
            "riskLastUpdatedDateTime": when,
            "riskLevel": level,
            "riskState": state,
            "riskDetail": detail,
            "userDisplayName": u.display_name,
            "userPrincipalName": u.upn,
        }
        self.truth.risky_users[u.upn] = level
        self.emit(
            rec.envelope(
                t,
                self.tid,
                "Risky user",
                "RiskyUsers",
                "",
                "",
                "",
                self.guid(),
                u.display_name,
                4,
                "",
                props,
            )
        )

    # --- workloads ---------------------------------------------------------------------------

    def workload_signin(self, t: int, arg: tuple[Workload, Place, int]) -> None:
        w, place, code = arg
        rid, cid = self.guid(), self.guid()
        reason, _ = cat.ERRORS[code]
        mi = w.kind == "mi"
        props = {
            "id": rid,
            "createdDateTime": iso_offset(t),
            "appId": w.app_id,
            "appDisplayName": w.name,
            "ipAddress": "" if mi else place.ip,
            "status": rec.status(code, reason),
            "location": rec.EMPTY_OBJ if mi else place.location,
            "correlationId": cid,
            "conditionalAccessStatus": "notApplied",
            "appliedConditionalAccessPolicies": rec.EMPTY,
            "authenticationProcessingDetails": rec.EMPTY,
            "authenticationContextClassReferences": rec.EMPTY,
            "resourceDisplayName": w.resource,
            "resourceId": w.resource_id,
            "resourceServicePrincipalId": self.tenant.resource_sp_ids.get(w.resource_id, ""),
            "servicePrincipalId": w.sp_id,
            "servicePrincipalName": w.name,
            "servicePrincipalCredentialKeyId": w.key_id,
            "servicePrincipalCredentialThumbprint": "",
            "federatedCredentialId": "",
            "clientCredentialType": w.credential,
            "uniqueTokenIdentifier": self.token_id(),
            "signInEventTypes": ["managedIdentity" if mi else "servicePrincipal"],
            "isInteractive": False,
        }
        self.emit(
            rec.envelope(
                t,
                self.tid,
                "Sign-in activity",
                "ManagedIdentitySignInLogs" if mi else "ServicePrincipalSignInLogs",
                str(code),
                reason,
                "" if mi else place.ip,
                cid,
                w.name,
                4,
                "" if mi else place.country,
                props,
            )
        )

    # --- user sign-ins -----------------------------------------------------------------------

    def session(
        self,
        u: User,
        device: Device,
        place: Place,
        day_apps: list[App],
        since: int = 0,
        owner: bool = True,
    ) -> Session:
        """A device on a network: the requirement and CA result its tokens carry."""
        trusted = place.trusted
        needs, _, status, ca_list = self.evaluate_ca(
            u, day_apps[0], "Browser", trusted, "none", device.compliant, True
        )
        weights = [a.nonint for a in day_apps]
        s = Session(
            u,
            device,
            place,
            MULTI if needs else SINGLE,
            status,
            ca_list,
            day_apps,
            list(accumulate(weights)),
            since,
            owner,
        )
        return s

    def nonint(self, t: int, s: Session) -> None:
        """A token refresh: the bulk of any tenant's sign-in volume."""
        u = s.user
        st = self.state[u.id]
        if t < st.active_from:
            return
        rng = self.rng
        apps = s.apps
        app = apps[bisect_right(s.cum, rng.random() * s.cum[-1])]
        browser = app.client == "Browser"
        p = self.base_props(
            u,
            u.upn,
            s.place,
            self.device_detail(s.device, browser),
            app,
            app.client,
            user_agent(app.name, s.device.platform),
            False,
        )
        when = iso_offset(t)
        code = 0
        if not st.enabled:
            code = 50057
        elif s.since < st.revoked_at <= t and (not s.owner or t < st.revoked_at + HOUR):
            # a password reset revoked the session's refresh tokens; the owner signs in again
            # within the hour, whoever else holds them never can
            code = 50173
        if code == 0:
            p["conditionalAccessStatus"] = s.ca_status
            p["appliedConditionalAccessPolicies"] = s.ca_list
            p["authenticationRequirement"] = s.requirement
            steps = [
                rec.step(
                    when,
                    "Previously satisfied",
                    True,
                    "First factor requirement satisfied by claim in the token",
                    PRIMARY,
                )
            ]
            if s.requirement == MULTI:
                steps.append(
                    rec.step(
                        when,
                        "Previously satisfied",
                        True,
                        "MFA requirement satisfied by claim in the token",
                        MFA_STEP,
                    )
                )
                p["authenticationRequirementPolicies"] = rec.CA_REQUIREMENT
            p["authenticationDetails"] = steps
            p["authenticationProcessingDetails"] = (
                rec.CAE_TRUE if app.name in ("Microsoft Teams", "Outlook Mobile") else rec.CAE_FALSE
            )
        self.finish_signin(t, p, code)

    def interactive(self, t: int, arg: tuple[Session, App, int]) -> None:
        """A user signs in at a prompt. `mode`: 0 first of the session (password), 1 later
        (single sign-on), 2 a retry after a typo."""
        s, app, mode = arg
        u, rng = s.user, self.rng
        st = self.state[u.id]
        if t < st.active_from:
            return
        browser = app.client == "Browser"
        p = self.base_props(
            u,
            u.upn,
            s.place,
            self.device_detail(s.device, browser),
            app,
            app.client,
            user_agent(app.name, s.device.platform),
            True,
        )
        when = iso_offset(t)
        if not st.enabled:
            p["authenticationDetails"] = [
                rec.step(when, "Password", False, "User account is disabled", PRIMARY)
            ]
            self.finish_signin(t, p, 50057)
            return
        fido = u.mfa_method == "fido2"
        steps: list[dict[str, Any]] = []
        if fido:
            steps.append(
                rec.step(
                    when,
                    "FIDO2 security key",
                    True,
                    "MFA successfully completed",
                    PRIMARY,
                    "YubiKey 5 NFC",
                )
            )
            self.truth.mfa_methods["FIDO2 security key"] += 1
        elif mode == 1 and s.sso:
            steps.append(
                rec.step(
                    when,
                    "Previously satisfied",
                    True,
                    "First factor requirement satisfied by claim in the token",
                    PRIMARY,
                )
            )
        else:
            familiar = self.familiar(u, s.place)
            typo = mode == 0 and rng.random() < 0.015
            pw = f"typo-{rng.randrange(1 << 30)}" if typo else st.password
            outcome = st.lockout.attempt(t / TICKS, pw, not typo, familiar=familiar)
            if outcome is not Outcome.SUCCESS:
                p["authenticationDetails"] = [password_step(when, outcome)]
                self.finish_signin(t, p, int(outcome.value))
                if typo:
                    self.push(t + rng.randint(5, 25) * TICKS, self.interactive, (s, app, 2))
                return
            steps.append(password_step(when, outcome))
        s.sso = s.sso or s.device.kind == "laptop"
        self.complete(t, p, u, s.place, app, s.device.compliant, steps, fido)

    def complete(
        self,
        t: int,
        p: dict[str, Any],
        u: User,
        place: Place,
        app: App,
        compliant: bool,
        steps: list[dict[str, Any]],
        fido: bool,
        risk: str = "none",
        correlation: str = "",
    ) -> None:
        """After a successful first factor: Conditional Access, and MFA when it asks for it."""
        st = self.state[u.id]
        rng = self.rng
        when = p["createdDateTime"] or iso_offset(t)
        needs, blocked, status, ca_list = self.evaluate_ca(
            u, app, p["clientAppUsed"], place.trusted, risk, compliant, True
        )
        p["authenticationDetails"] = steps
        if blocked:
            _, _, status, ca_list = self.evaluate_ca(
                u, app, p["clientAppUsed"], place.trusted, risk, compliant, False
            )
            p["conditionalAccessStatus"] = status
            p["appliedConditionalAccessPolicies"] = ca_list
            self.finish_signin(t, p, 53003, correlation=correlation)
            return
        p["conditionalAccessStatus"] = status
        p["appliedConditionalAccessPolicies"] = ca_list
        if not needs:
            p["authenticationMethodsUsed"] = [steps[0]["authenticationMethod"]]
            self.finish_signin(t, p, 0, correlation=correlation)
            return
        p["authenticationRequirement"] = MULTI
        p["authenticationRequirementPolicies"] = requirement_policies(risk)
        if fido:
            p["authenticationMethodsUsed"] = ["FIDO2 security key"]
            self.finish_signin(t, p, 0, "MFA completed in Azure AD", correlation)
            return
        if st.mfa_claim_until > t:
            steps.append(
                rec.step(
                    when,
                    "Previously satisfied",
                    True,
                    "MFA requirement satisfied by claim in the token",
                    MFA_STEP,
                )
            )
            p["authenticationMethodsUsed"] = [steps[0]["authenticationMethod"]]
            self.finish_signin(
                t, p, 0, "MFA requirement satisfied by claim in the token", correlation
            )
            return
        if st.mfa_blocked_until > t:
            self.mfa_failure(t, p, u, place, app, compliant, "blocked", risk, correlation)
            return
        if rng.random() < 0.4:
            # the first response asks for MFA (an interrupt); the completed sign-in follows
            _, _, status2, ca_fail = self.evaluate_ca(
                u, app, p["clientAppUsed"], place.trusted, risk, compliant, False
            )
            q = dict(p)
            q["conditionalAccessStatus"] = status2
            q["appliedConditionalAccessPolicies"] = ca_fail
            cid = correlation or self.guid()
            self.finish_signin(t, q, 50074, correlation=cid)
            p = dict(p)
            p["authenticationDetails"] = list(steps)
            self.push(t + rng.randint(8, 40) * TICKS, self._mfa_done, (p, u, cid))
            return
        self._mfa_done(t, (p, u, correlation))

    def _mfa_done(self, t: int, arg: tuple[dict[str, Any], User, str]) -> None:
        p, u, correlation = arg
        st = self.state[u.id]
        when = iso_offset(t)
        p["createdDateTime"] = when
        p["authenticationDetails"].append(self.mfa_step(when, u))
        p["mfaDetail"] = self.mfa_detail(u)
        p["authenticationMethodsUsed"] = [
            p["authenticationDetails"][0]["authenticationMethod"],
            MFA_TEXT.get(u.mfa_method, MFA_TEXT["push"])[0],
        ]
        st.mfa_claim_until = t + 10 * HOUR
        self.finish_signin(t, p, 0, "MFA completed in Azure AD", correlation)

    def mfa_failure(
        self,
        t: int,
        p: dict[str, Any],
        u: User,
        place: Place,
        app: App,
        compliant: bool,
        why: str,
        risk: str,
        correlation: str,
    ) -> dict[str, Any]:
        when = p["createdDateTime"] or iso_offset(t)
        denial = DENIALS[why]
        _, _, status, ca_fail = self.evaluate_ca(
            u, app, p["clientAppUsed"], place.trusted, risk, compliant, False
        )
        p["conditionalAccessStatus"] = status
        p["appliedConditionalAccessPolicies"] = ca_fail
        p["authenticationRequirement"] = MULTI
        p["authenticationRequirementPolicies"] = requirement_policies(risk)
        steps = list(p["authenticationDetails"])
        if why != "blocked":
            steps.append(self.mfa_step(when, u, ok=False, denial=denial))
            p["mfaDetail"] = self.mfa_detail(u)
        p["authenticationDetails"] = steps
        return self.finish_signin(t, p, 500121, denial, correlation)

    def attempt(self, t: int, a: Attempt) -> None:
        """Resolve a scenario's sign-in attempt against the account's state."""
        u = a.user
        p = self.base_props(u, a.upn, a.place, a.device, a.app, a.client, a.ua, True)
        when = iso_offset(t)
        if a.client in cat.LEGACY_CLIENTS:
            p["authenticationProtocol"] = "ropc"
            p["authenticationProcessingDetails"] = rec.LEGACY_TLS
        self.truth.timeline.append((a.scenario, iso(t)))
        code = self._attempt(t, a, u, p, when)
        if a.after is not None:
            a.after(t, a, code)

    def _attempt(self, t: int, a: Attempt, u: User | None, p: dict[str, Any], when: str) -> int:
        if u is None:
            p["authenticationDetails"] = [
                rec.step(when, "Password", False, "User account not found", PRIMARY)
            ]
            self.finish_signin(t, p, 50034, correlation=a.correlation)
            return 50034
        st = self.state[u.id]
        if not st.enabled:
            p["authenticationDetails"] = [
                rec.step(when, "Password", False, "User account is disabled", PRIMARY)
            ]
            self.finish_signin(t, p, 50057, correlation=a.correlation)
            return 50057
        steps: list[dict[str, Any]] = []
        if a.password is not None:
            familiar = self.familiar(u, a.place)
            pw = st.password if a.correct else a.password
            outcome = st.lockout.attempt(t / TICKS, pw, pw == st.password, familiar=familiar)
            if outcome is not Outcome.SUCCESS:
                p["authenticationDetails"] = [password_step(when, outcome)]
                self.finish_signin(t, p, int(outcome.value), correlation=a.correlation)
                return int(outcome.value)
            steps.append(password_step(when, outcome))
        elif a.fido:
            steps.append(
                rec.step(
                    when,
                    "FIDO2 security key",
                    True,
                    "MFA successfully completed",
                    PRIMARY,
                    "YubiKey 5 NFC",
                )
            )
            self.truth.mfa_methods["FIDO2 security key"] += 1
        else:
            steps.append(
                rec.step(
                    when,
                    "Previously satisfied",
                    True,
                    "First factor requirement satisfied by claim in the token",
                    PRIMARY,
                )
            )
        level, types = a.risk
        if level != "none":
            p["riskLevelDuringSignIn"] = level
            p["riskLevelAggregated"] = level
            p["riskState"] = "atRisk"
            p["riskEventTypes"] = list(types)
            p["riskEventTypes_v2"] = list(types)
            p["isRisky"] = True
        needs, blocked, _, _ = self.evaluate_ca(
            u, a.app, a.client, a.place.trusted, level, False, True
        )
        p["authenticationDetails"] = steps
        if blocked or not needs or not a.mfa:
            if needs and not blocked:
                # MFA asked for and nobody there to answer it: the attempt stops at the interrupt
                _, _, status, ca_fail = self.evaluate_ca(
                    u, a.app, a.client, a.place.trusted, level, False, False
                )
                p["conditionalAccessStatus"] = status
                p["appliedConditionalAccessPolicies"] = ca_fail
                p["authenticationRequirement"] = MULTI
                self.finish_signin(t, p, 50074, correlation=a.correlation)
                return 50074
            self.complete(t, p, u, a.place, a.app, False, steps, a.fido, level, a.correlation)
            return int(p["status"]["errorCode"]) if p["status"] else 0
        if st.mfa_blocked_until > t:
            self.mfa_failure(t, p, u, a.place, a.app, False, "blocked", level, a.correlation)
            return 500121
        if a.mfa == "approve":
            _, _, status, ca_list = self.evaluate_ca(
                u, a.app, a.client, a.place.trusted, level, False, True
            )
            p["conditionalAccessStatus"] = status
            p["appliedConditionalAccessPolicies"] = ca_list
            p["authenticationRequirement"] = MULTI
            p["authenticationRequirementPolicies"] = requirement_policies(level)
            claim = st.mfa_claim_until  # the claim lives in the other party's token, not the user's
            if a.remediate and level != "none":
                p["riskState"] = "remediated"
                p["riskDetail"] = "userPassedMFADrivenByRiskBasedPolicy"
            self._mfa_done(t, (p, u, a.correlation))
            st.mfa_claim_until = claim
            return 0
        self.mfa_failure(t, p, u, a.place, a.app, False, a.mfa, level, a.correlation)
        if a.mfa == "fraud":
            # Entra blocks MFA for 90 days unless an admin unblocks; here the helpdesk does so
            # a day later (the unblock itself is not an audited activity we model)
            st.mfa_blocked_until = t + rec.DAY
            self.truth.fraud.append(Fraud(u.upn, "fraud code", iso(t)))
        elif a.mfa == "app_fraud":
            self.truth.fraud.append(Fraud(u.upn, "app report", iso(t)))
        return 500121

    def fatigue_done(self, upn: str, ip: str, denied: int, approved_at: str | None) -> None:
        self.truth.fatigue.append(Fatigue(upn, ip, denied, approved_at))


def json_text(value: str | None) -> str:
    """The string inside a modifiedProperties JSON value (`"\\"Global Administrator\\""`)."""
    import json

    if value is None:
        return ""
    got = json.loads(value)
    return got if isinstance(got, str) else str(got)


def simulate(
    days: int = 30,
    users: int = 500,
    seed: int = 0,
    end: datetime | str | None = None,
) -> Iterator[dict[str, Any]]:
    """Entra diagnostic-settings records of a demo tenant, in time order.

    Args:
        days: the window's length in days, ending at `end`.
        users: accounts in the directory when the window starts (at least 20).
        seed: the same (days, users, seed, end) always give byte-identical records.
        end: the window's end (exclusive); default 2024-05-01T00:00:00Z.

    Returns:
        An iterator of records (`{"time", "resourceId", "operationName", ..., "properties"}`).
        `Simulation` gives the same records plus the tenant and the ground truth.
    """
    return Simulation(days, users, seed, end).records()


def password_step(when: str, outcome: Outcome) -> dict[str, Any]:
    detail = {
        Outcome.SUCCESS: "Correct password",
        Outcome.BAD_PASSWORD: "Invalid username or password or Invalid on-premise username or password.",
        Outcome.LOCKED: "Account is locked",
    }[outcome]
    return rec.step(
        when, "Password", outcome is Outcome.SUCCESS, detail, PRIMARY, "Password in the cloud"
    )


def requirement_policies(risk: str) -> list[Any]:
    return rec.RISK_REQUIREMENT if risk in ("medium", "high") else rec.CA_REQUIREMENT
