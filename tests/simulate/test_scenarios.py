"""Each scenario of the demo tenant, pinned with exact counts on the small run
(3 days, 30 users, seed 7, ending 2024-05-01), and checked against the ground truth."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.simulate.conftest import Run

TRUSTED = {"203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.40", "203.0.113.41"}


def props(records: list[dict[str, Any]], key: str) -> list[Any]:
    return [r["properties"][key] for r in records]


def details(r: dict[str, Any]) -> str:
    return str(r["properties"]["status"].get("additionalDetails", ""))


# --- the directory ------------------------------------------------------------------------------


def test_the_tenant(small: Run) -> None:
    t = small.sim.tenant
    assert dict(Counter(u.kind for u in t.users)) == {
        "breakglass": 2,
        "service": 1,
        "admin": 3,
        "disabled": 1,
        "guest": 5,
        "member": 21,
        "new": 2,
        "hire": 1,
    }
    assert sum(not u.created_in_run for u in t.users) == 30
    assert t.break_glass == ("breakglass1@contoso.com", "breakglass2@contoso.com")
    assert {u.role for u in t.admins} == {
        "Global Administrator",
        "Security Administrator",
        "User Administrator",
    }
    assert all(u.upn.endswith("#EXT#@contoso.onmicrosoft.com") for u in t.guests)
    assert [loc.name for loc in t.named_locations if loc.trusted] == [
        "Contoso HQ",
        "Contoso London",
    ]
    assert t.trusted_ips == TRUSTED
    assert t.number_matching


def test_members_guests_and_admins_sign_in(small: Run) -> None:
    kinds = {u.upn: u.kind for u in small.sim.tenant.users}
    ok = [r for r in small.signins() if r["resultType"] == "0"]
    got = Counter(kinds[r["properties"]["userPrincipalName"]] for r in ok)
    assert {"member", "admin", "guest", "breakglass", "service", "hire"} <= set(got)
    guests = [r for r in small.records if r["properties"].get("userType") == "Guest"]
    assert len(guests) == 9
    assert {r["properties"]["crossTenantAccessType"] for r in guests} == {"b2bCollaboration"}
    assert all(r["properties"]["homeTenantId"] != small.sim.tenant.tenant_id for r in guests)


def test_apps_countries_and_networks(small: Run) -> None:
    signins = small.signins()
    assert len({r["properties"]["appDisplayName"] for r in signins}) == 13
    assert dict(Counter(r["location"] for r in signins)) == {
        "US": 173, "RO": 54, "DE": 39, "GB": 36, "SG": 35, "NG": 24, "RU": 3, "JP": 1, "NL": 1,
    }  # fmt: skip
    asns = {
        r["properties"]["autonomousSystemNumber"]
        for r in small.records
        if "autonomousSystemNumber" in r["properties"]
    }
    assert len(asns) == 18
    assert len({r["properties"]["ipAddress"] for r in signins}) == 41


def test_workload_sign_ins(small: Run) -> None:
    got = Counter(
        (r["category"], r["properties"]["servicePrincipalName"], r["resultType"])
        for r in small.records
        if r["category"] in ("ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs")
    )
    assert dict(got) == {
        ("ServicePrincipalSignInLogs", "Contoso Backup Automation", "0"): 72,
        ("ServicePrincipalSignInLogs", "Contoso Backup Automation", "7000215"): 1,
        ("ServicePrincipalSignInLogs", "Contoso CI/CD Pipeline", "0"): 12,
        ("ManagedIdentitySignInLogs", "contoso-func-invoices", "0"): 36,
        ("ManagedIdentitySignInLogs", "contoso-vm-build01", "0"): 12,
    }


# --- MFA and Conditional Access -----------------------------------------------------------------


def test_single_and_multi_factor(small: Run) -> None:
    signins = small.signins()
    assert dict(Counter(props(signins, "authenticationRequirement"))) == {
        "singleFactorAuthentication": 219,
        "multiFactorAuthentication": 147,
    }
    ok = [r for r in signins if r["resultType"] == "0"]
    assert dict(Counter(props(ok, "authenticationRequirement"))) == {
        "multiFactorAuthentication": 115,
        "singleFactorAuthentication": 61,
    }
    # at the office (a trusted location) members need no MFA; at home they do
    office = [r for r in ok if r["properties"]["ipAddress"] in TRUSTED]
    assert {
        r["properties"]["authenticationRequirement"]
        for r in office
        if r["properties"]["userPrincipalName"].startswith(("breakglass", "scanner"))
    } == {"singleFactorAuthentication"}


def test_mfa_methods(small: Run) -> None:
    steps = Counter(
        (s["authenticationMethod"], s["succeeded"])
        for r in small.signins()
        for s in r["properties"]["authenticationDetails"]
        if s["authenticationStepRequirement"] == "Multi-factor authentication"
    )
    assert dict(steps) == {
        ("Previously satisfied", True): 69,
        ("Mobile app notification", True): 27,
        ("Mobile app notification", False): 11,
        ("Text message", True): 5,
        ("Phone call", True): 2,
        ("Phone call", False): 1,
    }
    fido = [
        r
        for r in small.signins()
        if r["properties"]["authenticationDetails"]
        and r["properties"]["authenticationDetails"][0]["authenticationMethod"]
        == "FIDO2 security key"
    ]
    assert len(fido) == 13
    assert dict(small.sim.truth.mfa_methods) == {
        "Mobile app notification": 27,
        "FIDO2 security key": 13,
        "Text message": 5,
        "Phone call": 2,
    }
    sms = next(
        r
        for r in small.signins()
        if r["properties"]["mfaDetail"].get("authMethod") == "Text message"
    )
    assert sms["properties"]["mfaDetail"]["authDetail"].startswith("+")


def test_conditional_access_results(small: Run) -> None:
    signins = small.signins()
    assert dict(Counter(props(signins, "conditionalAccessStatus"))) == {
        "notApplied": 212,
        "success": 115,
        "failure": 39,
    }
    results = Counter(
        (p["displayName"][:5], p["result"])
        for r in signins
        for p in r["properties"]["appliedConditionalAccessPolicies"]
    )
    assert results[("CA002", "failure")] == 7  # legacy authentication blocked
    assert results[("CA005", "reportOnlySuccess")] + results[("CA005", "reportOnlyFailure")] > 0
    assert results[("CA006", "notEnabled")] == 176 + 15 + 17 + 7
    blocked = [r for r in signins if r["resultType"] == "53003"]
    assert {r["properties"]["conditionalAccessStatus"] for r in blocked} == {"failure"}


# --- break-glass ---------------------------------------------------------------------------------


def test_break_glass_accounts_sign_in_rarely(small: Run) -> None:
    bg = small.sim.tenant.break_glass
    rows = [r for r in small.signins() if r["properties"]["userPrincipalName"] in bg]
    assert [(r["properties"]["userPrincipalName"], r["resultType"]) for r in rows] == [
        ("breakglass1@contoso.com", "0"),
        ("breakglass2@contoso.com", "0"),
    ]
    first = [
        s["authenticationMethod"]
        for r in rows
        for s in r["properties"]["authenticationDetails"][:1]
    ]
    assert first == ["FIDO2 security key", "Password"]
    # excluded from Conditional Access, from the HQ network, to the Azure portal
    assert set(props(rows, "conditionalAccessStatus")) == {"notApplied"}
    assert set(props(rows, "appDisplayName")) == {"Azure Portal"}
    assert all(ip in TRUSTED for ip in props(rows, "ipAddress"))
    assert {k: len(v) for k, v in small.sim.truth.break_glass.items()} == {u: 1 for u in bg}


# --- Smart Lockout ---------------------------------------------------------------------------------


def test_smart_lockout_from_abroad(small: Run) -> None:
    truth = small.sim.truth
    (victim,) = truth.lockout_victims
    assert victim == "christie.carter@contoso.com"
    rows = small.signins(victim)
    by_ip = Counter((r["properties"]["ipAddress"], r["resultType"]) for r in rows)
    assert dict(by_ip) == {
        ("192.0.2.241", "50126"): 7,  # + 3 from the spray: the unfamiliar counter reaches 10
        ("192.0.2.241", "50053"): 23,
        ("192.0.2.75", "50126"): 3,  # the spray, earlier
        ("108.28.180.126", "0"): 5,  # the owner at home: the familiar counter, untouched
        ("108.28.180.126", "50074"): 1,
        ("203.0.113.10", "0"): 3,  # and at the office
    }
    attacker = [r["resultType"] for r in rows if r["properties"]["ipAddress"] == "192.0.2.241"]
    assert attacker == ["50126"] * 7 + ["50053"] * 23
    locked = [r for r in rows if r["resultType"] == "50053"]
    assert {r["resultDescription"] for r in locked} == {
        "The account is locked, you've tried to sign in too many times with an incorrect user ID or password."
    }
    assert truth.lockouts[victim] == 23


def test_repeated_wrong_passwords_count_once(small: Run) -> None:
    (u,) = small.sim.truth.forgetful
    assert u == "christie.sanchez@contoso.com"
    assert small.sim.truth.lockouts[u] == 0  # twelve failures, three distinct: no lockout
    reset = small.audits("Reset password (self-service)")
    assert [r["properties"]["targetResources"][0]["userPrincipalName"] for r in reset] == [u]
    assert reset[0]["properties"]["loggedByService"] == "Self-service Password Management"
    after = [r["resultType"] for r in small.signins(u) if r["time"] > reset[0]["time"]]
    assert after[0] == "0"


def test_lockouts_overall(small: Run) -> None:
    truth = small.sim.truth
    assert dict(truth.lockouts) == {
        "christie.carter@contoso.com": 23,
        "liam.baker@contoso.com": 4,
        "grace.andersen@contoso.com": 4,
    }
    assert sum(truth.bad_passwords.values()) == 107
    assert sum(r["resultType"] == "50053" for r in small.signins()) == 31


# --- password attacks ------------------------------------------------------------------------------


def test_brute_force_against_accounts_that_never_signed_in(small: Run) -> None:
    truth = small.sim.truth
    assert truth.brute_force_targets == ["liam.baker@contoso.com", "grace.andersen@contoso.com"]
    assert truth.brute_force_ips == ["192.0.2.125"]
    for upn in truth.brute_force_targets:
        rows = [
            r
            for r in small.records
            if r["properties"].get("userPrincipalName") == upn and "SignIn" in r["category"]
        ]
        assert [r["resultType"] for r in rows] == ["50126"] * 10 + ["50053"] * 4
        assert {r["properties"]["ipAddress"] for r in rows} == {"192.0.2.125"}
    created = [
        r["properties"]["targetResources"][0]["userPrincipalName"] for r in small.audits("Add user")
    ]
    assert set(truth.brute_force_targets) <= set(created)
    from_ip = Counter(
        (r["properties"]["userPrincipalName"], r["resultType"])
        for r in small.signins(ipAddress="192.0.2.125")
    )
    assert from_ip[("admin@contoso.com", "50034")] == 3  # no such account
    assert from_ip[("carlos.brown@contoso.com", "50057")] == 2  # the disabled account


def test_password_spray(small: Run) -> None:
    truth = small.sim.truth
    assert truth.spray_ips == ["192.0.2.75", "198.51.100.247", "198.51.100.149"]
    assert len(truth.spray_targets) == 24
    rows = [r for r in small.signins() if r["properties"]["ipAddress"] in truth.spray_ips]
    assert dict(Counter((r["properties"]["clientAppUsed"], r["resultType"]) for r in rows)) == {
        ("Browser", "50126"): 24,
        ("IMAP4", "50126"): 23,
        ("IMAP4", "53003"): 1,  # the password was right; legacy auth is blocked
        ("Other clients", "50126"): 21,
        ("Other clients", "50057"): 3,
    }
    # many users per address, few attempts per user: no lockout from the spray
    assert all(
        len(
            {
                r["properties"]["userPrincipalName"]
                for r in rows
                if r["properties"]["ipAddress"] == ip
            }
        )
        == 8
        for ip in truth.spray_ips
    )
    assert not any(r["resultType"] == "50053" for r in rows)
    assert truth.spray_hits == ["priya.abbott@contoso.com"]
    hit = next(r for r in rows if r["resultType"] == "53003")
    assert hit["properties"]["userPrincipalName"] == "priya.abbott@contoso.com"
    assert hit["properties"]["riskLevelDuringSignIn"] == "high"
    assert hit["properties"]["userAgent"] == "BAV2ROPC"


# --- MFA fatigue and fraud -------------------------------------------------------------------------


def test_mfa_fatigue(small: Run) -> None:
    (f,) = small.sim.truth.fatigue
    assert (f.upn, f.ip, f.denied) == ("omar.suzuki@contoso.com", "198.51.100.4", 10)
    rows = small.signins(f.upn, ipAddress=f.ip)
    assert [r["resultType"] for r in rows] == ["500121"] * 10 + ["0"]
    assert Counter(details(r) for r in rows[:-1]) == {
        "MFA denied; user declined the authentication": 8,
        "MFA denied; user did not respond to mobile app notification": 1,
        "MFA denied; user did not select the correct number": 1,  # number matching
    }
    approved = rows[-1]["properties"]
    assert approved["authenticationRequirement"] == "multiFactorAuthentication"
    assert approved["riskLevelDuringSignIn"] == "medium"
    assert rows[-1]["time"] == f.approved_at
    # then: the attacker registers its own Authenticator, the SOC resets the password, and the
    # stolen refresh tokens stop working
    registered = [s for s in small.sim.truth.security_info if s.upn == f.upn]
    assert [(s.ip, s.trusted) for s in registered] == [(f.ip, False)]
    refresh = [
        r["resultType"]
        for r in small.of("NonInteractiveUserSignInLogs")
        if r["properties"]["ipAddress"] == f.ip
    ]
    assert Counter(refresh) == {"0": 5, "50173": 5}
    assert refresh.index("50173") == 5  # all failures come after the reset


def test_fraud_reports(small: Run) -> None:
    truth = small.sim.truth
    assert [(f.upn, f.kind) for f in truth.fraud] == [
        ("jana.olsen@contoso.com", "fraud code"),
        ("tomas.walker@contoso.com", "app report"),
    ]
    denied = Counter(details(r) for r in small.signins() if r["resultType"] == "500121")
    assert dict(denied) == {
        "MFA denied; user declined the authentication": 8,
        "MFA denied; user is blocked": 3,
        "MFA denied; Fraud Code Entered": 1,
        "MFA denied; user did not respond to mobile app notification": 1,
        "MFA denied; user did not select the correct number": 1,
        "MFA denied; Phone App Reported Fraud": 1,
    }
    fraud = next(r for r in small.signins() if details(r) == "MFA denied; Fraud Code Entered")
    assert fraud["properties"]["authenticationDetails"][-1]["authenticationMethod"] == "Phone call"
    (audit,) = small.audits("Fraud reported - user is blocked for MFA")
    assert audit["properties"]["category"] == "UserManagement"
    assert (
        audit["properties"]["targetResources"][0]["userPrincipalName"] == "jana.olsen@contoso.com"
    )
    assert audit["time"] > fraud["time"]
    # afterwards MFA is blocked for the user: the attacker's retries and the user's own prompt
    blocked = [
        r
        for r in small.signins("jana.olsen@contoso.com")
        if details(r) == "MFA denied; user is blocked"
    ]
    assert len(blocked) == 3
    reported = [
        r
        for r in small.of("UserRiskEvents")
        if r["properties"]["riskEventType"] == "userReportedSuspiciousActivity"
    ]
    assert [r["properties"]["userPrincipalName"] for r in reported] == ["tomas.walker@contoso.com"]


# --- guests -----------------------------------------------------------------------------------------


def test_guest_invitations(small: Run) -> None:
    truth = small.sim.truth
    invites = small.audits("Invite external user")
    redeems = small.audits("Redeem external user invite")
    assert (len(invites), len(redeems)) == (3, 2)
    assert (len(truth.redeemed), len(truth.pending)) == (2, 1)
    for r in invites:
        p = r["properties"]
        assert (p["category"], p["loggedByService"], p["result"]) == (
            "UserManagement",
            "Invited Users",
            "success",
        )
        first = p["additionalDetails"][0]
        assert first["key"] == "invitationId"
        inv = truth.invitations[first["value"]]
        assert p["initiatedBy"]["user"]["userPrincipalName"] == inv.inviter
        assert p["targetResources"][0]["userPrincipalName"] == inv.guest_upn
    for r in redeems:
        text = r["properties"]["targetResources"][0]["displayName"]
        upn, email, inv, flags = (part.split(": ", 1)[1] for part in text.split(", "))
        assert truth.invitations[inv].redeemed_at == r["time"]
        assert (upn, email) == (truth.invitations[inv].guest_upn, truth.invitations[inv].email)
        assert flags.isdigit()
        assert r["properties"]["targetResources"][0]["userPrincipalName"] == text
    assert [i.inviter for i in truth.invitations.values()] == [
        "jakob.andersen@contoso.com",
        "hannah.zhang@contoso.com",
        "allan.ahmed@contoso.com",
    ]
    # redeemed guests sign in; the pending one never does
    signed_in = {
        r["properties"]["userPrincipalName"]
        for r in small.records
        if r["properties"].get("userType") == "Guest"
    }
    for inv in truth.invitations.values():
        assert (inv.guest_upn in signed_in) is (inv.redeemed_at is not None)


# --- security info --------------------------------------------------------------------------------


def test_security_info_registration(small: Run) -> None:
    got = [(s.upn, s.activity, s.trusted) for s in small.sim.truth.security_info]
    assert got == [
        ("hana.young@contoso.com", "User registered security info", False),  # new phone, at home
        ("omar.suzuki@contoso.com", "User registered security info", False),  # the attacker
        ("kai.thompson@contoso.com", "User registered security info", True),  # new hire, office
        ("kai.thompson@contoso.com", "User registered all required security info", True),
    ]
    for r in small.audits("User registered security info"):
        assert r["properties"]["loggedByService"] == "Authentication Methods"
        assert r["properties"]["category"] == "UserManagement"
    hire = small.signins("kai.thompson@contoso.com")
    assert [r["resultType"] for r in hire][:2] == ["50072", "0"]


# --- accounts that are disabled -------------------------------------------------------------------


def test_disabled_account_attempts(small: Run) -> None:
    truth = small.sim.truth
    assert dict(truth.disabled_attempts) == {
        "carlos.brown@contoso.com": 16,
        "debra.berg@contoso.com": 9,
    }
    assert truth.disabled_in_run == ["debra.berg@contoso.com"]
    (disable,) = small.audits("Disable account")
    assert (
        disable["properties"]["targetResources"][0]["userPrincipalName"] == "debra.berg@contoso.com"
    )
    debra = [
        r
        for r in small.records
        if r["properties"].get("userPrincipalName") == "debra.berg@contoso.com"
        and "SignIn" in r["category"]
    ]
    assert all(r["resultType"] == "50057" for r in debra if r["time"] > disable["time"])
    assert not any(r["resultType"] == "50057" for r in debra if r["time"] < disable["time"])


# --- legacy authentication, new countries, risk ----------------------------------------------------


def test_legacy_authentication(small: Run) -> None:
    assert dict(small.sim.truth.legacy) == {
        "IMAP4": 24,
        "Other clients": 24,
        "Authenticated SMTP": 9,
        "Exchange ActiveSync": 6,
    }
    smtp = small.signins(clientAppUsed="Authenticated SMTP")
    assert {r["properties"]["userPrincipalName"] for r in smtp} == {"scanner@contoso.com"}
    assert {r["resultType"] for r in smtp} == {"0"}  # excluded from the legacy block
    eas = small.signins(clientAppUsed="Exchange ActiveSync")
    assert {r["resultType"] for r in eas} == {"53003"}


def test_sign_ins_from_a_new_country(small: Run) -> None:
    got = [(u, c) for u, c, _ in small.sim.truth.new_country]
    assert got == [
        ("omar.berg@contoso.com", "JP"),  # a trip
        ("omar.suzuki@contoso.com", "SG"),  # the MFA-fatigue attacker
        ("nina.cohen@contoso.com", "DE"),  # a Tor exit node
    ]


def test_risky_sign_ins_and_users(small: Run) -> None:
    risky = Counter(
        (p["riskLevelDuringSignIn"], p["riskState"], tuple(p["riskEventTypes_v2"]))
        for p in (r["properties"] for r in small.signins())
        if p["riskLevelDuringSignIn"] != "none"
    )
    assert dict(risky) == {
        ("medium", "atRisk", ("unfamiliarFeatures",)): 11,
        ("high", "atRisk", ("passwordSpray",)): 1,
        ("low", "atRisk", ("unfamiliarFeatures",)): 1,
        ("medium", "remediated", ("anonymizedIPAddress",)): 1,
    }
    users = [
        (
            r["properties"]["userPrincipalName"],
            r["properties"]["riskLevel"],
            r["properties"]["riskState"],
        )
        for r in small.of("RiskyUsers")
    ]
    assert users == [
        ("sara.chen@contoso.com", "high", "atRisk"),
        ("sara.chen@contoso.com", "none", "remediated"),
        ("priya.abbott@contoso.com", "high", "atRisk"),
        ("omar.suzuki@contoso.com", "medium", "atRisk"),
        ("omar.suzuki@contoso.com", "none", "remediated"),
        ("tomas.walker@contoso.com", "high", "atRisk"),
    ]
    assert dict(small.sim.truth.risk_events) == {
        "leakedCredentials": 1,
        "passwordSpray": 1,
        "unfamiliarFeatures": 2,
        "userReportedSuspiciousActivity": 1,
        "anonymizedIPAddress": 1,
    }


# --- ordinary audit events --------------------------------------------------------------------------


def test_audit_activities(small: Run) -> None:
    got = Counter(r["operationName"] for r in small.of("AuditLogs"))
    assert dict(got) == {
        "Add user": 6,
        "Update user": 3,
        "Invite external user": 3,
        "User registered security info": 3,
        "Add member to group": 3,
        "Redeem external user invite": 2,
        "Reset user password": 2,
        "Fraud reported - user is blocked for MFA": 1,
        "Consent to application": 1,
        "Add delegated permission grant": 1,
        "User deleted security info": 1,
        "Disable account": 1,
        "Change password (self-service)": 1,
        "Reset password (self-service)": 1,
        "Remove member from group": 1,
        "User registered all required security info": 1,
        "Add member to role": 1,
    }
    for r in small.of("AuditLogs"):
        p = r["properties"]
        assert p["activityDisplayName"] == r["operationName"]
        assert p["operationType"] in ("Add", "Update", "Delete", "Assign")
        assert r["Level"] == "Informational"
    assert small.sim.truth.role_assignments == [
        ("jana.lopez@contoso.com", "Global Administrator", "hannah.zhang@contoso.com")
    ]
    (role,) = small.audits("Add member to role")
    assert role["properties"]["category"] == "RoleManagement"
    assert role["properties"]["targetResources"][1]["displayName"] == "Global Administrator"
