"""`kustodian queries` (saved queries as content) and `kustodian named-locations` through the
real command line, over a simulated workspace."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.alerts import get_rule
from kustodian.alerts.queries import get_saved_query, saved_queries
from kustodian.cli.main import main
from kustodian.ingest import ingest_records
from kustodian.simulate import Simulation

END = "2024-05-01T00:00:00Z"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("content") / "ws"
    with Workspace.init(path) as ws:
        ingest_records(ws, Simulation(days=2, users=25, seed=3, end=END).records())
    return path


def test_every_saved_query_has_a_title_and_compiles(workspace: Path) -> None:
    queries = saved_queries()
    assert {"mfa-trend", "guest-invitations", "smart-lockouts", "sms-mfa-users"} <= set(queries)
    with Workspace.open(workspace, create=False) as ws:
        for q in queries.values():
            assert q.title and q.description and not q.query.startswith("//")
            result = ws.query(q.query, now=datetime.fromisoformat(END))
            assert result.columns, q.name
    with pytest.raises(LookupError, match=r"no saved query named 'nope' \(saved queries: "):
        get_saved_query("nope")


def test_queries_list_show_run(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queries", "list"]) == 0
    listing = capsys.readouterr().out
    assert "mfa-trend" in listing and "MFA vs single-factor sign-ins" in listing
    assert main(["queries", "show", "mfa-trend"]) == 0
    assert 'countif(AuthenticationRequirement == "singleFactorAuthentication")' in (
        capsys.readouterr().out
    )
    ws = str(workspace)
    args = ["queries", "run", "guest-invitations", "--workspace", ws, "--format", "json"]
    assert main([*args, "--now", END]) == 0
    doc = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in doc["tables"][0]["columns"]]
    assert names[:4] == ["TimeGenerated", "InvitedBy", "Guest", "Redeemed"]
    redeemed = [r[3] for r in doc["tables"][0]["rows"]]
    assert True in redeemed and False in redeemed  # two in three guests redeem
    assert main(["queries", "run", "nope"]) == 2
    assert "no saved query named 'nope'" in capsys.readouterr().err


def test_named_locations_cli_updates_the_detection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws_path = tmp_path / "ws"
    Workspace.init(ws_path).close()
    ws = ["--workspace", str(ws_path)]
    assert main(["detections", "enable", "security-info-untrusted-location", *ws]) == 0
    assert main(["named-locations", "set", "HQ", "203.0.113.10/31", "203.0.113.12", *ws]) == 0
    out = capsys.readouterr().out
    assert "named location 'HQ': 203.0.113.10/31, 203.0.113.12/32" in out
    assert "updated builtin-security-info-untrusted-location" in out
    assert main(["named-locations", "set", "Cafe", "198.51.100.0/24", "--untrusted", *ws]) == 0
    capsys.readouterr()
    assert main(["named-locations", "list", *ws]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{'Cafe':24} {'untrusted':9} 198.51.100.0/24",
        f"{'HQ':24} {'trusted':9} 203.0.113.10/31, 203.0.113.12/32",
    ]
    with Workspace.open(ws_path, create=False) as w:
        rule = get_rule(w, "builtin-security-info-untrusted-location")
        assert rule is not None and '"203.0.113.10/31", "203.0.113.12/32"' in rule.query
        assert "198.51.100.0/24" not in rule.query
    assert main(["named-locations", "set", "HQ", "not-an-ip", *ws]) == 2
    assert "'not-an-ip' is not an IPv4 range" in capsys.readouterr().err
    assert main(["named-locations", "remove", "HQ", *ws]) == 0
    assert main(["named-locations", "remove", "HQ", *ws]) == 2
    assert "no named location 'HQ' (named locations: Cafe)" in capsys.readouterr().err
