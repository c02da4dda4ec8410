"""Lowering: the typed plan -> one sqlglot SELECT with a CTE per operator.

Dialect-neutral: the tree holds standard sqlglot nodes and `KqlFn` operations that each
dialect's generator renders.
"""

from __future__ import annotations

from sqlglot import exp

from kustodian.kql import plan as P
from kustodian.kql.binder import PlanRef
from kustodian.kql.sqlnodes import KqlFn, agg, col, fn, lit, sql_type


class Lowerer:
    def __init__(self) -> None:
        self.ctes: list[exp.CTE] = []
        self.names: dict[int, str] = {}
        self.keep: list[P.Node] = []  # keeps memoized nodes alive so ids stay unique

    # -------------------------------------------------------------- entry point
    def lower_root(self, root: P.Node) -> exp.Select:
        order: list[exp.Ordered] = []
        if isinstance(root, P.Sort) and root.limit is None:
            # a final sort needs no row numbers: the result is simply ordered by its keys
            order = self.order(root.keys)
            root = root.input  # same columns: a sort changes only the order
        name = self.relation(root)
        # the result columns carry their Kusto names when SQL can hold them (unique ignoring case)
        kusto_names = len({c.name.lower() for c in root.schema}) == len(root.schema)
        items = [
            exp.alias_(self.out(c), c.name, quoted=True)
            if kusto_names and c.name != c.sql
            else self.out(c)
            for c in root.schema
        ]
        sel = exp.select(*items).from_(self.table(name), copy=False)
        if order:
            sel = sel.order_by(*order, copy=False)  # (root is the sort's input here)
        elif root.ordered:
            sel = sel.order_by(exp.Ordered(this=col(P.ORD)), copy=False)
        if self.ctes:
            sel.set("with_", exp.With(expressions=self.ctes))
        return sel

    def out(self, c: P.Column) -> exp.Expression:
        return col(c.sql)

    # -------------------------------------------------------------- relations
    def relation(self, node: P.Node) -> str:
        """The name of a CTE (or table) holding the node's rows."""
        key = id(node)
        if key in self.names:
            return self.names[key]
        if isinstance(node, P.Scan) and node.time_filter is None:
            self.names[key] = node.table
            self.keep.append(node)
            return node.table
        select = self.build(node)
        name = f"_t{len(self.ctes) + 1}"
        materialized = isinstance(node, P.Materialize)
        self.ctes.append(
            exp.CTE(
                this=select,
                alias=exp.TableAlias(this=exp.to_identifier(name)),
                materialized=materialized or None,
            )
        )
        self.names[key] = name
        self.keep.append(node)
        return name

    def table(self, name: str) -> exp.Table:
        return exp.Table(this=exp.to_identifier(name, quoted=True))

    def cols(self, node: P.Node) -> list[exp.Expression]:
        """Every column of a node's relation: its schema plus the order column when it has
        one, which is exactly what its CTE or table holds."""
        return [exp.Star()]

    def expr(self, e: exp.Expression) -> exp.Expression:
        """Replace sub-plans inside an expression by SQL sub-queries, and read JSON paths of
        parse_json(text) from the text itself (one parse instead of two)."""
        e = _path_of_parsed_text(e)
        if not any(isinstance(n, PlanRef) for n in e.walk()):
            return e

        def sub(n: exp.Expression) -> exp.Expression:
            if not isinstance(n, PlanRef):
                return n
            node: P.Node = n.this
            name = self.relation(node)
            first = col(node.schema[0].sql) if node.schema else exp.Null()
            mode = n.args.get("mode")
            if mode == "column_lower":
                first = exp.Lower(this=first)
            q = exp.select(first).from_(self.table(name), copy=False)
            if mode == "scalar":
                if node.ordered:
                    q = q.order_by(exp.Ordered(this=col(P.ORD)), copy=False)
                return exp.Subquery(this=q.limit(1, copy=False))
            return exp.Subquery(this=q)

        return e.transform(sub, copy=True)

    def build(self, node: P.Node) -> exp.Select:
        method = getattr(self, "build_" + type(node).__name__)
        result: exp.Select = method(node)
        return result

    def build_Scan(self, node: P.Scan) -> exp.Select:
        sel = exp.select(*[col(c.sql) for c in node.schema]).from_(
            self.table(node.table), copy=False
        )
        if node.time_filter is not None and node.time_column:
            lo, hi = node.time_filter
            start, end = fn("datetime_literal", lit(lo)), fn("datetime_literal", lit(hi))
            if node.time_params:  # SQL reused across windows (alert rules' ticks)
                start, end = fn("window_start"), fn("window_end")
            tc = col(node.time_column)
            sel = sel.where(
                exp.And(
                    this=exp.GTE(this=tc, expression=start),
                    expression=exp.LTE(this=tc.copy(), expression=end),
                )
            )
        return sel

    def build_Values(self, node: P.Values) -> exp.Select:
        if not node.rows:
            nulls = [
                exp.alias_(exp.Cast(this=exp.Null(), to=sql_type(c.type)), c.sql, quoted=True)
                for c in node.schema
            ]
            return exp.select(*nulls).where(exp.false(), copy=False)
        rows = [exp.Tuple(expressions=[self.expr(v) for v in row]) for row in node.rows]
        alias = exp.TableAlias(
            this=exp.to_identifier("v"),
            columns=[exp.to_identifier(c.sql, quoted=True) for c in node.schema],
        )
        values = exp.Values(expressions=rows, alias=alias)
        return exp.select(*[col(c.sql) for c in node.schema]).from_(values, copy=False)

    def build_Compute(self, node: P.Compute) -> exp.Select:
        return exp.select(
            *[exp.alias_(self.expr(e), c.sql, quoted=True) for e, c in zip(node.exprs, node.schema)]
        )

    def build_Sequence(self, node: P.Sequence) -> exp.Select:
        node = P.Sequence(
            node.schema,
            self.expr(node.start),
            self.expr(node.stop),
            self.expr(node.step),
            node.kind,
        )
        count = exp.Add(
            this=fn("floor_div", exp.Sub(this=node.stop, expression=node.start), node.step),
            expression=lit(1),
        )
        i = col("__kql_i")
        value: exp.Expression = exp.Add(
            this=node.start, expression=exp.Mul(this=i, expression=node.step)
        )
        if node.kind.value == "datetime":
            value = fn("from_epoch_ns", value)
        elif node.kind.value == "real":
            count = exp.Add(
                this=exp.Cast(
                    this=exp.Floor(
                        this=exp.Div(
                            this=exp.Sub(this=node.stop, expression=node.start),
                            expression=node.step,
                        )
                    ),
                    to=exp.DataType.build("BIGINT"),
                ),
                expression=lit(1),
            )
        inner = index_rows(count)
        sel = exp.select(
            exp.alias_(value, node.schema[0].sql, quoted=True),
            exp.alias_(i.copy(), P.ORD, quoted=True),
        )
        return sel.from_(
            exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("s")))
        )

    def build_Filter(self, node: P.Filter) -> exp.Select:
        # consecutive filters (and a time-filtered scan) make one WHERE: less SQL to plan
        predicates = [node.predicate]
        source = node.input
        while isinstance(source, P.Filter) and id(source) not in self.names:
            predicates.insert(0, source.predicate)
            source = source.input
        if len(predicates) > 1:
            node = P.Filter(node.schema, source, exp.and_(*[exp.Paren(this=p) for p in predicates]))
        src = self.relation(node.input)
        return (
            exp.select(*self.cols(node.input))
            .from_(self.table(src), copy=False)
            .where(self.expr(node.predicate), copy=False)
        )

    def build_Project(self, node: P.Project) -> exp.Select:
        node = P.Project(
            node.schema,
            node.input,
            tuple(batch_json_paths([_path_of_parsed_text(e) for e in node.exprs])),
            node.keep_order,
        )
        src = self.relation(node.input)
        n = len(node.input.schema)
        if (
            len(node.schema) >= n
            and node.ordered == node.input.ordered
            and all(
                isinstance(e, exp.Column) and not e.table and e.name == c.sql == o.sql
                for e, c, o in zip(node.exprs, node.input.schema, node.schema)
            )
        ):
            # an extend that only adds columns: SELECT *, new ones
            extra = [
                exp.alias_(self.expr(e), c.sql, quoted=True)
                for e, c in zip(node.exprs[n:], node.schema[n:])
            ]
            return exp.select(exp.Star(), *extra).from_(self.table(src), copy=False)
        items: list[exp.Expression] = [
            exp.alias_(self.expr(e), c.sql, quoted=True) for e, c in zip(node.exprs, node.schema)
        ]
        if node.ordered:
            items.append(col(P.ORD))
        return exp.select(*items).from_(self.table(src), copy=False)

    def build_Aggregate(self, node: P.Aggregate) -> exp.Select:
        src = self.relation(node.input)
        n = len(node.keys)
        items = [
            exp.alias_(self.expr(k), c.sql, quoted=True) for k, c in zip(node.keys, node.schema[:n])
        ]
        items += [
            exp.alias_(self.expr(a), c.sql, quoted=True) for a, c in zip(node.aggs, node.schema[n:])
        ]
        sel = exp.select(*items).from_(self.table(src), copy=False)
        if node.keys:
            sel = sel.group_by(*[self.expr(k) for k in node.keys], copy=False)
        return sel

    def order(self, keys: tuple[tuple[exp.Expression, bool, bool], ...]) -> list[exp.Ordered]:
        return [exp.Ordered(this=self.expr(e), desc=desc, nulls_first=nf) for e, desc, nf in keys]

    def build_Sort(self, node: P.Sort) -> exp.Select:
        src = self.relation(node.input)
        source: exp.Expression = self.table(src)
        if node.limit is not None:
            inner = (
                exp.select(*[col(c.sql) for c in node.input.schema])
                .from_(self.table(src), copy=False)
                .order_by(*self.order(node.keys), copy=False)
                .limit(node.limit, copy=False)
            )
            source = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("top")))
        window = exp.Window(
            this=exp.RowNumber(), order=exp.Order(expressions=self.order(node.keys))
        )
        items = [col(c.sql) for c in node.schema] + [exp.alias_(window, P.ORD, quoted=True)]
        return exp.select(*items).from_(source, copy=False)

    def build_Limit(self, node: P.Limit) -> exp.Select:
        src = self.relation(node.input)
        sel = exp.select(*self.cols(node.input)).from_(self.table(src), copy=False)
        if node.input.ordered:
            sel = sel.order_by(exp.Ordered(this=col(P.ORD)), copy=False)
        return sel.limit(self.expr(node.count), copy=False)

    def build_Distinct(self, node: P.Distinct) -> exp.Select:
        src = self.relation(node.input)
        return (
            exp.select(*[col(c.sql) for c in node.input.schema])
            .from_(self.table(src), copy=False)
            .distinct(copy=False)
        )

    def build_Series(self, node: P.Series) -> exp.Select:
        src = self.relation(node.input)

        def bound(e: exp.Expression) -> exp.Expression:
            def swap(n: exp.Expression) -> exp.Expression:
                if isinstance(n, exp.Table) and n.name == "__series_input":
                    return self.table(src)
                return n

            return self.expr(e.transform(swap, copy=True))

        start, stop, step = bound(node.start), bound(node.stop), self.expr(node.step)
        keys = [self.expr(k) for k in node.keys]
        knames = [f"__k{i}" for i in range(len(keys))]
        on = self.expr(node.on)
        bin_expr = exp.Add(
            this=start.copy(),
            expression=exp.Mul(
                this=fn("floor_div", exp.Sub(this=on.copy(), expression=start.copy()), step.copy()),
                expression=step.copy(),
            ),
        )
        in_range = exp.and_(
            exp.GTE(this=on.copy(), expression=start.copy()),
            exp.LT(this=on.copy(), expression=stop.copy()),
        )
        agg_items = [exp.alias_(k, n, quoted=True) for k, n in zip(keys, knames)]
        agg_items.append(exp.alias_(bin_expr, "__bin", quoted=True))
        agg_items += [
            exp.alias_(self.expr(a), f"__a{j}", quoted=True) for j, a in enumerate(node.aggs)
        ]
        agg_sel = (
            exp.select(*agg_items)
            .from_(self.table(src), copy=False)
            .where(in_range, copy=False)
            .group_by(*[k.copy() for k in keys], bin_expr.copy(), copy=False)
        )
        agg_name = self.cte(agg_sel)
        count = fn(
            "floor_div",
            exp.Sub(
                this=exp.Add(
                    this=exp.Sub(this=stop.copy(), expression=start.copy()), expression=step.copy()
                ),
                expression=lit(1),
            ),
            step.copy(),
        )
        i = col("__kql_i")
        bins = exp.select(
            exp.alias_(
                exp.Add(this=start.copy(), expression=exp.Mul(this=i, expression=step.copy())),
                "__bin",
                quoted=True,
            )
        ).from_(
            exp.Subquery(
                this=index_rows(count),
                alias=exp.TableAlias(this=exp.to_identifier("s")),
            )
        )
        bins_name = self.cte(bins)
        if keys:
            groups = (
                exp.select(*[col(n) for n in knames])
                .from_(self.table(agg_name), copy=False)
                .distinct(copy=False)
            )
        else:
            groups = exp.select(exp.alias_(lit(1), "__g", quoted=True))
        groups_name = self.cte(groups)
        cond = exp.EQ(this=col("__bin", table="a"), expression=col("__bin", table="b"))
        for n in knames:
            cond = exp.and_(
                cond, exp.NullSafeEQ(this=col(n, table="a"), expression=col(n, table="g"))
            )
        order = col("__bin", table="b")
        items: list[exp.Expression] = []
        out = iter(node.schema)
        for n in knames:
            items.append(exp.alias_(col(n, table="g"), next(out).sql, quoted=True))
        for j, d in enumerate(node.defaults):
            value = exp.Coalesce(this=col(f"__a{j}", table="a"), expressions=[self.expr(d)])
            items.append(
                exp.alias_(
                    fn("json_list", agg("list_ordered", value, order.copy())),
                    next(out).sql,
                    quoted=True,
                )
            )
        axis: exp.Expression = order.copy()
        if node.datetime_axis:
            axis = fn("datetime_to_string", fn("from_epoch_ns", axis))
        items.append(
            exp.alias_(
                fn("json_list", agg("list_ordered", fn("to_json", axis), order.copy())),
                next(out).sql,
                quoted=True,
            )
        )

        def aliased(name: str, alias: str) -> exp.Table:
            return exp.Table(
                this=exp.to_identifier(name, quoted=True),
                alias=exp.TableAlias(this=exp.to_identifier(alias)),
            )

        sel = exp.select(*items).from_(aliased(groups_name, "g"), copy=False)
        sel.append("joins", exp.Join(this=aliased(bins_name, "b"), kind="CROSS"))
        sel.append("joins", exp.Join(this=aliased(agg_name, "a"), side="LEFT", on=cond))
        if knames:
            sel = sel.group_by(*[col(n, table="g") for n in knames], copy=False)
        return sel

    def cte(self, select: exp.Select) -> str:
        name = f"_t{len(self.ctes) + 1}"
        self.ctes.append(exp.CTE(this=select, alias=exp.TableAlias(this=exp.to_identifier(name))))
        return name

    def build_Number(self, node: P.Number) -> exp.Select:
        src = self.relation(node.input)
        order = (
            exp.Order(expressions=[exp.Ordered(this=col(P.ORD))]) if node.input.ordered else None
        )
        window = exp.Window(this=exp.RowNumber(), order=order)
        items = [col(c.sql) for c in node.schema] + [exp.alias_(window, P.ORD, quoted=True)]
        return exp.select(*items).from_(self.table(src), copy=False)

    def build_Materialize(self, node: P.Materialize) -> exp.Select:
        src = self.relation(node.input)
        return exp.select(*self.cols(node.input)).from_(self.table(src), copy=False)

    def build_Union(self, node: P.Union) -> exp.Select:
        selects: list[exp.Select] = []
        for inp, exprs in zip(node.inputs, node.exprs):
            src = self.relation(inp)
            items = [
                exp.alias_(self.expr(e), c.sql, quoted=True) for e, c in zip(exprs, node.schema)
            ]
            selects.append(exp.select(*items).from_(self.table(src), copy=False))
        union: exp.Expression = selects[0]
        for s in selects[1:]:
            union = exp.Union(this=union, expression=s, distinct=False)
        if len(selects) == 1:
            return selects[0]
        sub = exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("u")))
        return exp.select(*[col(c.sql) for c in node.schema]).from_(sub, copy=False)

    def build_Join(self, node: P.Join) -> exp.Select:
        lname = self.relation(node.left)
        rname = self.relation(node.right)
        kind = node.kind
        left_src: exp.Expression = exp.Table(
            this=exp.to_identifier(lname, quoted=True),
            alias=exp.TableAlias(this=exp.to_identifier("left", quoted=True)),
        )
        if kind == "innerunique":
            # Kusto keeps one left row per join key, then joins
            keys = [self.unqualify(k) for k in node.left_keys]
            window = exp.Window(this=exp.RowNumber(), partition_by=keys)
            dedup = exp.select(
                *[col(c.sql) for c in node.left.schema], exp.alias_(window, "__kql_rn", quoted=True)
            ).from_(self.table(lname), copy=False)
            dedup = (
                exp.select(*[col(c.sql) for c in node.left.schema])
                .from_(exp.Subquery(this=dedup, alias=exp.TableAlias(this=exp.to_identifier("d"))))
                .where(exp.EQ(this=col("__kql_rn"), expression=lit(1)), copy=False)
            )
            left_src = exp.Subquery(
                this=dedup, alias=exp.TableAlias(this=exp.to_identifier("left", quoted=True))
            )
            kind = "inner"
        right_src = exp.Table(
            this=exp.to_identifier(rname, quoted=True),
            alias=exp.TableAlias(this=exp.to_identifier("right", quoted=True)),
        )
        cond: exp.Expression | None = None
        for lk, rk in zip(node.left_keys, node.right_keys):
            eq = exp.EQ(
                this=self.expr(self.qualify(lk, "left")),
                expression=self.expr(self.qualify(rk, "right")),
            )
            cond = eq if cond is None else exp.And(this=cond, expression=eq)
        assert cond is not None
        items = [exp.alias_(col(i.sql, table="left"), o.sql, quoted=True) for i, o in node.left_out]
        items += [
            exp.alias_(col(i.sql, table="right"), o.sql, quoted=True) for i, o in node.right_out
        ]
        if kind in ("leftsemi", "leftanti", "rightsemi", "rightanti"):
            outer_is_left = kind.startswith("left")
            outer, inner = (left_src, right_src) if outer_is_left else (right_src, left_src)
            exists = exp.Exists(
                this=exp.select(lit(1)).from_(inner, copy=False).where(cond, copy=False)
            )
            pred: exp.Expression = exists if kind.endswith("semi") else exp.Not(this=exists)
            return exp.select(*items).from_(outer, copy=False).where(pred, copy=False)
        side = {"inner": None, "leftouter": "LEFT", "rightouter": "RIGHT", "fullouter": "FULL"}[
            kind
        ]
        join = exp.Join(this=right_src, on=cond, side=side, kind=None if side else "INNER")
        sel = exp.select(*items).from_(left_src, copy=False)
        sel.append("joins", join)
        return sel

    def qualify(self, e: exp.Expression, table: str) -> exp.Expression:
        def q(n: exp.Expression) -> exp.Expression:
            if isinstance(n, exp.Column) and not n.table:
                return col(n.name, table=table)
            return n

        return e.transform(q, copy=True)

    def unqualify(self, e: exp.Expression) -> exp.Expression:
        def q(n: exp.Expression) -> exp.Expression:
            if isinstance(n, exp.Column) and n.table:
                return col(n.name)
            return n

        return e.transform(q, copy=True)

    def build_Unnest(self, node: P.Unnest) -> exp.Select:
        src = self.relation(node.input)
        arrays = [self.expr(a) for a in node.arrays]
        if node.limit is not None:
            arrays = [fn("list_head", a, lit(node.limit)) for a in arrays]
        items: list[exp.Expression] = [col(i.sql) for i, _ in node.passthrough]
        if node.input.ordered:
            items.append(col(P.ORD))
        n_in = len(node.passthrough)
        elem_cols = node.schema[n_in : n_in + len(arrays)]
        for a, c in zip(arrays, elem_cols):
            items.append(exp.alias_(fn("unnest_list", a), c.sql, quoted=True))
        if node.index_column is not None:
            items.append(
                exp.alias_(
                    fn("unnest_list", fn("list_indexes", *[a.copy() for a in arrays])),
                    node.index_column.sql,
                    quoted=True,
                )
            )
        return exp.select(*items).from_(self.table(src), copy=False)


_LENIENT = {
    "json_extract": "json_extract_lenient",
    "json_extract_text": "json_extract_text_lenient",
}


_TEXT_PATHS = {
    "json_extract_text": "json_extract_text_list",
    "json_extract_text_lenient": "json_extract_text_list_lenient",
}


def batch_json_paths(exprs: list[exp.Expression]) -> list[exp.Expression]:
    """Several paths read from the same JSON value in one projection (`tostring(d.a)`,
    `tostring(d.b)`) become one multi-path read, so the text is parsed once: each item takes its
    element of the same list expression, which the engine computes once."""
    groups: dict[tuple[str, str], list[str]] = {}
    for e in exprs:
        for n in e.walk():
            if isinstance(n, KqlFn) and n.this in _TEXT_PATHS:
                base, path = n.expressions
                if isinstance(path, exp.Literal):
                    paths = groups.setdefault((n.this, base.sql()), [])
                    if path.this not in paths:
                        paths.append(path.this)
    shared = {k: v for k, v in groups.items() if len(v) > 1}
    if not shared:
        return exprs

    def rewrite(n: exp.Expression) -> exp.Expression:
        if isinstance(n, KqlFn) and n.this in _TEXT_PATHS:
            base, path = n.expressions
            paths = shared.get((n.this, base.sql()))
            if paths is not None and isinstance(path, exp.Literal):
                listed = exp.Array(expressions=[lit(p) for p in paths])
                every = fn(_TEXT_PATHS[n.this], base.copy(), listed)
                return fn("list_at", every, lit(paths.index(path.this) + 1))
        return n

    return [e.transform(rewrite, copy=True) for e in exprs]


def _path_of_parsed_text(e: exp.Expression) -> exp.Expression:
    def rewrite(n: exp.Expression) -> exp.Expression:
        if isinstance(n, KqlFn) and n.this in _LENIENT:
            base, path = n.expressions
            if isinstance(base, KqlFn) and base.this == "parse_json":
                return fn(_LENIENT[n.this], base.expressions[0].copy(), path.copy())
        return n

    if not any(isinstance(n, KqlFn) and n.this in _LENIENT for n in e.walk()):
        return e
    return e.transform(rewrite, copy=True)


def lower(root: P.Node) -> exp.Select:
    """Lower a plan to one SELECT statement."""
    return Lowerer().lower_root(root)


def index_rows(count: exp.Expression) -> exp.Select:
    """`SELECT __kql_i FROM range(0, count)`: the rows 0 .. count-1 from the engine's range
    table function (DuckDB and Spark both have one), streamed rather than built as one list,
    so a huge `range` is cut short by the row cap and the timeout instead of filling memory."""
    table = exp.Table(
        this=exp.Anonymous(this="range", expressions=[lit(0), count]),
        alias=exp.TableAlias(
            this=exp.to_identifier("r"), columns=[exp.to_identifier("__kql_i", quoted=True)]
        ),
    )
    return exp.select(col("__kql_i")).from_(table)
