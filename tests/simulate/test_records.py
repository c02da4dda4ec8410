"""The run as a whole: determinism, the diagnostic-settings envelope, time order, volumes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kustodian.kql.catalog import entra_tables
from kustodian.simulate import Simulation, build_tenant, simulate
from kustodian.simulate.records import CATEGORIES
from tests.simulate.conftest import DAYS, END, SEED, USERS, Run

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def digest(records: list[dict[str, object]]) -> str:
    h = hashlib.sha256()
    for r in records:
        h.update(json.dumps(r).encode())
    return h.hexdigest()


def test_same_arguments_give_identical_records(small: Run) -> None:
    again = list(simulate(DAYS, USERS, SEED, END))
    assert again == small.records
    assert digest(again) == digest(small.records)


def test_identical_across_processes_and_hash_seeds(small: Run) -> None:
    # set iteration order depends on PYTHONHASHSEED; nothing in the output may
    code = (
        "import hashlib, json, sys\n"
        "from datetime import UTC, datetime\n"
        "from kustodian.simulate import simulate\n"
        "h = hashlib.sha256()\n"
        f"for r in simulate({DAYS}, {USERS}, {SEED}, datetime(2024, 5, 1, tzinfo=UTC)):\n"
        "    h.update(json.dumps(r).encode())\n"
        "print(h.hexdigest())\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == digest(small.records)


def test_a_different_seed_gives_different_records(small: Run) -> None:
    other = list(simulate(DAYS, USERS, SEED + 1, END))
    assert digest(other) != digest(small.records)
    assert build_tenant(USERS, SEED).tenant_id != build_tenant(USERS, SEED + 1).tenant_id


def test_the_tenant_depends_only_on_users_and_seed(small: Run) -> None:
    t = build_tenant(USERS, SEED)
    assert [u.upn for u in t.users] == [u.upn for u in small.sim.tenant.users]
    assert t.tenant_id == small.sim.tenant.tenant_id


def test_records_are_in_time_order_inside_the_window(small: Run) -> None:
    times = [r["time"] for r in small.records]
    assert times == sorted(times)
    assert times[0] >= "2024-04-28T00:00:00" and times[-1] < "2024-05-01T00:00:00"


def test_the_envelope_of_every_record(small: Run) -> None:
    tid = small.sim.tenant.tenant_id
    keys = [
        "time", "resourceId", "operationName", "operationVersion", "category", "tenantId",
        "resultType", "resultSignature", "resultDescription", "durationMs", "callerIpAddress",
        "correlationId", "identity", "Level", "location", "properties",
    ]  # fmt: skip
    for r in small.records:
        assert list(r) == keys
        assert TIME.match(r["time"]), r["time"]
        assert r["resourceId"] == f"/tenants/{tid}/providers/Microsoft.aadiam"
        assert r["tenantId"] == tid
        assert r["operationVersion"] == "1.0"
        assert r["category"] in CATEGORIES
        assert isinstance(r["resultType"], str)
        assert isinstance(r["properties"], dict)


def test_sign_in_records(small: Run) -> None:
    for r in small.of("SignInLogs") + small.of("NonInteractiveUserSignInLogs"):
        p = r["properties"]
        assert r["operationName"] == "Sign-in activity"
        assert r["resultType"] == str(p["status"]["errorCode"])
        assert r["resultDescription"] == p["status"].get("failureReason", "")
        assert r["correlationId"] == p["correlationId"]
        assert r["callerIpAddress"] == p["ipAddress"]
        assert r["Level"] == 4
        assert r["location"] == p["location"]["countryOrRegion"]
        assert p["createdDateTime"] == r["time"][:-1] + "+00:00"
        assert p["isInteractive"] is (r["category"] == "SignInLogs")
        assert GUID.match(p["id"]) and p["id"] == p["originalRequestId"]
        assert p["authenticationRequirement"] in (
            "singleFactorAuthentication",
            "multiFactorAuthentication",
        )
        assert p["conditionalAccessStatus"] in ("success", "failure", "notApplied")
        assert isinstance(p["autonomousSystemNumber"], int)


def test_ids_are_unique(small: Run) -> None:
    # AADRiskyUsers' Id is the user's object id: one user's risk updates share it
    ids = [r["properties"]["id"] for r in small.records if r["category"] != "RiskyUsers"]
    assert len(ids) == len(set(ids))


def test_volumes_by_category(small: Run) -> None:
    assert dict(Counter(r["category"] for r in small.records)) == {
        "AuditLogs": 32,
        "ManagedIdentitySignInLogs": 48,
        "NonInteractiveUserSignInLogs": 1174,
        "RiskyUsers": 6,
        "ServicePrincipalSignInLogs": 85,
        "SignInLogs": 366,
        "UserRiskEvents": 6,
    }
    assert dict(small.sim.truth.records) == dict(Counter(r["category"] for r in small.records))


def test_non_interactive_sign_ins_outnumber_interactive_ones(small: Run) -> None:
    assert len(small.of("NonInteractiveUserSignInLogs")) > 3 * len(small.of("SignInLogs"))


def test_results_by_category(small: Run) -> None:
    got = Counter((r["category"], r["resultType"]) for r in small.records)
    assert got == small.sim.truth.results
    assert dict(got) == {
        ("AuditLogs", "Success"): 32,
        ("ManagedIdentitySignInLogs", "0"): 48,
        ("NonInteractiveUserSignInLogs", "0"): 1152,
        ("NonInteractiveUserSignInLogs", "50057"): 16,
        ("NonInteractiveUserSignInLogs", "50173"): 6,
        ("RiskyUsers", ""): 6,
        ("ServicePrincipalSignInLogs", "0"): 84,
        ("ServicePrincipalSignInLogs", "7000215"): 1,
        ("SignInLogs", "0"): 176,
        ("SignInLogs", "500121"): 15,
        ("SignInLogs", "50034"): 3,
        ("SignInLogs", "50053"): 31,
        ("SignInLogs", "50057"): 9,
        ("SignInLogs", "50072"): 1,
        ("SignInLogs", "50074"): 17,
        ("SignInLogs", "50126"): 107,
        ("SignInLogs", "53003"): 7,
        ("UserRiskEvents", ""): 6,
    }


def test_properties_name_the_log_analytics_columns(small: Run) -> None:
    """Every SigninLogs column the records can fill has its camelCase property (spec 3.3)."""
    renamed = {
        "LocationDetails": "location",
        "ConditionalAccessPolicies": "appliedConditionalAccessPolicies",
        "Status": "status",
        "ResourceIdentity": "resourceId",
        "RiskEventTypes_V2": "riskEventTypes_v2",
        "IPAddress": "ipAddress",
        "IPAddressFromResourceProvider": "ipAddressFromResourceProvider",
    }
    envelope = {
        "TimeGenerated", "OperationName", "Category", "ResultType", "ResultDescription",
        "ResultSignature", "DurationMs", "Identity", "Level", "Location", "AADTenantId",
        "ResourceId", "TenantId", "Type", "SourceSystem", "Resource", "ResourceGroup",
        "ResourceProvider", "_BilledSize", "_IsBillable", "OperationVersion",
    }  # fmt: skip
    missing_ok = {"RiskLevel"}  # no Graph property carries it
    props = small.signins()[0]["properties"]
    table = next(t for t in entra_tables() if t.name == "SigninLogs")
    for column in table.column_names():
        if column in envelope or column in missing_ok or column.startswith("_"):
            continue
        name = renamed.get(column) or column[0].lower() + column[1:]
        assert name in props, column


def test_thirty_days_of_a_small_tenant() -> None:
    sim = Simulation(30, 20, 3, END)
    records = list(sim.records())
    truth = sim.truth
    # break-glass accounts sign in rarely, but at least once in a 30-day run
    assert {k: len(v) for k, v in truth.break_glass.items()} == {
        "breakglass1@contoso.com": 2,
        "breakglass2@contoso.com": 2,
    }
    assert len(records) == sum(truth.records.values())
    assert truth.records["NonInteractiveUserSignInLogs"] > 3 * truth.records["SignInLogs"]


def test_fewer_than_twenty_users_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least 20"):
        Simulation(3, 5, 1)
    with pytest.raises(ValueError, match="days"):
        Simulation(0, 30, 1)


def test_default_end_is_fixed_not_the_clock() -> None:
    assert Simulation(1, 20, 1).end_dt == datetime(2024, 5, 1, tzinfo=UTC)
    naive = Simulation(1, 20, 1, datetime(2024, 5, 1))
    assert naive.end_dt == datetime(2024, 5, 1, tzinfo=UTC)
    assert Simulation(1, 20, 1, "2024-05-01T00:00:00Z").end == naive.end
