"""ISO 8601 durations and intervals, as the Log Analytics API takes them for `timespan`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """`PT1H`, `P1D`, `PT300.0S` -> timedelta. Raises ValueError on anything else."""
    m = _DURATION.match(text.strip())
    if not m or not any(m.groupdict().values()):
        raise ValueError(f"'{text}' is not an ISO 8601 duration (e.g. PT1H, P7D, PT300S)")
    g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return timedelta(weeks=g["w"], days=g["d"], hours=g["h"], minutes=g["m"], seconds=g["s"])


def parse_instant(text: str) -> datetime:
    t = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    dt = datetime.fromisoformat(t)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_timespan(text: str) -> timedelta | tuple[datetime, datetime]:
    """A duration, `start/end`, `start/duration` or `duration/end`."""
    if "/" not in text:
        return parse_duration(text)
    a, b = text.split("/", 1)
    if a.upper().startswith("P"):
        end = parse_instant(b)
        return (end - parse_duration(a), end)
    start = parse_instant(a)
    if b.upper().startswith("P"):
        return (start, start + parse_duration(b))
    return (start, parse_instant(b))
