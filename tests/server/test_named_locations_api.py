"""/manage/v1/named-locations against a live server: list, create, replace and delete, the
roles each needs, errors that name the field, and the security-info detection's stored rule
following the trusted ranges."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kustodian.server import ServerSettings, create_app
from kustodian.workspace.named_locations import named_locations
from tests.server.api import call, error, ok
from tests.server.conftest import Live, ServerThread, make_workspace

M = "/manage/v1"
NL = f"{M}/named-locations"
DETECTION = "security-info-untrusted-location"
RULE = f"builtin-{DETECTION}"
EMPTY = 'dynamic([""])'  # no trusted range ("" matches no address)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    ws, keys = make_workspace(tmp_path_factory.mktemp("named-locations") / "ws")
    app = create_app(ws, ServerSettings(auth_failures=1000, alert_check=0))
    with ServerThread(app) as thread:
        yield Live(f"http://127.0.0.1:{thread.port}", ws, ws.workspace_id, keys)
    ws.close()


def listed(live: Live) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = ok(call(live, "GET", NL, "reader"))["value"]
    return value


def test_a_location_is_created_replaced_listed_and_deleted(srv: Live) -> None:
    assert listed(srv) == []
    body = {"ranges": ["203.0.113.10/31", " 203.0.113.12 "]}
    created = ok(call(srv, "PUT", f"{NL}/Contoso HQ", "contributor", json=body), 201)
    assert created == {
        "name": "Contoso HQ",
        "ranges": ["203.0.113.10/31", "203.0.113.12/32"],
        "trusted": True,
        "rerenderedRules": [],
    }
    assert listed(srv) == [
        {"name": "Contoso HQ", "ranges": ["203.0.113.10/31", "203.0.113.12/32"], "trusted": True}
    ]
    body = {"ranges": ["198.51.100.0/24"], "trusted": False}
    replaced = ok(call(srv, "PUT", f"{NL}/Contoso HQ", "contributor", json=body), 200)
    assert (replaced["ranges"], replaced["trusted"]) == (["198.51.100.0/24"], False)
    # the same setting the CLI reads
    [loc] = named_locations(srv.ws)
    assert (loc.name, loc.ranges, loc.trusted) == ("Contoso HQ", ("198.51.100.0/24",), False)
    gone = ok(call(srv, "DELETE", f"{NL}/Contoso HQ", "contributor"))
    assert gone == {**replaced, "rerenderedRules": []}
    assert listed(srv) == []


def test_roles_reader_lists_contributor_changes(srv: Live) -> None:
    body = {"ranges": ["192.0.2.0/24"]}
    error(call(srv, "GET", NL, None), 401)
    error(call(srv, "PUT", f"{NL}/Branch", "reader", json=body), 403, "InsufficientAccessError")
    ok(call(srv, "PUT", f"{NL}/Branch", "contributor", json=body), 201)
    error(call(srv, "DELETE", f"{NL}/Branch", "reader"), 403, "InsufficientAccessError")
    assert [loc["name"] for loc in listed(srv)] == ["Branch"]
    ok(call(srv, "DELETE", f"{NL}/Branch", "admin"))
    assert listed(srv) == []


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"ranges": "10.0.0.0/8"}, "ranges: expected a non-empty list of IPv4 ranges"),
        ({"ranges": []}, "ranges: expected a non-empty list"),
        ({"ranges": ["10.0.0.0/8", "10.0.0.300"]}, "ranges[1]: '10.0.0.300' is not an IPv4"),
        ({"ranges": ["2001:db8::/32"]}, "ranges[0]: '2001:db8::/32' is not an IPv4 range"),
        ({"ranges": [5]}, "ranges[0]: 5 is not a string"),
        ({"ranges": ["10.0.0.0/8"], "trusted": "yes"}, "trusted: 'yes' is not true or false"),
        ({"range": ["10.0.0.0/8"]}, "range: unknown field"),
        ({"trusted": True}, "ranges: required"),
    ],
)
def test_bad_bodies_name_the_field(srv: Live, body: Any, needle: str) -> None:
    r = call(srv, "PUT", f"{NL}/Office", "contributor", json=body)
    assert needle in error(r, 400, "BadArgumentError")["message"]
    assert listed(srv) == []


def test_a_name_with_outer_spaces_is_refused(srv: Live) -> None:
    r = call(srv, "PUT", f"{NL}/%20HQ", "contributor", json={"ranges": ["10.0.0.0/8"]})
    assert error(r, 400, "BadArgumentError")["message"].startswith("name: ' HQ'")


def test_deleting_an_unknown_location_is_404(srv: Live) -> None:
    err = error(call(srv, "DELETE", f"{NL}/Nowhere", "contributor"), 404, "NamedLocationNotFound")
    assert "no named location 'Nowhere'" in err["message"]


def rule_query(live: Live) -> str:
    query: str = ok(call(live, "GET", f"{M}/rules/{RULE}", "reader"))["query"]
    return query


def trusted_value(live: Live) -> Any:
    doc = ok(call(live, "GET", f"{M}/detections/{DETECTION}", "reader"))
    return next(p["value"] for p in doc["parameters"] if p["name"] == "trusted_ranges")


def test_the_security_info_detection_follows_the_trusted_locations(srv: Live) -> None:
    enable = {"enabled": True}
    ok(call(srv, "PUT", f"{M}/detections/{DETECTION}", "contributor", json=enable))
    assert EMPTY in rule_query(srv) and trusted_value(srv) == []

    put = call(srv, "PUT", f"{NL}/HQ", "contributor", json={"ranges": ["203.0.113.0/24"]})
    assert ok(put, 201)["rerenderedRules"] == [RULE]
    assert 'dynamic(["203.0.113.0/24"])' in rule_query(srv)
    assert trusted_value(srv) == ["203.0.113.0/24"]

    # an untrusted location is not "inside"
    guest = {"ranges": ["198.51.100.0/24"], "trusted": False}
    assert ok(call(srv, "PUT", f"{NL}/Guest", "contributor", json=guest), 201)["rerenderedRules"]
    assert "198.51.100.0/24" not in rule_query(srv)

    rule = ok(call(srv, "GET", f"{M}/rules/{RULE}", "reader"))
    assert rule["enabled"] is True  # re-rendering keeps the rule enabled

    for name in ("HQ", "Guest"):
        assert ok(call(srv, "DELETE", f"{NL}/{name}", "contributor"))["rerenderedRules"] == [RULE]
    assert EMPTY in rule_query(srv) and trusted_value(srv) == []
    ok(call(srv, "DELETE", f"{M}/rules/{RULE}", "contributor"), 204)


def test_concurrent_puts_all_land(srv: Live) -> None:
    """workspace.json is rewritten whole on each change: parallel PUTs must not lose any."""
    from concurrent.futures import ThreadPoolExecutor

    names = [f"Site {i}" for i in range(8)]

    def put(i: int) -> int:
        body = {"ranges": [f"10.{i}.0.0/16"]}
        return call(srv, "PUT", f"{NL}/{names[i]}", "contributor", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(put, range(8))) == [201] * 8
    assert [loc["name"] for loc in listed(srv)] == names
    for name in names:
        ok(call(srv, "DELETE", f"{NL}/{name}", "contributor"))


def test_a_name_with_a_slash_is_addressable(srv: Live) -> None:
    for path in (f"{NL}/Paris/HQ", f"{NL}/Paris%2FHQ"):
        put = call(srv, "PUT", path, "contributor", json={"ranges": ["198.51.100.0/24"]})
        assert ok(put, 201)["name"] == "Paris/HQ", path
        assert [loc["name"] for loc in listed(srv)] == ["Paris/HQ"]
        assert ok(call(srv, "DELETE", path, "contributor"))["name"] == "Paris/HQ"
        assert listed(srv) == []
