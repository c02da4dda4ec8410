"""Kusto scalar types and their names.

The engine represents each Kusto type with one SQL type per dialect (see the generators):
datetime is a nanosecond timestamp where the engine has one, timespan is a count of 100 ns
ticks (an integer), dynamic is JSON.
"""

from __future__ import annotations

from enum import Enum


class KType(Enum):
    """A Kusto scalar type. `value` is the canonical Kusto name."""

    BOOL = "bool"
    INT = "int"
    LONG = "long"
    REAL = "real"
    DECIMAL = "decimal"
    STRING = "string"
    DATETIME = "datetime"
    TIMESPAN = "timespan"
    GUID = "guid"
    DYNAMIC = "dynamic"
    NULL = "null"  # the type of a bare `null` before it meets another type

    @property
    def is_numeric(self) -> bool:
        return self in NUMERIC

    def __str__(self) -> str:
        return self.value


NUMERIC = frozenset({KType.INT, KType.LONG, KType.REAL, KType.DECIMAL})

_ALIASES: dict[str, KType] = {
    "bool": KType.BOOL,
    "boolean": KType.BOOL,
    "int": KType.INT,
    "int32": KType.INT,
    "long": KType.LONG,
    "int64": KType.LONG,
    "real": KType.REAL,
    "double": KType.REAL,
    "float": KType.REAL,
    "decimal": KType.DECIMAL,
    "string": KType.STRING,
    "datetime": KType.DATETIME,
    "date": KType.DATETIME,
    "timespan": KType.TIMESPAN,
    "time": KType.TIMESPAN,
    "guid": KType.GUID,
    "uuid": KType.GUID,
    "uniqueid": KType.GUID,
    "dynamic": KType.DYNAMIC,
}


def type_from_name(name: str) -> KType | None:
    """Return the Kusto type a type name (or alias such as `int64`) denotes, or None."""
    return _ALIASES.get(name.lower())


def numeric_result(a: KType, b: KType) -> KType:
    """The type of arithmetic on two numeric operands (Kusto widens int < long < real/decimal)."""
    order = [KType.INT, KType.LONG, KType.DECIMAL, KType.REAL]
    if a is KType.NULL:
        return b if b is not KType.NULL else KType.LONG
    if b is KType.NULL:
        return a
    return order[max(order.index(a), order.index(b))]


TICKS_PER_SECOND = 10_000_000
TICKS_PER_DAY = 86_400 * TICKS_PER_SECOND
