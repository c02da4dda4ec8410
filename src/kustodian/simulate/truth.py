"""What happened in a run, recorded while its records are generated (only records inside the
window count), so tests and detections can check themselves against it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class Invitation:
    invitation_id: str
    inviter: str  # UPN of who invited
    email: str  # the invited address
    guest_upn: str
    invited_at: str  # ISO time of the "Invite external user" record
    redeemed_at: str | None = None  # of the "Redeem external user invite" record


@dataclass(frozen=True, slots=True)
class Fatigue:
    upn: str
    ip: str
    denied: int  # 500121 records of the burst
    approved_at: str | None


@dataclass(frozen=True, slots=True)
class Fraud:
    upn: str
    kind: str  # "fraud code" (phone call, blocks MFA) | "app report" (raises user risk)
    at: str


@dataclass(frozen=True, slots=True)
class SecurityInfo:
    upn: str
    ip: str
    trusted: bool  # from a trusted named location
    activity: str  # "User registered security info" | "User registered all required security info"
    reason: str
    at: str


@dataclass
class GroundTruth:
    """Counts and facts of one run. Times are the records' `time` text."""

    records: Counter[str] = field(default_factory=Counter)  # per category
    results: Counter[tuple[str, str]] = field(default_factory=Counter)  # (category, resultType)
    lockouts: Counter[str] = field(default_factory=Counter)  # UPN -> 50053 records
    bad_passwords: Counter[str] = field(default_factory=Counter)  # UPN -> 50126 records
    lockout_victims: list[str] = field(default_factory=list)  # brute-forced from abroad
    forgetful: list[str] = field(default_factory=list)  # repeated the same wrong passwords
    brute_force_targets: list[str] = field(default_factory=list)  # new, never-used accounts
    brute_force_ips: list[str] = field(default_factory=list)
    spray_ips: list[str] = field(default_factory=list)
    spray_targets: set[str] = field(default_factory=set)
    spray_hits: list[str] = field(default_factory=list)  # guessed, then blocked by CA
    fatigue: list[Fatigue] = field(default_factory=list)
    fraud: list[Fraud] = field(default_factory=list)
    invitations: dict[str, Invitation] = field(default_factory=dict)
    security_info: list[SecurityInfo] = field(default_factory=list)
    disabled_attempts: Counter[str] = field(default_factory=Counter)  # UPN -> 50057 records
    disabled_in_run: list[str] = field(default_factory=list)  # "Disable account" targets
    legacy: Counter[str] = field(default_factory=Counter)  # clientAppUsed -> sign-in records
    new_country: list[tuple[str, str, str]] = field(default_factory=list)  # (UPN, country, at)
    risky_signins: Counter[str] = field(default_factory=Counter)  # riskLevelDuringSignIn
    risky_users: dict[str, str] = field(default_factory=dict)  # UPN -> last user risk level
    risk_events: Counter[str] = field(default_factory=Counter)  # riskEventType
    break_glass: dict[str, list[str]] = field(default_factory=dict)  # UPN -> successful sign-ins
    role_assignments: list[tuple[str, str, str]] = field(default_factory=list)  # (UPN, role, by)
    requirement: Counter[str] = field(default_factory=Counter)  # SignInLogs by requirement
    mfa_methods: Counter[str] = field(default_factory=Counter)  # fresh MFA steps by method
    sms_mfa: Counter[str] = field(default_factory=Counter)  # UPN -> sign-ins with MFA by SMS
    high_risk: Counter[str] = field(default_factory=Counter)  # UPN -> high-risk, atRisk sign-ins
    # UPN -> successful single-factor interactive sign-ins while holding an admin role
    privileged_single_factor: Counter[str] = field(default_factory=Counter)
    # (what, time): every scenario attempt (by scenario), audit event (by activity), and the
    # sign-ins behind disabled-account, high-risk, sms-mfa and privileged-single-factor
    timeline: list[tuple[str, str]] = field(default_factory=list)

    @property
    def redeemed(self) -> list[str]:
        return [i for i, v in self.invitations.items() if v.redeemed_at is not None]

    @property
    def pending(self) -> list[str]:
        return [i for i, v in self.invitations.items() if v.redeemed_at is None]

    @property
    def locked_out(self) -> list[str]:
        return sorted(self.lockouts)

    def summary(self) -> dict[str, object]:
        """A JSON-friendly digest, for printing after a run."""
        return {
            "records": dict(sorted(self.records.items())),
            "lockouts": dict(sorted(self.lockouts.items())),
            "spray_hits": self.spray_hits,
            "fatigue": [f.upn for f in self.fatigue],
            "fraud": [(f.upn, f.kind) for f in self.fraud],
            "invitations": {"redeemed": len(self.redeemed), "pending": len(self.pending)},
            "break_glass": {k: len(v) for k, v in sorted(self.break_glass.items())},
            "new_country": self.new_country,
        }
