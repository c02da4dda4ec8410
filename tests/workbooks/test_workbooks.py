"""The shipped workbooks: valid, every tile non-empty on a simulated tenant, parameters from the
workspace's detection settings, and errors that name the file and the field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kustodian.alerts.detections import configure
from kustodian.ingest import ingest_records
from kustodian.simulate import Simulation
from kustodian.workbooks import WorkbookError, parse, resolved, workbooks
from kustodian.workspace.workspace import Workspace

END = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def ws() -> Iterator[Workspace]:
    w = Workspace.open(":memory:")
    ingest_records(w, Simulation(7, 30, 1, END).records(), source="simulate")
    yield w
    w.close()


def test_the_four_workbooks_of_issue_6_are_shipped() -> None:
    assert set(workbooks()) == {
        "mfa-usage",
        "signin-failures",
        "guest-invitations",
        "sensitive-accounts",
    }


@pytest.mark.parametrize("wb_id", sorted(workbooks()))
def test_every_tile_has_rows_on_the_simulated_tenant(ws: Workspace, wb_id: str) -> None:
    doc = resolved(ws, workbooks()[wb_id])
    for tile in doc["tiles"]:
        rows = ws.query(tile["query"], now=END).rows
        assert rows, f"{wb_id}: '{tile['title']}' is empty"


def test_guest_invitations_say_who_invited_whom_and_whether_redeemed(ws: Workspace) -> None:
    tile = resolved(ws, workbooks()["guest-invitations"])["tiles"][0]
    result = ws.query(tile["query"], now=END)
    names = [c[0] for c in result.columns]
    assert names == ["InvitedAt", "InvitedBy", "Guest", "Redeemed", "RedeemedAt"]
    redeemed = {r[3] for r in result.rows}
    assert redeemed == {True, False}  # the simulation leaves one invitation in three pending
    assert all(r[1].endswith("@contoso.com") and "#EXT#" in r[2] for r in result.rows)


def test_the_break_glass_tile_watches_the_detections_accounts() -> None:
    w = Workspace.open(":memory:")
    try:
        wb = workbooks()["sensitive-accounts"]
        default = resolved(w, wb)["tiles"][0]["query"]
        assert '"breakglass1@contoso.com", "breakglass2@contoso.com"' in default
        configure(w, "break-glass", params={"accounts": ["ea@fabrikam.com"]})
        assert '("ea@fabrikam.com")' in resolved(w, wb)["tiles"][0]["query"]
    finally:
        w.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\ntitle: X\n", "w.yaml: tiles: expected a list of tiles"),
        (
            "id: x\ntitle: X\ntiles: [{title: T, query: Q, visualization: map}]",
            "w.yaml: tiles[0]: visualization: 'map' is not one of",
        ),
        (
            "id: x\ntitle: X\ntiles: [{title: T, query: 'T | where a == {{who}}', visualization: table}]",
            "w.yaml: tiles[0].query: undeclared ['who']",
        ),
        ("title: X\ntiles: [{title: T, query: Q, visualization: table}]", "w.yaml: id: required"),
    ],
)
def test_an_invalid_workbook_names_the_file_and_field(text: str, message: str) -> None:
    with pytest.raises(WorkbookError) as e:
        parse(text, "w.yaml")
    assert str(e.value).startswith(message)


def test_the_docs_example_is_a_valid_workbook(ws: Workspace) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "ui.md").read_text()
    section = doc.split("## Workbooks", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    wb = parse(example, "docs/ui.md")
    assert wb.id in workbooks()  # the example is taken from a shipped workbook
    [tile] = wb.tiles
    assert (tile.visualization, tile.kind, tile.size) == ("barchart", "stacked", "medium")
    assert ws.query(tile.query, now=END).rows
