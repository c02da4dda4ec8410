"""`kustodian action-groups`, `smtp` and `outbox` commands, in-process on a workspace directory,
with `action-groups test` delivering to real local receivers."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.cli.main import main
from tests.actions.conftest import PASSWORD, USER, Mailbox, Receiver


@pytest.fixture
def wsdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ws"
    Workspace.init(path).close()
    monkeypatch.setenv("KUSTODIAN_WORKSPACE", str(path))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write_group(tmp_path: Path, hook_url: str) -> Path:
    f = tmp_path / "groups.yaml"
    f.write_text(
        "name: identity-oncall\nshortName: idoncall\n"
        "email:\n  - name: secops\n    address: secops@contoso.com\n"
        f"webhook:\n  - name: siem\n    url: {hook_url}\n    signingSecretEnv: SIEM_SECRET\n"
        f"teams:\n  - name: chan\n    url: {hook_url}/teams\n"
    )
    return f


def test_apply_list_show_delete(
    wsdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = write_group(tmp_path, "https://hooks.example.com/secret-token")
    code, _, err = run(capsys, "action-groups", "apply", str(f))
    assert code == 2
    assert "signingSecretEnv: the environment variable SIEM_SECRET is not set" in err
    monkeypatch.setenv("SIEM_SECRET", "k")
    code, out, _ = run(capsys, "action-groups", "apply", str(f))
    assert (code, out) == (
        0,
        "created action group identity-oncall (Email secops, Webhook siem, Teams chan)\n",
    )
    assert run(capsys, "action-groups", "apply", str(f))[1].startswith("updated action group")
    code, out, _ = run(capsys, "action-groups", "list")
    assert "identity-oncall  idoncall   yes      Email:secops, Webhook:siem, Teams:chan" in out
    code, out, _ = run(capsys, "action-groups", "show", "IDENTITY-ONCALL", "--json")
    doc = json.loads(out)
    assert doc["webhook"][0]["url"] == "https://hooks.example.com/..."  # the token is not shown
    assert "secret-token" not in out
    assert run(capsys, "action-groups", "delete", "identity-oncall")[0] == 0
    code, _, err = run(capsys, "action-groups", "show", "identity-oncall")
    assert code == 2 and "no action group named 'identity-oncall'" in err


def test_apply_error_saves_nothing(
    wsdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: a\nemail:\n  - name: x\n    address: x@contoso.com\n")
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "type": "Microsoft.Insights/actionGroups",
                "name": "b",
                "properties": {"groupShortName": "thirteen-char"},
            }
        )
    )
    code, _, err = run(capsys, "action-groups", "apply", str(good), str(bad))
    assert code == 2
    assert (
        err
        == f"error: {bad}: properties.groupShortName: 'thirteen-char' has 13 characters; at most 12 (it is shown in SMS and email subjects)\n"
    )
    assert "(0 rows)" in run(capsys, "action-groups", "list")[1]


def test_test_command_reports_each_receiver(
    wsdir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    http_receiver: Receiver,
) -> None:
    monkeypatch.setenv("SIEM_SECRET", "k")
    run(capsys, "action-groups", "apply", str(write_group(tmp_path, http_receiver.url)))
    http_receiver.script = [200, 503]  # the webhook succeeds, the Teams call fails once
    code, out, _ = run(capsys, "action-groups", "test", "identity-oncall", "--json")
    assert code == 1
    got = {d["receiver"]: d for d in json.loads(out)}
    assert got["secops"]["status"] == "Outbox" and got["secops"]["outboxId"] == 1
    assert (got["siem"]["status"], got["siem"]["httpStatus"]) == ("Succeeded", 200)
    assert (got["chan"]["status"], got["chan"]["attempts"]) == ("Failed", 1)  # no retry in a test
    sample = http_receiver.received[0].json()
    assert sample["schemaId"] == "azureMonitorCommonAlertSchema"
    ess = sample["data"]["essentials"]
    assert ess["monitorCondition"] == "Fired" and ess["monitoringService"] == "Log Alerts V2"
    assert "X-Kustodian-Signature" in http_receiver.received[0].headers
    # a test does not pause the endpoint, and is marked in ActionDeliveries
    http_receiver.script = [200]
    http_receiver.received.clear()
    code, out, _ = run(
        capsys, "action-groups", "test", "identity-oncall", "--alert-type", "logalertv2-resolved"
    )
    assert code == 0
    assert "Succeeded" in out and "kustodian outbox show 2" in out
    assert http_receiver.received[0].json()["data"]["essentials"]["monitorCondition"] == "Resolved"
    code, out, _ = run(
        capsys,
        "query",
        "--workspace",
        str(wsdir),
        "--format",
        "json",
        "ActionDeliveries | summarize n=count(), tests=countif(IsTest)",
    )
    assert json.loads(out)["tables"][0]["rows"] == [[6, 6]]


def test_smtp_set_show_clear_and_outbox(
    wsdir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    smtp_plain: Mailbox,
) -> None:
    f = tmp_path / "g.yaml"
    f.write_text("name: g\nemail:\n  - name: x\n    address: x@contoso.com\n")
    run(capsys, "action-groups", "apply", str(f))
    assert run(capsys, "action-groups", "test", "g")[0] == 0
    code, out, _ = run(capsys, "outbox", "list")
    assert "1   " in out and "x@contoso.com" in out and "Fired: Sev3 Azure Monitor Alert" in out
    code, out, _ = run(capsys, "outbox", "show", "1")
    assert out.startswith("From: kustodian@localhost\nTo: x@contoso.com\n")
    assert "Alert rule" in out and "Test alert rule (action group test)" in out
    assert run(capsys, "outbox", "show", "9")[0] == 2

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code, out, _ = run(
        capsys,
        "smtp",
        "set",
        "--host",
        "127.0.0.1",
        "--port",
        str(smtp_plain.port),
        "--no-tls",
        "--username",
        USER,
        "--password-stdin",
    )
    assert code == 0
    code, out, _ = run(capsys, "smtp", "show")
    shown = json.loads(out)
    assert shown["password"] == "********" and PASSWORD not in out
    assert (shown["host"], shown["from"], shown["security"]) == ("127.0.0.1", USER, "none")
    assert PASSWORD not in (wsdir / "workspace.json").read_text()
    assert run(capsys, "action-groups", "test", "g")[0] == 0
    assert [m[1] for m in smtp_plain.messages] == [["x@contoso.com"]]
    assert smtp_plain.logins == [USER]
    run(capsys, "smtp", "clear")
    assert "no SMTP server" in run(capsys, "smtp", "show")[1]
