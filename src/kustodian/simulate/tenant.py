"""The demo tenant: who is in the directory, where they work, how they authenticate.

`build_tenant(users, seed)` depends only on its arguments, so tests (and later detections) can
know the ground truth of a run without generating its records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kustodian.simulate import catalog as cat
from kustodian.simulate.catalog import App, City, Network

MIN_USERS = 20


def guid(rng: random.Random) -> str:
    """A version-4 style GUID drawn from `rng` (never from the OS, so runs repeat)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def ip_in(net: Network, rng: random.Random) -> str:
    prefix = net.prefixes[rng.randrange(len(net.prefixes))]
    parts = prefix.count(".") + 1
    tail = [str(rng.randint(1, 254)) for _ in range(4 - parts)]
    return ".".join([prefix, *tail])


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str
    name: str
    os: str  # as DeviceDetail.operatingSystem shows it
    browser: str
    trust_type: str
    compliant: bool
    managed: bool
    kind: str  # laptop | phone
    platform: str  # windows | mac | ios | android

    def detail(self, browser: bool) -> dict[str, object]:
        return {
            "deviceId": self.device_id,
            "displayName": self.name,
            "operatingSystem": self.os,
            "browser": self.browser if browser else "",
            "isCompliant": self.compliant,
            "isManaged": self.managed,
            "trustType": self.trust_type,
        }


@dataclass(slots=True)
class User:
    """A directory account. `kind` says what it is for in the simulation."""

    id: str
    upn: str
    display_name: str
    mail: str
    user_type: str  # Member | Guest
    kind: str  # member | admin | breakglass | service | guest | new | hire | disabled
    role: str  # directory role display name, "" for none
    city: City
    home_isp: Network
    home_ip: str
    mobile: Network
    office: str  # "" (remote), "hq" or "london"
    office_days: int  # days a week at the office
    mfa_method: str  # push | sms | voice | fido2 | none
    phone: str  # masked phone number, for SMS and voice
    laptop: Device
    phone_device: Device
    password: str
    enabled: bool = True
    created_in_run: bool = False  # created by an "Add user"/"Invite external user" in the window
    home_tenant_id: str = ""  # guests: their own tenant
    email: str = ""  # guests: the invited address

    @property
    def is_admin(self) -> bool:
        return bool(self.role)


@dataclass(frozen=True, slots=True)
class NamedLocation:
    id: str
    name: str
    ips: tuple[str, ...]
    trusted: bool


@dataclass(frozen=True, slots=True)
class CAPolicy:
    id: str
    name: str
    state: str  # enabled | enabledForReportingButNotEnforced | disabled
    grant: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Workload:
    """A service principal or managed identity that signs in on a timer."""

    name: str
    kind: str  # sp | mi
    app_id: str
    sp_id: str
    every_hours: int
    resource_id: str
    resource: str
    credential: str
    weekdays_only: bool
    key_id: str


@dataclass
class Tenant:
    """Ground truth about the directory a simulation runs in."""

    tenant_id: str
    name: str
    domain: str
    initial_domain: str
    users: list[User]
    named_locations: tuple[NamedLocation, ...]
    ca_policies: tuple[CAPolicy, ...]
    apps: tuple[App, ...]  # first-party plus line-of-business apps users sign in to
    workloads: tuple[Workload, ...]
    resource_sp_ids: dict[str, str]  # resource app id -> its service principal's object id
    groups: dict[str, str]  # display name -> object id
    number_matching: bool = True  # Authenticator push asks for the number shown at sign-in
    by_upn: dict[str, User] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_upn = {u.upn: u for u in self.users}

    @property
    def break_glass(self) -> tuple[str, ...]:
        return tuple(u.upn for u in self.users if u.kind == "breakglass")

    @property
    def trusted_ips(self) -> frozenset[str]:
        return frozenset(ip for loc in self.named_locations if loc.trusted for ip in loc.ips)

    def of_kind(self, *kinds: str) -> list[User]:
        return [u for u in self.users if u.kind in kinds]

    @property
    def admins(self) -> list[User]:
        return [u for u in self.users if u.kind == "admin"]

    @property
    def guests(self) -> list[User]:
        return [u for u in self.users if u.user_type == "Guest"]


def build_tenant(users: int, seed: int) -> Tenant:
    """The directory of a run: `users` accounts that exist when the window starts, plus the
    accounts created during it (new hires, new unused accounts, invited guests).

    Raises:
        ValueError: fewer than MIN_USERS users (there would be too few people for the scenarios).
    """
    if users < MIN_USERS:
        raise ValueError(f"users must be at least {MIN_USERS} (got {users})")
    rng = random.Random(f"kustodian-tenant:{seed}:{users}")
    tid = guid(rng)
    b = _Builder(rng, "contoso.com", "contoso.onmicrosoft.com")
    n_admins = max(3, users // 40)
    n_guests = max(2, users // 20)
    b.add(
        "breakglass", "Emergency Access 01", "breakglass1", role="Global Administrator", mfa="fido2"
    )
    b.add(
        "breakglass", "Emergency Access 02", "breakglass2", role="Global Administrator", mfa="none"
    )
    b.add("service", "Scan to Email", "scanner", mfa="none", office="hq")
    admin_roles = ["Global Administrator", "Security Administrator", "User Administrator"]
    admin_roles += ["Helpdesk Administrator"] * n_admins
    for i in range(n_admins):
        b.add_person("admin", role=admin_roles[i], mfa="fido2" if i == 0 else "push")
    b.add_person("disabled", enabled=False)
    for _ in range(n_guests):
        b.add_guest()
    while len(b.users) < users:
        b.add_person("member")
    members = [u for u in b.users if u.kind == "member"]
    for i, method in enumerate(("voice", "sms")):
        # every MFA method has at least one member (the fraud code needs a phone call)
        if not any(u.mfa_method == method for u in members):
            members[-1 - i].mfa_method = method
    for _ in range(max(2, users // 100)):
        b.add_person("new", created=True)
    for _ in range(max(1, users // 100)):
        b.add_person("hire", created=True, mfa="push")
    for _ in range(max(3, users // 25)):
        b.add_guest(created=True)
    return Tenant(
        tenant_id=tid,
        name="Contoso",
        domain="contoso.com",
        initial_domain="contoso.onmicrosoft.com",
        users=b.users,
        named_locations=(
            NamedLocation(guid(rng), "Contoso HQ", cat.HQ_IPS, True),
            NamedLocation(guid(rng), "Contoso London", cat.LONDON_IPS, True),
        ),
        ca_policies=_ca_policies(rng),
        apps=cat.APPS + tuple(_lob_app(rng, name, w) for name, w in cat.LOB_APPS),
        workloads=tuple(_workload(rng, *w) for w in cat.WORKLOADS),
        resource_sp_ids={r[0]: guid(rng) for r in (*cat.RESOURCES, cat.STORAGE)},
        groups={g: guid(rng) for g in cat.GROUPS},
    )


def _ca_policies(rng: random.Random) -> tuple[CAPolicy, ...]:
    return (
        CAPolicy(guid(rng), "CA001: Require MFA outside trusted locations", "enabled", ("Mfa",)),
        CAPolicy(guid(rng), "CA002: Block legacy authentication", "enabled", ("Block",)),
        CAPolicy(guid(rng), "CA003: Require MFA for administrators", "enabled", ("Mfa",)),
        CAPolicy(
            guid(rng), "CA004: Require MFA for medium and high sign-in risk", "enabled", ("Mfa",)
        ),
        CAPolicy(
            guid(rng),
            "CA005: Require compliant device for Azure management",
            "enabledForReportingButNotEnforced",
            ("RequireCompliantDevice",),
        ),
        CAPolicy(
            guid(rng),
            "CA006: Block sign-ins from outside allowed countries",
            "disabled",
            ("Block",),
        ),
    )


def _lob_app(rng: random.Random, name: str, weight: int) -> App:
    app_id = guid(rng)
    return App(app_id, name, app_id, name, "Browser", "laptop", weight, 0)


def _workload(
    rng: random.Random,
    name: str,
    kind: str,
    every: int,
    resource: tuple[str, str],
    credential: str,
    weekdays: bool,
) -> Workload:
    return Workload(
        name,
        kind,
        guid(rng),
        guid(rng),
        every,
        resource[0],
        resource[1],
        credential,
        weekdays,
        guid(rng) if kind == "sp" else "",
    )


class _Builder:
    def __init__(self, rng: random.Random, domain: str, initial: str) -> None:
        self.rng = rng
        self.domain = domain
        self.initial = initial
        self.users: list[User] = []
        self.names: set[tuple[str, str]] = set()
        self.serial = 0

    def _name(self) -> tuple[str, str]:
        while True:
            first = self.rng.choice(cat.FIRST_NAMES)
            last = self.rng.choice(cat.LAST_NAMES)
            if (first, last) not in self.names:
                self.names.add((first, last))
                return first, last

    def add_person(
        self,
        kind: str,
        *,
        role: str = "",
        mfa: str = "",
        enabled: bool = True,
        created: bool = False,
    ) -> User:
        first, last = self._name()
        if not mfa:
            mfa = self.rng.choices(("push", "sms", "voice", "fido2"), (70, 16, 8, 6))[0]
        return self.add(
            kind,
            f"{first} {last}",
            f"{first}.{last}".lower(),
            role=role,
            mfa=mfa,
            enabled=enabled,
            created=created,
        )

    def add(
        self,
        kind: str,
        display: str,
        alias: str,
        *,
        role: str = "",
        mfa: str = "push",
        enabled: bool = True,
        created: bool = False,
        office: str | None = None,
    ) -> User:
        rng = self.rng
        city = rng.choices([c for c, _ in cat.HOME_CITIES], [w for _, w in cat.HOME_CITIES])[0]
        isp = rng.choice(cat.HOME_ISPS[city.country])
        if office is None:
            office = {"US": "hq", "GB": "london"}.get(city.country, "")
            if city.country == "US" and city.name not in ("Seattle", "Redmond"):
                office = ""
        upn = f"{alias}@{self.domain}"
        user = User(
            id=guid(rng),
            upn=upn,
            display_name=display,
            mail=upn,
            user_type="Member",
            kind=kind,
            role=role,
            city=city,
            home_isp=isp,
            home_ip=ip_in(isp, rng),
            mobile=cat.MOBILE[city.country],
            office=office,
            office_days=rng.choice((2, 3, 3, 4, 5)) if office else 0,
            mfa_method=mfa,
            phone=f"+{'44' if city.country == 'GB' else '49' if city.country == 'DE' else '1'} "
            f"XXXXXXX{rng.randint(10, 99)}",
            laptop=self._laptop(),
            phone_device=self._phone(),
            password=f"pw-{guid(rng)}",
            enabled=enabled,
            created_in_run=created,
        )
        self.users.append(user)
        return user

    def add_guest(self, created: bool = False) -> User:
        first, last = self._name()
        domain = self.rng.choice(cat.GUEST_DOMAINS)
        email = f"{first}.{last}@{domain}".lower()
        user = self.add(
            "guest",
            f"{first} {last}",
            email.replace("@", "_") + "#EXT#",
            mfa="push",
            created=created,
            office="",
        )
        user.upn = f"{email.replace('@', '_')}#EXT#@{self.initial}"
        user.mail = email
        user.email = email
        user.user_type = "Guest"
        user.home_tenant_id = guid(self.rng)
        return user

    def _laptop(self) -> Device:
        self.serial += 1
        rng = self.rng
        if rng.random() < 0.82:
            browser = rng.choice(("Edge 124.0.0", "Edge 124.0.0", "Chrome 124.0.0"))
            os_name = rng.choice(("Windows 10", "Windows 11", "Windows 11"))
            trust = rng.choice(("Azure AD joined", "Hybrid Azure AD joined"))
            platform = "windows"
        else:
            browser, os_name, trust, platform = "Safari 17.4", "MacOs", "Azure AD registered", "mac"
        return Device(
            guid(rng),
            f"CONTOSO-LT-{self.serial:04d}",
            os_name,
            browser,
            trust,
            True,
            True,
            "laptop",
            platform,
        )

    def _phone(self) -> Device:
        rng = self.rng
        if rng.random() < 0.6:
            return Device(
                guid(rng),
                "iPhone",
                "Ios 17.4.1",
                "Mobile Safari",
                "Azure AD registered",
                True,
                True,
                "phone",
                "ios",
            )
        return Device(
            guid(rng),
            "Pixel 8",
            "Android 14",
            "Chrome Mobile",
            "Azure AD registered",
            rng.random() < 0.9,
            True,
            "phone",
            "android",
        )
