"""The storage-account connector against a real blob service (Azurite, see conftest.py)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kustodian.cli.main import main
from kustodian.connectors import storage
from kustodian.connectors.storage import (
    BlobRef,
    BlobState,
    StorageError,
    StorageSettings,
    connect,
    listing_prefixes,
    plan_read,
    pull,
    status,
)
from kustodian.workspace.workspace import Workspace
from tests.connectors.conftest import ACCOUNT, ACCOUNT_KEY, API_VERSION, Azurite
from tests.connectors.records import TENANT, audit, hour_path, in_hour, lines, signin

NOW = datetime(2024, 6, 20, 12, tzinfo=UTC)
HOURS = [datetime(2024, 6, 20, h, tzinfo=UTC) for h in (3, 4, 5)]
ROOT = f"tenantId={TENANT}/"
SIGNINS = "insights-logs-signinlogs"
AUDITS = "insights-logs-auditlogs"


def append(az: Azurite, container: str, name: str, data: bytes) -> None:
    """Append to an append blob, creating the container and the blob as needed."""
    cc = az.service().get_container_client(container)
    if not cc.exists():
        cc.create_container()
    bc = cc.get_blob_client(name)
    if not bc.exists():
        bc.create_append_blob()
    if data:
        bc.append_block(data)


def add_connector(ws: Workspace, az: Azurite, name: str = "archive", **kw: Any) -> None:
    settings = StorageSettings(auth="connection-string", api_version=API_VERSION, **kw)
    connect(ws, name, settings, az.connection_string)


def write_archive(az: Azurite, root: str = ROOT) -> int:
    """Three hours of two categories: 5 sign-ins and 3 audit events an hour; returns bytes."""
    total = 0
    for k, hour in enumerate(HOURS):
        s = lines([signin(10 * k + i, in_hour(hour, i)) for i in range(5)])
        a = lines([audit(10 * k + i, in_hour(hour, i)) for i in range(3)])
        append(az, SIGNINS, hour_path(root, hour), s)
        append(az, AUDITS, hour_path(root, hour), a)
        total += len(s) + len(a)
    return total


def count(ws: Workspace, table: str) -> int:
    rows = ws.query(f"{table} | count").rows
    return int(rows[0][0])


def blob_checkpoint(ws: Workspace, container: str, name: str) -> BlobState:
    state = BlobState.from_text(ws.get_checkpoint("archive", f"blob:{container}/{name}"))
    assert state is not None
    return state


# -- pulls against Azurite --------------------------------------------------------------------


def test_pull_ingests_every_hour_of_both_categories(azurite: Azurite) -> None:
    total = write_archive(azurite)
    other = "insights-logs-storageread"  # another resource's logs in the same account
    append(azurite, other, hour_path(ROOT, HOURS[0]), b'{"category": "StorageRead"}\n')
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)
    s = pull(ws, "archive", now=NOW)
    assert s.containers == [AUDITS, SIGNINS]
    assert s.errors == []
    assert (s.blobs_listed, s.blobs_read, s.ranges, s.bytes_downloaded) == (6, 6, 6, total)
    assert (s.ingest.ingested, s.ingest.rejected) == (24, 0)
    assert s.ingest.tables == {"SigninLogs": 15, "AuditLogs": 9}
    assert count(ws, "SigninLogs") == 15 and count(ws, "AuditLogs") == 9
    first = ws.query(
        "SigninLogs | where UserPrincipalName == 'user21@contoso.com' "
        "| project TimeGenerated, ResultType, AADTenantId"
    ).rows
    assert first == [["2024-06-20T05:01:07.123456Z", "0", TENANT]]


def test_second_pull_downloads_nothing(azurite: Azurite) -> None:
    write_archive(azurite)
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)
    pull(ws, "archive", now=NOW)
    again = pull(ws, "archive", now=NOW + timedelta(hours=1))
    assert (again.blobs_listed, again.blobs_unchanged, again.blobs_read) == (6, 6, 0)
    assert (again.ranges, again.bytes_downloaded, again.lines) == (0, 0, 0)
    assert again.ingest.ingested == 0 and again.ingest.duplicates == 0


def test_appended_lines_and_a_partial_last_line_are_read_incrementally(azurite: Azurite) -> None:
    hour = datetime(2024, 6, 20, 11, tzinfo=UTC)
    now = hour + timedelta(minutes=30)  # the hour is still being written
    name = hour_path(ROOT, hour)
    recs = [lines([signin(i, in_hour(hour, i))]) for i in range(4)]
    append(azurite, SIGNINS, name, recs[0] + recs[1] + recs[2][:40])
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)

    first = pull(ws, "archive", now=now)
    assert first.ingest.ingested == 2 and first.partial_bytes == 40
    assert blob_checkpoint(ws, SIGNINS, name).offset == len(recs[0] + recs[1])

    unchanged = pull(ws, "archive", now=now)  # the partial line alone is not downloaded again
    assert (unchanged.ranges, unchanged.bytes_downloaded) == (0, 0)

    append(azurite, SIGNINS, name, recs[2][40:] + recs[3])
    second = pull(ws, "archive", now=now + timedelta(minutes=5))
    assert second.ingest.ingested == 2 and second.partial_bytes == 0
    assert second.bytes_downloaded == len(recs[2] + recs[3])  # from the committed offset on
    assert count(ws, "SigninLogs") == 4
    assert count(ws, "IngestionErrors") == 0
    assert blob_checkpoint(ws, SIGNINS, name).lines == 4


def test_a_last_line_without_a_line_break_is_read_once_the_hour_is_over(azurite: Azurite) -> None:
    hour = HOURS[0]
    name = hour_path(ROOT, hour)
    body = lines([signin(i, in_hour(hour, i)) for i in range(3)])
    append(azurite, SIGNINS, name, body.rstrip(b"\n"))
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)
    during = pull(ws, "archive", now=hour + timedelta(minutes=50))
    assert during.ingest.ingested == 2
    after = pull(ws, "archive", now=hour + timedelta(hours=3))
    assert after.ingest.ingested == 1 and after.partial_bytes == 0
    assert blob_checkpoint(ws, SIGNINS, name).offset == len(body) - 1
    assert pull(ws, "archive", now=hour + timedelta(hours=4)).ranges == 0


def test_a_malformed_line_is_a_dead_letter_with_its_position(azurite: Azurite) -> None:
    hour = HOURS[1]
    name = hour_path(ROOT, hour)
    good = [lines([signin(i, in_hour(hour, i))]) for i in range(3)]
    append(azurite, SIGNINS, name, good[0] + b'{"category": "SignInLogs", "time": \n' + good[1])
    append(azurite, SIGNINS, name, b"\r\n" + good[2])  # a blank line 4 counts, and is skipped
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)
    s = pull(ws, "archive", now=NOW)
    assert (s.ingest.ingested, s.ingest.rejected, s.lines) == (3, 1, 5)
    rows = ws.query("IngestionErrors | project Source, Position, Format, Reason, RawData").rows
    raw = '{"category": "SignInLogs", "time": '
    assert rows == [[f"{SIGNINS}/{name}", "line 2", "storage", "not valid JSON", raw]]
    assert blob_checkpoint(ws, SIGNINS, name).lines == 5


def test_lines_split_across_ranged_downloads(
    azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "CHUNK_BYTES", 100)  # every record spans several downloads
    hour = HOURS[0]
    name = hour_path(ROOT, hour)
    body = lines([signin(i, in_hour(hour, i)) for i in range(6)])
    append(azurite, SIGNINS, name, b"\xef\xbb\xbf" + body)  # a byte-order mark is tolerated
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)
    s = pull(ws, "archive", now=NOW)
    assert (s.ingest.ingested, s.ingest.rejected) == (6, 0)
    assert (s.ranges, s.bytes_downloaded) == (-(-(len(body) + 3) // 100), len(body) + 3)
    assert blob_checkpoint(ws, SIGNINS, name).lines == 6


def test_a_rewritten_shorter_blob_is_read_again_from_the_start(azurite: Azurite) -> None:
    hour = HOURS[2]
    name = hour_path(ROOT, hour)
    append(azurite, SIGNINS, name, lines([signin(i, in_hour(hour, i)) for i in range(4)]))
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)
    assert pull(ws, "archive", now=NOW).ingest.ingested == 4

    rewritten = lines([signin(0, in_hour(hour, 0)), signin(7, in_hour(hour, 7))])
    bc = azurite.service().get_blob_client(SIGNINS, name)
    bc.delete_blob()
    append(azurite, SIGNINS, name, rewritten)
    s = pull(ws, "archive", now=NOW)
    assert (s.blobs_rewritten, s.bytes_downloaded) == (1, len(rewritten))
    assert (s.ingest.ingested, s.ingest.duplicates) == (1, 1)
    assert count(ws, "SigninLogs") == 5
    assert blob_checkpoint(ws, SIGNINS, name) == BlobState(
        len(rewritten), 2, len(rewritten), bc.get_blob_properties().etag.strip('"')
    )


def test_tenant_id_and_resource_id_layouts_are_both_read(azurite: Azurite) -> None:
    resource_root = f"resourceId=/tenants/{TENANT}/providers/microsoft.aadiam/"
    hour = HOURS[0]
    append(azurite, SIGNINS, hour_path(ROOT, hour), lines([signin(1, hour)]))
    append(azurite, SIGNINS, hour_path(resource_root, hour), lines([signin(2, hour)]))
    append(azurite, SIGNINS, "README.txt", b"not an hour blob")
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite, containers=(SIGNINS,))
    s = pull(ws, "archive", now=NOW)
    assert (s.blobs_listed, s.ingest.ingested) == (2, 2)
    report = status(ws, "archive", now=NOW)
    roots = {(r["root"], r["watermark"], r["behind_blobs"]) for r in report["roots"]}
    assert roots == {
        (ROOT, "2024-06-20T03:00:00Z", 0),
        (resource_root, "2024-06-20T03:00:00Z", 0),
    }


def test_hours_before_the_watermark_and_overlap_are_not_listed(azurite: Azurite) -> None:
    write_archive(azurite)
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite, containers=(SIGNINS,), overlap_hours=1)
    pull(ws, "archive", now=NOW)  # watermark: 05:00 (every blob is over and read)
    late_in_overlap = datetime(2024, 6, 20, 4, 30, tzinfo=UTC)
    append(azurite, SIGNINS, hour_path(ROOT, HOURS[1]), lines([signin(90, late_in_overlap)]))
    too_old = datetime(2024, 6, 20, 3, 40, tzinfo=UTC)
    append(azurite, SIGNINS, hour_path(ROOT, HOURS[0]), lines([signin(91, too_old)]))
    s = pull(ws, "archive", now=NOW)
    assert (s.blobs_listed, s.blobs_read, s.ingest.ingested) == (2, 1, 1)
    assert (
        ws.query("SigninLogs | where UserPrincipalName == 'user91@contoso.com' | count").rows[0][0]
        == 0
    )


def test_checkpoints_of_blobs_no_pull_lists_again_are_deleted(azurite: Azurite) -> None:
    write_archive(azurite)
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite, containers=(SIGNINS,), overlap_hours=1)
    s = pull(ws, "archive", now=NOW)  # watermark 05:00: the next pull lists from 04:00
    blobs = sorted(k for _, k, _, _ in ws.checkpoints("archive") if k.startswith("blob:"))
    assert s.checkpoints_pruned == 1 and s.to_json()["checkpoints_pruned"] == 1
    assert blobs == [f"blob:{SIGNINS}/{hour_path(ROOT, h)}" for h in HOURS[1:]]
    # a line appended to a blob still listed is read once; the data stays whole
    append(azurite, SIGNINS, hour_path(ROOT, HOURS[2]), lines([signin(95, in_hour(HOURS[2], 9))]))
    again = pull(ws, "archive", now=NOW)
    assert (again.ingest.ingested, again.ingest.duplicates, again.checkpoints_pruned) == (1, 0, 0)
    assert count(ws, "SigninLogs") == 16


def test_since_bounds_the_first_pull(azurite: Azurite) -> None:
    write_archive(azurite)
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite, containers=(AUDITS,), since="2024-06-20T04:30:00Z")
    s = pull(ws, "archive", now=NOW)
    assert (s.blobs_listed, s.ingest.ingested) == (2, 6)


def test_a_blob_appended_to_after_listing_is_read_to_its_new_end(
    azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    hour = HOURS[0]
    name = hour_path(ROOT, hour)
    append(azurite, SIGNINS, name, lines([signin(1, hour)]))
    listed = storage.hour_blobs

    def append_after_listing(*args: Any) -> Any:
        for ref in listed(*args):
            append(azurite, SIGNINS, name, lines([signin(2, hour)]))
            yield ref

    monkeypatch.setattr(storage, "hour_blobs", append_after_listing)
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite, containers=(SIGNINS,))
    s = pull(ws, "archive", now=NOW)
    assert s.errors == [] and s.ingest.ingested == 2
    assert s.ranges == 2  # the first, conditional on the listed ETag, failed with 412
    assert blob_checkpoint(ws, SIGNINS, name).lines == 2


def test_checkpoints_move_only_after_the_lines_are_committed(
    azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_archive(azurite)
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)

    def crash(self: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(storage.Ingestor, "flush", crash)
    with pytest.raises(RuntimeError):
        pull(ws, "archive", now=NOW)
    assert [k for _, k, _, _ in ws.checkpoints("archive") if not k.startswith("watermark")] == []
    monkeypatch.undo()
    s = pull(ws, "archive", now=NOW)
    assert s.ingest.ingested == 24 and count(ws, "SigninLogs") == 15


def test_status_counts_what_is_behind(azurite: Azurite) -> None:
    write_archive(azurite)
    ws = Workspace.open(":memory:")
    add_connector(ws, azurite, containers=(SIGNINS,))
    before = status(ws, "archive", now=NOW)
    assert [(r["behind_blobs"], r["tracked"]) for r in before["roots"]] == [(3, 0)]
    assert before["last_pull"] is None
    pull(ws, "archive", now=NOW)
    after = status(ws, "archive", now=NOW)
    assert [(r["behind_blobs"], r["tracked"]) for r in after["roots"]] == [(0, 3)]
    assert after["last_pull"]["ingest"]["ingested"] == 15
    offline = status(ws, "archive", now=NOW, remote=False)
    assert [r["behind_blobs"] for r in offline["roots"]] == [None]


def test_account_key_and_sas_credentials(azurite: Azurite) -> None:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    write_archive(azurite)
    ws = Workspace.open(":memory:")
    key = StorageSettings(auth="account-key", account_url=azurite.url, api_version=API_VERSION)
    connect(ws, "by-key", key, ACCOUNT_KEY)
    assert pull(ws, "by-key", now=NOW).ingest.ingested == 24

    sas = generate_account_sas(
        ACCOUNT,
        ACCOUNT_KEY,
        ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, list=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    by_sas = StorageSettings(auth="sas", account_url=azurite.url, api_version=API_VERSION)
    connect(ws, "by-sas", by_sas, "?" + sas)
    s = pull(ws, "by-sas", now=NOW)
    assert (s.errors, s.blobs_read, s.ingest.duplicates) == ([], 6, 24)


def test_a_wrong_key_fails_on_connect_without_showing_it(azurite: Azurite) -> None:
    ws = Workspace.open(":memory:")
    wrong = ACCOUNT_KEY[:-8] + "AAAAAAA="
    settings = StorageSettings(auth="account-key", account_url=azurite.url, api_version=API_VERSION)
    with pytest.raises(StorageError) as e:
        connect(ws, "bad", settings, wrong)
    assert "access denied (403" in str(e.value) and wrong not in str(e.value)
    assert ws.connector("bad") is None


def test_the_credential_never_appears_in_output_logs_or_files(
    azurite: Azurite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    write_archive(azurite)
    caplog.set_level(logging.DEBUG)
    wsdir = str(tmp_path / "ws")
    assert main(["init", wsdir]) == 0
    monkeypatch.setenv("ARCHIVE_CONN", azurite.connection_string)
    common = ["--workspace", wsdir, "--api-version", API_VERSION]
    assert (
        main(
            [
                "storage",
                "connect",
                "--name",
                "a",
                "--connection-string-env",
                "ARCHIVE_CONN",
                *common,
            ]
        )
        == 0
    )
    assert main(["storage", "pull", "--workspace", wsdir, "--name", "a"]) == 0
    assert main(["storage", "status", "--workspace", wsdir, "--json"]) == 0
    # A SAS that may read but not list: the pull fails, and its message hides the signature.
    sas = generate_container_sas(
        ACCOUNT,
        SIGNINS,
        ACCOUNT_KEY,
        permission=ContainerSasPermissions(read=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    signature = next(p for p in sas.split("&") if p.startswith("sig=")).removeprefix("sig=")
    monkeypatch.setenv("ARCHIVE_SAS", sas)
    sas_args = ["--sas-env", "ARCHIVE_SAS", "--account-url", azurite.url, "--no-check"]
    assert (
        main(
            ["storage", "connect", "--name", "s", *sas_args, *common, "--containers", "signinlogs"]
        )
        == 0
    )
    assert main(["storage", "pull", "--workspace", wsdir, "--name", "s"]) == 1
    out = capsys.readouterr()
    text = out.out + out.err + caplog.text
    assert "ingested 24" in out.out and "access denied (403" in out.out
    secrets = [azurite.connection_string, ACCOUNT_KEY, sas, signature]
    assert [s for s in secrets if s in text] == []
    assert caplog.text  # the storage client did log its requests
    for path in Path(wsdir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert [s for s in secrets if s.encode() in data] == [], path.name


# -- pure parts: the layout and the read decision ------------------------------------------------


def _ref(size: int, etag: str = "e1", hour: datetime = HOURS[0]) -> BlobRef:
    return BlobRef(SIGNINS, hour_path(ROOT, hour), ROOT, hour, size, etag)


@pytest.mark.parametrize(
    ("ref", "state", "expected"),
    [
        (_ref(100), None, (0, 0, False)),
        (_ref(0), None, None),
        (_ref(100), BlobState(100, 3, 100, "e1"), None),
        (_ref(150, "e2"), BlobState(100, 3, 100, "e1"), (100, 3, False)),
        (_ref(80, "e2"), BlobState(100, 3, 100, "e1"), (0, 0, True)),
        (_ref(100, "e2"), BlobState(100, 3, 100, "e1"), (0, 0, True)),
        # a partial last line: not downloaded again until the blob grows or its hour is over
        (_ref(120, "e1", NOW - timedelta(minutes=30)), BlobState(100, 3, 120, "e1"), None),
        (_ref(120, "e1"), BlobState(100, 3, 120, "e1"), (100, 3, False)),
    ],
)
def test_plan_read(ref: BlobRef, state: BlobState | None, expected: Any) -> None:
    read = plan_read(ref, state, NOW)
    assert (None if read is None else (read.offset, read.line, read.rewritten)) == expected


def test_blob_names_of_both_layouts() -> None:
    a = storage.blob_ref(SIGNINS, f"{ROOT}y=2024/m=06/d=20/h=05/m=00/PT1H.json", 1, '"0x1"')
    r = "resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.AADIAM/"
    b = storage.blob_ref(SIGNINS, f"{r}y=2024/m=06/d=20/h=05/m=00/PT1H.json", 1, "0x1")
    assert a is not None and b is not None
    assert (a.root, a.hour, a.etag) == (ROOT, HOURS[2], "0x1")
    assert (b.root, b.hour) == (r, HOURS[2])
    assert storage.blob_ref(SIGNINS, f"{ROOT}y=2024/m=13/d=20/h=05/m=00/PT1H.json", 1, "") is None
    assert storage.blob_ref(SIGNINS, "notes/readme.txt", 1, "") is None


def test_listing_prefixes_by_day_then_by_month() -> None:
    assert listing_prefixes(ROOT, None, NOW) == [ROOT]
    assert listing_prefixes(ROOT, HOURS[0] - timedelta(days=1), NOW) == [
        f"{ROOT}y=2024/m=06/d=19/",
        f"{ROOT}y=2024/m=06/d=20/",
        f"{ROOT}y=2024/m=06/d=21/",
    ]
    months = listing_prefixes(ROOT, datetime(2023, 11, 5, tzinfo=UTC), NOW)
    assert months[:3] == [f"{ROOT}y=2023/m=11/", f"{ROOT}y=2023/m=12/", f"{ROOT}y=2024/m=01/"]
    assert months[-1] == f"{ROOT}y=2024/m=06/"


def test_settings_are_checked() -> None:
    with pytest.raises(StorageError, match="needs the account URL"):
        StorageSettings(auth="sas")
    with pytest.raises(StorageError, match="must not carry a query"):
        StorageSettings(auth="sas", account_url="https://a.blob.core.windows.net/?sv=1&sig=x")
    with pytest.raises(StorageError, match="not a valid container name"):
        StorageSettings(auth="connection-string", containers=("Insights_Logs",))
    s = StorageSettings(auth="connection-string", containers=(SIGNINS,), since="2024-06-01")
    assert StorageSettings.from_json(json.loads(json.dumps(s.to_json()))) == s


def test_connect_refuses_a_configured_container_that_does_not_exist(azurite: Azurite) -> None:
    ws = Workspace.open(":memory:")
    with pytest.raises(StorageError, match=r"container insights-logs-auditlogs: not found \(404"):
        add_connector(ws, azurite, containers=(AUDITS,))
    assert ws.connector("archive") is None


def test_missing_azurite_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.connectors.conftest import _unavailable

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run"):
        _unavailable("Azurite is not installed")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _unavailable("Azurite is not installed")


def test_every_storage_option_is_documented() -> None:
    import argparse

    from kustodian.cli.main import build_parser

    doc = (Path(__file__).resolve().parents[2] / "docs" / "connectors.md").read_text()
    top = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    group = next(
        a for a in top.choices["storage"]._actions if isinstance(a, argparse._SubParsersAction)
    )
    missing = [
        f"storage {cmd} {option}"
        for cmd, parser in group.choices.items()
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option not in ("--help", "--workspace") and option not in doc
    ]
    assert missing == []


def test_a_simulated_tenant_pulled_in_two_halves_gives_the_rows_of_its_records(
    azurite: Azurite, tmp_path: Path
) -> None:
    """Round trip: the simulator's archive uploaded half-way (lines cut mid-record), pulled,
    completed and pulled again gives exactly the rows of ingesting the records directly."""
    from azure.storage.blob import BlobType

    from kustodian.ingest import ingest_records
    from kustodian.ingest.mapping import CATEGORY_TABLES
    from kustodian.simulate import simulate, write_storage_archive

    records = [r for r in simulate(days=1, users=20, seed=3) if r["time"] < "2024-04-30T12"]
    blobs = write_storage_archive(records, tmp_path)
    assert {b.relative_to(tmp_path).parts[0] for b in blobs} == set(storage.DEFAULT_CONTAINERS)
    svc = azurite.service()
    for container in storage.DEFAULT_CONTAINERS:
        svc.create_container(container)
    halves = []
    for path in blobs:
        container, name = str(path.relative_to(tmp_path)).split("/", 1)
        data = path.read_bytes()
        bc = svc.get_blob_client(container, name)
        bc.upload_blob(data[: len(data) // 2], blob_type=BlobType.APPENDBLOB)
        halves.append((bc, data[len(data) // 2 :]))

    def rows(ws: Workspace) -> dict[str, list[list[Any]]]:
        drop = "TenantId, _TimeReceived, _ItemId, _BilledSize"
        return {
            t: ws.query(f"{t} | project-away {drop} | order by TimeGenerated asc, Id asc").rows
            for t in CATEGORY_TABLES.values()
        }

    ws = Workspace.open(":memory:")
    add_connector(ws, azurite)
    day = datetime(2024, 4, 30, tzinfo=UTC)
    first = pull(ws, "archive", now=day)  # every hour still being written
    for bc, rest in halves:
        bc.append_block(rest)
    second = pull(ws, "archive", now=day + timedelta(days=1, hours=3))
    assert first.partial_bytes > 0 and second.partial_bytes == 0
    assert first.ingest.ingested + second.ingest.ingested == len(records)
    assert first.ingest.rejected + second.ingest.rejected == 0
    with Workspace.open(":memory:") as direct:
        ingest_records(direct, records)
        assert rows(ws) == rows(direct)


def test_connect_storage_and_the_common_pull_command(
    azurite: Azurite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """`kustodian connect storage` and `kustodian pull` (every connector kind) work too."""
    size = write_archive(azurite)
    wsdir = str(tmp_path / "ws")
    assert main(["init", wsdir]) == 0
    monkeypatch.setenv("ARCHIVE_CONN", azurite.connection_string)
    args = ["--name", "arch", "--connection-string-env", "ARCHIVE_CONN"]
    assert (
        main(["connect", "storage", "--workspace", wsdir, *args, "--api-version", API_VERSION]) == 0
    )
    capsys.readouterr()
    assert main(["pull", "--workspace", wsdir, "--json"]) == 0
    (summary,) = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "storage" and summary["bytes_downloaded"] == size
    assert summary["ingest"]["ingested"] == 3 * (5 + 3)
    assert main(["pull", "--workspace", wsdir, "--name", "arch", "--json"]) == 0
    (again,) = json.loads(capsys.readouterr().out)
    assert again["bytes_downloaded"] == 0 and again["ingest"]["ingested"] == 0
