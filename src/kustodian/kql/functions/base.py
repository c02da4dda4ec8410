"""Built-in functions declared as data.

Each family module declares `FunctionSpec`s (name, arity, return-type rule, lowering) and the
SQL templates of the `KqlFn` operations it uses, one table per dialect. `registry()` merges them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from kustodian.kql.diagnostics import Diagnostic, Span
from kustodian.kql.sqlnodes import KqlFn, cast, fn, lit
from kustodian.kql.types import KType

NOT_CONST: Any = object()  # the `const` of an argument whose value is not known at compile time


@dataclass(frozen=True, slots=True)
class Arg:
    """A bound argument: its SQL, its Kusto type and, when constant, its Python value.

    Constant values use the engine's representation: datetime as ns since the epoch (int),
    timespan as ticks (int), dynamic as the parsed JSON value.
    """

    sql: exp.Expression
    type: KType
    span: Span
    const: Any = NOT_CONST
    source: Any = None  # the syntax node, for naming and diagnostics

    @property
    def is_const(self) -> bool:
        return self.const is not NOT_CONST


class Ctx:
    """What a lowering may use besides its arguments: diagnostics and the call's span."""

    def __init__(self, name: str, span: Span, report: Callable[[Diagnostic], None]) -> None:
        self.name = name
        self.span = span
        self._report = report

    def error(self, diag: Diagnostic) -> exp.Expression:
        self._report(diag)
        return exp.Null()


Lowering = Callable[[Ctx, list[Arg]], exp.Expression]
ReturnRule = KType | Callable[[list[Arg]], KType]


@dataclass(frozen=True)
class FunctionSpec:
    """A built-in function.

    Args:
        name: the Kusto name.
        min_args, max_args: arity (max None: variadic).
        returns: the result type, or a rule computing it from the arguments.
        lower: builds the SQL from the bound arguments.
        aggregate: an aggregation function (summarize only).
        aliases: other names, e.g. deprecated ones (`makeset`).
        prefix: for aggregates, the default output name prefix (`dcount` -> `dcount_X`).
        naming: "first_arg" names the result after the first argument's column (bin, tostring);
            "prefix" uses `prefix_<arg>`; "none" leaves it to the caller (`Column1`).
        status: "supported", "partial" (with `note`), or "unsupported".
    """

    name: str
    min_args: int
    max_args: int | None
    returns: ReturnRule
    lower: Lowering
    aggregate: bool = False
    aliases: tuple[str, ...] = ()
    prefix: str | None = None
    naming: str = "none"
    status: str = "supported"
    note: str = ""
    family: str = ""
    const_args: tuple[int, ...] = ()  # positions that must be constants
    # several results (`extend (a, b) = f(x)`, or `extend f(x)` naming them f_x_<suffix>): the
    # lowering returns a struct with fields f0, f1, ... of these (suffix, type)
    outputs: tuple[tuple[str, KType], ...] = ()

    def result_type(self, args: list[Arg]) -> KType:
        return self.returns if isinstance(self.returns, KType) else self.returns(args)

    def arity_text(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args}"
        if self.min_args == self.max_args:
            return str(self.min_args)
        return f"{self.min_args} to {self.max_args}"


@dataclass
class Family:
    """A module's contribution: its functions and its dialect templates."""

    name: str
    functions: list[FunctionSpec] = field(default_factory=list)
    templates: dict[str, dict[str, Template]] = field(default_factory=dict)
    udfs: dict[str, Udf] = field(default_factory=dict)
    # operations a dialect cannot express, with the reason (reported with KQL3002)
    untranslatable: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, spec: FunctionSpec) -> FunctionSpec:
        object.__setattr__(spec, "family", self.name)
        self.functions.append(spec)
        return spec

    def template(self, op: str, duckdb: Template, spark: Template | None = None) -> None:
        self.templates.setdefault("duckdb", {})[op] = duckdb
        if spark is not None:
            self.templates.setdefault("spark", {})[op] = spark

    def spark(self, op: str, spark: Template) -> None:
        """The Spark template of an operation declared with its DuckDB one."""
        assert op in self.templates.get("duckdb", {}), op
        self.templates.setdefault("spark", {})[op] = spark

    def no_translation(self, op: str, dialect: str, reason: str) -> None:
        """Declare that `dialect` cannot express an operation, and why."""
        self.untranslatable.setdefault(dialect, {})[op] = reason

    def udf(self, name: str, func: Callable[..., Any], params: list[str], returns: str) -> None:
        """A Python function the engines register as the SQL function `name` (for what SQL
        cannot express, e.g. H3 cells). `params`/`returns` are DuckDB type names; the function
        gets None for null arguments and may raise, which yields null."""
        self.udfs[name] = Udf(name, func, tuple(params), returns)


@dataclass(frozen=True)
class Udf:
    name: str
    func: Callable[..., Any]
    params: tuple[str, ...]
    returns: str


class NoTranslation(Exception):
    """Raised by a template for arguments it cannot translate (reported as KQL3002)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# A template is a format string over the argument SQL (`{0}`, `{1}`, `{args}` = all joined) or a
# callable taking the list of argument SQL strings.
Template = str | Callable[[list[str]], str]


def render_template(t: Template, args: Sequence[str]) -> str:
    if callable(t):
        return t(list(args))
    return t.format(*args, args=", ".join(args))


# ------------------------------------------------------------------ helpers for lowerings


def same_as(index: int) -> Callable[[list[Arg]], KType]:
    """Return rule: the type of argument `index`."""

    def rule(args: list[Arg]) -> KType:
        return args[index].type if index < len(args) else KType.NULL

    return rule


def widest_numeric(args: list[Arg]) -> KType:
    from kustodian.kql.types import numeric_result

    t = KType.NULL
    for a in args:
        if a.type.is_numeric or a.type is KType.NULL:
            t = numeric_result(t, a.type)
        else:
            return a.type
    return KType.LONG if t is KType.NULL else t


_PATH_TEXT = {
    "json_extract": "json_extract_text",
    "json_extract_lenient": "json_extract_text_lenient",
}


def to_string(a: Arg) -> exp.Expression:
    """Kusto's tostring(): never null ("" instead); datetimes and timespans in Kusto's text."""
    t = a.type
    if t is KType.STRING:
        return a.sql
    if a.is_const and a.const is None:
        return lit("")
    if t is KType.DYNAMIC and isinstance(a.sql, KqlFn) and a.sql.this in _PATH_TEXT:
        # tostring(d.a.b): read the path's text directly instead of extracting then converting
        base, path = a.sql.expressions
        return exp.Coalesce(this=fn(_PATH_TEXT[a.sql.this], base, path), expressions=[lit("")])
    op = {
        KType.DYNAMIC: "dynamic_to_string",
        KType.DATETIME: "datetime_to_string",
        KType.TIMESPAN: "timespan_to_string",
        KType.REAL: "real_to_string",
        KType.BOOL: "bool_to_string",
        KType.GUID: "guid_to_string",
    }.get(t)
    inner = fn(op, a.sql) if op else cast(a.sql, KType.STRING)
    return exp.Coalesce(this=inner, expressions=[lit("")])


def to_real(a: Arg) -> exp.Expression:
    if a.type is KType.REAL:
        return a.sql
    if a.type is KType.DYNAMIC:
        return fn("dynamic_to_real", a.sql)
    if a.type is KType.STRING:
        return fn("string_to_real", a.sql)
    if a.type is KType.DATETIME:
        return exp.Div(this=fn("epoch_ns", a.sql), expression=lit(100.0))
    if a.type is KType.BOOL:
        return exp.Cast(
            this=exp.Cast(this=a.sql, to=exp.DataType.build("INT")), to=exp.DataType.build("DOUBLE")
        )
    return cast(a.sql, KType.REAL)


def to_long(a: Arg) -> exp.Expression:
    if a.type in (KType.LONG, KType.TIMESPAN):
        return a.sql
    if a.type is KType.INT:
        return cast(a.sql, KType.LONG)
    if a.type is KType.DYNAMIC:
        return fn("dynamic_to_long", a.sql)
    if a.type is KType.STRING:
        return fn("string_to_long", a.sql)
    if a.type is KType.DATETIME:
        return exp.IntDiv(this=fn("epoch_ns", a.sql), expression=lit(100))
    if a.type is KType.REAL:
        return fn("real_to_long", a.sql)
    if a.type is KType.BOOL:
        return cast(a.sql, KType.LONG)
    return exp.TryCast(this=a.sql, to=exp.DataType.build("BIGINT"))


def to_dynamic(a: Arg) -> exp.Expression:
    """A value as dynamic (JSON): scalars become JSON scalars."""
    if a.type is KType.DYNAMIC:
        return a.sql
    if a.is_const and a.const is None:
        return cast(exp.Null(), KType.DYNAMIC)
    if a.type is KType.DATETIME:
        return fn("to_json", to_string(a))
    if a.type is KType.TIMESPAN:
        return fn("to_json", to_string(a))
    if a.type is KType.GUID:
        return fn("to_json", to_string(a))
    return fn("to_json", a.sql)


def dynamic_of(value: Any) -> exp.Expression:
    """A dynamic constant: JSON text cast to the dynamic type."""
    import json

    if value is None:
        return cast(exp.Null(), KType.DYNAMIC)
    return fn("json_literal", lit(json.dumps(value, separators=(",", ":"), ensure_ascii=False)))


def to_datetime(a: Arg) -> exp.Expression:
    if a.type is KType.DATETIME:
        return a.sql
    if a.type is KType.STRING:
        return fn("string_to_datetime", a.sql)
    if a.type is KType.DYNAMIC:
        return fn("string_to_datetime", fn("dynamic_to_string", a.sql))
    if a.type in (KType.LONG, KType.INT):
        return fn("from_epoch_ns", exp.Mul(this=a.sql, expression=lit(100)))
    return exp.Null()


def to_bool(a: Arg) -> exp.Expression:
    if a.type is KType.BOOL:
        return a.sql
    if a.type is KType.STRING:
        return fn("string_to_bool", a.sql)
    if a.type is KType.DYNAMIC:
        return fn("dynamic_to_bool", a.sql)
    if a.type.is_numeric:
        return exp.NEQ(this=a.sql, expression=lit(0))
    return exp.Null()


def to_type(a: Arg, t: KType) -> exp.Expression:
    """Convert an argument to the Kusto type `t` (the to*() functions' semantics)."""
    if a.type is t:
        return a.sql
    if t is KType.STRING:
        return to_string(a)
    if t is KType.REAL:
        return to_real(a)
    if t is KType.LONG:
        return to_long(a)
    if t is KType.INT:
        return fn("long_to_int", to_long(a))
    if t is KType.DYNAMIC:
        return to_dynamic(a)
    if t is KType.DATETIME:
        return to_datetime(a)
    if t is KType.BOOL:
        return to_bool(a)
    if t is KType.TIMESPAN:
        if a.type is KType.STRING:
            return fn("string_to_timespan", a.sql)
        if a.type is KType.DYNAMIC:
            return fn("string_to_timespan", fn("dynamic_to_string", a.sql))
        if a.type.is_numeric:
            return to_long(a)
        return exp.Null()
    if t is KType.GUID:
        return fn("string_to_guid", to_string(a))
    if t is KType.DECIMAL:
        return exp.TryCast(
            this=to_string(a) if a.type is KType.DYNAMIC else a.sql,
            to=exp.DataType.build("DECIMAL(38, 18)"),
        )
    return a.sql
