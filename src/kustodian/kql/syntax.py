"""The KQL syntax tree. Names follow KQL's surface (`Where`, `Summarize`, `MvExpand`).

Every node carries its span. The parser never throws: a missing piece is a `Missing` node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kustodian.kql.diagnostics import Span

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Expr:
    span: Span


@dataclass(frozen=True, slots=True)
class Missing(Expr):
    pass


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    kind: str  # "string", "long", "real", "bool", "timespan", "null", "raw"
    value: object  # for "raw": (type word, raw text) from datetime(...), guid(...), long(...)


@dataclass(frozen=True, slots=True)
class Name(Expr):
    name: str
    bracketed: bool = False


@dataclass(frozen=True, slots=True)
class Star(Expr):
    pass


@dataclass(frozen=True, slots=True)
class Member(Expr):
    base: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Index(Expr):
    base: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class NamedArg(Expr):
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    name_span: Span


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str  # "-", "+", "not"
    operand: Expr


@dataclass(frozen=True, slots=True)
class InList(Expr):
    op: str  # in, !in, in~, !in~, has_any, has_all
    left: Expr
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Between(Expr):
    negated: bool
    left: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True, slots=True)
class DynamicLiteral(Expr):
    value: object  # parsed JSON-like Python value


@dataclass(frozen=True, slots=True)
class Lambda(Expr):
    params: tuple[Param, ...]
    body: Body


@dataclass(frozen=True, slots=True)
class TabularExpr(Expr):
    """A tabular expression in scalar position, e.g. the argument of toscalar()."""

    query: Tabular


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str | None  # scalar type name, "table" for (*) or a schema, None for untyped
    default: Expr | None
    span: Span
    schema: tuple[tuple[str, str], ...] | None = None


# ---------------------------------------------------------------- tabular


@dataclass(frozen=True, slots=True)
class Tabular:
    span: Span


@dataclass(frozen=True, slots=True)
class TableRef(Tabular):
    name: str


@dataclass(frozen=True, slots=True)
class TableCall(Tabular):
    """`table("name")`, or a call of a user function that returns a table."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Datatable(Tabular):
    columns: tuple[tuple[str, str], ...]
    values: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Print(Tabular):
    items: tuple[Assign, ...]


@dataclass(frozen=True, slots=True)
class Range(Tabular):
    column: str
    start: Expr
    stop: Expr
    step: Expr


@dataclass(frozen=True, slots=True)
class UnionSource(Tabular):
    op: UnionOp


@dataclass(frozen=True, slots=True)
class Pipe(Tabular):
    source: Tabular
    op: Operator


@dataclass(frozen=True, slots=True)
class MissingTabular(Tabular):
    pass


# ---------------------------------------------------------------- operators


@dataclass(frozen=True, slots=True)
class Assign:
    """`name = expr`, or a bare `expr` (name None); `(a, b) = expr` sets names."""

    name: str | None
    expr: Expr
    span: Span
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SortKey:
    expr: Expr
    desc: bool
    nulls_first: bool | None


@dataclass(frozen=True, slots=True)
class Operator:
    span: Span


@dataclass(frozen=True, slots=True)
class Where(Operator):
    predicate: Expr


@dataclass(frozen=True, slots=True)
class Project(Operator):
    items: tuple[Assign, ...]


@dataclass(frozen=True, slots=True)
class ProjectAway(Operator):
    patterns: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ProjectKeep(Operator):
    patterns: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ProjectRename(Operator):
    items: tuple[tuple[str, str, Span], ...]  # (new, old)


@dataclass(frozen=True, slots=True)
class ProjectReorder(Operator):
    items: tuple[tuple[Expr, str | None], ...]  # (pattern, asc/desc/granny-asc/...)


@dataclass(frozen=True, slots=True)
class Extend(Operator):
    items: tuple[Assign, ...]


@dataclass(frozen=True, slots=True)
class Summarize(Operator):
    aggregates: tuple[Assign, ...]
    by: tuple[Assign, ...]


@dataclass(frozen=True, slots=True)
class Count(Operator):
    pass


@dataclass(frozen=True, slots=True)
class Take(Operator):
    count: Expr


@dataclass(frozen=True, slots=True)
class Top(Operator):
    count: Expr
    keys: tuple[SortKey, ...]


@dataclass(frozen=True, slots=True)
class Sort(Operator):
    keys: tuple[SortKey, ...]


@dataclass(frozen=True, slots=True)
class Distinct(Operator):
    items: tuple[Expr, ...]  # a lone Star means all columns


@dataclass(frozen=True, slots=True)
class Join(Operator):
    kind: str | None
    right: Tabular
    on: tuple[Expr, ...]
    hints: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Lookup(Operator):
    kind: str | None
    right: Tabular
    on: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class UnionOp(Operator):
    tables: tuple[Tabular, ...]
    kind: str | None
    withsource: str | None
    isfuzzy: bool


@dataclass(frozen=True, slots=True)
class Parse(Operator):
    kind: str  # simple, regex, relaxed
    source: Expr
    pattern: tuple[object, ...]  # str literals, or (name, type|None) captures, or "*"
    flags: str | None
    where: bool = False


@dataclass(frozen=True, slots=True)
class MvExpandItem:
    name: str | None
    expr: Expr
    to_type: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class MvExpand(Operator):
    items: tuple[MvExpandItem, ...]
    kind: str | None
    item_index: str | None
    limit: Expr | None


@dataclass(frozen=True, slots=True)
class MvApply(Operator):
    """`mv-apply items on (operators)`: the operators run on each row's expanded values."""

    expand: MvExpand
    ops: tuple[Operator, ...]


@dataclass(frozen=True, slots=True)
class Serialize(Operator):
    items: tuple[Assign, ...]


@dataclass(frozen=True, slots=True)
class As(Operator):
    name: str


@dataclass(frozen=True, slots=True)
class GetSchema(Operator):
    pass


@dataclass(frozen=True, slots=True)
class Render(Operator):
    visualization: str
    properties: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class Invoke(Operator):
    call: Call


@dataclass(frozen=True, slots=True)
class ProjectByNames(Operator):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Evaluate(Operator):
    """`evaluate plugin(args) [: (schema)]`."""

    call: Call
    schema: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True, slots=True)
class Sample(Operator):
    count: Expr


@dataclass(frozen=True, slots=True)
class MakeSeries(Operator):
    aggregates: tuple[Assign, ...]
    defaults: tuple[Expr | None, ...]  # per aggregate
    on: Expr
    start: Expr | None
    stop: Expr | None
    step: Expr
    by: tuple[Assign, ...]


@dataclass(frozen=True, slots=True)
class Unsupported(Operator):
    name: str


# ---------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Statement:
    span: Span


@dataclass(frozen=True, slots=True)
class Let(Statement):
    name: str
    value: Expr  # scalar expression, TabularExpr, or Lambda
    is_view: bool = False


@dataclass(frozen=True, slots=True)
class DeclareParams(Statement):
    params: tuple[Param, ...]


@dataclass(frozen=True, slots=True)
class SetOption(Statement):
    name: str
    value: Expr | None


@dataclass(frozen=True, slots=True)
class QueryStatement(Statement):
    query: Tabular


@dataclass(frozen=True, slots=True)
class Body:
    """A lambda body or a query: statements, then (optionally) a final expression."""

    statements: tuple[Statement, ...]
    result: Expr | Tabular | None


@dataclass(slots=True)
class Query:
    statements: list[Statement] = field(default_factory=list)
