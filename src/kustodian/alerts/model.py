"""The alert rule model: an Azure Monitor scheduled query rule (spec §5.1).

One `Rule` holds what `Microsoft.Insights/scheduledQueryRules` (api-version 2021-08-01) holds;
Sentinel scheduled and NRT rules map onto it too (`sentinel` keeps what only they have). Every
check raises `RuleError` naming the field, so a rule file's author knows what to fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from kustodian.timespans import parse_duration

TIME_AGGREGATIONS = ("Count", "Average", "Minimum", "Maximum", "Total")
# Sentinel's `ne` has no Azure Monitor counterpart; it is accepted for Sentinel rules only.
OPERATORS = (
    "Equals",
    "GreaterThan",
    "GreaterThanOrEqual",
    "LessThan",
    "LessThanOrEqual",
    "NotEqual",
)
DIMENSION_OPERATORS = ("Include", "Exclude")
MAX_DIMENSIONS = 6
MIN_FREQUENCY = timedelta(minutes=1)
MAX_FREQUENCY = timedelta(days=1)
MAX_LOOKBACK = timedelta(days=2)  # Azure Monitor log alerts
MAX_SENTINEL_LOOKBACK = timedelta(days=14)
MAX_STATEFUL_FREQUENCY = timedelta(hours=12)


class RuleError(ValueError):
    """A rule is invalid; the message names the file (when known) and the field."""


@dataclass(frozen=True, slots=True)
class Dimension:
    """Split by a column: `Include` these values (or "*" for all), or all but `Exclude`d ones."""

    name: str
    operator: str = "Include"
    values: tuple[str, ...] = ("*",)

    def accepts(self, value: str) -> bool:
        listed = "*" in self.values or value in self.values
        return listed if self.operator == "Include" else value not in self.values


@dataclass(frozen=True, slots=True)
class SentinelSettings:
    """What a Microsoft Sentinel analytic rule has beyond the Azure Monitor model (spec §5.4)."""

    id: str = ""
    kind: str = "Scheduled"  # or NRT
    aggregation_kind: str = "SingleAlert"  # or AlertPerResult
    suppression_enabled: bool = False
    suppression_duration: timedelta | None = None
    tactics: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    entity_mappings: tuple[dict[str, Any], ...] = ()
    custom_details: dict[str, str] = field(default_factory=dict)
    alert_details_override: dict[str, str] = field(default_factory=dict)
    version: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """A scheduled query rule. Durations are timedeltas; `severity` is 0 (most severe) to 4."""

    name: str
    query: str
    evaluation_frequency: timedelta
    window_size: timedelta
    severity: int = 3
    description: str = ""
    display_name: str = ""
    enabled: bool = True
    override_query_time_range: timedelta | None = None
    time_aggregation: str = "Count"
    metric_measure_column: str | None = None
    operator: str = "GreaterThan"
    threshold: float = 0.0
    dimensions: tuple[Dimension, ...] = ()
    evaluation_periods: int = 1  # failingPeriods.numberOfEvaluationPeriods
    min_failing_periods: int = 1  # failingPeriods.minFailingPeriodsToAlert
    mute_actions_duration: timedelta | None = None
    auto_mitigate: bool = True
    action_groups: tuple[str, ...] = ()
    custom_properties: dict[str, str] = field(default_factory=dict)
    source: str = "yaml"  # yaml, arm or sentinel
    sentinel: SentinelSettings | None = None

    @property
    def query_range(self) -> timedelta:
        """The query's time range: windowSize × periods, unless overridden."""
        return self.override_query_time_range or self.window_size * self.evaluation_periods

    @property
    def severity_name(self) -> str:
        return f"Sev{self.severity}"

    def compare(self, value: float) -> bool:
        """Whether `value` meets the condition (operator, threshold)."""
        return bool(_COMPARE[self.operator](value, self.threshold))

    def resolve_after(self) -> int:
        """Healthy evaluations in a row that resolve a stateful alert (spec §5.1 autoMitigate)."""
        f = self.evaluation_frequency
        if f <= timedelta(minutes=1):
            return max(1, math.ceil(timedelta(minutes=10) / max(f, timedelta(seconds=1))))
        if f < timedelta(minutes=15):
            return 3
        if f < timedelta(hours=11):
            return 2
        return 1

    def validate(self) -> Rule:
        """Check the rule as Azure does; returns it, or raises RuleError naming the field."""
        check_name(self.name)
        if not self.query.strip():
            raise RuleError("query: empty")
        if not isinstance(self.severity, int) or not 0 <= self.severity <= 4:
            raise RuleError(f"severity: {self.severity!r} is not 0 to 4")
        self._validate_times()
        self._validate_criteria()
        return self

    def _validate_times(self) -> None:
        f = self.evaluation_frequency
        if not MIN_FREQUENCY <= f <= MAX_FREQUENCY:
            raise RuleError(f"evaluationFrequency: {iso_duration(f)} is outside PT1M to P1D")
        if self.window_size <= timedelta(0):
            raise RuleError("windowSize: must be positive")
        limit = MAX_SENTINEL_LOOKBACK if self.source == "sentinel" else MAX_LOOKBACK
        if self.query_range > limit:
            field_name = (
                "overrideQueryTimeRange" if self.override_query_time_range else "windowSize"
            )
            if self.source == "sentinel":
                field_name = "queryPeriod"
            raise RuleError(
                f"{field_name}: the query looks back {iso_duration(self.query_range)}, "
                f"more than the {iso_duration(limit)} allowed"
            )
        if self.auto_mitigate and f > MAX_STATEFUL_FREQUENCY:
            raise RuleError(
                "autoMitigate: stateful rules (autoMitigate true) need an evaluationFrequency of "
                "12 hours or less; set autoMitigate: false"
            )
        if self.mute_actions_duration is not None and self.mute_actions_duration < timedelta(0):
            raise RuleError("muteActionsDuration: must not be negative")

    def _validate_criteria(self) -> None:
        where = "criteria.allOf[0]"
        if self.time_aggregation not in TIME_AGGREGATIONS:
            raise RuleError(
                f"{where}.timeAggregation: '{self.time_aggregation}' is not one of "
                + ", ".join(TIME_AGGREGATIONS)
            )
        if self.time_aggregation != "Count" and not self.metric_measure_column:
            raise RuleError(
                f"{where}.metricMeasureColumn: required with timeAggregation "
                f"{self.time_aggregation}"
            )
        ops = OPERATORS if self.source == "sentinel" else OPERATORS[:-1]
        if self.operator not in ops:
            raise RuleError(f"{where}.operator: '{self.operator}' is not one of " + ", ".join(ops))
        if len(self.dimensions) > MAX_DIMENSIONS:
            raise RuleError(f"{where}.dimensions: at most {MAX_DIMENSIONS} dimensions")
        for i, d in enumerate(self.dimensions):
            if d.operator not in DIMENSION_OPERATORS:
                raise RuleError(
                    f"{where}.dimensions[{i}].operator: '{d.operator}' is not Include or Exclude"
                )
            if not d.values:
                raise RuleError(f"{where}.dimensions[{i}].values: give at least one value, or *")
        n, m = self.evaluation_periods, self.min_failing_periods
        if n < 1 or not 1 <= m <= n:
            raise RuleError(
                f"{where}.failingPeriods: minFailingPeriodsToAlert ({m}) must be 1 to "
                f"numberOfEvaluationPeriods ({n})"
            )


_COMPARE = {
    "Equals": lambda v, t: v == t,
    "GreaterThan": lambda v, t: v > t,
    "GreaterThanOrEqual": lambda v, t: v >= t,
    "LessThan": lambda v, t: v < t,
    "LessThanOrEqual": lambda v, t: v <= t,
    "NotEqual": lambda v, t: v != t,
}

_NAME = re.compile(r"^[^<>*%&:\\?+/#|]{1,260}$")


def check_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip() or not _NAME.match(name):
        raise RuleError(
            f"name: {name!r} is not a valid rule name (1 to 260 characters, none of <>*%&:\\?+/#|)"
        )


_SHORT = re.compile(r"^(\d+(?:\.\d+)?)\s*(d|h|m|s|ms)$", re.IGNORECASE)
_SHORT_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_span(value: Any, field_name: str) -> timedelta:
    """An ISO 8601 duration (`PT5M`) or Kusto's short form (`5m`, `1h`, `14d`)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        text = value.strip()
        m = _SHORT.match(text)
        if m:
            return timedelta(seconds=float(m.group(1)) * _SHORT_UNITS[m.group(2).lower()])
        try:
            return parse_duration(text)
        except ValueError:
            pass
    raise RuleError(f"{field_name}: {value!r} is not a duration (PT5M, PT1H, P1D, or 5m, 1h, 1d)")


def iso_duration(td: timedelta) -> str:
    """`PT5M`, `PT1H30M`, `P1D`, `P1DT2H`: the form Azure writes."""
    total = int(td.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    time = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds else "")
    )
    if time:
        out += "T" + time
    return out if out != "P" else "PT0S"
