"""Workspace directories: identity, format version and migrations, state, retention, export."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from kustodian import Workspace
from kustodian.ingest import ingest_paths, ingest_records
from kustodian.workspace import retention
from kustodian.workspace.config import ConfigError
from kustodian.workspace.export import export_tables
from kustodian.workspace.secrets import SecretError
from kustodian.workspace.workspace import FORMAT_VERSION, WorkspaceError
from tests.ingest.records import signin


def test_init_creates_a_workspace_with_an_identity(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        wid = ws.workspace_id
        uuid.UUID(wid)
        ingest_records(ws, [signin("a")])
        assert ws.query("SigninLogs | project TenantId").rows == [[wid]]
    config = json.loads((root / "workspace.json").read_text())
    assert config["workspace_id"] == wid and config["format_version"] == FORMAT_VERSION
    assert config["retention"]["default_days"] == 30
    with Workspace.open(root, create=False) as ws:
        assert ws.workspace_id == wid
        assert ws.query("SigninLogs | count").rows == [[1]]
    with pytest.raises(WorkspaceError, match="already holds a workspace"):
        Workspace.init(root)


def test_init_takes_a_given_id_and_refuses_a_bad_one(tmp_path: Path) -> None:
    wid = "7C759F10-811C-4DB8-AD6D-F07D8AE3F8EA"
    with Workspace.init(tmp_path / "a", workspace_id=wid) as ws:
        assert ws.workspace_id == wid.lower()
    with pytest.raises(ConfigError, match="not a GUID"):
        Workspace.init(tmp_path / "b", workspace_id="contoso")


def test_opening_a_missing_workspace_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="kustodian init"):
        Workspace.open(tmp_path / "nothing", create=False)


def test_a_bad_configuration_names_the_field(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.init(root).close()
    config = json.loads((root / "workspace.json").read_text())
    config["retention"]["default_days"] = 45
    (root / "workspace.json").write_text(json.dumps(config))
    with pytest.raises(WorkspaceError, match=r"retention\.default_days: 45 days"):
        Workspace.open(root)
    (root / "workspace.json").write_text("{oops")
    with pytest.raises(WorkspaceError, match="not valid JSON"):
        Workspace.open(root)


def test_a_workspace_from_a_newer_kustodian_is_refused_untouched(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.init(root).close()
    config = json.loads((root / "workspace.json").read_text())
    config["format_version"] = FORMAT_VERSION + 1
    (root / "workspace.json").write_text(json.dumps(config))
    before = (root / "kustodian.duckdb").read_bytes()
    with pytest.raises(WorkspaceError, match="newer Kustodian"):
        Workspace.open(root)
    assert (root / "kustodian.duckdb").read_bytes() == before


def test_a_format_0_workspace_is_migrated_with_its_rows(tmp_path: Path) -> None:
    """Format 0: only kustodian.duckdb, Entra tables without the standard columns."""
    root = tmp_path / "old"
    root.mkdir()
    con = duckdb.connect(str(root / "kustodian.duckdb"))
    con.execute(
        "CREATE TABLE SigninLogs (TimeGenerated TIMESTAMP_NS, UserPrincipalName VARCHAR, "
        "ResultType VARCHAR, TenantId VARCHAR, Type VARCHAR)"
    )
    con.execute(
        "INSERT INTO SigninLogs VALUES ('2024-05-01 10:00:00', 'a@contoso.com', '0', NULL, NULL), "
        "('2024-05-01 11:00:00', 'b@contoso.com', '50053', NULL, NULL)"
    )
    con.close()
    with Workspace.open(root) as ws:
        assert ws.config.format_version == FORMAT_VERSION
        rows = ws.query(
            "SigninLogs | project UserPrincipalName, ResultType, TenantId, Type, _ItemId, "
            "_TimeReceived | order by UserPrincipalName asc"
        ).rows
        assert [r[:2] for r in rows] == [["a@contoso.com", "0"], ["b@contoso.com", "50053"]]
        assert all(r[2] == ws.workspace_id and r[3] == "SigninLogs" for r in rows)
        assert len({r[4] for r in rows}) == 2 and all(r[5] for r in rows)
        # The migrated table takes new rows with every column of the current schema.
        ingest_records(ws, [signin("new")])
        assert ws.query("SigninLogs | count").rows == [[3]]
    assert json.loads((root / "workspace.json").read_text())["format_version"] == FORMAT_VERSION


def test_checkpoints_and_connectors_persist(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        ws.set_checkpoint("graph", "SigninLogs", "2024-05-01T00:00:00Z")
        ws.set_checkpoint("graph", "SigninLogs", "2024-05-02T00:00:00Z")
        ws.save_connector("graph", "graph", {"tenant_id": "t", "client_id": "c"})
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.get_checkpoint("graph", "SigninLogs") == "2024-05-02T00:00:00Z"
        assert ws.get_checkpoint("graph", "AuditLogs") is None
        assert ws.connector("graph") == ("graph", {"client_id": "c", "tenant_id": "t"})


def test_secrets_are_encrypted_at_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUSTODIAN_SECRET_KEY", raising=False)
    root = tmp_path / "ws"
    secret = "s3cr3t-Value-that-must-not-leak"
    with Workspace.open(root) as ws:
        ws.set_secret("graph.client_secret", secret)
        assert ws.get_secret("graph.client_secret") == secret
        ws.engine.con.execute("CHECKPOINT")
    for f in root.iterdir():
        assert secret.encode() not in f.read_bytes(), f
    assert (root / "secret.key").stat().st_mode & 0o777 == 0o600
    with Workspace.open(root) as ws:
        assert ws.get_secret("graph.client_secret") == secret
    (root / "secret.key").write_bytes(b"A" * 43 + b"=")
    with Workspace.open(root) as ws, pytest.raises(SecretError, match="store the secret again"):
        ws.get_secret("graph.client_secret")


def test_retention_removes_only_rows_past_it(tmp_path: Path) -> None:
    now = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)
    with Workspace.open(tmp_path / "ws") as ws:
        ingest_records(
            ws,
            [
                signin("old", time="2024-05-01T00:00:00Z"),
                signin("edge", time="2024-06-01T00:00:00Z"),  # exactly 30 days: kept
                signin("new", time="2024-06-30T00:00:00Z"),
                signin(
                    "ni-old", time="2024-05-01T00:00:00Z", category="NonInteractiveUserSignInLogs"
                ),
            ],
        )
        assert retention.apply(ws, now, dry_run=True) == {
            "AADNonInteractiveUserSignInLogs": 1,
            "SigninLogs": 1,
        }
        assert ws.query("SigninLogs | count").rows == [[3]]
        retention.set_table_days(ws, "AADNonInteractiveUserSignInLogs", 90)
        assert retention.apply(ws, now) == {"SigninLogs": 1}
        assert ws.query("SigninLogs | order by Id asc | project Id").rows == [["edge"], ["new"]]
        assert ws.query("AADNonInteractiveUserSignInLogs | count").rows == [[1]]
        with pytest.raises(ConfigError, match="outside 4 to 730"):
            retention.set_table_days(ws, "SigninLogs", 731)
        with pytest.raises(ConfigError, match="not a Log Analytics value"):
            retention.set_workspace_days(ws, 100)
        retention.set_workspace_days(ws, 730)
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.config.retention_days == 730
        assert ws.config.table_retention == {"AADNonInteractiveUserSignInLogs": 90}


def test_export_to_csv_ingests_back_to_the_same_rows(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "a") as a:
        ingest_records(a, [signin("x", result="50126"), signin("y", brandNew="kept")])
        written = export_tables(a, ["SigninLogs"], tmp_path / "out", "csv")
        assert [(p.name, n) for p, n in written] == [("SigninLogs.csv", 2)]
        export_tables(a, None, tmp_path / "pq", "parquet")
        assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == ["SigninLogs.parquet"]
        expected = a.query("SigninLogs | project-away _TimeReceived | order by Id asc").rows
    with Workspace.open(tmp_path / "b") as b:
        s = ingest_paths(b, [str(tmp_path / "out" / "SigninLogs.csv")])
        assert (s.ingested, s.rejected) == (2, 0)
        got = b.query("SigninLogs | project-away _TimeReceived | order by Id asc").rows
    tenant = 0  # TenantId is the receiving workspace's id; everything else is identical
    names = [n for n, _ in b.catalog.tables["SigninLogs"].columns if n != "_TimeReceived"]
    tenant = names.index("TenantId")
    for e, g in zip(expected, got, strict=True):
        e[tenant] = g[tenant] = None
        assert e == g


def test_retention_runs_on_a_schedule_once_a_day(tmp_path: Path) -> None:
    from datetime import timedelta

    day0 = datetime(2024, 7, 1, tzinfo=UTC)
    with Workspace.open(tmp_path / "ws") as ws:
        ingest_records(ws, [signin("old", time="2024-05-01T00:00:00Z"), signin("new")])
        assert retention.apply_if_due(ws, day0) == {"SigninLogs": 1}
        ingest_records(ws, [signin("old2", time="2024-05-02T00:00:00Z")])
        assert retention.apply_if_due(ws, day0 + timedelta(hours=23)) is None
    with Workspace.open(tmp_path / "ws") as ws:  # the last run survives a restart
        assert retention.apply_if_due(ws, day0 + timedelta(hours=23, minutes=59)) is None
        assert retention.apply_if_due(ws, day0 + timedelta(hours=24)) == {"SigninLogs": 1}
