"""The typed relational plan. Names follow relational algebra (`Filter`, `Aggregate`, `Unnest`).

Each node has an output schema of `Column`s: the Kusto name and type, and the SQL name the
column has in the relation (Kusto names are case-sensitive, SQL engines' are not, so a column
whose name clashes case-insensitively gets a distinct SQL name). Scalar expressions in the plan
are dialect-neutral sqlglot trees, lowered from KQL as they were bound.

A relation that carries a row order (after `sort`, `top`, `serialize`) has the hidden column
`ORD` holding each row's position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from kustodian.kql.types import KType

ORD = "__kql_ord"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: KType
    sql: str


Schema = tuple[Column, ...]


@dataclass(frozen=True, eq=False)
class Node:
    schema: Schema

    @property
    def ordered(self) -> bool:
        return False

    def column(self, name: str) -> Column | None:
        for c in self.schema:
            if c.name == name:
                return c
        return None


@dataclass(frozen=True, eq=False)
class Scan(Node):
    table: str
    time_filter: tuple[int, int] | None = None  # [start, end] ns on TimeGenerated
    time_column: str | None = None
    time_params: bool = False  # the filter's bounds are the parameters kql_start, kql_end


@dataclass(frozen=True, eq=False)
class Values(Node):
    rows: tuple[tuple[exp.Expression, ...], ...]


@dataclass(frozen=True, eq=False)
class Compute(Node):
    """A single row of computed values, with no input (`print`)."""

    exprs: tuple[exp.Expression, ...]


@dataclass(frozen=True, eq=False)
class Sequence(Node):
    """`range`: start, stop (inclusive) and step as numbers (ns for datetimes)."""

    start: exp.Expression
    stop: exp.Expression
    step: exp.Expression
    kind: KType


@dataclass(frozen=True, eq=False)
class Filter(Node):
    input: Node
    predicate: exp.Expression

    @property
    def ordered(self) -> bool:
        return self.input.ordered


@dataclass(frozen=True, eq=False)
class Project(Node):
    """Output columns computed from the input; keeps the input's row order column."""

    input: Node
    exprs: tuple[exp.Expression, ...]  # one per schema column
    keep_order: bool = True

    @property
    def ordered(self) -> bool:
        return self.keep_order and self.input.ordered


@dataclass(frozen=True, eq=False)
class Aggregate(Node):
    input: Node
    keys: tuple[exp.Expression, ...]  # the first len(keys) schema columns
    aggs: tuple[exp.Expression, ...]  # the rest


@dataclass(frozen=True, eq=False)
class Sort(Node):
    """Orders rows and numbers them (the hidden order column)."""

    input: Node
    keys: tuple[tuple[exp.Expression, bool, bool], ...]  # (expr, desc, nulls_first)
    limit: exp.Expression | None = None

    @property
    def ordered(self) -> bool:
        return True


@dataclass(frozen=True, eq=False)
class Limit(Node):
    input: Node
    count: exp.Expression

    @property
    def ordered(self) -> bool:
        return self.input.ordered


@dataclass(frozen=True, eq=False)
class Distinct(Node):
    input: Node


@dataclass(frozen=True, eq=False)
class Join(Node):
    left: Node
    right: Node
    kind: str  # inner, innerunique, leftouter, rightouter, fullouter, leftsemi, ...
    left_keys: tuple[exp.Expression, ...]  # over the left relation's columns
    right_keys: tuple[exp.Expression, ...]
    left_out: tuple[tuple[Column, Column], ...]  # (input column, output column)
    right_out: tuple[tuple[Column, Column], ...]


@dataclass(frozen=True, eq=False)
class Union(Node):
    inputs: tuple[Node, ...]
    exprs: tuple[tuple[exp.Expression, ...], ...]  # per input, one expr per output column


@dataclass(frozen=True, eq=False)
class Unnest(Node):
    """`mv-expand`: each listed expression expands to one row per element, in parallel."""

    input: Node
    passthrough: tuple[tuple[Column, Column], ...]
    arrays: tuple[exp.Expression, ...]  # SQL lists (per row)
    element_types: tuple[KType, ...]
    index_column: Column | None
    limit: int | None

    @property
    def ordered(self) -> bool:
        return self.input.ordered


@dataclass(frozen=True, eq=False)
class Series(Node):
    """`make-series`: per group, each aggregate as an array over the bins of an axis.

    Schema: the group keys, one dynamic array per aggregate, then the axis (a dynamic array).
    `start`/`stop` (stop exclusive) and `step` are numbers: nanoseconds for a datetime axis.
    """

    input: Node
    keys: tuple[exp.Expression, ...]
    aggs: tuple[exp.Expression, ...]
    defaults: tuple[exp.Expression, ...]
    on: exp.Expression  # the axis value as a number (ns for datetimes)
    start: exp.Expression
    stop: exp.Expression
    step: exp.Expression
    datetime_axis: bool


@dataclass(frozen=True, eq=False)
class Number(Node):
    """`serialize`: gives the rows an order column (keeping any order they have)."""

    input: Node

    @property
    def ordered(self) -> bool:
        return True


@dataclass(frozen=True, eq=False)
class Materialize(Node):
    """A shared sub-plan emitted once (a materialized CTE)."""

    input: Node
    name: str = ""

    @property
    def ordered(self) -> bool:
        return self.input.ordered


@dataclass(frozen=True, eq=False)
class SubqueryScalar:
    """A tabular plan used as a scalar (toscalar) or as a set (`in (T | project x)`)."""

    plan: Node


@dataclass
class LogicalPlan:
    """The bound query: its result plan, render metadata and the parameters it needs."""

    root: Node
    render: dict[str, Any] | None = None
    uses_now: bool = False
    notes: list[str] = field(default_factory=list)
