"""The binder: resolves names and types against the catalog and builds the typed plan.

Only the binder knows the schema. Scalar expressions are lowered to dialect-neutral sqlglot trees
as they are bound (each built-in's `FunctionSpec.lower`); tabular operators become plan nodes.
Every error is a diagnostic with a span; binding goes on after an error where it can, so one
pass reports as much as possible.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from kustodian.kql import binder_ops
from kustodian.kql import diagnostics as D
from kustodian.kql import plan as P
from kustodian.kql import syntax as S
from kustodian.kql.catalog import Catalog
from kustodian.kql.diagnostics import NO_SPAN, Diagnostic, Span
from kustodian.kql.functions import registry
from kustodian.kql.functions.base import (
    NOT_CONST,
    Arg,
    Ctx,
    FunctionSpec,
    dynamic_of,
    to_bool,
    to_dynamic,
    to_real,
    to_string,
    to_type,
)
from kustodian.kql.functions.unsupported import unsupported_reason
from kustodian.kql.literals import parse_datetime_ns, parse_guid, parse_timespan_ticks
from kustodian.kql.sqlnodes import KqlFn, cast, col, epoch_ns, fn, lit, null_of
from kustodian.kql.types import KType, numeric_result, type_from_name


class BindAbort(Exception):
    """Stops binding the current statement after a diagnostic that leaves nothing to bind."""


class PlanRef(exp.Expression):  # type: ignore[misc]
    """A tabular sub-plan inside a scalar expression; the lowering replaces it with SQL."""

    arg_types = {"this": True, "mode": False}


# ------------------------------------------------------------------ environments


@dataclass
class Lambda:
    node: S.Lambda
    env: Env
    name: str


@dataclass
class Deferred:
    """A tabular let that could not be bound: its diagnostics, reported where it is used."""

    diagnostics: list[Diagnostic]


@dataclass
class Env:
    """Let-bound names: scalars (Arg), tables (plan nodes) and functions (Lambda)."""

    values: dict[str, Arg | P.Node | Lambda | Deferred] = field(default_factory=dict)
    parent: Env | None = None

    def lookup(self, name: str) -> Arg | P.Node | Lambda | Deferred | None:
        env: Env | None = self
        while env is not None:
            if name in env.values:
                return env.values[name]
            env = env.parent
        return None

    def names(self) -> list[str]:
        out: list[str] = []
        env: Env | None = self
        while env is not None:
            out.extend(env.values)
            env = env.parent
        return out

    def child(self) -> Env:
        return Env({}, self)


@dataclass
class RowScope:
    """The columns an expression may reference (one relation, or the two sides of a join)."""

    node: P.Node | None
    alias: str | None = None
    left: P.Node | None = None
    right: P.Node | None = None
    aggregate: bool = False
    in_aggregate: bool = False

    def find(self, name: str) -> P.Column | None:
        return self.node.column(name) if self.node is not None else None

    def names(self) -> list[str]:
        return [c.name for c in self.node.schema] if self.node is not None else []


@dataclass
class BoundStatement:
    plan: P.LogicalPlan


class NameAllocator:
    """Gives each output column a SQL name unique case-insensitively within its relation."""

    def __init__(self, taken: list[str] | None = None) -> None:
        self.taken: set[str] = {t.lower() for t in (taken or [])}

    def take(self, name: str) -> str:
        base = name if _SAFE_SQL_NAME.match(name) else _sanitize(name)
        cand = base
        n = 1
        while cand.lower() in self.taken or cand.lower() == "__kql_ord":
            n += 1
            cand = f"{base}_{n}"
        self.taken.add(cand.lower())
        return cand


_SAFE_SQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _sanitize(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return s if s and not s[0].isdigit() else "c_" + s


def make_schema(items: list[tuple[str, KType]], keep: list[P.Column] | None = None) -> P.Schema:
    """Columns with fresh SQL names; `keep` columns keep theirs when still unique."""
    alloc = NameAllocator()
    out: list[P.Column] = []
    for name, t in items:
        out.append(P.Column(name, t, alloc.take(name)))
    return tuple(out)


# ------------------------------------------------------------------ the binder


class Binder:
    def __init__(
        self,
        catalog: Catalog,
        text: str,
        *,
        time_range: tuple[int, int] | None = None,
        parameters: dict[str, Any] | None = None,
        probe: Callable[[P.Node], list[tuple[Any, ...]]] | None = None,
        time_params: bool = False,
    ) -> None:
        self.catalog = catalog
        self.probe = probe
        self.text = text
        self.time_range = time_range
        self.time_params = time_params  # time_range's bounds become kql_start/kql_end
        self.parameters = parameters or {}
        self.diagnostics: list[Diagnostic] = []
        self.uses_now = False
        self.functions = registry()
        self._fresh = 0
        self.node_names: dict[int, str] = {}  # names given by `as`, for union withsource
        self.apply_key: str | None = None  # inside mv-apply: the column naming each input row

    # -------------------------------------------------------------- diagnostics
    def error(self, diag: Diagnostic) -> None:
        self.diagnostics.append(diag)

    def fatal(self, diag: Diagnostic) -> BindAbort:
        self.diagnostics.append(diag)
        return BindAbort()

    def fresh(self, prefix: str = "t") -> str:
        self._fresh += 1
        return f"__kql_{prefix}{self._fresh}"

    # -------------------------------------------------------------- statements
    def bind_query(self, query: S.Query) -> list[P.LogicalPlan]:
        env = Env()
        results: list[P.LogicalPlan] = []
        for stmt in query.statements:
            try:
                if isinstance(stmt, S.Let):
                    self.bind_let(stmt, env)
                elif isinstance(stmt, S.DeclareParams):
                    self.bind_declare(stmt, env)
                elif isinstance(stmt, S.SetOption):
                    continue
                elif isinstance(stmt, S.QueryStatement):
                    self._render = None
                    node = self.bind_tabular(stmt.query, env)
                    results.append(P.LogicalPlan(node, self._render, self.uses_now))
            except BindAbort:
                continue
        if not results and not self.diagnostics:
            self.error(
                D.syntax(
                    "the query has no tabular expression to run",
                    Span(0, len(self.text)),
                    "end the query with an expression such as 'T | take 10'",
                )
            )
        return results

    _render: dict[str, Any] | None = None

    def bind_let(self, stmt: S.Let, env: Env) -> None:
        value = stmt.value
        if isinstance(value, S.Lambda):
            env.values[stmt.name] = Lambda(value, env, stmt.name)
            return
        if isinstance(value, S.TabularExpr):
            self.bind_deferred(stmt.name, env, lambda: self.bind_tabular(value.query, env))
            return
        if (
            isinstance(value, S.Name)
            and env.lookup(value.name) is None
            and self._is_table_name(value.name)
        ):
            env.values[stmt.name] = self.bind_tabular(S.TableRef(value.span, value.name), env)
            return
        if isinstance(value, S.Call) and self._is_tabular_call(value, env):
            call = S.TableCall(value.span, value.name, value.args)
            self.bind_deferred(stmt.name, env, lambda: self.bind_tabular(call, env))
            return
        arg = self.bind_expr(value, RowScope(None), env)
        env.values[stmt.name] = arg

    def bind_deferred(self, name: str, env: Env, bind: Callable[[], P.Node]) -> None:
        """Bind a tabular let. Kusto evaluates lets lazily: one that cannot bind (a missing
        table) is an error only where it is used, and a fuzzy union may skip it."""
        before = len(self.diagnostics)
        try:
            env.values[name] = bind()
        except BindAbort:
            env.values[name] = Deferred(self.diagnostics[before:])
            del self.diagnostics[before:]

    def _is_table_name(self, name: str) -> bool:
        return self.catalog.get(name) is not None

    def _is_tabular_call(self, call: S.Call, env: Env) -> bool:
        if call.name in ("table", "materialize", "view"):
            return True
        target = env.lookup(call.name)
        if isinstance(target, Lambda):
            body = target.node.body.result
            return isinstance(body, S.Tabular | S.TabularExpr)
        return False

    def bind_declare(self, stmt: S.DeclareParams, env: Env) -> None:
        for p in stmt.params:
            t = type_from_name(p.type or "string") or KType.STRING
            if p.name in self.parameters:
                value = self.parameters[p.name]
                env.values[p.name] = self.const_arg(value, t, p.span)
            elif p.default is not None:
                env.values[p.name] = self.bind_expr(p.default, RowScope(None), env)
            else:
                env.values[p.name] = Arg(null_of(t), t, p.span, None)

    def const_arg(self, value: Any, t: KType, span: Span) -> Arg:
        if t is KType.STRING:
            return Arg(lit(str(value)), t, span, str(value))
        if t is KType.DATETIME:
            ns = parse_datetime_ns(str(value))
            return self.datetime_arg(ns, span)
        if t is KType.TIMESPAN:
            ticks = parse_timespan_ticks(str(value))
            return Arg(cast(lit(ticks), KType.LONG), t, span, ticks)
        if t is KType.DYNAMIC:
            return Arg(dynamic_of(value), t, span, value)
        return Arg(cast(lit(value), t), t, span, value)

    def datetime_arg(self, ns: int | None, span: Span) -> Arg:
        if ns is None:
            return Arg(null_of(KType.DATETIME), KType.DATETIME, span, None)
        return Arg(fn("datetime_literal", lit(ns)), KType.DATETIME, span, ns)

    # -------------------------------------------------------------- tabular
    def bind_tabular(self, t: S.Tabular, env: Env) -> P.Node:
        if isinstance(t, S.Pipe):
            node = self.bind_tabular(t.source, env)
            return self.bind_operator(node, t.op, env)
        if isinstance(t, S.TableRef):
            return self.bind_table_ref(t, env)
        if isinstance(t, S.TableCall):
            return self.bind_table_call(t, env)
        if isinstance(t, S.Datatable):
            return self.bind_datatable(t, env)
        if isinstance(t, S.Print):
            return self.bind_print(t, env)
        if isinstance(t, S.Range):
            return self.bind_range(t, env)
        if isinstance(t, S.UnionSource):
            return self.bind_union(None, t.op, env)
        if isinstance(t, S.MissingTabular):
            raise BindAbort()
        raise self.fatal(D.unsupported(type(t).__name__, t.span))

    def bind_table_ref(self, t: S.TableRef, env: Env) -> P.Node:
        bound = env.lookup(t.name)
        if isinstance(bound, Deferred):
            self.diagnostics.extend(bound.diagnostics)
            raise BindAbort()
        if isinstance(bound, P.Node):
            node: P.Node = bound
            return node
        if isinstance(bound, Lambda) and not bound.node.params:
            return self.call_lambda_tabular(bound, [], t.span, env)
        table = self.catalog.get(t.name)
        if table is None:
            names = self.catalog.names() + [
                n for n in env.names() if isinstance(env.lookup(n), P.Node)
            ]
            raise self.fatal(D.unknown_table(t.name, t.span, names))
        return self.scan(table.name)

    def scan(self, name: str) -> P.Node:
        table = self.catalog.get(name)
        assert table is not None
        schema = tuple(P.Column(c, ty, c) for c, ty in table.columns)
        has_time = any(c == self.catalog.time_column for c, _ in table.columns)
        return P.Scan(
            schema,
            table.name,
            self.time_range if has_time else None,
            self.catalog.time_column if has_time else None,
            self.time_params,
        )

    def bind_table_call(self, t: S.TableCall, env: Env) -> P.Node:
        if t.name in ("table", "view") and t.args:
            arg = self.bind_expr(t.args[0], RowScope(None), env)
            if not (arg.is_const and isinstance(arg.const, str)):
                raise self.fatal(D.not_constant("the table name", t.args[0].span))
            return self.bind_table_ref(S.TableRef(t.span, arg.const), env)
        if t.name == "materialize" and len(t.args) == 1:
            inner = self.tabular_arg(t.args[0], env)
            return P.Materialize(inner.schema, inner, self.fresh("m"))
        target = env.lookup(t.name)
        if isinstance(target, Lambda):
            return self.call_lambda_tabular(target, list(t.args), t.span, env)
        raise self.fatal(D.unknown_table(t.name, t.span, self.catalog.names()))

    def tabular_arg(self, e: S.Expr, env: Env) -> P.Node:
        if isinstance(e, S.TabularExpr):
            return self.bind_tabular(e.query, env)
        if isinstance(e, S.Name):
            return self.bind_table_ref(S.TableRef(e.span, e.name), env)
        if isinstance(e, S.Call):
            return self.bind_table_call(S.TableCall(e.span, e.name, e.args), env)
        raise self.fatal(D.type_error("expected a tabular expression", e.span))

    def call_lambda_tabular(self, lam: Lambda, args: list[S.Expr], span: Span, env: Env) -> P.Node:
        inner = self.lambda_env(lam, args, span, env, RowScope(None))
        result = lam.node.body.result
        for st in lam.node.body.statements:
            if isinstance(st, S.Let):
                self.bind_let(st, inner)
        if isinstance(result, S.TabularExpr):
            return self.bind_tabular(result.query, inner)
        if isinstance(result, S.Tabular):
            return self.bind_tabular(result, inner)
        if isinstance(result, S.Name | S.Call):
            return self.tabular_arg(result, inner)
        raise self.fatal(D.type_error(f"function '{lam.name}' does not return a table", span))

    def lambda_env(
        self, lam: Lambda, args: list[S.Expr], span: Span, env: Env, scope: RowScope
    ) -> Env:
        params = lam.node.params
        by_param: dict[str, S.Expr] = {}
        positional = [a for a in args if not isinstance(a, S.NamedArg)]
        for i, a in enumerate(positional):
            if i < len(params):
                by_param[params[i].name] = a
        for a in args:
            if isinstance(a, S.NamedArg):
                if all(p.name != a.name for p in params):
                    raise self.fatal(
                        D.type_error(f"function '{lam.name}' has no parameter '{a.name}'", a.span)
                    )
                by_param[a.name] = a.value
        missing = [p.name for p in params if p.default is None and p.name not in by_param]
        if len(positional) > len(params) or missing:
            raise self.fatal(D.wrong_arg_count(lam.name, len(args), str(len(params)), span))
        inner = lam.env.child()
        for p in params:
            if p.name in by_param:
                a = by_param[p.name]
                if p.type == "table" or (p.schema is not None):
                    inner.values[p.name] = self.tabular_arg(a, env)
                elif isinstance(a, S.TabularExpr):
                    inner.values[p.name] = self.bind_tabular(a.query, env)
                else:
                    value = self.bind_expr(a, scope, env)
                    declared = type_from_name(p.type) if p.type else None
                    if (
                        declared is not None
                        and declared is not value.type
                        and value.type is not KType.NULL
                    ):
                        value = Arg(to_type(value, declared), declared, value.span, value.const)
                    inner.values[p.name] = value
            else:
                assert p.default is not None
                inner.values[p.name] = self.bind_expr(p.default, RowScope(None), lam.env)
        return inner

    def bind_datatable(self, t: S.Datatable, env: Env) -> P.Node:
        cols: list[tuple[str, KType]] = []
        for name, tname in t.columns:
            ty = type_from_name(tname)
            if ty is None:
                raise self.fatal(D.type_error(f"unknown type '{tname}'", t.span))
            cols.append((name, ty))
        schema = make_schema(cols)
        n = len(cols)
        if n == 0:
            raise self.fatal(D.syntax("datatable needs at least one column", t.span))
        if len(t.values) % n:
            raise self.fatal(
                D.syntax(
                    f"datatable has {len(t.values)} values, not a multiple of its {n} columns",
                    t.span,
                )
            )
        rows = []
        for r in range(0, len(t.values), n):
            row = []
            for c, (name, ty) in enumerate(cols):
                e = t.values[r + c]
                a = self.bind_expr(e, RowScope(None), env)
                row.append(self.coerce_value(a, ty, name))
            rows.append(tuple(row))
        return P.Values(schema, tuple(rows))

    def coerce_value(self, a: Arg, ty: KType, what: str) -> exp.Expression:
        if a.type is ty:
            return (
                cast(a.sql, ty)
                if ty in (KType.INT, KType.LONG, KType.REAL, KType.DECIMAL)
                else a.sql
            )
        if a.type is KType.NULL:
            return null_of(ty)
        if ty.is_numeric and a.type.is_numeric:
            return cast(a.sql, ty)
        if ty is KType.DYNAMIC:
            return to_dynamic(a)
        if ty is KType.GUID and a.type is KType.STRING:
            return to_type(a, ty)
        if ty is KType.BOOL and a.type.is_numeric:
            return to_bool(a)
        if ty is KType.REAL and a.type is KType.STRING:
            return to_real(a)
        self.error(
            D.type_error(
                f"value of type {a.type} does not fit column '{what}' of type {ty}", a.span
            )
        )
        return null_of(ty)

    def bind_print(self, t: S.Print, env: Env) -> P.Node:
        items: list[tuple[str, KType]] = []
        exprs: list[exp.Expression] = []
        scope = RowScope(None)
        for i, a in enumerate(t.items):
            multi = self.bind_multi(a, scope, env, keep_rest=False)
            if multi is not None:
                items.extend((n, ty) for n, ty, _ in multi)
                exprs.extend(e for _, _, e in multi)
                continue
            arg = self.bind_expr(a.expr, scope, env)
            name = a.name or f"print_{i}"  # Kusto names every unnamed print column print_N
            items.append((name, arg.type if arg.type is not KType.NULL else KType.STRING))
            exprs.append(out_sql(arg))
        explicit = [a.name for a in t.items if a.name]
        for n in {n for n in explicit if explicit.count(n) > 1}:
            self.error(D.name_conflict(n, t.span))
        names = binder_ops._dedupe([n for n, _ in items])
        return P.Compute(make_schema(list(zip(names, (t for _, t in items)))), tuple(exprs))

    def bind_range(self, t: S.Range, env: Env) -> P.Node:
        scope = RowScope(None)
        lo = self.bind_expr(t.start, scope, env)
        hi = self.bind_expr(t.stop, scope, env)
        step = self.bind_expr(t.step, scope, env)
        kind = lo.type
        if kind is KType.DATETIME:
            hi_sql = hi.sql if hi.type is KType.DATETIME else None
            if hi_sql is None:
                raise self.fatal(
                    D.type_error("range from a datetime must go to a datetime", t.stop.span)
                )
            start = epoch_ns(lo.sql)
            stop = epoch_ns(hi_sql)
            step_sql = exp.Mul(this=step.sql, expression=lit(100))
        elif kind is KType.TIMESPAN or kind.is_numeric:
            start, stop, step_sql = lo.sql, hi.sql, step.sql
            if kind is KType.INT:
                kind = KType.LONG
            if hi.type is KType.REAL or step.type is KType.REAL:
                kind = KType.REAL
        else:
            raise self.fatal(D.type_error(f"range cannot step over {kind}", t.start.span))
        schema = make_schema([(t.column, kind)])
        return P.Sequence(schema, start, stop, step_sql, kind)

    # -------------------------------------------------------------- operators
    def bind_operator(self, node: P.Node, op: S.Operator, env: Env) -> P.Node:
        method = getattr(self, "op_" + type(op).__name__, None)
        if method is None:
            raise self.fatal(D.unsupported(f"the '{type(op).__name__.lower()}' operator", op.span))
        result: P.Node = method(node, op, env)
        if self.apply_key is not None:
            result = self.keep_apply_key(node, result)
        return result

    def keep_apply_key(self, before: P.Node, after: P.Node) -> P.Node:
        """Inside mv-apply, projections keep the column that names each input row."""
        key = self.apply_key
        assert key is not None
        if after.column(key) is not None or before.column(key) is None:
            return after
        if isinstance(after, P.Project) and after.input.column(key) is not None:
            c = after.input.column(key)
            assert c is not None
            items = [(x.name, x.type) for x in after.schema] + [(key, c.type)]
            return P.Project(
                make_schema(items), after.input, (*after.exprs, col(c.sql)), after.keep_order
            )
        raise self.fatal(D.unsupported("this operator inside mv-apply", NO_SPAN))

    def partition_limit(
        self, node: P.Node, n: exp.Expression, keys: tuple[tuple[exp.Expression, bool, bool], ...]
    ) -> P.Node:
        """The first n rows of each mv-apply row's values (by `keys`, if any)."""
        key = node.column(self.apply_key or "")
        assert key is not None
        order = (
            exp.Order(
                expressions=[exp.Ordered(this=e, desc=d, nulls_first=nf) for e, d, nf in keys]
            )
            if keys
            else None
        )
        rn = exp.Window(this=exp.RowNumber(), partition_by=[col(key.sql)], order=order)
        items = [(c.name, c.type) for c in node.schema] + [("__kql_rn", KType.LONG)]
        numbered = P.Project(
            make_schema(items), node, (*[col(c.sql) for c in node.schema], rn), False
        )
        rn_col = numbered.schema[-1]
        kept = P.Filter(numbered.schema, numbered, exp.LTE(this=col(rn_col.sql), expression=n))
        return P.Project(
            numbered.schema[:-1], kept, tuple(col(c.sql) for c in numbered.schema[:-1]), False
        )

    def op_MvApply(self, node: P.Node, op: S.MvApply, env: Env) -> P.Node:
        key = f"__kql_row{self._fresh}"
        self._fresh += 1
        items = [(c.name, c.type) for c in node.schema] + [(key, KType.LONG)]
        exprs = (*[col(c.sql) for c in node.schema], exp.Window(this=exp.RowNumber()))
        numbered = P.Project(make_schema(items), node, exprs, False)
        saved = self.apply_key
        current = self.op_MvExpand(numbered, op.expand, env)
        self.apply_key = key
        try:
            for sub in op.ops:
                current = self.bind_operator(current, sub, env)
        finally:
            self.apply_key = saved
        rkey, lkey = current.column(key), numbered.column(key)
        assert rkey is not None and lkey is not None
        alloc = NameAllocator()
        # columns expanded in place are consumed: only the sub-query's version remains
        consumed = {
            i.expr.name for i in op.expand.items if i.name is None and isinstance(i.expr, S.Name)
        }
        right_names = {c.name for c in current.schema} | consumed
        left_out = tuple(
            (c, P.Column(c.name, c.type, alloc.take(c.name)))
            for c in numbered.schema
            if c.name not in right_names
        )
        right_out = tuple(
            (c, P.Column(c.name, c.type, alloc.take(c.name)))
            for c in current.schema
            if c.name != key
        )
        schema = tuple(o for _, o in left_out) + tuple(o for _, o in right_out)
        return P.Join(
            schema,
            numbered,
            current,
            "inner",
            (col(lkey.sql, table="left"),),
            (col(rkey.sql, table="right"),),
            left_out,
            right_out,
        )

    def op_Unsupported(self, node: P.Node, op: S.Unsupported, env: Env) -> P.Node:
        raise BindAbort()

    def op_Where(self, node: P.Node, op: S.Where, env: Env) -> P.Node:
        pred = self.bind_predicate(op.predicate, RowScope(node), env)
        return P.Filter(node.schema, node, pred)

    def bind_predicate(self, e: S.Expr, scope: RowScope, env: Env) -> exp.Expression:
        a = self.bind_expr(e, scope, env)
        if a.type is KType.BOOL:
            return a.sql
        if a.type is KType.DYNAMIC:
            return to_bool(a)
        if a.type is KType.NULL:
            return exp.false()
        self.error(D.not_boolean(str(a.type), e.span))
        return exp.false()

    def op_Take(self, node: P.Node, op: S.Take, env: Env) -> P.Node:
        n = self.bind_expr(op.count, RowScope(None), env)
        if not n.type.is_numeric:
            self.error(D.type_error("take needs a number of rows", op.count.span))
        if self.apply_key is not None:
            return self.partition_limit(node, n.sql, ())
        return P.Limit(node.schema, node, n.sql)

    def op_Sample(self, node: P.Node, op: S.Sample, env: Env) -> P.Node:
        n = self.bind_expr(op.count, RowScope(None), env)
        return P.Limit(node.schema, node, n.sql)

    def op_Count(self, node: P.Node, op: S.Count, env: Env) -> P.Node:
        if self.apply_key is not None:
            assign = S.Assign("Count", S.Call(op.span, "count", (), op.span), op.span)
            return self.op_Summarize(node, S.Summarize(op.span, (assign,), ()), env)
        schema = make_schema([("Count", KType.LONG)])
        return P.Aggregate(schema, node, (), (exp.Count(this=exp.Star()),))

    def op_Project(self, node: P.Node, op: S.Project, env: Env) -> P.Node:
        scope = RowScope(node)
        unnamed = 0
        items: list[tuple[str, KType]] = []
        exprs: list[exp.Expression] = []
        for a in op.items:
            if isinstance(a.expr, S.Name) and a.name is None and "*" in a.expr.name:
                for c in self.match_pattern(node, a.expr):
                    items.append((c.name, c.type))
                    exprs.append(col(c.sql))
                continue
            multi = self.bind_multi(a, scope, env)
            if multi is not None:
                items.extend((n, t) for n, t, _ in multi)
                exprs.extend(e for _, _, e in multi)
                continue
            arg = self.bind_expr(a.expr, scope, env)
            name = a.name or self.derived_name(a.expr, arg) or ""
            if not name:  # Kusto numbers the unnamed columns only
                unnamed += 1
                name = f"Column{unnamed}"
            if a.name is None:  # derived names are numbered apart (x, x1, x2), not errors
                name = binder_ops.unique_name(name, {n for n, _ in items})
            items.append((name, self.storable(arg.type)))
            exprs.append(out_sql(arg))
        self.check_unique(items, op.span)
        return P.Project(make_schema(items), node, tuple(exprs))

    def bind_multi(
        self, a: S.Assign, scope: RowScope, env: Env, keep_rest: bool = True
    ) -> list[tuple[str, KType, exp.Expression]] | None:
        """The columns of a function with several results: `(a, b) = f(x)`, `a = f(x)` or an
        unnamed `f(x)`. Results beyond the names given keep their default names
        (`f_x_suffix`), except in print (`keep_rest` False), which drops them."""
        spec = self.functions.get(a.expr.name) if isinstance(a.expr, S.Call) else None
        if spec is None or not spec.outputs:
            if a.names:
                raise self.fatal(
                    D.unsupported("assigning a single value to a tuple of names", a.span)
                )
            return None
        assert isinstance(a.expr, S.Call)
        arg = self.bind_expr(a.expr, scope, env)
        if a.names and len(a.names) > len(spec.outputs):
            raise self.fatal(
                D.type_error(
                    f"{spec.name}() has {len(spec.outputs)} results, not {len(a.names)}", a.span
                )
            )
        base = self.derived_name(a.expr.args[0]) if a.expr.args else None
        given = list(a.names) if a.names else ([a.name] if a.name else [])
        out = []
        for i, (suffix, t) in enumerate(spec.outputs):
            if i >= len(given) and given and not keep_rest:
                break
            name = given[i] if i < len(given) else f"{spec.name}_{base or ''}_{suffix}"
            out.append((name, t, fn("struct_get", arg.sql.copy(), lit(f"f{i}"))))
        return out

    def storable(self, t: KType) -> KType:
        return KType.STRING if t is KType.NULL else t

    def check_unique(self, items: list[tuple[str, KType]], span: Span) -> None:
        seen: set[str] = set()
        for name, _ in items:
            if name in seen:
                self.error(D.name_conflict(name, span))
            seen.add(name)

    def op_Extend(self, node: P.Node, op: S.Extend, env: Env) -> P.Node:
        declared: set[str] = set()
        cols: list[tuple[str, KType]] = [(c.name, c.type) for c in node.schema]
        exprs: list[exp.Expression] = [col(c.sql) for c in node.schema]
        base = node
        if _fusable(node):
            # extend after extend (or project): one SELECT over the earlier input, so that a
            # later item sees how an earlier column was made (parse_json(s).a reads s once)
            assert isinstance(node, P.Project)
            base, exprs = node.input, list(node.exprs)
        current = node
        counter = 0
        for a in op.items:
            scope = RowScope(current)
            multi = self.bind_multi(a, scope, env)
            if multi is not None:
                for mname, mtype, msql in multi:
                    sql = self.inline(msql, current, base, exprs)
                    idx = next((i for i, (n, _) in enumerate(cols) if n == mname), None)
                    if idx is None:
                        cols.append((mname, mtype))
                        exprs.append(sql)
                    else:
                        cols[idx] = (mname, mtype)
                        exprs[idx] = sql
                current = P.Project(make_schema(cols), base, tuple(exprs))
                continue
            arg = self.bind_expr(a.expr, scope, env)
            name = a.name or self.derived_name(a.expr, arg)
            if a.name is not None:
                if a.name in declared:  # Kusto: one extend cannot name a column twice
                    self.error(D.name_conflict(a.name, a.span))
                declared.add(a.name)
            if name is None:
                counter += 1
                name = f"Column{counter}"
                while any(n == name for n, _ in cols):
                    counter += 1
                    name = f"Column{counter}"
            t = self.storable(arg.type)
            idx = next((i for i, (n, _) in enumerate(cols) if n == name), None)
            sql = self.inline(out_sql(arg), current, base, exprs)
            if idx is None:
                cols.append((name, t))
                exprs.append(sql)
            else:
                cols[idx] = (name, t)
                exprs[idx] = sql
            current = P.Project(make_schema(cols), base, tuple(exprs))
        return current

    def inline(
        self, sql: exp.Expression, current: P.Node, base: P.Node, exprs: list[exp.Expression]
    ) -> exp.Expression:
        """Rewrite references to columns of `current` (a projection of `base`) to their
        definitions, so that one extend with several dependent items is one SELECT."""
        if current is base:
            return sql
        by_sql = {c.sql: exprs[i] for i, c in enumerate(current.schema)}

        def rewrite(n: exp.Expression) -> exp.Expression:
            if isinstance(n, exp.Column) and not n.table and n.name in by_sql:
                return by_sql[n.name].copy()
            return n

        return sql.transform(rewrite, copy=True)

    def op_ProjectAway(self, node: P.Node, op: S.ProjectAway, env: Env) -> P.Node:
        drop: set[str] = set()
        for pat in op.patterns:
            drop.update(c.name for c in self.match_pattern(node, pat))
        keep = [c for c in node.schema if c.name not in drop]
        return P.Project(tuple(keep), node, tuple(col(c.sql) for c in keep))

    def op_ProjectKeep(self, node: P.Node, op: S.ProjectKeep, env: Env) -> P.Node:
        keep_names: set[str] = set()
        for pat in op.patterns:
            keep_names.update(c.name for c in self.match_pattern(node, pat))
        keep = [c for c in node.schema if c.name in keep_names]
        return P.Project(tuple(keep), node, tuple(col(c.sql) for c in keep))

    def op_ProjectByNames(self, node: P.Node, op: S.ProjectByNames, env: Env) -> P.Node:
        """Columns named by constant strings or arrays of strings (wildcards allowed); names
        that match no column are ignored, as Kusto does."""
        patterns: list[str] = []
        for e in op.items:
            a = self.bind_expr(e, RowScope(None), env)
            if isinstance(a.const, str):
                patterns.append(a.const)
            elif isinstance(a.const, list):
                patterns.extend(str(v) for v in a.const)
            else:
                raise self.fatal(D.not_constant("a project-by-names argument", e.span))
        chosen: list[P.Column] = []
        for pat in patterns:
            rx = re.compile("^" + ".*".join(re.escape(p) for p in pat.split("*")) + "$")
            chosen.extend(c for c in node.schema if rx.match(c.name) and c not in chosen)
        return P.Project(tuple(chosen), node, tuple(col(c.sql) for c in chosen))

    def op_ProjectRename(self, node: P.Node, op: S.ProjectRename, env: Env) -> P.Node:
        renames = {}
        for new, old, span in op.items:
            if node.column(old) is None:
                self.error(D.unknown_column(old, span, [c.name for c in node.schema]))
            renames[old] = new
        items = [(renames.get(c.name, c.name), c.type) for c in node.schema]
        self.check_unique(items, op.span)
        return P.Project(make_schema(items), node, tuple(col(c.sql) for c in node.schema))

    def op_ProjectReorder(self, node: P.Node, op: S.ProjectReorder, env: Env) -> P.Node:
        first: list[P.Column] = []
        for pat, order in op.items:
            matched = [c for c in self.match_pattern(node, pat) if c not in first]
            if order in ("asc", "granny-asc"):
                matched.sort(key=lambda c: c.name)
            elif order in ("desc", "granny-desc"):
                matched.sort(key=lambda c: c.name, reverse=True)
            first.extend(matched)
        rest = [c for c in node.schema if c not in first]
        cols = first + rest
        return P.Project(tuple(cols), node, tuple(col(c.sql) for c in cols))

    def match_pattern(self, node: P.Node, pat: S.Expr) -> list[P.Column]:
        if not isinstance(pat, S.Name):
            self.error(D.syntax("expected a column name or pattern", pat.span))
            return []
        if "*" not in pat.name:
            c = node.column(pat.name)
            if c is None:
                self.error(D.unknown_column(pat.name, pat.span, [c.name for c in node.schema]))
                return []
            return [c]
        rx = re.compile("^" + ".*".join(re.escape(p) for p in pat.name.split("*")) + "$")
        return [c for c in node.schema if rx.match(c.name)]

    def op_Sort(self, node: P.Node, op: S.Sort, env: Env) -> P.Node:
        keys = self.sort_keys(node, op.keys, env)
        return P.Sort(node.schema, node, keys)

    def sort_keys(
        self, node: P.Node, keys: tuple[S.SortKey, ...], env: Env
    ) -> tuple[tuple[exp.Expression, bool, bool], ...]:
        out = []
        scope = RowScope(node)
        for k in keys:
            a = self.bind_expr(k.expr, scope, env)
            if a.type is KType.DYNAMIC:
                sql = to_string(a)
            else:
                sql = a.sql
            # Kusto: nulls first when ascending, last when descending, unless told.
            nulls_first = (not k.desc) if k.nulls_first is None else k.nulls_first
            out.append((sql, k.desc, nulls_first))
        return tuple(out)

    def op_Top(self, node: P.Node, op: S.Top, env: Env) -> P.Node:
        n = self.bind_expr(op.count, RowScope(None), env)
        keys = self.sort_keys(node, op.keys, env)
        if self.apply_key is not None:
            return self.partition_limit(node, n.sql, keys)
        return P.Sort(node.schema, node, keys, n.sql)

    def op_Distinct(self, node: P.Node, op: S.Distinct, env: Env) -> P.Node:
        if len(op.items) == 1 and isinstance(op.items[0], S.Star):
            proj: P.Node = P.Project(
                node.schema, node, tuple(col(c.sql) for c in node.schema), False
            )
        else:
            proj = self.op_Project(
                node, S.Project(op.span, tuple(S.Assign(None, e, e.span) for e in op.items)), env
            )
            if self.apply_key is not None:
                proj = self.keep_apply_key(node, proj)
        return P.Distinct(proj.schema, proj)

    def op_Serialize(self, node: P.Node, op: S.Serialize, env: Env) -> P.Node:
        numbered = P.Number(node.schema, node)
        if op.items:
            return self.op_Extend(numbered, S.Extend(op.span, op.items), env)
        return numbered

    def op_As(self, node: P.Node, op: S.As, env: Env) -> P.Node:
        env.values[op.name] = node
        self.node_names[id(node)] = op.name
        return node

    def op_Render(self, node: P.Node, op: S.Render, env: Env) -> P.Node:
        props: dict[str, Any] = {"visualization": op.visualization}
        for key, e in op.properties:
            a = self.bind_expr(e, RowScope(None), env)
            props[key] = a.const if a.is_const else None
        self._render = props
        return node

    def op_GetSchema(self, node: P.Node, op: S.GetSchema, env: Env) -> P.Node:
        schema = make_schema(
            [
                ("ColumnName", KType.STRING),
                ("ColumnOrdinal", KType.LONG),
                ("DataType", KType.STRING),
                ("ColumnType", KType.STRING),
            ]
        )
        rows = []
        for i, c in enumerate(node.schema):
            rows.append(
                (
                    lit(c.name),
                    cast(lit(i), KType.LONG),
                    lit(_DOTNET_TYPES[c.type]),
                    lit(c.type.value),
                )
            )
        if not rows:
            return P.Filter(
                schema,
                P.Values(schema, ((lit(""), cast(lit(0), KType.LONG), lit(""), lit("")),)),
                exp.false(),
            )
        return P.Values(schema, tuple(rows))

    def op_Invoke(self, node: P.Node, op: S.Invoke, env: Env) -> P.Node:
        target = env.lookup(op.call.name)
        if not isinstance(target, Lambda):
            raise self.fatal(
                D.unknown_function(
                    op.call.name,
                    op.call.name_span,
                    [n for n in env.names() if isinstance(env.lookup(n), Lambda)],
                )
            )
        params = target.node.params
        if not params:
            raise self.fatal(D.wrong_arg_count(op.call.name, 1, "0", op.call.span))
        inner_env = Env({"__invoke_source": node}, env)
        args: list[S.Expr] = [S.Name(op.span, "__invoke_source"), *op.call.args]
        return self.call_lambda_tabular(target, args, op.call.span, inner_env)

    # summarize, join, union, mv-expand, parse, lookup, make-series live in binder_ops.py
    op_Join = binder_ops.op_Join
    op_Lookup = binder_ops.op_Lookup
    op_MakeSeries = binder_ops.op_MakeSeries
    op_MvExpand = binder_ops.op_MvExpand
    op_Parse = binder_ops.op_Parse
    op_Summarize = binder_ops.op_Summarize
    op_UnionOp = binder_ops.op_UnionOp
    op_Evaluate = binder_ops.op_Evaluate
    bind_union = binder_ops.op_UnionOp

    # -------------------------------------------------------------- expression names
    def derived_name(self, e: S.Expr, arg: Arg | None = None) -> str | None:
        """The name Kusto gives an unnamed expression: a column's own name, a path `a_b`,
        or the first argument's name for functions such as bin() and tostring()."""
        if isinstance(e, S.Name):
            return None if arg is not None and arg.source is not e else e.name
        if isinstance(e, S.Member):
            base = self.derived_name(e.base)
            return f"{base}_{e.name}" if base else e.name
        if isinstance(e, S.Index):
            base = self.derived_name(e.base)
            if isinstance(e.index, S.Literal) and isinstance(e.index.value, str):
                return f"{base}_{e.index.value}" if base else e.index.value
            if isinstance(e.index, S.Literal) and isinstance(e.index.value, int):
                return f"{base}_{e.index.value}" if base else None
            return None
        if isinstance(e, S.Call):
            spec = self.functions.get(e.name)
            if spec is not None and spec.naming == "first_arg" and e.args:
                return self.derived_name(e.args[0])
            if spec is not None and spec.naming == "prefix" and e.args:
                inner = self.derived_name(e.args[0])
                return f"{spec.prefix or spec.name}_{inner or ''}"
            if spec is not None and spec.aggregate:
                return binder_ops._aggregate_name(self, e)
        return None

    # -------------------------------------------------------------- expressions
    def bind_expr(self, e: S.Expr, scope: RowScope, env: Env) -> Arg:
        method = _EXPR_METHODS.get(type(e))
        if method is None:
            self.error(
                D.unsupported(f"the expression '{self.text[e.span.start : e.span.end]}'", e.span)
            )
            return Arg(exp.Null(), KType.NULL, e.span, None)
        return method(self, e, scope, env)

    def expr_Missing(self, e: S.Missing, scope: RowScope, env: Env) -> Arg:
        return Arg(exp.Null(), KType.NULL, e.span, None)

    def expr_Literal(self, e: S.Literal, scope: RowScope, env: Env) -> Arg:
        k, v = e.kind, e.value
        if k == "string":
            return Arg(lit(v), KType.STRING, e.span, v)
        if k == "long":
            assert isinstance(v, int)
            if not -(2**63) <= v < 2**63:
                self.error(D.bad_literal(str(v), e.span, "a long is a 64-bit signed integer"))
                return Arg(exp.Null(), KType.LONG, e.span, None)
            # a bare SQL literal (functions may need INTEGER arguments); arithmetic and output
            # columns make it 64-bit, as Kusto's long literals are
            return Arg(lit(v), KType.LONG, e.span, v)
        if k == "real":
            return Arg(cast(lit(v), KType.REAL), KType.REAL, e.span, v)
        if k == "bool":
            return Arg(lit(v), KType.BOOL, e.span, v)
        if k == "timespan":
            return Arg(cast(lit(v), KType.LONG), KType.TIMESPAN, e.span, v)
        if k == "null":
            return Arg(exp.Null(), KType.NULL, e.span, None)
        if k == "raw":
            assert isinstance(v, tuple)
            return self.raw_literal(v[0], v[1], e.span, scope, env)
        raise AssertionError(k)

    def raw_literal(self, word: str, raw: str, span: Span, scope: RowScope, env: Env) -> Arg:
        t = type_from_name(word)
        assert t is not None
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw = raw[1:-1]  # datetime('2022-12-02') is accepted too
        if raw.lower() == "null" or raw == "":
            if raw == "" and t is KType.DATETIME:
                return self.datetime_arg(None, span)
            return Arg(null_of(t), t, span, None)
        if t is KType.DATETIME:
            ns = parse_datetime_ns(raw)
            if ns is None:
                self.error(
                    D.bad_literal(
                        f"datetime({raw})", span, "use ISO 8601, e.g. datetime(2024-01-31 13:45:00)"
                    )
                )
            return self.datetime_arg(ns, span)
        if t is KType.TIMESPAN:
            ticks = parse_timespan_ticks(raw)
            if ticks is None:
                self.error(
                    D.bad_literal(
                        f"timespan({raw})", span, "e.g. timespan(1.02:03:04) or timespan(5m)"
                    )
                )
                return Arg(null_of(t), t, span, None)
            return Arg(cast(lit(ticks), KType.LONG), t, span, ticks)
        if t is KType.GUID:
            g = parse_guid(raw)
            if g is None:
                self.error(D.bad_literal(f"guid({raw})", span))
                return Arg(null_of(t), t, span, None)
            return Arg(cast(lit(g), t), t, span, g)
        if t is KType.BOOL:
            low = raw.lower()
            if low not in ("true", "false", "1", "0"):
                self.error(D.bad_literal(f"bool({raw})", span))
            val = low in ("true", "1")
            return Arg(lit(val), t, span, val)
        # numeric typed literal: long(12), real(1.5), real(nan), int(-3)
        low = raw.lower().replace(" ", "")
        try:
            if t in (KType.REAL, KType.DECIMAL):
                val_f = {
                    "nan": float("nan"),
                    "+inf": float("inf"),
                    "inf": float("inf"),
                    "-inf": float("-inf"),
                }.get(low)
                value: Any = val_f if val_f is not None else float(raw)
            else:
                value = int(raw, 0)
        except ValueError:
            from kustodian.kql.parser import Parser

            p = Parser(raw)
            inner = p.expression()
            a = self.bind_expr(inner, scope, env)
            return Arg(to_type(a, t), t, span, NOT_CONST)
        return Arg(cast(lit(value), t), t, span, value)

    def expr_DynamicLiteral(self, e: S.DynamicLiteral, scope: RowScope, env: Env) -> Arg:
        return Arg(dynamic_of(e.value), KType.DYNAMIC, e.span, e.value)

    def expr_Name(self, e: S.Name, scope: RowScope, env: Env) -> Arg:
        c = scope.find(e.name)
        if c is not None:
            return Arg(col(c.sql), c.type, e.span, NOT_CONST, e)
        bound = env.lookup(e.name)
        if isinstance(bound, Arg):
            return Arg(bound.sql.copy(), bound.type, e.span, bound.const)
        if isinstance(bound, P.Node):
            return Arg(PlanRef(this=bound, mode="table"), KType.DYNAMIC, e.span, NOT_CONST, e)
        if isinstance(bound, Lambda) and not bound.node.params:
            return self.call_lambda_scalar(bound, [], e.span, scope, env)
        if e.name in ("pi",):
            pass
        available = scope.names() + [n for n in env.names() if isinstance(env.lookup(n), Arg)]
        if scope.node is None and not available and self._is_table_name(e.name):
            self.error(D.type_error(f"'{e.name}' is a table; a scalar is expected here", e.span))
        else:
            self.error(D.unknown_column(e.name, e.span, available))
        return Arg(exp.Null(), KType.NULL, e.span, None)

    def expr_Star(self, e: S.Star, scope: RowScope, env: Env) -> Arg:
        return Arg(exp.Star(), KType.NULL, e.span, NOT_CONST, e)

    def expr_TabularExpr(self, e: S.TabularExpr, scope: RowScope, env: Env) -> Arg:
        node = self.bind_tabular(e.query, env)
        return Arg(PlanRef(this=node, mode="table"), KType.DYNAMIC, e.span, NOT_CONST, e)

    def expr_NamedArg(self, e: S.NamedArg, scope: RowScope, env: Env) -> Arg:
        return self.bind_expr(e.value, scope, env)

    def expr_Lambda(self, e: S.Lambda, scope: RowScope, env: Env) -> Arg:
        self.error(D.unsupported("a lambda in this position", e.span))
        return Arg(exp.Null(), KType.NULL, e.span, None)

    # -- dynamic access
    def expr_Member(self, e: S.Member | S.Index, scope: RowScope, env: Env) -> Arg:
        # $left.X / $right.X in join conditions
        if (
            isinstance(e, S.Member)
            and isinstance(e.base, S.Name)
            and e.base.name in ("$left", "$right")
        ):
            side = scope.left if e.base.name == "$left" else scope.right
            if side is None:
                self.error(D.syntax(f"'{e.base.name}' is only valid in a join condition", e.span))
                return Arg(exp.Null(), KType.NULL, e.span, None)
            c = side.column(e.name)
            if c is None:
                self.error(D.unknown_column(e.name, e.span, [c.name for c in side.schema]))
                return Arg(exp.Null(), KType.NULL, e.span, None)
            return Arg(col(c.sql, table=e.base.name[1:]), c.type, e.span, NOT_CONST, e)
        path: list[Any] = []
        node: S.Expr = e
        while isinstance(node, S.Member | S.Index):
            if isinstance(node, S.Member):
                path.append(node.name)
            else:
                path.append(node.index)
            node = node.base
        path.reverse()
        base = self.bind_expr(node, scope, env)
        if base.type is KType.NULL:
            return Arg(null_of(KType.DYNAMIC), KType.DYNAMIC, e.span, None)
        if base.type is KType.STRING:
            # Kusto reads a property of a string holding JSON as of its parsed value
            base = Arg(fn("parse_json", base.sql), KType.DYNAMIC, base.span)
        elif base.type is not KType.DYNAMIC:
            self.error(D.type_error(f"cannot access a property of a {base.type} value", e.span))
            return Arg(null_of(KType.DYNAMIC), KType.DYNAMIC, e.span, None)
        return self.json_access(base, path, scope, env, e.span)

    expr_Index = expr_Member

    def json_access(self, base: Arg, path: list[Any], scope: RowScope, env: Env, span: Span) -> Arg:
        const_path = "$"
        sql = base.sql
        dynamic_parts: list[exp.Expression] = []
        for p in path:
            if isinstance(p, str):
                piece = _json_key(p)
            else:
                idx = self.bind_expr(p, scope, env)
                if idx.is_const and isinstance(idx.const, int) and not isinstance(idx.const, bool):
                    piece = f"[{idx.const}]" if idx.const >= 0 else f"[#{idx.const}]"
                elif idx.is_const and isinstance(idx.const, str):
                    piece = _json_key(idx.const)
                elif idx.type in (KType.LONG, KType.INT):
                    if dynamic_parts or const_path != "$":
                        sql = fn("json_extract", sql, lit(const_path)) if const_path != "$" else sql
                        const_path = "$"
                    sql = fn("json_index", sql, idx.sql)
                    continue
                elif idx.type is KType.STRING:
                    if const_path != "$":
                        sql = fn("json_extract", sql, lit(const_path))
                        const_path = "$"
                    sql = fn("json_key", sql, idx.sql)
                    continue
                else:
                    self.error(D.type_error("an index must be a number or a string", idx.span))
                    return Arg(null_of(KType.DYNAMIC), KType.DYNAMIC, span, None)
            const_path += piece
        if const_path != "$":
            if base.is_const and not dynamic_parts:
                value = _walk_const(base.const, const_path)
                if value is not _MISSING:
                    return Arg(dynamic_of(value), KType.DYNAMIC, span, value)
            if isinstance(sql, KqlFn) and sql.this == "parse_json":
                # parse_json(s).a.b reads the path from the text in one parse; text that is
                # not JSON gives null, as the property of a dynamic string does
                sql = fn("json_extract_lenient", sql.expressions[0], lit(const_path))
            else:
                sql = fn("json_extract", sql, lit(const_path))
        return Arg(sql, KType.DYNAMIC, span, NOT_CONST)

    # -- operators
    def expr_Unary(self, e: S.Unary, scope: RowScope, env: Env) -> Arg:
        a = self.bind_expr(e.operand, scope, env)
        if e.op == "not":
            return Arg(exp.Not(this=to_bool(a)), KType.BOOL, e.span)
        if e.op == "+":
            return a
        if a.type is KType.DYNAMIC:
            a = Arg(to_real(a), KType.REAL, a.span)
        if not (a.type.is_numeric or a.type is KType.TIMESPAN or a.type is KType.NULL):
            self.error(D.type_error(f"cannot negate a {a.type} value", e.span))
        const = -a.const if a.is_const and isinstance(a.const, int | float) else NOT_CONST
        return Arg(exp.Neg(this=exp.Paren(this=a.sql)), a.type, e.span, const)

    def expr_Binary(self, e: S.Binary, scope: RowScope, env: Env) -> Arg:
        from kustodian.kql.operators import bind_binary

        left = self.bind_expr(e.left, scope, env)
        right = self.bind_expr(e.right, scope, env)
        return bind_binary(self, e, left, right)

    def expr_InList(self, e: S.InList, scope: RowScope, env: Env) -> Arg:
        from kustodian.kql.operators import bind_in

        left = self.bind_expr(e.left, scope, env)
        items = [self.bind_expr(i, scope, env) for i in e.items]
        return bind_in(self, e, left, items)

    def expr_Between(self, e: S.Between, scope: RowScope, env: Env) -> Arg:
        from kustodian.kql.operators import bind_between

        return bind_between(
            self,
            e,
            self.bind_expr(e.left, scope, env),
            self.bind_expr(e.low, scope, env),
            self.bind_expr(e.high, scope, env),
        )

    # -- calls
    def expr_Call(self, e: S.Call, scope: RowScope, env: Env) -> Arg:
        special = _SPECIAL_CALLS.get(e.name)
        if special is not None:
            return special(self, e, scope, env)
        target = env.lookup(e.name)
        if isinstance(target, Lambda):
            return self.call_lambda_scalar(target, list(e.args), e.span, scope, env)
        spec = self.functions.get(e.name)
        if spec is None:
            spec = (
                self.functions.get(e.name.lower()) if e.name.lower() in _CASE_INSENSITIVE else None
            )
        if spec is None:
            reason = unsupported_reason(e.name)
            if reason:
                self.error(D.unsupported(f"the function '{e.name}'", e.name_span, reason))
                return Arg(exp.Null(), KType.NULL, e.span, None)
            names = list(self.functions) + [
                n for n in env.names() if isinstance(env.lookup(n), Lambda)
            ]
            self.error(D.unknown_function(e.name, e.name_span, names))
            return Arg(exp.Null(), KType.NULL, e.span, None)
        if spec.aggregate and not scope.aggregate:
            self.error(
                D.type_error(
                    f"'{e.name}' is an aggregation function; use it in summarize",
                    e.name_span,
                    ks="KS200",
                )
            )
            return Arg(exp.Null(), KType.NULL, e.span, None)
        if spec.aggregate and scope.in_aggregate:
            self.error(
                D.type_error(f"aggregation '{e.name}' inside another aggregation", e.name_span)
            )
            return Arg(exp.Null(), KType.NULL, e.span, None)
        return self.call_builtin(spec, e, scope, env)

    def call_builtin(self, spec: FunctionSpec, e: S.Call, scope: RowScope, env: Env) -> Arg:
        n = len(e.args)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            self.error(D.wrong_arg_count(e.name, n, spec.arity_text(), e.span))
            return Arg(exp.Null(), KType.NULL, e.span, None)
        inner = scope
        if spec.aggregate:
            inner = RowScope(scope.node, scope.alias, scope.left, scope.right, False, True)
        args = [self.bind_expr(a, inner, env) for a in e.args]
        for i in spec.const_args:
            if i < len(args) and not args[i].is_const:
                self.error(D.not_constant(f"argument {i + 1} of {e.name}()", args[i].span))
                return Arg(exp.Null(), KType.NULL, e.span, None)
        before = len(self.diagnostics)
        ctx = Ctx(e.name, e.span, self.error)
        sql = spec.lower(ctx, args)
        if len(self.diagnostics) > before:
            return Arg(exp.Null(), KType.NULL, e.span, None)
        t = spec.result_type(args)
        return Arg(sql, t, e.span, NOT_CONST, e)

    def call_lambda_scalar(
        self, lam: Lambda, args: list[S.Expr], span: Span, scope: RowScope, env: Env
    ) -> Arg:
        inner = self.lambda_env(lam, args, span, env, scope)
        for st in lam.node.body.statements:
            if isinstance(st, S.Let):
                self.bind_let(st, inner)
        result = lam.node.body.result
        if result is None:
            raise self.fatal(D.type_error(f"function '{lam.name}' has no result", span))
        if isinstance(result, S.Tabular):
            node = self.bind_tabular(result, inner)
            return Arg(PlanRef(this=node, mode="table"), KType.DYNAMIC, span)
        return self.bind_expr(result, RowScope(scope.node, aggregate=scope.aggregate), inner)


# special forms: need the syntax or the scope, not just bound values
from kustodian.kql.special import SPECIAL_CALLS as _SPECIAL_CALLS  # noqa: E402

_CASE_INSENSITIVE = {"fromunixtime", "tounixtime"}

_MISSING = object()


def _fusable(node: P.Node) -> bool:
    """A projection a following extend may be merged into: plain scalar expressions only
    (no window functions, which depend on the rows around; no sub-queries to duplicate)."""
    if not isinstance(node, P.Project) or not node.keep_order:
        return False
    return not any(
        isinstance(n, exp.Window | PlanRef | exp.AggFunc) for e in node.exprs for n in e.walk()
    )


def out_sql(a: Arg) -> exp.Expression:
    """The SQL of an output column: an integer literal is typed as Kusto's 64-bit long."""
    if a.type is KType.LONG and isinstance(a.sql, exp.Literal) and not a.sql.is_string:
        return cast(a.sql, KType.LONG)
    return a.sql


def _walk_const(value: Any, path: str) -> Any:
    """Evaluate a constant JSON path over a constant dynamic value (for folding)."""
    cur = value
    for m in re.finditer(r'\.("(?:[^"\\]|\\.)*"|[^.\[]+)|\[(#?-?\d+)\]', path):
        key, idx = m.group(1), m.group(2)
        if key is not None:
            k = key[1:-1].replace('\\"', '"') if key.startswith('"') else key
            if not isinstance(cur, dict) or k not in cur:
                return None
            cur = cur[k]
        else:
            i = int(idx.lstrip("#"))
            if not isinstance(cur, list):
                return None
            if i < -len(cur) or i >= len(cur):
                return None
            cur = cur[i]
    return cur


def _json_key(key: str) -> str:
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
        return "." + key
    return '."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


_DOTNET_TYPES = {
    KType.BOOL: "System.Boolean",
    KType.INT: "System.Int32",
    KType.LONG: "System.Int64",
    KType.REAL: "System.Double",
    KType.DECIMAL: "System.Data.SqlTypes.SqlDecimal",
    KType.STRING: "System.String",
    KType.DATETIME: "System.DateTime",
    KType.TIMESPAN: "System.TimeSpan",
    KType.GUID: "System.Guid",
    KType.DYNAMIC: "System.Object",
    KType.NULL: "System.Object",
}

_EXPR_METHODS: dict[type, Callable[[Binder, Any, RowScope, Env], Arg]] = {
    S.Missing: Binder.expr_Missing,
    S.Literal: Binder.expr_Literal,
    S.DynamicLiteral: Binder.expr_DynamicLiteral,
    S.Name: Binder.expr_Name,
    S.Star: Binder.expr_Star,
    S.Member: Binder.expr_Member,
    S.Index: Binder.expr_Index,
    S.Unary: Binder.expr_Unary,
    S.Binary: Binder.expr_Binary,
    S.InList: Binder.expr_InList,
    S.Between: Binder.expr_Between,
    S.Call: Binder.expr_Call,
    S.TabularExpr: Binder.expr_TabularExpr,
    S.NamedArg: Binder.expr_NamedArg,
    S.Lambda: Binder.expr_Lambda,
}

__all__ = [
    "BindAbort",
    "Binder",
    "Env",
    "KqlFn",
    "PlanRef",
    "RowScope",
    "make_schema",
    "numeric_result",
]
