"""Compare a query result with the output table the KQL reference docs show for an example.

The docs show *display strings* (`2016-02-17 08:40:00.0000000`, `700,000,000`, `True`, JSON with
`<br>` line breaks, headers in backticks); our engine returns typed values as the Log Analytics
query API encodes them (see "Public contracts" in docs/architecture.md). `compare()` interprets
each docs cell according to the type of our column and compares values, not text.

It is deliberately strict: normalisation only removes presentation differences (markup,
separators, case of booleans and guids, datetime/timespan spelling, the rounding of the digits
the docs show, JSON spacing and quoting). Anything that could be a different answer is a
mismatch.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

__all__ = ["Mismatch", "compare", "match_cell", "normalize_header"]

# Relative tolerance for reals (algorithmic noise: summation order, variance formulas...).
REL_TOL = Decimal("1e-9")
# Absolute tolerance for reals near zero (e.g. sin(pi) = 1.2e-16 shown as 0).
ABS_TOL = Decimal("1e-12")
# When the docs show at most this many decimals, our value must round to the digits shown.
MAX_DISPLAY_DECIMALS = 6


@dataclass(frozen=True)
class Mismatch:
    """What differs between the docs table and our result. `str()` gives a one-line summary."""

    kind: str  # "columns" | "row-count" | "row-width" | "cell" | "missing-row"
    message: str
    row: int | None = None  # 0-based index of the docs row
    column: str | None = None
    expected: str | None = None  # the docs cell, as shown
    actual: Any = None  # our value

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------
# Markup


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ENTITIES = {"&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#124;": "|"}
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")
_NULL_TEXTS = frozenset({"", "null", "(null)"})
_ELLIPSES = frozenset({"...", "…"})


def _demarkup(text: str) -> str:
    """The cell text without HTML line breaks and entities, trimmed."""
    text = _BR.sub("\n", text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text.strip()


def _unwrap(text: str) -> str | None:
    """The text inside one pair of markdown code/bold/autolink markers, or None."""
    for opener, closer in (("``", "``"), ("`", "`"), ("**", "**"), ("<", ">")):
        long_enough = len(text) > len(opener) + len(closer)
        if long_enough and text.startswith(opener) and text.endswith(closer):
            inner = text[len(opener) : -len(closer)]
            if opener == "<" and not re.fullmatch(r"[a-z][a-z0-9+.-]*:[^\s<>]+", inner):
                return None  # only autolinks, not arbitrary <...> text
            return inner.strip()
    return None


@lru_cache(maxsize=65536)
def _candidates(cell: str) -> tuple[str, ...]:
    """Readings of a docs cell: as shown (without HTML) and with markdown markers removed."""
    base = _demarkup(cell)
    out = [base]
    inner = _unwrap(base)
    if inner is not None and inner not in out:
        out.append(inner)
    link = _MD_LINK.fullmatch(base)  # [text](target): the text, or the target
    if link is not None:
        out.extend(part.strip() for part in link.groups() if part.strip() not in out)
    return tuple(out)


def normalize_header(header: str) -> str:
    """A docs column header without markdown: `` `Month` ``, `**x**`, `series\\_periods`."""
    text = _demarkup(header)
    while True:
        inner = _unwrap(text)
        if inner is None or inner == text:
            break
        text = inner
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)


# --------------------------------------------------------------------------------------------
# Scalars: parsing the docs' display forms and our encodings

_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SPECIAL_REALS = {
    "nan": "NaN",
    "∞": "Infinity",
    "+∞": "Infinity",
    "-∞": "-Infinity",
    "infinity": "Infinity",
    "+infinity": "Infinity",
    "-infinity": "-Infinity",
    "inf": "Infinity",
    "-inf": "-Infinity",
}
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def _strip_thousands(text: str) -> str:
    return text.replace(",", "") if _THOUSANDS.fullmatch(text) else text


@dataclass(frozen=True)
class _Shown:
    """A number as the docs show it: its value and how many decimals the display carries."""

    value: Decimal  # may be NaN or +-Infinity
    decimals: int  # digits after the decimal point, adjusted for an exponent


@lru_cache(maxsize=65536)
def _parse_shown_number(text: str) -> _Shown | None:
    text = _strip_thousands(text.strip())
    special = _SPECIAL_REALS.get(text.lower())
    if special is not None:
        return _Shown(Decimal(special), 0)
    m = _NUMBER.fullmatch(text)
    if m is None:
        return None
    mantissa = m.group(1)
    decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    if m.group(3):
        decimals -= int(m.group(3)[1:])
    try:
        return _Shown(Decimal(text), decimals)
    except InvalidOperation:
        return None


def _to_decimal(actual: Any) -> Decimal | None:
    if isinstance(actual, bool):
        return None
    if isinstance(actual, int | float | Decimal):
        return Decimal(actual)
    if isinstance(actual, str):  # decimal is text in our encoding
        shown = _parse_shown_number(actual)
        return shown.value if shown is not None else None
    return None


def _number_reason(shown_text: str, actual: Any) -> str | None:
    """None if our number equals the number the docs show, else why not.

    Accepted: equal within REL_TOL (or ABS_TOL near zero), or - when the docs show at least two
    decimals - within the rounding of the digits shown. In addition, when the docs show at most
    MAX_DISPLAY_DECIMALS decimals, our value must round to the digits shown: `10` does not
    accept 10.4 and `1675225922.4` does not accept 1675225922.5.
    """
    shown = _parse_shown_number(shown_text)
    if shown is None:
        return f"{shown_text!r} is not a number"
    ours = _to_decimal(actual)
    if ours is None:
        return f"expected the number {shown_text}, got {actual!r}"
    exp = shown.value
    if exp.is_nan() or ours.is_nan():
        return None if exp.is_nan() and ours.is_nan() else f"expected {shown_text}, got {actual!r}"
    if exp.is_infinite() or ours.is_infinite():
        return None if exp == ours else f"expected {shown_text}, got {actual!r}"
    diff = abs(ours - exp)
    half_unit = Decimal(5).scaleb(-shown.decimals - 1)
    slack = Decimal("1.000000001")
    noise = max(REL_TOL * max(abs(exp), abs(ours)), ABS_TOL)
    close = diff <= noise or (shown.decimals >= 2 and diff <= half_unit * slack)
    if close and shown.decimals <= MAX_DISPLAY_DECIMALS:
        close = diff <= half_unit * slack
    if close:
        return None
    return f"expected {shown_text}, got {actual!r}"


def _int_reason(text: str, actual: Any) -> str | None:
    plain = _strip_thousands(text)
    if not _INT.fullmatch(plain):
        return f"expected {text!r}, got {actual!r}"
    if isinstance(actual, bool) or not isinstance(actual, int):
        return _number_reason(plain, actual)
    return None if int(plain) == actual else f"expected {text}, got {actual!r}"


def _bool_reason(text: str, actual: Any) -> str | None:
    low = text.lower()
    if low not in _TRUE and low not in _FALSE:
        return f"expected {text!r}, got {actual!r}"
    if isinstance(actual, bool) or (isinstance(actual, int) and actual in (0, 1)):
        return None if (low in _TRUE) == bool(actual) else f"expected {text}, got {actual!r}"
    return f"expected the bool {text}, got {actual!r}"


# Datetimes and timespans compare as integers of 100 ns ticks.

_DATETIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"\s*(?:Z|UTC|[+-]00:?00)?"
)
_TIMESPAN = re.compile(r"(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?")
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_TICKS_PER_SECOND = 10_000_000


@dataclass(frozen=True)
class _Instant:
    ticks: int
    fraction_digits: int | None  # digits of second fractions shown; None: no seconds shown


def _fraction_ticks(fraction: str | None) -> int:
    return int((fraction or "").ljust(7, "0")[:7])


@lru_cache(maxsize=65536)
def _parse_datetime(text: str) -> _Instant | None:
    m = _DATETIME.fullmatch(text.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction = m.groups()
    try:
        date = _dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    h, mi, s = int(hour or 0), int(minute or 0), int(second or 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    seconds = (date.toordinal() - _EPOCH_ORDINAL) * 86_400 + h * 3600 + mi * 60 + s
    ticks = seconds * _TICKS_PER_SECOND + _fraction_ticks(fraction)
    digits = None if second is None else len(fraction or "")
    return _Instant(ticks, digits)


@lru_cache(maxsize=65536)
def _parse_timespan(text: str) -> _Instant | None:
    m = _TIMESPAN.fullmatch(text.strip())
    if m is None:
        return None
    sign, days, hours, minutes, seconds, fraction = m.groups()
    if int(hours) > 23 or int(minutes) > 59 or int(seconds or 0) > 59:
        return None
    total = int(days or 0) * 86_400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)
    ticks = total * _TICKS_PER_SECOND + _fraction_ticks(fraction)
    digits = None if seconds is None else len(fraction or "")
    return _Instant(-ticks if sign else ticks, digits)


def _ticks_close(shown: _Instant, ours: int) -> bool:
    """Equal, or - when the docs show 1 to 6 fraction digits - equal to the digits shown
    (rounded or truncated, as .NET's `fff` truncates)."""
    if shown.fraction_digits is None or not 1 <= shown.fraction_digits <= 6:
        return ours == shown.ticks
    unit = 10 ** (7 - shown.fraction_digits)
    return -unit / 2 <= ours - shown.ticks < unit


def _datetime_reason(text: str, actual: Any) -> str | None:
    shown = _parse_datetime(text)
    if shown is None:
        return f"{text!r} is not a datetime"
    ours = _parse_datetime(actual) if isinstance(actual, str) else None
    if ours is None:
        return f"expected the datetime {text}, got {actual!r}"
    return None if _ticks_close(shown, ours.ticks) else f"expected {text}, got {actual!r}"


def _timespan_reason(text: str, actual: Any) -> str | None:
    shown = _parse_timespan(text)
    if shown is None:
        return f"{text!r} is not a timespan"
    ours = _parse_timespan(actual) if isinstance(actual, str) else None
    if ours is None:
        return f"expected the timespan {text}, got {actual!r}"
    return None if _ticks_close(shown, ours.ticks) else f"expected {text}, got {actual!r}"


def _guid_reason(text: str, actual: Any) -> str | None:
    if not isinstance(actual, str):
        return f"expected the guid {text}, got {actual!r}"
    a, b = text.strip("{}").lower(), actual.strip().strip("{}").lower()
    return None if a == b else f"expected {text}, got {actual!r}"


def _string_reason(text: str, actual: Any, wildcard: bool) -> str | None:
    ours = "" if actual is None else actual
    if not isinstance(ours, str):
        return f"expected the string {text!r}, got {actual!r}"
    if text in (ours, ours.strip()):
        return None
    if wildcard and _elided_prefix_matches(text, ours):
        return None
    return f"expected {text!r}, got {actual!r}"


def _elided_prefix_matches(text: str, ours: str) -> bool:
    for mark in _ELLIPSES:
        if text.endswith(mark) and len(text) > len(mark):
            return ours.startswith(text[: -len(mark)])
    return False


# --------------------------------------------------------------------------------------------
# Dynamic values: the docs show JSON (sometimes Python-ish); ours is the parsed value.


@dataclass(frozen=True)
class _Num:
    """A number in docs JSON, kept as its text so its shown digits are known."""

    text: str


class _Elided:
    """`...` inside docs JSON whose content was elided: matches anything."""

    def __repr__(self) -> str:
        return "..."


ELIDED = _Elided()


class _LenientParser:
    """JSON, plus: single-quoted strings, Python literals (True/False/None), bare words as
    strings (`[yes, no]`), trailing commas and `...` (elided content, only if allowed)."""

    _WORD = re.compile(r"[^\s,:\[\]{}\"']+")

    def __init__(self, text: str, allow_elided: bool) -> None:
        self.text = text
        self.pos = 0
        self.allow_elided = allow_elided

    def parse(self) -> Any:
        value = self.value()
        self.skip()
        if self.pos != len(self.text):
            raise ValueError(f"trailing text at {self.pos}")
        return value

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self) -> Any:
        ch = self.peek()
        if ch == "{":
            return self.container("}", is_object=True)
        if ch == "[":
            return self.container("]", is_object=False)
        if ch in "\"'":
            return self.string(ch)
        m = self._WORD.match(self.text, self.pos)
        if m is None:
            raise ValueError(f"unexpected {ch!r} at {self.pos}")
        self.pos = m.end()
        word = m.group(0)
        if word in _ELLIPSES:
            if not self.allow_elided:
                raise ValueError("elided content")
            return ELIDED
        if word in ("true", "True"):
            return True
        if word in ("false", "False"):
            return False
        if word in ("null", "None"):
            return None
        if _NUMBER.fullmatch(word) or word.lower() in _SPECIAL_REALS:
            return _Num(word)
        return word

    def string(self, quote: str) -> str:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                chars.append(self.text[self.pos : self.pos + 2])
                self.pos += 2
                continue
            if ch == quote:
                self.pos += 1
                raw = "".join(chars)
                if quote == "'":
                    raw = raw.replace("\\'", "'").replace('"', '\\"')
                return str(json.loads('"' + raw + '"', strict=False))
            chars.append(ch)
            self.pos += 1
        raise ValueError(f"unterminated string at {start}")

    def container(self, closer: str, *, is_object: bool) -> Any:
        self.pos += 1
        items: list[Any] = []
        obj: dict[str, Any] = {}
        while True:
            if self.peek() == closer:
                self.pos += 1
                return obj if is_object else items
            if is_object:
                if self.peek() in _ELLIPSES or self.text.startswith("...", self.pos):
                    key_or_elided = self.value()
                    obj["..."] = key_or_elided
                else:
                    key = self.value()
                    if not isinstance(key, str | _Num):
                        raise ValueError("object key must be a string")
                    if self.peek() != ":":
                        raise ValueError(f"expected ':' at {self.pos}")
                    self.pos += 1
                    obj[key.text if isinstance(key, _Num) else key] = self.value()
            else:
                items.append(self.value())
                if items[-1] is ELIDED and self.peek() not in (",", closer):
                    continue  # `[ ... ... ]`
            ch = self.peek()
            if ch == ",":
                self.pos += 1
            elif ch != closer:
                raise ValueError(f"expected ',' or {closer!r} at {self.pos}")


_NO_JSON = object()


@lru_cache(maxsize=65536)
def _parse_json_like(text: str, allow_elided: bool) -> Any:
    """The docs JSON text as a value (numbers as `_Num`), or `_NO_JSON`."""
    try:
        return json.loads(text, parse_float=_Num, parse_int=_Num, parse_constant=_Num, strict=False)
    except ValueError:
        pass
    try:
        return _LenientParser(text, allow_elided).parse()
    except (ValueError, RecursionError):
        pass
    # Docs sometimes quote a nested object: `"Query Parameters":"{"k1":"v1"}"`.
    repaired = re.sub(r'"\s*([\[{])', r"\1", re.sub(r'([\]}])\s*"', r"\1", text))
    if repaired != text:
        try:
            return _LenientParser(repaired, allow_elided).parse()
        except (ValueError, RecursionError):
            pass
    return _NO_JSON


def _dyn_reason(exp: Any, ours: Any, path: str, wildcard: bool) -> str | None:
    """None if the docs JSON value `exp` equals our value `ours`, else why not."""
    if exp is ELIDED:
        return None
    if isinstance(exp, _Num):
        if isinstance(ours, bool) or not isinstance(ours, int | float):
            return f"at {path}: expected {exp.text}, got {ours!r}"
        reason = _number_reason(exp.text, ours)
        return None if reason is None else f"at {path}: {reason}"
    if exp is None or isinstance(exp, bool):
        if ours is exp:
            return None
        return f"at {path}: expected {json.dumps(exp)}, got {ours!r}"
    if isinstance(exp, str):
        if isinstance(ours, str):
            if exp == ours or (wildcard and _elided_prefix_matches(exp, ours)):
                return None
            a, b = _parse_datetime(exp), _parse_datetime(ours)
            both_iso = "T" in exp and "T" in ours
            if a is not None and b is not None and both_iso and _ticks_close(a, b.ticks):
                return None
        return f"at {path}: expected {exp!r}, got {ours!r}"
    if isinstance(exp, list):
        if not isinstance(ours, list):
            return f"at {path}: expected an array, got {ours!r}"
        return _list_reason(exp, ours, path, wildcard)
    if isinstance(exp, dict):
        if not isinstance(ours, dict):
            return f"at {path}: expected an object, got {ours!r}"
        keys = [k for k in exp if not (k == "..." and exp[k] is ELIDED)]
        elided = len(keys) != len(exp)
        missing = [k for k in keys if k not in ours]
        extra = [k for k in ours if k not in exp]
        if missing or (extra and not elided):
            return f"at {path}: keys differ: expected {sorted(keys)}, got {sorted(ours)}"
        for key in keys:
            reason = _dyn_reason(exp[key], ours[key], f"{path}.{key}", wildcard)
            if reason is not None:
                return reason
        return None
    return f"at {path}: cannot compare {exp!r}"


def _list_reason(exp: list[Any], ours: list[Any], path: str, wildcard: bool) -> str | None:
    if any(item is ELIDED for item in exp):
        cut = next(i for i, item in enumerate(exp) if item is ELIDED)
        head, tail = exp[:cut], [item for item in exp[cut + 1 :] if item is not ELIDED]
        if len(ours) < len(head) + len(tail):
            return f"at {path}: expected at least {len(head) + len(tail)} items, got {len(ours)}"
        pairs = list(zip(head, ours)) + list(zip(tail, ours[len(ours) - len(tail) :]))
    else:
        if len(exp) != len(ours):
            return f"at {path}: expected {len(exp)} items, got {len(ours)}"
        pairs = list(zip(exp, ours))
    for i, (e, o) in enumerate(pairs):
        reason = _dyn_reason(e, o, f"{path}[{i}]", wildcard)
        if reason is not None:
            return reason
    return None


def _dynamic_reason(text: str, actual: Any, wildcard: bool) -> str | None:
    if actual is None:
        return None if text in _NULL_TEXTS else f"expected {text!r}, got null"
    if isinstance(actual, str):  # a dynamic string: the docs show it without quotes
        if text in (actual, actual.strip()) or (wildcard and _elided_prefix_matches(text, actual)):
            return None
        parsed = _parse_json_like(text, wildcard)
        if isinstance(parsed, str) and parsed == actual:
            return None
        return f"expected {text!r}, got {actual!r}"
    if isinstance(actual, bool):
        return _bool_reason(text, actual)
    if isinstance(actual, int | float):
        return _number_reason(text, actual)
    parsed = _parse_json_like(text, wildcard)
    if parsed is _NO_JSON:
        return f"expected {text!r} (not JSON), got {_short_json(actual)}"
    reason = _dyn_reason(parsed, actual, "$", wildcard)
    return None if reason is None else f"{reason} (expected {text!r})"


def _short_json(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


# --------------------------------------------------------------------------------------------
# Cells

_TYPE_ALIASES = {
    "bool": "bool",
    "boolean": "bool",
    "int": "long",
    "int32": "long",
    "long": "long",
    "int64": "long",
    "real": "real",
    "double": "real",
    "float": "real",
    "decimal": "decimal",
    "string": "string",
    "datetime": "datetime",
    "date": "datetime",
    "timespan": "timespan",
    "time": "timespan",
    "guid": "guid",
    "uuid": "guid",
    "uniqueid": "guid",
    "dynamic": "dynamic",
}


def _kind_of(ktype: str, actual: Any) -> str:
    """The comparison to use: the column's Kusto type, unless our value cannot be of it."""
    kind = _TYPE_ALIASES.get((ktype or "").lower(), "")
    if kind and actual is not None:
        fits = {
            "bool": isinstance(actual, bool | int),
            "long": isinstance(actual, int | float) and not isinstance(actual, bool),
            "real": isinstance(actual, int | float) and not isinstance(actual, bool),
            "decimal": isinstance(actual, str | int | float) and not isinstance(actual, bool),
            "string": isinstance(actual, str),
            "datetime": isinstance(actual, str),
            "timespan": isinstance(actual, str),
            "guid": isinstance(actual, str),
            "dynamic": True,
        }[kind]
        if fits:
            return "real" if kind == "long" and isinstance(actual, float) else kind
        kind = ""
    if kind:
        return kind
    # Unknown type name: go by our value.
    if actual is None or isinstance(actual, dict | list):
        return "dynamic"
    if isinstance(actual, bool):
        return "bool"
    if isinstance(actual, int):
        return "long"
    if isinstance(actual, float):
        return "real"
    return "string"


def _typed_reason(kind: str, text: str, actual: Any, wildcard: bool) -> str | None:
    if kind == "string":
        return _string_reason(text, actual, wildcard)
    if kind == "dynamic":
        return _dynamic_reason(text, actual, wildcard)
    if actual is None:
        return None if text in _NULL_TEXTS else f"expected {text!r}, got null"
    if text in _NULL_TEXTS:
        return f"expected null ({text!r}), got {actual!r}"
    checks: dict[str, Callable[[str, Any], str | None]] = {
        "bool": _bool_reason,
        "long": _int_reason,
        "real": _number_reason,
        "decimal": _number_reason,
        "datetime": _datetime_reason,
        "timespan": _timespan_reason,
        "guid": _guid_reason,
    }
    return checks[kind](text, actual)


def match_cell(cell: str, ktype: str, actual: Any, *, wildcard: bool = False) -> str | None:
    """None if the docs cell (display text) shows our value of Kusto type `ktype`, else why not.

    `wildcard`: a cell `...` matches anything and a trailing `...` elides the rest of a text.
    """
    kind = _kind_of(ktype, actual)
    first: str | None = None
    for text in _candidates(cell):
        if wildcard and text in _ELLIPSES:
            return None
        reason = _typed_reason(kind, text, actual, wildcard)
        if reason is None:
            return None
        first = first or reason
    return first


# --------------------------------------------------------------------------------------------
# Tables


def _row_reason(
    exp_row: Sequence[str],
    act_row: Sequence[Any],
    types: Sequence[str],
    wildcard: bool,
) -> tuple[int, str] | None:
    """The first differing cell (index, reason) comparing the first len(exp_row) cells."""
    for i, cell in enumerate(exp_row):
        if i >= len(act_row):
            return i, f"our row has only {len(act_row)} cells"
        reason = match_cell(cell, types[i], act_row[i], wildcard=wildcard)
        if reason is not None:
            return i, reason
    return None


def _max_matching(
    n_exp: int, n_act: int, matches: Callable[[int, int], bool]
) -> tuple[list[int | None], list[int | None]]:
    """Maximum bipartite matching (Kuhn): exp_to_act and act_to_exp assignments."""
    exp_to_act: list[int | None] = [None] * n_exp
    act_to_exp: list[int | None] = [None] * n_act

    def augment(i: int, seen: set[int]) -> bool:
        for j in range(n_act):
            if j in seen or not matches(i, j):
                continue
            seen.add(j)
            owner = act_to_exp[j]
            if owner is None or augment(owner, seen):
                exp_to_act[i] = j
                act_to_exp[j] = i
                return True
        return False

    for i in range(n_exp):
        augment(i, set())
    return exp_to_act, act_to_exp


def _fmt_row(row: Sequence[Any]) -> str:
    text = json.dumps(list(row), ensure_ascii=False, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def compare(
    example: dict[str, Any], columns: list[tuple[str, str]], rows: list[list[Any]]
) -> Mismatch | None:
    """Compare our result (`columns` as (name, Kusto type), `rows` as the query API encodes
    values) with the docs table of a corpus example. None when they agree.

    The example's `notes` choose the row comparison: `partial-output` - every docs row must
    appear in our rows (multiset containment, `...` cells match anything); `order-sensitive` /
    `single-row` - in order; `order-insensitive` (or no ordering note) - as multisets;
    `ragged-rows` - only the common prefix of each row is compared.
    """
    notes = set(example.get("notes") or [])
    partial = "partial-output" in notes
    ragged = "ragged-rows" in notes
    wildcard = partial or "elided-cell-content" in notes
    ordered = not partial and bool(notes & {"order-sensitive", "single-row"})

    exp_names = [normalize_header(h) for h in example.get("expected_columns") or []]
    exp_rows: list[list[str]] = [list(r) for r in example.get("expected_rows") or []]
    act_names = [str(c[0]) for c in columns]
    act_types = [str(c[1]) if len(c) > 1 else "" for c in columns]

    width = len(exp_names)
    if partial and any(n in _ELLIPSES for n in exp_names):  # more columns elided
        width = next(i for i, n in enumerate(exp_names) if n in _ELLIPSES)
        if len(act_names) < width:
            return Mismatch(
                "columns", f"columns: expected at least {exp_names[:width]}, got {act_names}"
            )
        act_prefix = act_names[:width]
    elif ragged:
        width = min(width, len(act_names))
        act_prefix = act_names[:width]
    else:
        act_prefix = act_names
    if exp_names[:width] != act_prefix:
        return Mismatch("columns", f"columns: expected {exp_names[:width]}, got {act_names}")

    if partial:
        exp_rows = [r for r in exp_rows if not all(c.strip() in _ELLIPSES for c in r)]
    for i, row in enumerate(exp_rows):
        if ragged or partial:
            exp_rows[i] = row[: min(len(row), width)]
        elif len(row) != width:
            return Mismatch(
                "row-width", f"docs row {i} has {len(row)} cells for {width} columns", row=i
            )

    if partial:
        if len(rows) < len(exp_rows):
            return Mismatch(
                "row-count",
                f"row count: expected at least {len(exp_rows)} rows, got {len(rows)}",
            )
    elif len(rows) != len(exp_rows):
        return Mismatch("row-count", f"row count: expected {len(exp_rows)} rows, got {len(rows)}")

    def cell_mismatch(i: int, j: int, hit: tuple[int, str], kind: str, head: str) -> Mismatch:
        col, reason = hit
        name = exp_names[col] if col < len(exp_names) else f"#{col}"
        ktype = act_types[col] if col < len(act_types) else "?"
        actual = rows[j][col] if col < len(rows[j]) else None
        return Mismatch(
            kind,
            f"{head}column {name!r} ({ktype}): {reason}",
            row=i,
            column=name,
            expected=exp_rows[i][col],
            actual=actual,
        )

    if ordered:
        for i, (exp_row, act_row) in enumerate(zip(exp_rows, rows)):
            hit = _row_reason(exp_row, act_row, act_types, wildcard)
            if hit is not None:
                return cell_mismatch(i, i, hit, "cell", f"row {i}, ")
        return None

    cache: dict[tuple[int, int], bool] = {}

    def matches(i: int, j: int) -> bool:
        key = (i, j)
        if key not in cache:
            cache[key] = _row_reason(exp_rows[i], rows[j], act_types, wildcard) is None
        return cache[key]

    exp_to_act, _ = _max_matching(len(exp_rows), len(rows), matches)
    unmatched = [i for i, j in enumerate(exp_to_act) if j is None]
    if not unmatched:
        return None
    i = unmatched[0]
    # Explain with our row that agrees with the docs row on the most leading cells.
    best_j, best_hit = -1, None
    best_score = -1
    for j in range(len(rows)):
        hit = _row_reason(exp_rows[i], rows[j], act_types, wildcard)
        score = len(exp_rows[i]) if hit is None else hit[0]
        if score > best_score:
            best_j, best_hit, best_score = j, hit, score
    what = "is not among our rows" if partial else "has no counterpart in our rows"
    head = f"docs row {i} {_fmt_row(exp_rows[i])} {what}"
    if best_hit is None:  # every candidate is already used by another docs row
        return Mismatch(
            "missing-row",
            f"{head} (it matches only rows already matched: duplicates differ)",
            row=i,
            expected=None,
        )
    return cell_mismatch(
        i, best_j, best_hit, "missing-row", f"{head}; closest is our row {best_j}, differing at "
    )
