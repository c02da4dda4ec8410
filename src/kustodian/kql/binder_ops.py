"""Binding of the operators that reshape rows: summarize, join, lookup, union, mv-expand, parse.

These are methods of `Binder` (attached in binder.py); they live here to keep files short.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql import plan as P
from kustodian.kql import syntax as S
from kustodian.kql.diagnostics import NO_SPAN
from kustodian.kql.functions.base import NOT_CONST, Arg, to_dynamic, to_string, to_type
from kustodian.kql.sqlnodes import cast, col, epoch_ns, fn, lit, null_of
from kustodian.kql.types import KType, type_from_name

if TYPE_CHECKING:
    from kustodian.kql.binder import Binder, Env


def _schema(items: list[tuple[str, KType]]) -> P.Schema:
    from kustodian.kql.binder import make_schema

    return make_schema(items)


def _scope(node: P.Node | None, aggregate: bool = False) -> Any:
    from kustodian.kql.binder import RowScope

    return RowScope(node, aggregate=aggregate)


# ------------------------------------------------------------------ summarize


def op_Summarize(self: Binder, node: P.Node, op: S.Summarize, env: Env) -> P.Node:
    if self.apply_key is not None and all(
        not (isinstance(a.expr, S.Name) and a.expr.name == self.apply_key) for a in op.by
    ):
        # inside mv-apply, each input row's values are summarized separately
        key = S.Assign(None, S.Name(op.span, self.apply_key), op.span)
        op = S.Summarize(op.span, op.aggregates, (*op.by, key))
    keys: list[tuple[str, KType, exp.Expression]] = []
    scope = _scope(node)
    counter = 0
    for a in op.by:
        arg = self.bind_expr(a.expr, scope, env)
        if isinstance(a.expr, S.Name) and "*" in a.expr.name:
            self.error(D.unsupported("a wildcard in summarize by", a.span))
            continue
        name = a.name or self.derived_name(a.expr, arg)
        if name is None:
            counter += 1
            name = f"Column{counter}"
        t = arg.type if arg.type is not KType.NULL else KType.STRING
        keys.append((name, t, arg.sql))
    key_names = {k[0] for k in keys}
    outputs: list[tuple[str, KType, exp.Expression]] = []  # aggregate columns (maybe structs)
    unpack: list[tuple[str, KType, str | None, str | None]] = []  # (name, type, struct col, field)
    agg_scope = _scope(node, aggregate=True)
    for a in op.aggregates:
        expanded = _multi_output(self, a, node, env, key_names, outputs, unpack)
        if expanded:
            continue
        arg = self.bind_expr(a.expr, agg_scope, env)
        if not _has_aggregate(arg.sql):
            self.error(
                D.type_error(
                    "summarize needs an aggregation function here",
                    a.expr.span,
                    "e.g. count(), dcount(X), make_set(X)",
                    ks="KS200",
                )
            )
            continue
        name = a.name or _aggregate_name(self, a.expr)
        out_type = arg.type if arg.type is not KType.NULL else KType.STRING
        # a name taken by an earlier aggregate (list_x twice) gets a hidden name until the
        # final projection numbers the duplicates
        hidden_name = name if all(o[0] != name for o in outputs) else self.fresh("a")
        outputs.append((hidden_name, out_type, arg.sql))
        unpack.append((name, out_type, hidden_name, None))
    explicit = [a.name for a in (*op.by, *op.aggregates) if a.name]
    for n in {n for n in explicit if explicit.count(n) > 1}:
        self.error(D.name_conflict(n, op.span))
    names = [k[0] for k in keys] + [u[0] for u in unpack]
    names = _dedupe(names)
    hidden: list[tuple[str, KType]] = [(k[0], k[1]) for k in keys] + [(o[0], o[1]) for o in outputs]
    agg_schema = _schema(hidden)
    agg = P.Aggregate(agg_schema, node, tuple(k[2] for k in keys), tuple(o[2] for o in outputs))
    if all(u[3] is None for u in unpack) and names == [h[0] for h in hidden]:
        return agg
    # a projection unpacks multi-column aggregates (arg_max) and applies the final names
    by_name = {c.name: c for c in agg_schema}
    final: list[tuple[str, KType]] = []
    exprs: list[exp.Expression] = []
    key_cols = agg_schema[: len(keys)]
    for i, c in enumerate(key_cols):
        final.append((names[i], c.type))
        exprs.append(col(c.sql))
    for j, (_, utype, source, field) in enumerate(unpack):
        final.append((names[len(keys) + j], utype))
        assert source is not None
        if field is None:
            exprs.append(col(by_name[source].sql))
        else:
            exprs.append(fn("struct_get", col(by_name[source].sql), lit(field)))
    return P.Project(_schema(final), agg, tuple(exprs))


def unique_name(name: str, taken: set[str]) -> str:
    """Kusto's numbering of a name already taken: x, x1, x2, ..."""
    cand, k = name, 0
    while cand in taken:
        k += 1
        cand = f"{name}{k}"
    return cand


def _dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for n in names:
        out.append(unique_name(n, seen))
        seen.add(out[-1])
    return out


def _has_aggregate(sql: exp.Expression) -> bool:
    from kustodian.kql.sqlnodes import KqlAggFn

    return any(isinstance(n, exp.AggFunc | KqlAggFn) for n in sql.walk())


def _aggregate_name(self: Binder, e: S.Expr) -> str:
    """Kusto's default names: `count_`, `dcount_X`, `set_X`, `sum_`."""
    if isinstance(e, S.Call):
        spec = self.functions.get(e.name)
        if spec is not None and spec.aggregate:
            prefix = spec.prefix or spec.name
            arg = self.derived_name(e.args[0]) if e.args else None
            if spec.name == "count" and not e.args:
                return "count_"
            if spec.naming == "first_arg" and arg:
                return arg
            if spec.name == "percentile" and len(e.args) > 1 and isinstance(e.args[1], S.Literal):
                return f"percentile_{arg or ''}_{str(e.args[1].value).replace('.', '_')}"
            return f"{prefix}_{arg}" if arg else f"{prefix}_"
    return "Column1"


def _multi_output(
    self: Binder,
    a: S.Assign,
    node: P.Node,
    env: Env,
    key_names: set[str],
    outputs: list[tuple[str, KType, exp.Expression]],
    unpack: list[tuple[str, KType, str | None, str | None]],
) -> bool:
    """arg_max/arg_min (several output columns) and percentiles (one column per percent)."""
    e = a.expr
    if not isinstance(e, S.Call):
        return False
    name = e.name.lower()
    if name in ("arg_max", "arg_min", "argmax", "argmin"):
        _arg_extreme(self, a, e, node, env, key_names, outputs, unpack)
        return True
    if name in ("percentiles", "percentiles_array") and len(e.args) >= 2:
        return _percentiles(self, a, e, node, env, outputs, unpack)
    return False


def _arg_extreme(
    self: Binder,
    a: S.Assign,
    e: S.Call,
    node: P.Node,
    env: Env,
    key_names: set[str],
    outputs: list[tuple[str, KType, exp.Expression]],
    unpack: list[tuple[str, KType, str | None, str | None]],
) -> None:
    if not e.args:
        self.error(D.wrong_arg_count(e.name, 0, "at least 1", e.span))
        return
    scope = _scope(node)
    measure = self.bind_expr(e.args[0], scope, env)
    mname = a.name or self.derived_name(e.args[0]) or "Column1"
    fields: list[tuple[str, KType, exp.Expression]] = [(mname, measure.type, measure.sql)]
    for x in e.args[1:]:
        if isinstance(x, S.Star):
            for c in node.schema:
                if (
                    c.name not in key_names
                    and c.name != mname
                    and all(f[0] != c.name for f in fields)
                ):
                    fields.append((c.name, c.type, col(c.sql)))
            continue
        if isinstance(x, S.NamedArg):
            v = self.bind_expr(x.value, scope, env)
            fields.append((x.name, v.type, v.sql))
            continue
        v = self.bind_expr(x, scope, env)
        fname = self.derived_name(x) or f"Column{len(fields)}"
        fields.append((fname, v.type, v.sql))
    struct_name = self.fresh("s")
    parts: list[exp.Expression] = []
    for i, (_, _, sql) in enumerate(fields):
        parts.extend([lit(f"f{i}"), sql])
    op = "arg_max" if e.name.lower() in ("arg_max", "argmax") else "arg_min"
    from kustodian.kql.sqlnodes import agg

    struct = fn("struct_pack", *parts)
    # Kusto still returns a row for a group whose measure is always null
    picked = exp.Coalesce(
        this=agg(op, struct, measure.sql), expressions=[agg("first_value", struct.copy())]
    )
    outputs.append((struct_name, KType.DYNAMIC, picked))
    for i, (fname, t, _) in enumerate(fields):
        unpack.append((fname, t if t is not KType.NULL else KType.STRING, struct_name, f"f{i}"))


def _percentiles(
    self: Binder,
    a: S.Assign,
    e: S.Call,
    node: P.Node,
    env: Env,
    outputs: list[tuple[str, KType, exp.Expression]],
    unpack: list[tuple[str, KType, str | None, str | None]],
) -> bool:
    from kustodian.kql.functions.aggregates import percentile_sql

    scope = _scope(node)
    value = self.bind_expr(e.args[0], scope, env)
    base = self.derived_name(e.args[0]) or ""
    if e.name.lower() == "percentiles_array":
        return False
    for x in e.args[1:]:
        p = self.bind_expr(x, scope, env)
        if not p.is_const:
            self.error(D.not_constant("a percentile", x.span))
            return True
        pct = p.const
        label = str(pct).replace(".", "_")
        name = f"percentile_{base}_{label}" if base else f"percentile__{label}"
        outputs.append((name, value.type, percentile_sql(value, float(pct))))
        unpack.append((name, value.type, name, None))
    return True


# ------------------------------------------------------------------ join and lookup

# bag_unpack without a schema makes a column per distinct key: beyond this, it is an error
# (read while binding, so a bag with millions of keys must not be fetched whole)
MAX_BAG_UNPACK_COLUMNS = 10_000

_JOIN_KINDS = {
    "innerunique",
    "inner",
    "leftouter",
    "rightouter",
    "fullouter",
    "leftanti",
    "leftantisemi",
    "rightanti",
    "rightantisemi",
    "leftsemi",
    "rightsemi",
    "anti",
    "semi",
}


def _join_keys(
    self: Binder, on: tuple[S.Expr, ...], left: P.Node, right: P.Node, env: Env
) -> tuple[list[exp.Expression], list[exp.Expression], list[str]]:
    from kustodian.kql.binder import RowScope

    lkeys: list[exp.Expression] = []
    rkeys: list[exp.Expression] = []
    same_names: list[str] = []
    scope = RowScope(None, left=left, right=right)

    def add(e: S.Expr) -> None:
        if isinstance(e, S.Binary) and e.op == "and":
            add(e.left)
            add(e.right)
            return
        if isinstance(e, S.Name):
            lc, rc = left.column(e.name), right.column(e.name)
            if lc is None or rc is None:
                side = left if lc is None else right
                self.error(D.unknown_column(e.name, e.span, [c.name for c in side.schema]))
                return
            lkeys.append(col(lc.sql, table="left"))
            rkeys.append(col(rc.sql, table="right"))
            same_names.append(e.name)
            return
        if isinstance(e, S.Binary) and e.op == "==":
            la = self.bind_expr(e.left, scope, env)
            ra = self.bind_expr(e.right, scope, env)
            lt = _side(la.sql)
            if lt == "right":
                la, ra = ra, la
            lkeys.append(la.sql)
            rkeys.append(ra.sql)
            return
        self.error(D.syntax("a join condition is a column name or '$left.A == $right.B'", e.span))

    for e in on:
        add(e)
    return lkeys, rkeys, same_names


def _side(sql: exp.Expression) -> str | None:
    for n in sql.walk():
        if isinstance(n, exp.Column) and n.table:
            return str(n.table)
    return None


def op_Join(self: Binder, node: P.Node, op: S.Join, env: Env) -> P.Node:
    kind = (op.kind or "innerunique").lower()
    if kind not in _JOIN_KINDS:
        raise self.fatal(
            D.syntax(
                f"unknown join kind '{op.kind}'",
                op.span,
                "kinds: " + ", ".join(sorted(_JOIN_KINDS)),
            )
        )
    kind = {
        "leftantisemi": "leftanti",
        "rightantisemi": "rightanti",
        "anti": "leftanti",
        "semi": "leftsemi",
    }.get(kind, kind)
    right = self.bind_tabular(op.right, env)
    if not op.on:
        raise self.fatal(D.syntax("join needs 'on' with the columns to match", op.span))
    lkeys, rkeys, _ = _join_keys(self, op.on, node, right, env)
    return _make_join(node, right, kind, lkeys, rkeys, drop_right_keys=())


def _make_join(
    left: P.Node,
    right: P.Node,
    kind: str,
    lkeys: list[exp.Expression],
    rkeys: list[exp.Expression],
    drop_right_keys: tuple[str, ...],
) -> P.Node:
    from kustodian.kql.binder import NameAllocator

    alloc = NameAllocator()
    left_out: list[tuple[P.Column, P.Column]] = []
    right_out: list[tuple[P.Column, P.Column]] = []
    names: set[str] = set()
    if kind not in ("rightsemi", "rightanti"):
        for c in left.schema:
            out = P.Column(c.name, c.type, alloc.take(c.name))
            left_out.append((c, out))
            names.add(c.name)
    if kind not in ("leftsemi", "leftanti"):
        for c in right.schema:
            if c.name in drop_right_keys:
                continue
            name = unique_name(c.name, names)
            names.add(name)
            right_out.append((c, P.Column(name, c.type, alloc.take(name))))
    schema = tuple(o for _, o in left_out) + tuple(o for _, o in right_out)
    return P.Join(
        schema, left, right, kind, tuple(lkeys), tuple(rkeys), tuple(left_out), tuple(right_out)
    )


def op_Lookup(self: Binder, node: P.Node, op: S.Lookup, env: Env) -> P.Node:
    kind = (op.kind or "leftouter").lower()
    if kind not in ("leftouter", "inner"):
        raise self.fatal(
            D.syntax(f"lookup kind must be leftouter or inner, not '{op.kind}'", op.span)
        )
    right = self.bind_tabular(op.right, env)
    lkeys, rkeys, same = _join_keys(self, op.on, node, right, env)
    return _make_join(node, right, kind, lkeys, rkeys, drop_right_keys=tuple(same))


# ------------------------------------------------------------------ union


def op_UnionOp(self: Binder, node: P.Node | None, op: S.UnionOp, env: Env) -> P.Node:
    inputs: list[tuple[str, P.Node]] = []
    if node is not None:
        inputs.append((self.node_names.get(id(node), "union_arg0"), node))
    for t in op.tables:
        if isinstance(t, S.TableRef) and "*" in t.name:
            rx = re.compile("^" + ".*".join(re.escape(p) for p in t.name.split("*")) + "$")
            matched = [n for n in self.catalog.names() if rx.match(n)]
            if not matched and not op.isfuzzy:
                self.error(D.unknown_table(t.name, t.span, self.catalog.names()))
            inputs.extend((n, self.scan(n)) for n in matched)
            continue
        if isinstance(t, S.TableRef):
            bound_let = env.lookup(t.name)
            missing = bound_let is None and self.catalog.get(t.name) is None
            if op.isfuzzy and (missing or type(bound_let).__name__ == "Deferred"):
                continue  # isfuzzy skips a table that does not exist
            inputs.append((t.name, self.bind_table_ref(t, env)))
            continue
        errors_before = len(self.diagnostics)
        try:
            bound = self.bind_tabular(t, env)
            name = t.name if isinstance(t, S.TableCall) else f"union_arg{len(inputs)}"
            inputs.append((self.node_names.get(id(bound), name), bound))
        except Exception:
            if not op.isfuzzy:
                raise
            # isfuzzy: a leg that cannot be resolved (a missing table) is left out
            del self.diagnostics[errors_before:]
    if not inputs:
        raise self.fatal(D.syntax("union has no table to read", op.span))
    kind = (op.kind or "outer").lower()
    out_cols = _union_columns([n for _, n in inputs], kind)
    items: list[tuple[str, KType]] = []
    if op.withsource:
        items.append((op.withsource, KType.STRING))
    source = [op.withsource] if op.withsource else []
    names = _dedupe(source + [name for name, _, _ in out_cols])
    items.extend((n, t) for n, (_, t, _) in zip(names[len(source) :], out_cols))
    schema = _schema(items)
    per_input: list[tuple[exp.Expression, ...]] = []
    for tname, n in inputs:
        row: list[exp.Expression] = []
        if op.withsource:
            row.append(lit(tname))
        for _, ctype, source_name in out_cols:
            c = n.column(source_name)
            if c is not None and c.type is ctype:
                row.append(col(c.sql))
            else:
                row.append(null_of(ctype))
        per_input.append(tuple(row))
    return P.Union(schema, tuple(n for _, n in inputs), tuple(per_input))


def _union_columns(nodes: list[P.Node], kind: str) -> list[tuple[str, KType, str]]:
    """Output columns (name, type, source name); a name with several types becomes `name_type`."""
    order: list[str] = []
    types: dict[str, list[KType]] = {}
    for n in nodes:
        for c in n.schema:
            if c.name not in types:
                order.append(c.name)
                types[c.name] = []
            if c.type not in types[c.name]:
                types[c.name].append(c.type)
    if kind == "inner":
        order = [name for name in order if all(n.column(name) is not None for n in nodes)]
    out: list[tuple[str, KType, str]] = []
    for name in order:
        ts = types[name]
        if len(ts) == 1:
            out.append((name, ts[0], name))
        else:
            out.extend((f"{name}_{t.value}", t, name) for t in ts)
    return out


# ------------------------------------------------------------------ mv-expand


def op_MvExpand(self: Binder, node: P.Node, op: S.MvExpand, env: Env) -> P.Node:
    scope = _scope(node)
    arrays: list[exp.Expression] = []
    targets: list[tuple[str, KType]] = []
    for item in op.items:
        arg = self.bind_expr(item.expr, scope, env)
        if arg.type is not KType.DYNAMIC:
            self.error(
                D.type_error(f"mv-expand needs a dynamic value, not {arg.type}", item.expr.span)
            )
            continue
        name = item.name or self.derived_name(item.expr) or f"Column{len(targets) + 1}"
        t = KType.DYNAMIC
        if item.to_type:
            tt = type_from_name(item.to_type)
            if tt is None:
                self.error(D.type_error(f"unknown type '{item.to_type}'", item.span))
                continue
            t = tt
        mode = (op.kind or "bag").lower()
        arrays.append(fn("json_to_list", arg.sql, lit(mode == "array")))
        targets.append((name, t))
    limit: int | None = None
    if op.limit is not None:
        lim = self.bind_expr(op.limit, _scope(None), env)
        limit = int(lim.const) if lim.is_const else None
    from kustodian.kql.binder import NameAllocator

    alloc = NameAllocator([c.sql for c in node.schema])
    passthrough = tuple((c, c) for c in node.schema)
    elem_cols = [
        P.Column(f"__e{i}", KType.DYNAMIC, alloc.take(f"__e{i}_x")) for i in range(len(arrays))
    ]
    idx_col = (
        P.Column(op.item_index, KType.LONG, alloc.take(op.item_index)) if op.item_index else None
    )
    unnest_schema = (
        tuple(c for c in node.schema) + tuple(elem_cols) + ((idx_col,) if idx_col else ())
    )
    unnest = P.Unnest(
        unnest_schema,
        node,
        passthrough,
        tuple(arrays),
        tuple(KType.DYNAMIC for _ in arrays),
        idx_col,
        limit,
    )
    # final projection: replace expanded columns in place, convert to the requested types
    final: list[tuple[str, KType]] = []
    exprs: list[exp.Expression] = []
    replaced = {name: i for i, (name, _) in enumerate(targets)}
    for c in node.schema:
        if c.name in replaced:
            i = replaced.pop(c.name)
            final.append((c.name, targets[i][1]))
            exprs.append(_elem(elem_cols[i], targets[i][1]))
        else:
            final.append((c.name, c.type))
            exprs.append(col(c.sql))
    for name, i in replaced.items():
        final.append((name, targets[i][1]))
        exprs.append(_elem(elem_cols[i], targets[i][1]))
    if idx_col is not None:
        final.append((idx_col.name, KType.LONG))
        exprs.append(col(idx_col.sql))
    return P.Project(_schema(final), unnest, tuple(exprs))


def _elem(c: P.Column, t: KType) -> exp.Expression:
    a = Arg(col(c.sql), KType.DYNAMIC, NO_SPAN)
    return to_type(a, t) if t is not KType.DYNAMIC else col(c.sql)


# ------------------------------------------------------------------ parse

_TYPE_REGEX = {
    KType.LONG: r"(-?\d+)",
    KType.INT: r"(-?\d+)",
    KType.REAL: r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)",
}


def op_Parse(self: Binder, node: P.Node, op: S.Parse, env: Env) -> P.Node:
    source = self.bind_expr(op.source, _scope(node), env)
    text = to_string(source)
    pieces: list[str] = []
    captures: list[tuple[str, KType, int]] = []  # name, type, regex group number
    groups = 0
    items = list(op.pattern)
    for i, item in enumerate(items):
        last = i == len(items) - 1
        if item == "*":
            pieces.append(".*" if last or op.kind == "regex" else ".*?")
        elif isinstance(item, str):
            pieces.append(item if op.kind == "regex" else re.escape(item))
            if op.kind == "regex":
                groups += _count_groups(item)
        else:
            assert isinstance(item, tuple)
            name, tname = str(item[0]), item[1]
            found = type_from_name(str(tname)) if tname else KType.STRING
            if found is None:
                self.error(D.type_error(f"unknown type '{tname}'", op.span))
            t = found or KType.STRING
            if t in _TYPE_REGEX and op.kind == "relaxed":
                # relaxed: a value of the wrong type is null, and the rest still parses
                pieces.append(_TYPE_REGEX[t][:-1] + "|.*?)")
            elif t in _TYPE_REGEX:
                pieces.append(_TYPE_REGEX[t])
            else:
                # simple mode reads up to the next literal; regex mode is greedy unless flags=U
                pieces.append("(.*)" if last or op.kind == "regex" else "(.*?)")
            groups += 1
            captures.append((name, t, groups))
    flags = ""
    if op.flags:
        flags = "(?" + "".join(ch for ch in op.flags if ch in "imsU") + ")"
        flags = "" if flags == "(?)" else flags
    pattern = flags + ("" if op.kind == "regex" else "^") + "".join(pieces)
    if op.kind != "regex" and items and not isinstance(items[-1], tuple) and items[-1] != "*":
        pattern += ""
    base: P.Node = node
    if op.where:
        base = P.Filter(node.schema, node, exp.RegexpLike(this=text, expression=lit(pattern)))
    cols: list[tuple[str, KType]] = [(c.name, c.type) for c in node.schema]
    exprs: list[exp.Expression] = [col(c.sql) for c in node.schema]
    typed_ok: list[exp.Expression] = []
    for name, t, gi in captures:
        raw = exp.RegexpExtract(this=text.copy(), expression=lit(pattern), group=lit(gi))
        value = raw if t is KType.STRING else to_type(Arg(raw, KType.STRING, op.span, NOT_CONST), t)
        if t is not KType.STRING:
            typed_ok.append(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
        idx = next((i for i, (n, _) in enumerate(cols) if n == name), None)
        if idx is None:
            cols.append((name, t))
            exprs.append(value)
        else:
            cols[idx] = (name, t)
            exprs[idx] = value
    if op.where and typed_ok:
        # parse-where keeps only rows whose typed captures all convert
        base = P.Filter(base.schema, base, exp.and_(*typed_ok))
    return P.Project(_schema(cols), base, tuple(exprs))


# ------------------------------------------------------------------ evaluate (plugins)


def op_Evaluate(self: Binder, node: P.Node, op: S.Evaluate, env: Env) -> P.Node:
    name = op.call.name
    if name == "bag_unpack":
        return _bag_unpack(self, node, op, env)
    raise self.fatal(
        D.unsupported(f"the '{name}' plugin", op.call.name_span, "supported plugins: bag_unpack")
    )


def _bag_unpack(self: Binder, node: P.Node, op: S.Evaluate, env: Env) -> P.Node:
    """Kusto's bag_unpack: one column per property of the bag column.

    The columns depend on the data: with an output schema (`: (a:string, ...)`) they are taken
    from it, otherwise the binder looks at the data (the distinct property names, sorted).
    """
    args = list(op.call.args)
    if not args:
        raise self.fatal(D.wrong_arg_count("bag_unpack", 0, "1 to 4", op.call.span))
    scope = _scope(node)
    bag = self.bind_expr(args[0], scope, env)
    if bag.type is not KType.DYNAMIC:
        raise self.fatal(
            D.type_error(f"bag_unpack needs a dynamic column, not {bag.type}", args[0].span)
        )
    prefix = ""
    conflict = "error"
    for i, a in enumerate(args[1:], start=1):
        v = self.bind_expr(a.value if isinstance(a, S.NamedArg) else a, _scope(None), env)
        key = (
            a.name
            if isinstance(a, S.NamedArg)
            else ("OutputColumnPrefix", "columnsConflict", "ignoredProperties")[min(i - 1, 2)]
        )
        if key == "OutputColumnPrefix" and isinstance(v.const, str):
            prefix = v.const
        elif key == "columnsConflict" and isinstance(v.const, str):
            conflict = v.const
    source_name = args[0].name if isinstance(args[0], S.Name) else None
    keep = [c for c in node.schema if c.name != source_name]
    keys: list[tuple[str, KType]]
    if op.schema is not None:
        keys = []
        for cname, tname in op.schema:
            if cname == "*":
                continue
            t = type_from_name(tname)
            if t is None:
                raise self.fatal(D.type_error(f"unknown type '{tname}'", op.span))
            if node.column(cname) is None:
                keys.append((cname, t))
        if not any(c == "*" for c, _ in op.schema):
            keep = [c for c in keep if any(c.name == n for n, _ in op.schema)]
    else:
        if self.probe is None:
            raise self.fatal(
                D.unsupported(
                    "bag_unpack without an output schema outside a workspace",
                    op.span,
                    "add the schema, e.g. '| evaluate bag_unpack(col) : (*, a:string)'",
                )
            )
        from kustodian.kql.binder import make_schema

        probe = P.Distinct(
            *(lambda s: (s, P.Project(s, node, (fn("bag_keys_unnest", bag.sql),))))(
                make_schema([("key", KType.STRING)])
            )
        )
        # at most one more key than allowed: the engine stops there, however many there are
        rows = self.probe(P.Limit(probe.schema, probe, lit(MAX_BAG_UNPACK_COLUMNS + 1)))
        if len(rows) > MAX_BAG_UNPACK_COLUMNS:
            raise self.fatal(D.too_many_columns("bag_unpack", MAX_BAG_UNPACK_COLUMNS, op.span))
        keys = [
            (prefix + str(r[0]), KType.DYNAMIC)
            for r in sorted(rows, key=lambda r: str(r[0]))
            if r[0] is not None
        ]
    cols: list[tuple[str, KType]] = [(c.name, c.type) for c in keep]
    exprs: list[exp.Expression] = [col(c.sql) for c in keep]
    for kname, t in keys:
        prop = kname[len(prefix) :] if prefix and kname.startswith(prefix) else kname
        value = fn("json_extract", bag.sql.copy(), lit("$." + _json_path_key(prop)))
        conv = value if t is KType.DYNAMIC else to_type(Arg(value, KType.DYNAMIC, op.span), t)
        existing = next((i for i, (n, _) in enumerate(cols) if n == kname), None)
        if existing is not None:
            if conflict == "keep_source":
                continue
            if conflict == "error":
                raise self.fatal(D.name_conflict(kname, op.span))
            cols[existing] = (kname, t)
            exprs[existing] = conv
            continue
        cols.append((kname, t))
        exprs.append(conv)
    return P.Project(_schema(cols), node, tuple(exprs))


def _json_path_key(key: str) -> str:
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _count_groups(regex: str) -> int:
    """Capturing groups in a regex fragment (not `(?:`, not escaped parentheses)."""
    n, i = 0, 0
    while i < len(regex):
        if regex[i] == "\\":
            i += 2
            continue
        if regex[i] == "(" and (not regex.startswith("(?", i) or regex.startswith("(?P<", i)):
            n += 1
        i += 1
    return n


def op_MakeSeries(self: Binder, node: P.Node, op: S.MakeSeries, env: Env) -> P.Node:
    scope = _scope(node)
    on = self.bind_expr(op.on, scope, env)
    step = self.bind_expr(op.step, _scope(None), env)
    is_dt = on.type is KType.DATETIME
    if is_dt and step.type is not KType.TIMESPAN:
        raise self.fatal(
            D.type_error("make-series on a datetime needs a timespan step", op.step.span)
        )
    if not is_dt and not (on.type.is_numeric or on.type is KType.TIMESPAN):
        raise self.fatal(D.type_error(f"make-series cannot bin a {on.type} axis", op.on.span))

    def axis_number(a: Arg) -> exp.Expression:
        return epoch_ns(a.sql) if is_dt else a.sql

    on_num = axis_number(on)
    step_num = exp.Mul(this=step.sql, expression=lit(100)) if is_dt else step.sql
    start = stop = None
    if op.start is not None:
        start = axis_number(self.bind_expr(op.start, _scope(None), env))
    if op.stop is not None:
        stop = axis_number(self.bind_expr(op.stop, _scope(None), env))
    keys: list[tuple[str, KType]] = []
    key_sql: list[exp.Expression] = []
    for i, a in enumerate(op.by):
        arg = self.bind_expr(a.expr, scope, env)
        keys.append((a.name or self.derived_name(a.expr, arg) or f"Column{i + 1}", arg.type))
        key_sql.append(arg.sql)
    agg_names: list[tuple[str, KType]] = []
    agg_sql: list[exp.Expression] = []
    defaults: list[exp.Expression] = []
    agg_scope = _scope(node, aggregate=True)
    for a, d in zip(op.aggregates, op.defaults):
        arg = self.bind_expr(a.expr, agg_scope, env)
        name = a.name or _aggregate_name(self, a.expr)
        agg_names.append((name, KType.DYNAMIC))
        agg_sql.append(to_dynamic(arg))
        if d is not None:
            defaults.append(to_dynamic(self.bind_expr(d, _scope(None), env)))
        else:
            zero = Arg(lit(0), KType.LONG, op.span, 0)
            defaults.append(
                to_dynamic(zero)
                if arg.type.is_numeric or arg.type is KType.NULL
                else fn("json_literal", lit("null"))
            )
    axis_name = self.derived_name(op.on, on) or "Column1"
    schema = _schema(keys + agg_names + [(axis_name, KType.DYNAMIC)])
    if start is None:
        start = exp.Subquery(this=exp.select(exp.Min(this=on_num.copy())).from_("__series_input"))
    if stop is None:
        stop = exp.Add(
            this=exp.Subquery(this=exp.select(exp.Max(this=on_num.copy())).from_("__series_input")),
            expression=lit(1),
        )
    return P.Series(
        schema,
        node,
        tuple(key_sql),
        tuple(agg_sql),
        tuple(defaults),
        on_num,
        start,
        stop,
        step_num,
        is_dt,
    )


__all__ = [
    "cast",
    "op_Join",
    "op_Lookup",
    "op_MakeSeries",
    "op_MvExpand",
    "op_Parse",
    "op_Summarize",
    "op_UnionOp",
]
