"""`/manage/v1/named-locations`: the workspace's named locations (IP ranges, trusted or not;
kustodian.workspace.named_locations), as `kustodian named-locations list|set|remove` has them.

A change re-renders the stored detections that read the trusted ranges
(`kustodian.alerts.detections.refresh`), as the CLI does, and the answer names those rules.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kustodian.server.manage import PREFIX, bad_request, fields, json_object, listing, not_found
from kustodian.server.tokens import Role
from kustodian.workspace.named_locations import (
    NamedLocation,
    NamedLocationError,
    check_range,
    named_locations,
    remove_named_location,
    set_named_location,
)

if TYPE_CHECKING:
    from kustodian.server.app import Server
    from kustodian.workspace.workspace import Workspace

PATH = f"{PREFIX}/named-locations"
MAX_NAME = 200
MAX_RANGES = 1000
# workspace.json is read, changed and written whole: one change at a time, with its re-rendering
_CHANGE = threading.Lock()


def routes(server: Server) -> list[Route]:
    """The named-location routes, for create_app."""

    async def list_locations(request: Request) -> Response:
        """Every named location, by name."""
        await server.authenticate(request, Role.READER)
        found = await run_in_threadpool(named_locations, server.ws)
        return listing([location_json(loc) for loc in found])

    async def put_location(request: Request) -> Response:
        """Create (201) or replace (200) a named location; re-renders the detections that read
        the trusted ranges."""
        await server.authenticate(request, Role.CONTRIBUTOR)
        name = check_name(request.path_params["name"])
        body = fields(await json_object(request), required={"ranges"}, optional={"trusted"})
        ranges, trusted = parse_ranges(body["ranges"]), body.get("trusted", True)
        if not isinstance(trusted, bool):
            raise bad_request(f"trusted: {trusted!r} is not true or false")
        new, loc, rules = await run_in_threadpool(put, server.ws, name, ranges, trusted)
        doc = {**location_json(loc), "rerenderedRules": rules}
        return JSONResponse(doc, status_code=201 if new else 200)

    async def delete_location(request: Request) -> Response:
        """Delete a named location; re-renders the detections that read the trusted ranges."""
        await server.authenticate(request, Role.CONTRIBUTOR)
        loc, rules = await run_in_threadpool(delete, server.ws, request.path_params["name"])
        return JSONResponse({**location_json(loc), "rerenderedRules": rules})

    # A name may hold "/" ("Paris/HQ"): the rest of the path is the name, sent as it is or
    # with the slash encoded (%2F).
    return [
        Route(PATH, list_locations, methods=["GET"]),
        Route(PATH + "/{name:path}", put_location, methods=["PUT"]),
        Route(PATH + "/{name:path}", delete_location, methods=["DELETE"]),
    ]


def location_json(loc: NamedLocation) -> dict[str, Any]:
    return {"name": loc.name, "ranges": list(loc.ranges), "trusted": loc.trusted}


def check_name(name: str) -> str:
    if not name.strip() or len(name) > MAX_NAME or name != name.strip():
        raise bad_request(
            f"name: '{name[:120]}' must be 1 to {MAX_NAME} characters, "
            "without leading or trailing spaces"
        )
    return name


def parse_ranges(value: Any) -> list[str]:
    """The body's `ranges`: a non-empty list of IPv4 ranges; 400 naming the bad item otherwise."""
    if not isinstance(value, list) or not value:
        raise bad_request(
            "ranges: expected a non-empty list of IPv4 ranges (CIDR such as 203.0.113.0/24, "
            "or one address)"
        )
    if len(value) > MAX_RANGES:
        raise bad_request(f"ranges: {len(value)} ranges; at most {MAX_RANGES}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise bad_request(f"ranges[{i}]: {item!r} is not a string")
        try:
            out.append(check_range(item, "ranges"))
        except NamedLocationError:
            raise bad_request(
                f"ranges[{i}]: {item[:100]!r} is not an IPv4 range (CIDR such as "
                "203.0.113.0/24, or one address)"
            ) from None
    return out


def put(
    ws: Workspace, name: str, ranges: list[str], trusted: bool
) -> tuple[bool, NamedLocation, list[str]]:
    """Save the location and re-render; (whether it is new, it, the rules re-rendered)."""
    from kustodian.alerts.detections import refresh

    with _CHANGE:
        new = all(loc.name != name for loc in named_locations(ws))
        try:
            loc = set_named_location(ws, name, ranges, trusted=trusted)
        except NamedLocationError as e:
            raise bad_request(str(e)) from None
        return new, loc, refresh(ws)


def delete(ws: Workspace, name: str) -> tuple[NamedLocation, list[str]]:
    """Remove the location and re-render; (the location removed, the rules re-rendered)."""
    from kustodian.alerts.detections import refresh

    with _CHANGE:
        found = [loc for loc in named_locations(ws) if loc.name == name]
        try:
            remove_named_location(ws, name)
        except NamedLocationError as e:
            raise not_found("NamedLocationNotFound", str(e)) from None
        return found[0], refresh(ws)
