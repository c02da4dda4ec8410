"""Date and time: calendar boundaries (startof*/endof*), parts, calendar arithmetic, formatting,
construction, Unix-epoch conversions and time zones.

A datetime is handled as nanoseconds since the epoch (`epoch_ns`) and rebuilt with
`from_epoch_ns`, so Kusto's 100 ns ticks survive; engine date functions are used only for
calendar fields and for month arithmetic on whole days, where no precision is at stake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions.base import Arg, Ctx, Family, FunctionSpec, to_real
from kustodian.kql.sqlnodes import cast, epoch_ns, fn, lit, null_of
from kustodian.kql.types import KType

FAMILY = Family("datetime")
add = FAMILY.add
T = FAMILY.template

TICK_NS = 100
SEC_NS = 1_000_000_000
MIN_NS = 60 * SEC_NS
HOUR_NS = 60 * MIN_NS
DAY_NS = 24 * HOUR_NS
WEEK_NS = 7 * DAY_NS
TICKS_PER_SEC = SEC_NS // TICK_NS
# 1970-01-01 is a Thursday: shifting by four days puts week boundaries on Sundays.
SUNDAY_SHIFT_NS = 4 * DAY_NS
# Kusto's datetime range, 0001-01-01 .. 9999-12-31, in seconds since the epoch.
MIN_SECONDS = -62_135_596_800
END_SECONDS = 253_402_300_800

# ------------------------------------------------------------------ engine operations

T("dt_year", "year({0})", "year({0})")
T("dt_quarter", "quarter({0})", "quarter({0})")
T("dt_month", "month({0})", "month({0})")
T("dt_day", "day({0})", "dayofmonth({0})")
T("dt_dayofyear", "dayofyear({0})", "dayofyear({0})")
T("dt_hour", "hour({0})", "hour({0})")
T("dt_minute", "minute({0})", "minute({0})")
T("dt_second", "second({0})", "second({0})")
T("dt_isoweek", "week({0})", "weekofyear({0})")
T("dt_dow", "dayofweek({0})", "(dayofweek({0}) - 1)")  # 0 = Sunday
T(
    "dt_month_start",
    "CAST(date_trunc('month', {0}) AS TIMESTAMP_NS)",
    "CAST(trunc({0}, 'MM') AS TIMESTAMP)",
)
T(
    "dt_year_start",
    "CAST(date_trunc('year', {0}) AS TIMESTAMP_NS)",
    "CAST(trunc({0}, 'YEAR') AS TIMESTAMP)",
)
# midnight of the day of {0}, {1} calendar months later (the day clamped to the month's end)
T(
    "dt_add_months",
    "CAST(CAST({0} AS DATE) + to_months(CAST({1} AS INTEGER)) AS TIMESTAMP_NS)",
    "CAST(add_months(to_date({0}), CAST({1} AS INT)) AS TIMESTAMP)",
)
# days since the epoch of a civil date, NULL when the date does not exist
T(
    "days_from_civil",
    "(try(make_date(CAST({0} AS BIGINT), CAST({1} AS BIGINT), CAST({2} AS BIGINT))) - DATE '1970-01-01')",
    "datediff(make_date({0}, {1}, {2}), DATE'1970-01-01')",
)
# a non-negative integer in decimal, zero-padded to at least {1} digits ({1} is our literal)
T(
    "zero_pad",
    lambda a: f"printf('%0{a[1]}d', {a[0]})",
    lambda a: f"format_string('%0{a[1]}d', {a[0]})",
)
T("rtrim_zeros", "rtrim({0}, '0')", "regexp_replace({0}, '0+$', '')")

# Time zones (ICU in DuckDB). The offset is taken at microsecond precision (offsets are whole
# seconds) and applied to the nanoseconds, so the ticks survive.
_UTC_OFFSET_US = "(epoch_us(timezone({1}, timezone('UTC', CAST({0} AS TIMESTAMP)))) - epoch_us(CAST({0} AS TIMESTAMP)))"
# Offset at the instant DuckDB maps the local time to. Inside a DST gap DuckDB moves the time
# forward, whose instant already has the new offset: subtracting it gives Kusto's answer
# (Brussels 2022-03-27 02:00 -> 00:00 UTC). Ambiguous times resolve to standard time, as in .NET.
_LOCAL_OFFSET_US = (
    "(epoch_us(timezone({1}, timezone({1}, CAST({0} AS TIMESTAMP)))) "
    "- epoch_us(timezone({1}, CAST({0} AS TIMESTAMP))))"
)
T(
    "utc_to_local",
    "make_timestamp_ns(epoch_ns({0}) + " + _UTC_OFFSET_US + " * 1000)",
    "from_utc_timestamp({0}, {1})",
)
T(
    "local_to_utc",
    "make_timestamp_ns(epoch_ns({0}) - " + _LOCAL_OFFSET_US + " * 1000)",
    # Spark moves a time in a gap forward; taking back the difference maps it as Kusto does
    "timestamp_micros(unix_micros(to_utc_timestamp({0}, {1})) "
    "- unix_micros(from_utc_timestamp(to_utc_timestamp({0}, {1}), {1})) + unix_micros({0}))",
)


# ------------------------------------------------------------------ helpers


def _n(value: int) -> exp.Expression:
    return lit(value)


def _add(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Add(this=a, expression=b)


def _sub(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Sub(this=a, expression=b)


def _mul(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Mul(this=a, expression=b)


def _fdiv(a: exp.Expression, b: int) -> exp.Expression:
    """Floor division (pre-1970 instants are negative)."""
    return fn("floor_div", a, _n(b))


def _fmod(a: exp.Expression, b: int) -> exp.Expression:
    return _sub(a, _mul(_fdiv(a.copy(), b), _n(b)))


def _ns(a: Arg) -> exp.Expression:
    return epoch_ns(a.sql.copy())


def _dt(ns: exp.Expression) -> exp.Expression:
    return fn("from_epoch_ns", ns)


def _int(e: exp.Expression) -> exp.Expression:
    return cast(e, KType.INT)


def _long(e: exp.Expression) -> exp.Expression:
    return cast(e, KType.LONG)


def _field(op: str, a: Arg) -> exp.Expression:
    return fn(op, a.sql.copy())


def _big(a: Arg) -> exp.Expression:
    """An integer argument as BIGINT: the engine types small literals as 32-bit, and products
    with nanosecond factors would overflow."""
    return _long(a.sql.copy())


def _ticks_of_seconds(s: Arg) -> exp.Expression:
    """Seconds (any number) as whole ticks, rounded to the nearest tick."""
    if s.type in (KType.INT, KType.LONG):
        return _mul(_big(s), _n(TICKS_PER_SEC))
    scaled = _mul(to_real(s), lit(float(TICKS_PER_SEC)))
    return _long(exp.Round(this=scaled))


def _between(e: exp.Expression, low: exp.Expression, high: exp.Expression) -> exp.Expression:
    return exp.Between(this=e, low=low, high=high)


# ------------------------------------------------------------------ argument checks


@dataclass(frozen=True)
class Want:
    """The types an argument may have, and Kusto's message (and code) otherwise."""

    types: tuple[KType, ...]
    message: str
    ks: str


_DATETIME = Want((KType.DATETIME,), "A value of type datetime expected.", "KS107")
_TIMESPAN = Want((KType.TIMESPAN,), "A value of type timespan expected.", "KS107")
_STRING = Want((KType.STRING,), "A value of type string expected.", "KS107")
_OFFSET = Want((KType.INT, KType.LONG), "A value of type long expected.", "KS107")
_INTEGER = Want((KType.INT, KType.LONG), "The expression value must be an integer.", "KS134")
_NUMBER = Want(
    (KType.INT, KType.LONG, KType.REAL, KType.DECIMAL),
    "The expression value must be a number.",
    "KS137",
)


def _typed(ctx: Ctx, args: list[Arg], wants: list[Want]) -> list[Arg] | None:
    """The arguments checked against `wants` (one per argument), untyped nulls given the
    wanted type; None after reporting the first mismatch."""
    out: list[Arg] = []
    for a, want in zip(args, wants, strict=False):
        if a.type is KType.NULL:
            t = want.types[0]
            out.append(Arg(null_of(t), t, a.span, None, a.source))
        elif a.type in want.types:
            out.append(a)
        else:
            ctx.error(D.type_error(want.message, a.span, ks=want.ks))
            return None
    return out


def _part(ctx: Ctx, a: Arg, allowed: tuple[str, ...]) -> str | None:
    """The constant part name of datetime_add/diff/part, lower-cased; None after an error."""
    if not a.is_const:
        ctx.error(D.not_constant(f"the part argument of {ctx.name}()", a.span))
        return None
    if not isinstance(a.const, str):
        ctx.error(D.type_error("A value of type string expected.", a.span, ks="KS107"))
        return None
    part = a.const.lower()
    if part not in allowed:
        values = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        ctx.error(
            D.type_error(f"The expression must be one of the values: {values}", a.span, ks="KS140")
        )
        return None
    return part


# ------------------------------------------------------------------ startof / endof

Bound = Callable[[Arg, exp.Expression], exp.Expression]  # (datetime, period offset) -> datetime


def _day_start(dt: Arg, k: exp.Expression) -> exp.Expression:
    return _dt(_mul(_add(_fdiv(_ns(dt), DAY_NS), k), _n(DAY_NS)))


def _week_start(dt: Arg, k: exp.Expression) -> exp.Expression:
    week = _add(_fdiv(_add(_ns(dt), _n(SUNDAY_SHIFT_NS)), WEEK_NS), k)
    return _dt(_sub(_mul(week, _n(WEEK_NS)), _n(SUNDAY_SHIFT_NS)))


def _month_start(dt: Arg, k: exp.Expression) -> exp.Expression:
    return fn("dt_add_months", _field("dt_month_start", dt), k)


def _year_start(dt: Arg, k: exp.Expression) -> exp.Expression:
    return fn("dt_add_months", _field("dt_year_start", dt), _mul(k, _n(12)))


def _offset(args: list[Arg]) -> exp.Expression:
    return _big(args[1]) if len(args) > 1 else _n(0)


def _start_of(bound: Bound) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        typed = _typed(ctx, args, [_DATETIME, _OFFSET])
        if typed is None:
            return exp.Null()
        return bound(typed[0], _offset(typed))

    return lower


def _end_of(bound: Bound) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    """The last tick before the start of the next period."""

    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        typed = _typed(ctx, args, [_DATETIME, _OFFSET])
        if typed is None:
            return exp.Null()
        start = bound(typed[0], _add(_offset(typed), _n(1)))
        return _dt(_sub(epoch_ns(start), _n(TICK_NS)))

    return lower


for _name, _bound in (
    ("day", _day_start),
    ("week", _week_start),
    ("month", _month_start),
    ("year", _year_start),
):
    _naming = "first_arg" if _name == "day" else "none"  # as Kusto names them
    add(FunctionSpec(f"startof{_name}", 1, 2, KType.DATETIME, _start_of(_bound), naming=_naming))
    add(FunctionSpec(f"endof{_name}", 1, 2, KType.DATETIME, _end_of(_bound)))


# ------------------------------------------------------------------ parts


def _frac_ns(dt: Arg) -> exp.Expression:
    return _fmod(_ns(dt), SEC_NS)


_PART_FIELDS = {
    "year": "dt_year",
    "quarter": "dt_quarter",
    "month": "dt_month",
    "week_of_year": "dt_isoweek",
    "day": "dt_day",
    "dayofyear": "dt_dayofyear",
    "hour": "dt_hour",
    "minute": "dt_minute",
    "second": "dt_second",
}
_FRACTION_UNITS = {"millisecond": 1_000_000, "microsecond": 1_000, "nanosecond": 1}
_PARTS = (*_PART_FIELDS, *_FRACTION_UNITS)


def _datetime_part(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    part = _part(ctx, args[0], _PARTS)
    typed = _typed(ctx, args[1:], [_DATETIME])
    if part is None or typed is None:
        return exp.Null()
    dt = typed[0]
    if part in _PART_FIELDS:
        return _int(_field(_PART_FIELDS[part], dt))
    return _int(_fdiv(_frac_ns(dt), _FRACTION_UNITS[part]))


add(FunctionSpec("datetime_part", 2, 2, KType.INT, _datetime_part, aliases=("datepart",)))


def _getter(op: str) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        typed = _typed(ctx, args, [_DATETIME])
        return exp.Null() if typed is None else _int(_field(op, typed[0]))

    return lower


add(FunctionSpec("dayofmonth", 1, 1, KType.INT, _getter("dt_day")))
add(FunctionSpec("dayofyear", 1, 1, KType.INT, _getter("dt_dayofyear")))
add(FunctionSpec("hourofday", 1, 1, KType.INT, _getter("dt_hour")))
add(FunctionSpec("getyear", 1, 1, KType.INT, _getter("dt_year")))
add(FunctionSpec("getmonth", 1, 1, KType.INT, _getter("dt_month")))
add(FunctionSpec("monthofyear", 1, 1, KType.INT, _getter("dt_month")))
add(FunctionSpec("week_of_year", 1, 1, KType.INT, _getter("dt_isoweek"), aliases=("weekofyear",)))


def _dayofweek(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    typed = _typed(ctx, args, [_DATETIME])
    if typed is None:
        return exp.Null()
    return _mul(_long(_field("dt_dow", typed[0])), _n(DAY_NS // TICK_NS))


add(FunctionSpec("dayofweek", 1, 1, KType.TIMESPAN, _dayofweek))


# ------------------------------------------------------------------ calendar arithmetic

_MONTHS = {"year": 12, "quarter": 3, "month": 1}
_FIXED_NS = {
    "week": WEEK_NS,
    "day": DAY_NS,
    "hour": HOUR_NS,
    "minute": MIN_NS,
    "second": SEC_NS,
    "millisecond": 1_000_000,
    "microsecond": 1_000,
    "nanosecond": 1,
}
_UNITS = (*_MONTHS, *_FIXED_NS)


def _datetime_add(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    part = _part(ctx, args[0], _UNITS)
    typed = _typed(ctx, args[1:], [_INTEGER, _DATETIME])
    if part is None or typed is None:
        return exp.Null()
    amount, dt = typed
    if part in _MONTHS:
        day = fn("dt_add_months", dt.sql.copy(), _mul(_big(amount), _n(_MONTHS[part])))
        return _dt(_add(epoch_ns(day), _fmod(_ns(dt), DAY_NS)))
    if part == "nanosecond":  # whole ticks only
        delta = _mul(fn("int_div", _big(amount), _n(TICK_NS)), _n(TICK_NS))
    else:
        delta = _mul(_big(amount), _n(_FIXED_NS[part]))
    return _dt(_add(_ns(dt), delta))


add(FunctionSpec("datetime_add", 3, 3, KType.DATETIME, _datetime_add))


def _month_index(dt: Arg, months_per_unit: int) -> exp.Expression:
    """Calendar units (years, quarters or months) since year 0, for counting boundaries."""
    year = _long(_field("dt_year", dt))
    if months_per_unit == 12:
        return year
    if months_per_unit == 3:
        return _add(_mul(year, _n(4)), _long(_field("dt_quarter", dt)))
    return _add(_mul(year, _n(12)), _long(_field("dt_month", dt)))


def _unit_index(dt: Arg, part: str) -> exp.Expression:
    if part in _MONTHS:
        return _month_index(dt, _MONTHS[part])
    if part == "week":
        return _fdiv(_add(_ns(dt), _n(SUNDAY_SHIFT_NS)), WEEK_NS)
    if part == "nanosecond":
        return _ns(dt)
    return _fdiv(_ns(dt), _FIXED_NS[part])


def _datetime_diff(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    """Kusto counts the unit boundaries crossed between the two instants (weeks start on
    Sunday), not whole elapsed units."""
    part = _part(ctx, args[0], _UNITS)
    typed = _typed(ctx, args[1:], [_DATETIME, _DATETIME])
    if part is None or typed is None:
        return exp.Null()
    return _sub(_unit_index(typed[0], part), _unit_index(typed[1], part))


add(FunctionSpec("datetime_diff", 3, 3, KType.LONG, _datetime_diff))


# ------------------------------------------------------------------ construction


def _make_datetime(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    wants = [_INTEGER, _INTEGER, _INTEGER, _INTEGER, _INTEGER, _NUMBER]
    typed = _typed(ctx, args, wants[: len(args)])
    if typed is None:
        return exp.Null()
    year, month, day = (_big(a) for a in typed[:3])
    ns: exp.Expression = _mul(fn("days_from_civil", year, month, day), _n(DAY_NS))
    valid: exp.Expression = _between(year.copy(), _n(1), _n(9999))
    if len(typed) > 3:
        hour = _big(typed[3])
        ns = _add(ns, _mul(hour.copy(), _n(HOUR_NS)))
        valid = exp.and_(valid, _between(hour.copy(), _n(0), _n(23)))
    if len(typed) > 4:
        minute = _big(typed[4])
        ns = _add(ns, _mul(minute.copy(), _n(MIN_NS)))
        valid = exp.and_(valid, _between(minute.copy(), _n(0), _n(59)))
    if len(typed) > 5:
        second = typed[5]
        ns = _add(ns, _mul(_ticks_of_seconds(second), _n(TICK_NS)))
        valid = exp.and_(valid, _seconds_in_range(second))
    return exp.Case(ifs=[exp.If(this=valid, true=_dt(ns))])


def _seconds_in_range(s: Arg) -> exp.Expression:
    return exp.and_(
        exp.GTE(this=s.sql.copy(), expression=_n(0)), exp.LT(this=s.sql.copy(), expression=_n(60))
    )


add(FunctionSpec("make_datetime", 3, 6, KType.DATETIME, _make_datetime))


def _make_timespan(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    """(hour, minute), (hour, minute, second) or (day, hour, minute, second); out-of-range
    hours, minutes or seconds give null, as documented."""
    wants = [_INTEGER] * (len(args) - 1) + [_NUMBER if len(args) > 2 else _INTEGER]
    typed = _typed(ctx, args, wants)
    if typed is None:
        return exp.Null()
    days = _big(typed[0]) if len(typed) == 4 else None
    hour, minute = typed[-3:][:2] if len(typed) > 2 else typed
    ticks: exp.Expression = _add(
        _mul(_big(hour), _n(HOUR_NS // TICK_NS)), _mul(_big(minute), _n(MIN_NS // TICK_NS))
    )
    valid: exp.Expression = exp.and_(
        _between(hour.sql.copy(), _n(0), _n(23)), _between(minute.sql.copy(), _n(0), _n(59))
    )
    if len(typed) > 2:
        ticks = _add(ticks, _ticks_of_seconds(typed[-1]))
        valid = exp.and_(valid, _seconds_in_range(typed[-1]))
    if days is not None:
        ticks = _add(_mul(days, _n(DAY_NS // TICK_NS)), ticks)
    return exp.Case(ifs=[exp.If(this=valid, true=_long(ticks))])


add(FunctionSpec("make_timespan", 2, 4, KType.TIMESPAN, _make_timespan))


def _from_unix(per_second: int) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    """unixtime_*_todatetime: `per_second` units a second; null outside Kusto's datetime range."""

    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        typed = _typed(ctx, args, [_NUMBER])
        if typed is None:
            return exp.Null()
        v = typed[0]
        if v.type in _INTEGER.types:
            if per_second > TICKS_PER_SEC:  # nanoseconds: whole ticks, floored like the grid
                ns = _mul(_fdiv(_big(v), TICK_NS), _n(TICK_NS))
            else:
                ns = _mul(_big(v), _n(SEC_NS // per_second))
            low, high = _n(MIN_SECONDS * per_second), _n(END_SECONDS * per_second)
        else:
            ticks = exp.Round(this=_mul(to_real(v), lit(TICKS_PER_SEC / per_second)))
            ns = _mul(_long(ticks), _n(TICK_NS))
            low, high = lit(float(MIN_SECONDS * per_second)), lit(float(END_SECONDS * per_second))
        in_range = exp.and_(
            exp.GTE(this=v.sql.copy(), expression=low), exp.LT(this=v.sql.copy(), expression=high)
        )
        return exp.Case(ifs=[exp.If(this=in_range, true=_dt(ns))])

    return lower


for _unit, _per_second in (
    ("seconds", 1),
    ("milliseconds", 1_000),
    ("microseconds", 1_000_000),
    ("nanoseconds", 1_000_000_000),
):
    add(FunctionSpec(f"unixtime_{_unit}_todatetime", 1, 1, KType.DATETIME, _from_unix(_per_second)))


# ------------------------------------------------------------------ time zones


def _zone(op: str) -> Callable[[Ctx, list[Arg]], exp.Expression]:
    def lower(ctx: Ctx, args: list[Arg]) -> exp.Expression:
        typed = _typed(ctx, args, [_DATETIME, _STRING])
        if typed is None:
            return exp.Null()
        return fn(op, typed[0].sql.copy(), typed[1].sql.copy())

    return lower


_ZONE_NOTE = (
    "time zones are the engine's (ICU/IANA names); an unknown time zone name fails the query"
)
add(
    FunctionSpec(
        "datetime_utc_to_local",
        2,
        2,
        KType.DATETIME,
        _zone("utc_to_local"),
        status="partial",
        note=_ZONE_NOTE,
    )
)
add(
    FunctionSpec(
        "datetime_local_to_utc",
        2,
        2,
        KType.DATETIME,
        _zone("local_to_utc"),
        status="partial",
        note=_ZONE_NOTE,
    )
)


# ------------------------------------------------------------------ formatting

_DELIMITERS = frozenset(" /-:,._[]")
# specifier letter -> the repeat counts Kusto documents
_DATETIME_SPECS = {
    "d": (1, 2), "f": tuple(range(1, 8)), "F": tuple(range(1, 8)), "h": (1, 2), "H": (1, 2),
    "m": (1, 2), "M": (1, 2), "s": (1, 2), "y": (1, 2, 4), "t": (2,),
}  # fmt: skip
_TIMESPAN_SPECS = {
    "d": tuple(range(1, 9)), "f": tuple(range(1, 8)), "F": tuple(range(1, 8)), "h": (1, 2),
    "H": (1, 2), "m": (1, 2), "s": (1, 2),
}  # fmt: skip

Token = tuple[str, int] | str  # (specifier letter, count) or literal text


def _tokens(fmt: str, specs: dict[str, tuple[int, ...]]) -> list[Token] | str:
    """The format split into specifiers and literal delimiters, or the first bad element."""
    out: list[Token] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        j = i
        while j < len(fmt) and fmt[j] == c:
            j += 1
        if c in _DELIMITERS:
            out.append(fmt[i:j])
        elif c in specs and j - i in specs[c]:
            out.append((c, j - i))
        else:
            return fmt[i:j]
        i = j
    return out


def _pad(value: exp.Expression, width: int) -> exp.Expression:
    return fn("zero_pad", value, _n(width))


def _concat(pieces: list[exp.Expression]) -> exp.Expression:
    out = pieces[0]
    for p in pieces[1:]:
        out = exp.DPipe(this=out, expression=p)
    return out


def _fraction(ticks: exp.Expression, letter: str, count: int) -> exp.Expression:
    """f: `count` digits of the second's fraction; F: the same without trailing zeros."""
    digits = fn("int_div", ticks, _n(10 ** (7 - count))) if count < 7 else ticks
    text = _pad(digits, count)
    return text if letter == "f" else fn("rtrim_zeros", text)


def _format_pieces(
    tokens: list[Token],
    field: Callable[[str, int], exp.Expression],
    fraction: exp.Expression,
    drop_dot: bool,
) -> list[exp.Expression]:
    """SQL for each token; with `drop_dot`, an all-zero F also drops a '.' just before it (.NET
    DateTime formatting)."""
    pieces: list[exp.Expression] = []
    for i, tok in enumerate(tokens):
        if isinstance(tok, str):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if drop_dot and tok.endswith(".") and isinstance(nxt, tuple) and nxt[0] == "F":
                if tok[:-1]:
                    pieces.append(lit(tok[:-1]))
                digits = _fraction(fraction.copy(), "F", nxt[1])
                pieces.append(
                    exp.Case(
                        ifs=[exp.If(this=exp.EQ(this=digits, expression=lit("")), true=lit(""))],
                        default=lit("."),
                    )
                )
            else:
                pieces.append(lit(tok))
            continue
        letter, count = tok
        if letter in "fF":
            pieces.append(_fraction(fraction.copy(), letter, count))
        else:
            pieces.append(field(letter, count))
    return pieces


def _format_datetime(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    typed = _typed(ctx, args[:1], [_DATETIME])
    tokens = _format_tokens(ctx, args[1], _DATETIME_SPECS)
    if typed is None or tokens is None:
        return exp.Null()
    dt = typed[0]

    def field(letter: str, count: int) -> exp.Expression:
        if letter == "y":
            year = _field("dt_year", dt)
            return _pad(year if count > 2 else exp.Mod(this=year, expression=_n(100)), count)
        if letter == "t":
            am = exp.LT(this=_field("dt_hour", dt), expression=_n(12))
            return exp.Case(ifs=[exp.If(this=am, true=lit("AM"))], default=lit("PM"))
        if letter == "h":  # 12-hour clock: 0 -> 12
            h12 = _add(exp.Mod(this=_add(_field("dt_hour", dt), _n(11)), expression=_n(12)), _n(1))
            return _pad(h12, count)
        op = {"d": "dt_day", "H": "dt_hour", "m": "dt_minute", "M": "dt_month", "s": "dt_second"}
        return _pad(_field(op[letter], dt), count)

    fraction = _fdiv(_fmod(_ns(dt), SEC_NS), TICK_NS)
    return _format_result(dt, tokens, field, fraction, drop_dot=True)


def _format_timespan(ctx: Ctx, args: list[Arg]) -> exp.Expression:
    typed = _typed(ctx, args[:1], [_TIMESPAN])
    tokens = _format_tokens(ctx, args[1], _TIMESPAN_SPECS)
    if typed is None or tokens is None:
        return exp.Null()
    ts = typed[0]

    def magnitude() -> exp.Expression:  # .NET custom timespan formats show no sign
        return exp.Abs(this=ts.sql.copy())

    def field(letter: str, count: int) -> exp.Expression:
        per = {"d": DAY_NS, "h": HOUR_NS, "H": HOUR_NS, "m": MIN_NS, "s": SEC_NS}[letter] // TICK_NS
        units = fn("int_div", magnitude(), _n(per))
        modulo = {"d": None, "h": 24, "H": 24, "m": 60, "s": 60}[letter]
        return _pad(units if modulo is None else exp.Mod(this=units, expression=_n(modulo)), count)

    fraction = exp.Mod(this=magnitude(), expression=_n(TICKS_PER_SEC))
    return _format_result(ts, tokens, field, fraction, drop_dot=False)


def _format_tokens(ctx: Ctx, fmt: Arg, specs: dict[str, tuple[int, ...]]) -> list[Token] | None:
    if not fmt.is_const:
        ctx.error(D.not_constant(f"the format of {ctx.name}()", fmt.span))
        return None
    if fmt.type is not KType.STRING or not isinstance(fmt.const, str):
        ctx.error(D.type_error("A value of type string expected.", fmt.span, ks="KS107"))
        return None
    tokens = _tokens(fmt.const, specs)
    if isinstance(tokens, str) or not tokens:
        what = f"the format element '{tokens}'" if tokens else "an empty format"
        ctx.error(
            D.unsupported(
                f"{what} in {ctx.name}()",
                fmt.span,
                hint="see the function's documented format elements and delimiters",
            )
        )
        return None
    return tokens


def _format_result(
    value: Arg,
    tokens: list[Token],
    field: Callable[[str, int], exp.Expression],
    fraction: exp.Expression,
    *,
    drop_dot: bool,
) -> exp.Expression:
    text = _concat(_format_pieces(tokens, field, fraction, drop_dot))
    is_null = exp.Is(this=value.sql.copy(), expression=exp.Null())
    return exp.Case(ifs=[exp.If(this=is_null, true=lit(""))], default=text)


_FORMAT_NOTE = "the format must be a constant made of the documented elements and delimiters"
add(
    FunctionSpec(
        "format_datetime",
        2,
        2,
        KType.STRING,
        _format_datetime,
        naming="first_arg",
        status="partial",
        note=_FORMAT_NOTE,
    )
)
add(
    FunctionSpec(
        "format_timespan",
        2,
        2,
        KType.STRING,
        _format_timespan,
        naming="first_arg",
        status="partial",
        note=_FORMAT_NOTE,
    )
)


# bin_auto() is left out: it needs the query_bin_auto_size/query_bin_auto_at request properties
# (`set` statements); functions/unsupported.py lists it.
