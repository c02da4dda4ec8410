"""Literal text: datetime, timespan, guid and relaxed dynamic (JSON) values."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from kustodian.kql.types import TICKS_PER_SECOND

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_DT_RE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)


def parse_datetime_ns(text: str) -> int | None:
    """Nanoseconds since the Unix epoch for Kusto datetime text, or None if it is not one.

    Accepts ISO 8601 (`2020-01-01T10:00:00.1234567Z`), `2020-01-01 10:00`, RFC 822/850
    forms and `yyyyMMdd`.
    """
    m = _DT_RE.match(text)
    if m is None:
        return _parse_other_datetime(text)
    y, mo, d, h, mi, s, frac, tz = m.groups()
    try:
        base = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), tzinfo=UTC)
    except ValueError:
        return None
    ns = _seconds_ns(base)
    if frac:
        ns += int(frac.ljust(9, "0")[:9])
    if tz and tz.upper() != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        ns -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * 1_000_000_000
    return ns


def _seconds_ns(dt: datetime) -> int:
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000


_OTHER_FORMATS = (
    "%a, %d %b %Y %H:%M:%S GMT",
    "%a, %d %b %Y %H:%M:%S %Z",
    "%d %b %Y %H:%M:%S GMT",
    "%A, %d-%b-%y %H:%M:%S GMT",
    "%a, %d %b %Y %H:%M GMT",
    "%Y%m%d",
    "%Y%m%d%H%M%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%m-%d-%Y",
)


def _parse_other_datetime(text: str) -> int | None:
    t = text.strip()
    for fmt in _OTHER_FORMATS:
        try:
            dt = datetime.strptime(t, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return _seconds_ns(dt)
    return None


_TS_COLON = re.compile(r"^\s*(-)?(?:(\d+)\.)?(\d+):(\d+)(?::(\d+)(?:\.(\d{1,7}))?)?\s*$")
_TS_UNIT = re.compile(r"^\s*(-)?(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$")
_UNITS = {
    "d": 864_000_000_000,
    "day": 864_000_000_000,
    "days": 864_000_000_000,
    "h": 36_000_000_000,
    "hr": 36_000_000_000,
    "hrs": 36_000_000_000,
    "hour": 36_000_000_000,
    "hours": 36_000_000_000,
    "m": 600_000_000,
    "min": 600_000_000,
    "minute": 600_000_000,
    "minutes": 600_000_000,
    "s": TICKS_PER_SECOND,
    "sec": TICKS_PER_SECOND,
    "second": TICKS_PER_SECOND,
    "seconds": TICKS_PER_SECOND,
    "ms": 10_000,
    "milli": 10_000,
    "millis": 10_000,
    "millisecond": 10_000,
    "milliseconds": 10_000,
    "microsecond": 10,
    "microseconds": 10,
    "micro": 10,
    "micros": 10,
    "tick": 1,
    "ticks": 1,
}


def parse_timespan_ticks(text: str) -> int | None:
    """Ticks (100 ns) for timespan text: `1.02:03:04.5`, `00:05:00`, `5m`, `1.5d`, or a bare
    number of days (`timespan(2)`)."""
    m = _TS_COLON.match(text)
    if m:
        neg, d, h, mi, s, frac = m.groups()
        ticks = ((int(d or 0) * 24 + int(h)) * 60 + int(mi)) * 60 * TICKS_PER_SECOND
        ticks += int(s or 0) * TICKS_PER_SECOND + int((frac or "0").ljust(7, "0"))
        return -ticks if neg else ticks
    m = _TS_UNIT.match(text)
    if m and m.group(3).lower() in _UNITS:
        ticks = round(float(m.group(2)) * _UNITS[m.group(3).lower()])
        return -ticks if m.group(1) else ticks
    try:
        return round(float(text) * _UNITS["d"])
    except ValueError:
        return None


_GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)


def parse_guid(text: str) -> str | None:
    t = text.strip()
    if not _GUID_RE.match(t):
        return None
    h = t.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_DYN_SPECIAL = re.compile(r"(datetime|timespan|guid)\(([^)]*)\)")


def relaxed_json(raw: str) -> tuple[object, bool]:
    """JSON with single-quoted strings and datetime()/timespan()/guid() values inside."""

    def special(m: re.Match[str]) -> str:
        kind, body = m.group(1), m.group(2).strip()
        if kind == "datetime":
            ns = parse_datetime_ns(body)
            return json.dumps(format_datetime_ns(ns) if ns is not None else None)
        if kind == "timespan":
            ticks = parse_timespan_ticks(body)
            return json.dumps(format_timespan_ticks(ticks) if ticks is not None else None)
        return json.dumps(parse_guid(body))

    text = _DYN_SPECIAL.sub(special, _unwrap_dynamic(raw))
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "'":
            j = i + 1
            buf = []
            while j < len(text) and text[j] != "'":
                if text[j] == "\\" and j + 1 < len(text):
                    buf.append(text[j : j + 2])
                    j += 2
                    continue
                buf.append('\\"' if text[j] == '"' else text[j])
                j += 1
            out.append('"' + "".join(buf) + '"')
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    try:
        return json.loads("".join(out)), True
    except ValueError:
        return None, False


def _unwrap_dynamic(text: str) -> str:
    """`dynamic([1, dynamic({"a": 2})])`: a nested dynamic(...) is its content."""
    while True:
        i = text.find("dynamic(")
        if i < 0:
            return text
        depth, j = 0, i + len("dynamic")
        while j < len(text):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        text = text[:i] + text[i + len("dynamic(") : j] + text[j + 1 :]


def format_datetime_ns(ns: int) -> str:
    """ISO 8601 UTC text with up to 7 fraction digits, trailing zeros trimmed."""
    secs, rem = divmod(ns, 1_000_000_000)
    dt = datetime.fromtimestamp(secs, tz=UTC) if secs >= 0 else _EPOCH + _td(secs)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    ticks = rem // 100
    if ticks:
        base += "." + f"{ticks:07d}".rstrip("0")
    return base + "Z"


def _td(secs: int) -> timedelta:
    return timedelta(seconds=secs)


def format_timespan_ticks(ticks: int) -> str:
    """.NET "c" format: `[-][d.]hh:mm:ss[.fffffff]`."""
    sign = "-" if ticks < 0 else ""
    ticks = abs(ticks)
    secs, frac = divmod(ticks, TICKS_PER_SECOND)
    days, secs = divmod(secs, 86_400)
    h, secs = divmod(secs, 3600)
    m, s = divmod(secs, 60)
    out = f"{sign}{f'{days}.' if days else ''}{h:02d}:{m:02d}:{s:02d}"
    if frac:
        out += f".{frac:07d}"
    return out
