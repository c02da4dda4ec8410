"""Named locations: a workspace setting of IP ranges, as Entra's Conditional Access has them.

Stored in `workspace.json` under `settings.named_locations` as
`{name: {"ranges": [CIDR, ...], "trusted": bool}}`. Detections that ask about trusted
locations (security info registered from outside them) read the trusted ranges by default.
Only IPv4 ranges: the KQL function the detections use is `ipv4_is_in_any_range`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

SETTING = "named_locations"


class NamedLocationError(ValueError):
    """A named location that cannot be stored (bad range, unknown name)."""


@dataclass(frozen=True, slots=True)
class NamedLocation:
    name: str
    ranges: tuple[str, ...]
    trusted: bool = True


def check_range(text: str, where: str) -> str:
    """The normalised CIDR text of an IPv4 range or address (`203.0.113.10` -> `/32`).

    Raises:
        NamedLocationError: not an IPv4 address or range.
    """
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        net = None
    if not isinstance(net, ipaddress.IPv4Network):
        raise NamedLocationError(
            f"named location '{where}': {text!r} is not an IPv4 range "
            "(CIDR such as 203.0.113.0/24, or one address)"
        )
    return str(net)


def named_locations(ws: Workspace) -> list[NamedLocation]:
    """The workspace's named locations, by name."""
    stored: dict[str, Any] = ws.config.settings.get(SETTING) or {}
    return [
        NamedLocation(n, tuple(v.get("ranges", ())), bool(v.get("trusted", True)))
        for n, v in sorted(stored.items())
    ]


def trusted_ranges(ws: Workspace) -> list[str]:
    """Every range of the trusted named locations, sorted, without repeats."""
    return sorted({r for loc in named_locations(ws) if loc.trusted for r in loc.ranges})


def set_named_location(
    ws: Workspace, name: str, ranges: list[str], *, trusted: bool = True
) -> NamedLocation:
    """Create or replace a named location (saved in workspace.json).

    Args:
        name: its name (any text but empty).
        ranges: IPv4 ranges (CIDR) or addresses; at least one.
        trusted: whether it is a trusted location (what detections treat as "inside").
    """
    if not name.strip():
        raise NamedLocationError("a named location needs a name")
    if not ranges:
        raise NamedLocationError(f"named location '{name}': give at least one IP range")
    loc = NamedLocation(name, tuple(check_range(r, name) for r in ranges), trusted)
    stored = dict(ws.config.settings.get(SETTING) or {})
    stored[name] = {"ranges": list(loc.ranges), "trusted": trusted}
    ws.config.settings[SETTING] = dict(sorted(stored.items()))
    ws.save_config()
    return loc


def remove_named_location(ws: Workspace, name: str) -> None:
    stored = dict(ws.config.settings.get(SETTING) or {})
    if name not in stored:
        known = ", ".join(stored) or "none"
        raise NamedLocationError(f"no named location '{name}' (named locations: {known})")
    del stored[name]
    ws.config.settings[SETTING] = stored
    ws.save_config()
