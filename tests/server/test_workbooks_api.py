"""GET /manage/v1/workbooks against a live server: the shipped workbooks for a reader, their
parameters filled from the workspace, 404 for an unknown id, 401 without a credential."""

from __future__ import annotations

from kustodian.alerts import delete_rule
from kustodian.alerts.detections import configure, get_detection
from kustodian.workbooks import workbooks
from tests.server.api import call, error, ok
from tests.server.conftest import Live

M = "/manage/v1"


def test_a_reader_lists_the_workbooks_with_their_tiles(live: Live) -> None:
    listed = ok(call(live, "GET", f"{M}/workbooks", role="reader"))["value"]
    assert [w["id"] for w in listed] == list(workbooks())
    first = listed[0]
    assert set(first) == {"id", "title", "description", "tiles"}
    assert set(first["tiles"][0]) == {"title", "query", "visualization", "kind", "size"}


def test_one_workbook_has_the_detections_accounts_in_its_query(live: Live) -> None:
    d = get_detection("break-glass")
    configure(live.ws, "break-glass", params={"accounts": ["ea@fabrikam.com"]})
    try:
        doc = ok(call(live, "GET", f"{M}/workbooks/sensitive-accounts", role="reader"))
        assert 'UserPrincipalName in~ ("ea@fabrikam.com")' in doc["tiles"][0]["query"]
        assert "{{" not in doc["tiles"][0]["query"]
    finally:
        delete_rule(live.ws, d.rule_name)  # the detection was never enabled here


def test_an_unknown_workbook_is_404_and_a_missing_credential_401(live: Live) -> None:
    err = error(call(live, "GET", f"{M}/workbooks/nope", role="reader"), 404, "WorkbookNotFound")
    assert "nope" in err["message"]
    error(call(live, "GET", f"{M}/workbooks", role=None), 401)
