"""Recursive-descent KQL parser with error recovery.

`parse(text)` never throws: a missing piece becomes a `Missing` node plus a diagnostic, and the
parser resynchronises at the next `|` or `;`.
"""

from __future__ import annotations

import json
from typing import NoReturn

from kustodian.kql import diagnostics as D
from kustodian.kql import syntax as S
from kustodian.kql.diagnostics import Diagnostic, Span
from kustodian.kql.lexer import T, Token, lex

_COMPARISON = {"==", "!=", "<>", "<", "<=", ">", ">=", "=~", "!~"}
_STRING_OPS = {
    "contains",
    "contains_cs",
    "!contains",
    "!contains_cs",
    "has",
    "has_cs",
    "!has",
    "!has_cs",
    "hasprefix",
    "hasprefix_cs",
    "!hasprefix",
    "!hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
    "!hassuffix",
    "!hassuffix_cs",
    "startswith",
    "startswith_cs",
    "!startswith",
    "!startswith_cs",
    "endswith",
    "endswith_cs",
    "!endswith",
    "!endswith_cs",
    "matches",
    "like",
    "notlike",
    "contains_any",
}
_LIST_OPS = {"in", "!in", "in~", "!in~", "has_any", "has_all", "!has_any", "!has_all"}
_SORT_NULLS = ("first", "last")


class _Abort(Exception):
    """Unwinds to the nearest recovery point (operator or statement)."""


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens, lex_diags = lex(text)
        self.diagnostics: list[Diagnostic] = list(lex_diags)
        self.i = 0

    # ------------------------------------------------------------ token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        if t.kind is not T.EOF:
            self.i += 1
        return t

    def at_eof(self) -> bool:
        return self.tokens[self.i].kind is T.EOF

    def at_op(self, *ops: str) -> bool:
        return self.tok.is_op(*ops)

    def at_word(self, *words: str) -> bool:
        return self.tok.kind is T.IDENT and self.tok.text in words

    def accept_op(self, op: str) -> Token | None:
        return self.advance() if self.at_op(op) else None

    def accept_word(self, *words: str) -> Token | None:
        return self.advance() if self.at_word(*words) else None

    def fail(self, expected: str) -> NoReturn:
        self.diagnostics.append(D.unexpected_token(self.tok.describe(), expected, self.tok.span))
        raise _Abort

    def expect_op(self, op: str) -> Token:
        if not self.at_op(op):
            self.fail(f"'{op}'")
        return self.advance()

    def expect_word(self, word: str) -> Token:
        if not self.at_word(word):
            self.fail(f"'{word}'")
        return self.advance()

    def span_from(self, start: Span) -> Span:
        prev = self.tokens[self.i - 1] if self.i > 0 else self.tok
        return Span(start.start, max(start.end, prev.span.end))

    def identifier(self, what: str = "a name") -> tuple[str, Span]:
        """A plain name, a bracketed name (`['a b']`), or a keyword used as a name."""
        t = self.tok
        if t.kind is T.IDENT:
            self.advance()
            return t.text, t.span
        if t.kind is T.RAW_LITERAL:  # e.g. a column called `time` followed by '('
            self.fail(what)
        if t.is_op("[") and self.peek().kind is T.STRING and self.peek(2).is_op("]"):
            self.advance()
            name = self.advance().value
            end = self.advance()
            return str(name), Span(t.span.start, end.span.end)
        self.fail(what)

    def at_identifier(self) -> bool:
        return self.tok.kind is T.IDENT or (
            self.at_op("[") and self.peek().kind is T.STRING and self.peek(2).is_op("]")
        )

    def recover(self) -> None:
        """Skip to the next `|` or `;` at bracket depth 0."""
        depth = 0
        while not self.at_eof():
            if self.at_op("(", "[", "{"):
                depth += 1
            elif self.at_op(")", "]", "}"):
                if depth == 0:
                    return
                depth -= 1
            elif depth == 0 and self.at_op("|", ";"):
                return
            self.advance()

    # ------------------------------------------------------------ statements
    def parse_query(self) -> S.Query:
        q = S.Query()
        while not self.at_eof():
            if self.accept_op(";"):
                continue
            start = self.i
            try:
                stmt = self.statement()
                if stmt is not None:
                    q.statements.append(stmt)
            except _Abort:
                self.recover()
                while not self.at_eof() and not self.at_op(";"):
                    self.advance()
            if not self.at_eof() and not self.at_op(";"):
                self.diagnostics.append(
                    D.unexpected_token(self.tok.describe(), "'|' or ';'", self.tok.span)
                )
                self.recover()
                while not self.at_eof() and not self.at_op(";"):
                    self.advance()
            if self.i == start:
                self.advance()
        return q

    def statement(self) -> S.Statement | None:
        start = self.tok.span
        if self.at_word("let"):
            return self.let_statement()
        if self.at_word("declare") and self.peek().is_word("query_parameters"):
            self.advance()
            self.advance()
            params = self.param_list()
            return S.DeclareParams(self.span_from(start), tuple(params))
        if self.at_word("set") and self.peek().kind is T.IDENT:
            self.advance()
            name, _ = self.dotted_name()
            value = self.expression() if self.accept_op("=") else None
            return S.SetOption(self.span_from(start), name, value)
        if self.at_word("alias", "restrict", "pattern"):
            self.diagnostics.append(
                D.unsupported(f"the '{self.tok.text}' statement", self.tok.span)
            )
            raise _Abort
        tab = self.tabular_expression()
        return S.QueryStatement(self.span_from(start), tab)

    def dotted_name(self) -> tuple[str, Span]:
        name, span = self.identifier()
        while self.at_op(".") and self.peek().kind is T.IDENT:
            self.advance()
            part, pspan = self.identifier()
            name += "." + part
            span = span.cover(pspan)
        return name, span

    def let_statement(self) -> S.Let:
        start = self.advance().span
        name, _ = self.identifier("a name after 'let'")
        self.expect_op("=")
        is_view = bool(self.accept_word("view"))
        if self.at_lambda():
            value: S.Expr = self.lambda_expr()
        else:
            value = self.expr_or_tabular()
        return S.Let(self.span_from(start), name, value, is_view)

    def at_lambda(self) -> bool:
        if not self.at_op("("):
            return False
        depth, k = 0, 0
        while True:
            t = self.peek(k)
            if t.kind is T.EOF:
                return False
            if t.is_op("("):
                depth += 1
            elif t.is_op(")"):
                depth -= 1
                if depth == 0:
                    return self.peek(k + 1).is_op("{")
            k += 1

    def lambda_expr(self) -> S.Lambda:
        start = self.tok.span
        params = self.param_list()
        self.expect_op("{")
        body = self.body("}")
        self.expect_op("}")
        return S.Lambda(self.span_from(start), tuple(params), body)

    def body(self, closer: str) -> S.Body:
        stmts: list[S.Statement] = []
        result: S.Expr | S.Tabular | None = None
        while not self.at_op(closer) and not self.at_eof():
            if self.accept_op(";"):
                continue
            start = self.tok.span
            if self.at_word("let"):
                stmts.append(self.let_statement())
            else:
                e = self.expr_or_tabular()
                result = e
                stmts.append(S.QueryStatement(self.span_from(start), S.MissingTabular(start)))
                stmts.pop()
        return S.Body(tuple(stmts), result)

    def param_list(self) -> list[S.Param]:
        self.expect_op("(")
        params: list[S.Param] = []
        while not self.at_op(")"):
            pstart = self.tok.span
            name, _ = self.identifier("a parameter name")
            ptype: str | None = None
            schema: tuple[tuple[str, str], ...] | None = None
            if self.accept_op(":"):
                if self.at_op("("):
                    ptype = "table"
                    schema = self.schema_columns(allow_star=True)
                else:
                    ptype = self.type_name()
            default = self.expression() if self.accept_op("=") else None
            params.append(S.Param(name, ptype, default, self.span_from(pstart), schema))
            if not self.accept_op(","):
                break
        self.expect_op(")")
        return params

    def type_name(self) -> str:
        t = self.tok
        if t.kind is T.IDENT:
            self.advance()
            return t.text
        self.fail("a type name")

    def schema_columns(self, allow_star: bool = False) -> tuple[tuple[str, str], ...]:
        self.expect_op("(")
        cols: list[tuple[str, str]] = []
        while not self.at_op(")"):
            if allow_star and self.accept_op("*"):
                cols.append(("*", "*"))
            else:
                name, _ = self.identifier("a column name")
                self.expect_op(":")
                cols.append((name, self.type_name()))
            if not self.accept_op(","):
                break
        self.expect_op(")")
        return tuple(cols)

    # ------------------------------------------------------------ tabular expressions
    def tabular_expression(self) -> S.Tabular:
        e = self.expr_or_tabular()
        return self.as_tabular(e)

    def as_tabular(self, e: S.Expr) -> S.Tabular:
        if isinstance(e, S.TabularExpr):
            return e.query
        if isinstance(e, S.Name):
            return S.TableRef(e.span, e.name)
        if isinstance(e, S.Call):
            return S.TableCall(e.span, e.name, e.args)
        if isinstance(e, S.Missing):
            return S.MissingTabular(e.span)
        self.diagnostics.append(D.syntax("expected a tabular expression", e.span))
        return S.MissingTabular(e.span)

    def expr_or_tabular(self) -> S.Expr:
        """An expression; when `|` follows, the expression is a source and operators follow."""
        start = self.tok.span
        tabular = self.tabular_source()
        if tabular is None:
            e = self.expression()
            if not self.at_op("|"):
                return e
            tabular = self.as_tabular(e)
        while self.at_op("|"):
            self.advance()
            op_start = self.tok.span
            try:
                op = self.operator()
            except _Abort:
                self.recover()
                op = S.Unsupported(self.span_from(op_start), "")
            tabular = S.Pipe(self.span_from(start), tabular, op)
        return S.TabularExpr(tabular.span, tabular)

    def tabular_source(self) -> S.Tabular | None:
        start = self.tok.span
        if self.at_word("datatable") and self.peek().is_op("("):
            self.advance()
            cols = self.schema_columns()
            self.expect_op("[")
            values = self.expr_list("]")
            self.expect_op("]")
            return S.Datatable(self.span_from(start), cols, tuple(values))
        if self.at_word("print") and not self.peek().is_op("(", "|", "=", ")", ","):
            self.advance()
            return S.Print(self.span_from(start), tuple(self.assignments()))
        if self.at_word("print") and self.peek().is_op("("):
            # `print (1+2)` is a print of a parenthesized expression
            self.advance()
            return S.Print(self.span_from(start), tuple(self.assignments()))
        if self.at_word("range") and self.peek().kind is T.IDENT and self.peek(2).is_word("from"):
            self.advance()
            col, _ = self.identifier()
            self.expect_word("from")
            lo = self.expression()
            self.expect_word("to")
            hi = self.expression()
            self.expect_word("step")
            step = self.expression()
            return S.Range(self.span_from(start), col, lo, hi, step)
        if self.at_word("union") and not self.peek().is_op("|", ")", ",", ";"):
            self.advance()
            op = self.union_op(start)
            return S.UnionSource(self.span_from(start), op)
        if self.at_word("externaldata", "evaluate", "find", "search", "materialized_view"):
            self.diagnostics.append(D.unsupported(f"'{self.tok.text}'", self.tok.span))
            raise _Abort
        return None

    # ------------------------------------------------------------ operators
    def operator(self) -> S.Operator:
        t = self.tok
        if t.kind is not T.IDENT:
            self.fail("a query operator")
        name = t.text
        method = _OPERATOR_METHODS.get(name)
        if method is None:
            known = list(_OPERATOR_METHODS)
            self.diagnostics.append(
                Diagnostic(
                    "KQL1010",
                    f"unknown query operator '{name}'",
                    t.span,
                    D.did_you_mean(name, known),
                    ks_code="KS007",
                )
            )
            raise _Abort
        self.advance()
        return method(self, t.span)

    def op_params(self) -> dict[str, tuple[S.Expr, Span]]:
        """`kind=inner hint.strategy=shuffle withsource=T`: name=value pairs before the body."""
        out: dict[str, tuple[S.Expr, Span]] = {}
        while self.tok.kind is T.IDENT:
            k = 0
            while self.peek(k).kind is T.IDENT and self.peek(k + 1).is_op("."):
                k += 2
            if not (self.peek(k).kind is T.IDENT and self.peek(k + 1).is_op("=")):
                break
            name_tok = self.tok
            name, _ = self.dotted_name()
            if name.lower() not in _OP_PARAM_NAMES and not name.lower().startswith("hint."):
                self.i -= 2 * (name.count(".")) + 1
                break
            self.expect_op("=")
            if self.tok.kind in (T.IDENT, T.STRING, T.INT, T.REAL):
                v = self.advance()
                value: S.Expr = (
                    S.Name(v.span, v.text)
                    if v.kind is T.IDENT
                    else S.Literal(v.span, "string", v.value)
                )
            else:
                value = self.primary()
            out[name.lower()] = (value, name_tok.span)
        return out

    def op_where(self, start: Span) -> S.Operator:
        pred = self.expression()
        if self.at_op("="):
            # `where X = "x"`: a single '=' names a column; Kusto reports a non-boolean filter
            self.advance()
            right = self.expression()
            span = pred.span.cover(right.span)
            self.diagnostics.append(D.not_boolean("an assignment", span))
        return S.Where(self.span_from(start), pred)

    def op_project(self, start: Span) -> S.Operator:
        return S.Project(self.span_from(start), tuple(self.assignments()))

    def op_extend(self, start: Span) -> S.Operator:
        return S.Extend(self.span_from(start), tuple(self.assignments()))

    def op_project_away(self, start: Span) -> S.Operator:
        return S.ProjectAway(self.span_from(start), tuple(self.name_patterns()))

    def op_project_keep(self, start: Span) -> S.Operator:
        return S.ProjectKeep(self.span_from(start), tuple(self.name_patterns()))

    def op_project_rename(self, start: Span) -> S.Operator:
        items = []
        while True:
            s = self.tok.span
            new, _ = self.identifier("a new column name")
            self.expect_op("=")
            old, _ = self.identifier("a column name")
            items.append((new, old, self.span_from(s)))
            if not self.accept_op(","):
                break
        return S.ProjectRename(self.span_from(start), tuple(items))

    def op_project_reorder(self, start: Span) -> S.Operator:
        items: list[tuple[S.Expr, str | None]] = []
        while True:
            pat = self.name_pattern()
            order = None
            if self.at_word("asc", "desc", "granny-asc", "granny-desc"):
                order = self.advance().text
            items.append((pat, order))
            if not self.accept_op(","):
                break
        return S.ProjectReorder(self.span_from(start), tuple(items))

    def name_patterns(self) -> list[S.Expr]:
        out = [self.name_pattern()]
        while self.accept_op(","):
            out.append(self.name_pattern())
        return out

    def name_pattern(self) -> S.Expr:
        """A column name, possibly with `*` wildcards (`Col*`, `*Id`), or a bracketed name."""
        start = self.tok.span
        parts: list[str] = []
        last_end = -1
        while True:
            t = self.tok
            adjacent = last_end < 0 or t.span.start == last_end
            if not adjacent:
                break
            if t.kind is T.IDENT:
                parts.append(t.text)
            elif t.is_op("*"):
                parts.append("*")
            elif t.kind is T.INT and parts:
                parts.append(t.text)
            elif t.is_op("[") and self.peek().kind is T.STRING and not parts:
                name, span = self.identifier()
                return S.Name(span, name, bracketed=True)
            else:
                break
            last_end = t.span.end
            self.advance()
        if not parts:
            self.fail("a column name")
        return S.Name(self.span_from(start), "".join(parts))

    def op_summarize(self, start: Span) -> S.Operator:
        self.op_params()
        aggs: list[S.Assign] = []
        if not self.at_word("by"):
            aggs = self.assignments()
        by: list[S.Assign] = []
        if self.accept_word("by"):
            by = self.assignments()
        return S.Summarize(self.span_from(start), tuple(aggs), tuple(by))

    def op_count(self, start: Span) -> S.Operator:
        return S.Count(self.span_from(start))

    def op_take(self, start: Span) -> S.Operator:
        self.op_params()
        return S.Take(self.span_from(start), self.expression())

    def op_top(self, start: Span) -> S.Operator:
        n = self.expression()
        self.expect_word("by")
        keys = self.sort_keys()
        return S.Top(self.span_from(start), n, tuple(keys))

    def op_sort(self, start: Span) -> S.Operator:
        self.op_params()
        self.expect_word("by")
        return S.Sort(self.span_from(start), tuple(self.sort_keys()))

    def sort_keys(self) -> list[S.SortKey]:
        keys = []
        while True:
            e = self.expression()
            desc = True
            if self.accept_word("asc"):
                desc = False
            elif self.accept_word("desc"):
                desc = True
            nulls: bool | None = None
            if self.accept_word("nulls"):
                which = self.tok.text
                if which not in _SORT_NULLS:
                    self.fail("'first' or 'last'")
                self.advance()
                nulls = which == "first"
            keys.append(S.SortKey(e, desc, nulls))
            if not self.accept_op(","):
                break
        return keys

    def op_distinct(self, start: Span) -> S.Operator:
        if self.at_op("*"):
            t = self.advance()
            return S.Distinct(self.span_from(start), (S.Star(t.span),))
        items = [a.expr for a in self.assignments()]
        return S.Distinct(self.span_from(start), tuple(items))

    def right_table(self) -> S.Tabular:
        if self.at_op("("):
            self.advance()
            e = self.expr_or_tabular()
            self.expect_op(")")
            return self.as_tabular(e)
        e = self.postfix()
        return self.as_tabular(e)

    def op_join(self, start: Span) -> S.Operator:
        params = self.op_params()
        kind = self.param_word(params, "kind")
        right = self.right_table()
        on: list[S.Expr] = []
        if self.accept_word("on"):
            on = self.expr_list(None, tabular=False)
        elif self.accept_word("where"):
            self.diagnostics.append(D.unsupported("join ... where", self.tok.span))
            raise _Abort
        hints = tuple((k, "") for k in params if k.startswith("hint."))
        return S.Join(self.span_from(start), kind, right, tuple(on), hints)

    def op_lookup(self, start: Span) -> S.Operator:
        params = self.op_params()
        kind = self.param_word(params, "kind")
        right = self.right_table()
        self.expect_word("on")
        on = self.expr_list(None, tabular=False)
        return S.Lookup(self.span_from(start), kind, right, tuple(on))

    def param_word(self, params: dict[str, tuple[S.Expr, Span]], key: str) -> str | None:
        if key not in params:
            return None
        v = params[key][0]
        if isinstance(v, S.Name):
            return v.name
        if isinstance(v, S.Literal):
            return str(v.value)
        return None

    def op_union(self, start: Span) -> S.Operator:
        return self.union_op(start)

    def union_op(self, start: Span) -> S.UnionOp:
        params = self.op_params()
        tables: list[S.Tabular] = []
        while True:
            tables.append(self.union_table())
            if not self.accept_op(","):
                break
        fuzzy = self.param_word(params, "isfuzzy")
        return S.UnionOp(
            self.span_from(start),
            tuple(tables),
            self.param_word(params, "kind"),
            self.param_word(params, "withsource"),
            (fuzzy or "").lower() == "true",
        )

    def union_table(self) -> S.Tabular:
        if self.at_op("("):
            return self.right_table()
        start = self.tok.span
        if self.tok.kind is T.IDENT and self.peek().is_op("("):
            e = self.postfix()
            return self.as_tabular(e)
        pat = self.name_pattern()
        assert isinstance(pat, S.Name)
        return S.TableRef(self.span_from(start), pat.name)

    def op_parse(self, start: Span, where: bool = False) -> S.Operator:
        params = self.op_params()
        kind = (self.param_word(params, "kind") or "simple").lower()
        flags = self.param_word(params, "flags")
        source = self.expression()
        self.expect_word("with")
        pattern: list[object] = []
        while True:
            if self.at_op("*"):
                self.advance()
                pattern.append("*")
            elif self.tok.kind is T.STRING:
                pattern.append(str(self.advance().value))
            elif self.at_identifier():
                name, _ = self.identifier()
                ptype = self.type_name() if self.accept_op(":") else None
                pattern.append((name, ptype))
            else:
                break
            if self.at_op("|", ";", ")") or self.at_eof():
                break
        return S.Parse(self.span_from(start), kind, source, tuple(pattern), flags, where)

    def op_parse_where(self, start: Span) -> S.Operator:
        return self.op_parse(start, where=True)

    def op_mv_expand(self, start: Span) -> S.Operator:
        params = self.op_params()
        items: list[S.MvExpandItem] = []
        while True:
            s = self.tok.span
            name = None
            if self.at_identifier():  # `name = ` (a bracketed name is several tokens)
                save = self.i
                name, _ = self.identifier()
                if self.at_op("=") and not self.at_op("=="):
                    self.advance()
                else:
                    name, self.i = None, save
            expr = self.expression()
            to_type = None
            if self.accept_word("to"):
                self.expect_word("typeof")
                self.expect_op("(")
                to_type = self.type_name()
                self.expect_op(")")
            items.append(S.MvExpandItem(name, expr, to_type, self.span_from(s)))
            if not self.accept_op(","):
                break
        limit = None
        if self.accept_word("limit"):
            limit = self.expression()
        item_index = self.param_word(params, "with_itemindex")
        return S.MvExpand(
            self.span_from(start),
            tuple(items),
            self.param_word(params, "kind") or self.param_word(params, "bagexpansion"),
            item_index,
            limit,
        )

    def op_mv_apply(self, start: Span) -> S.Operator:
        expand = self.op_mv_expand(start)
        assert isinstance(expand, S.MvExpand)
        self.expect_word("on")
        self.expect_op("(")
        ops = [self.operator()]
        while self.accept_op("|"):
            ops.append(self.operator())
        self.expect_op(")")
        return S.MvApply(self.span_from(start), expand, tuple(ops))

    def op_serialize(self, start: Span) -> S.Operator:
        items = [] if self.at_op("|", ";", ")") or self.at_eof() else self.assignments()
        return S.Serialize(self.span_from(start), tuple(items))

    def op_as(self, start: Span) -> S.Operator:
        self.op_params()
        name, _ = self.identifier("a name")
        return S.As(self.span_from(start), name)

    def op_getschema(self, start: Span) -> S.Operator:
        return S.GetSchema(self.span_from(start))

    def op_render(self, start: Span) -> S.Operator:
        vis, _ = self.identifier("a visualization")
        props: list[tuple[str, S.Expr]] = []
        if self.accept_word("with"):
            self.expect_op("(")
            while not self.at_op(")"):
                key, _ = self.identifier("a property name")
                self.expect_op("=")
                if self.at_op("(") or (self.tok.kind is T.IDENT and self.peek().is_op("(")):
                    props.append((key, self.expression()))
                elif self.tok.kind is T.IDENT:
                    # values such as kind=stacked, ycolumns=a, b
                    names = [self.identifier()[0]]
                    while (
                        self.at_op(",")
                        and self.peek().kind is T.IDENT
                        and not self.peek(2).is_op("=")
                    ):
                        self.advance()
                        names.append(self.identifier()[0])
                    props.append((key, S.Literal(start, "string", ",".join(names))))
                else:
                    props.append((key, self.expression()))
                if not self.accept_op(","):
                    break
            self.expect_op(")")
        return S.Render(self.span_from(start), vis, tuple(props))

    def op_invoke(self, start: Span) -> S.Operator:
        e = self.postfix()
        if not isinstance(e, S.Call):
            self.diagnostics.append(D.syntax("expected a function call after 'invoke'", e.span))
            raise _Abort
        return S.Invoke(self.span_from(start), e)

    def op_project_by_names(self, start: Span) -> S.Operator:
        items = [self.expression()]
        while self.accept_op(","):
            items.append(self.expression())
        return S.ProjectByNames(self.span_from(start), tuple(items))

    def op_evaluate(self, start: Span) -> S.Operator:
        self.op_params()
        e = self.postfix()
        if not isinstance(e, S.Call):
            self.diagnostics.append(D.syntax("expected a plugin call after 'evaluate'", e.span))
            raise _Abort
        schema = None
        if self.accept_op(":"):
            schema = self.schema_columns(allow_star=True)
        return S.Evaluate(self.span_from(start), e, schema)

    def op_sample(self, start: Span) -> S.Operator:
        return S.Sample(self.span_from(start), self.expression())

    def op_make_series(self, start: Span) -> S.Operator:
        self.op_params()
        aggs: list[S.Assign] = []
        defaults: list[S.Expr | None] = []
        while True:
            a = self.assignment()
            aggs.append(a)
            default = None
            if self.accept_word("default"):
                self.expect_op("=")
                default = self.expression()
            defaults.append(default)
            if not self.accept_op(","):
                break
        self.expect_word("on")
        on = self.additive()  # not expression(): `on T in range(...)` is not an `in` test
        lo = hi = None
        if self.accept_word("from"):
            lo = self.expression()
        if self.accept_word("to"):
            hi = self.expression()
        if self.accept_word("in"):
            self.expect_word("range")
            self.expect_op("(")
            lo = self.expression()
            self.expect_op(",")
            hi = self.expression()
            self.expect_op(",")
            step = self.expression()
            self.expect_op(")")
        else:
            self.expect_word("step")
            step = self.expression()
        by: list[S.Assign] = []
        if self.accept_word("by"):
            by = self.assignments()
        return S.MakeSeries(
            self.span_from(start), tuple(aggs), tuple(defaults), on, lo, hi, step, tuple(by)
        )

    def op_unsupported(self, start: Span) -> S.Operator:
        name = self.text[start.start : start.end]
        self.diagnostics.append(D.unsupported(f"the '{name}' operator", start))
        raise _Abort

    # ------------------------------------------------------------ expressions
    def assignments(self) -> list[S.Assign]:
        items = [self.assignment()]
        while self.accept_op(","):
            if self.at_op("|", ";", ")") or self.at_eof() or self.at_word("by"):
                break  # a trailing comma, as Kusto tolerates
            items.append(self.assignment())
        return items

    def assignment(self) -> S.Assign:
        start = self.tok.span
        if self.at_op("(") and self._at_name_tuple():
            self.advance()
            names = [self.identifier()[0]]
            while self.accept_op(","):
                names.append(self.identifier()[0])
            self.expect_op(")")
            self.expect_op("=")
            e = self.expression()
            return S.Assign(None, e, self.span_from(start), tuple(names))
        if self.at_identifier():
            save = self.i
            name, _ = self.identifier()
            if self.at_op("=") and not self.at_op("=="):
                self.advance()
                e = self.expression()
                return S.Assign(name, e, self.span_from(start))
            self.i = save
        e = self.expression()
        return S.Assign(None, e, self.span_from(start))

    def _at_name_tuple(self) -> bool:
        k = 1
        while self.peek(k).kind is T.IDENT and self.peek(k + 1).is_op(","):
            k += 2
        return (
            self.peek(k).kind is T.IDENT
            and self.peek(k + 1).is_op(")")
            and self.peek(k + 2).is_op("=")
        )

    def expr_list(self, closer: str | None, tabular: bool = True) -> list[S.Expr]:
        items: list[S.Expr] = []
        if closer is not None and self.at_op(closer):
            return items
        while True:
            items.append(self.expr_or_tabular() if tabular else self.expression())
            if not self.accept_op(","):
                break
            if closer is not None and self.at_op(closer):
                break
        return items

    def expression(self) -> S.Expr:
        return self.or_expr()

    def or_expr(self) -> S.Expr:
        left = self.and_expr()
        while self.at_word("or"):
            self.advance()
            right = self.and_expr()
            left = S.Binary(left.span.cover(right.span), "or", left, right)
        return left

    def and_expr(self) -> S.Expr:
        left = self.comparison()
        while self.at_word("and"):
            self.advance()
            right = self.comparison()
            left = S.Binary(left.span.cover(right.span), "and", left, right)
        return left

    def comparison(self) -> S.Expr:
        left = self.additive()
        while True:
            t = self.tok
            op = t.text
            if t.kind is T.OP and op in _COMPARISON:
                self.advance()
                right = self.additive()
                left = S.Binary(
                    left.span.cover(right.span), "!=" if op == "<>" else op, left, right
                )
            elif (t.kind is T.OP and op in _LIST_OPS) or (t.kind is T.IDENT and op in _LIST_OPS):
                self.advance()
                left = self.in_list(op, left)
            elif (t.kind is T.OP and op in ("between", "!between")) or t.is_word("between"):
                self.advance()
                left = self.between(op.startswith("!"), left)
            elif (t.kind is T.OP or t.kind is T.IDENT) and op in _STRING_OPS:
                self.advance()
                if op == "matches":
                    self.expect_word("regex")
                    op = "matches regex"
                right = self.additive()
                left = S.Binary(left.span.cover(right.span), op, left, right)
            else:
                return left

    def in_list(self, op: str, left: S.Expr) -> S.Expr:
        self.expect_op("(")
        items = self.expr_list(")")
        end = self.expect_op(")")
        return S.InList(Span(left.span.start, end.span.end), op, left, tuple(items))

    def between(self, negated: bool, left: S.Expr) -> S.Expr:
        self.expect_op("(")
        lo = self.additive()
        self.expect_op("..")
        hi = self.additive()
        end = self.expect_op(")")
        return S.Between(Span(left.span.start, end.span.end), negated, left, lo, hi)

    def additive(self) -> S.Expr:
        left = self.multiplicative()
        while self.at_op("+", "-"):
            op = self.advance().text
            right = self.multiplicative()
            left = S.Binary(left.span.cover(right.span), op, left, right)
        return left

    def multiplicative(self) -> S.Expr:
        left = self.unary()
        while self.at_op("*", "/", "%"):
            op = self.advance().text
            right = self.unary()
            left = S.Binary(left.span.cover(right.span), op, left, right)
        return left

    def unary(self) -> S.Expr:
        if self.at_op("-", "+"):
            t = self.advance()
            operand = self.unary()
            if (
                t.text == "-"
                and isinstance(operand, S.Literal)
                and operand.kind in ("long", "real", "timespan")
            ):
                assert isinstance(operand.value, (int, float))
                return S.Literal(t.span.cover(operand.span), operand.kind, -operand.value)
            return S.Unary(t.span.cover(operand.span), t.text, operand)
        return self.postfix()

    def postfix(self) -> S.Expr:
        e = self.primary()
        while True:
            if self.at_op("."):
                if self.peek().kind is T.IDENT or self.peek().kind is T.RAW_LITERAL:
                    self.advance()
                    t = self.advance()
                    name = t.text if t.kind is T.IDENT else t.text.split("(")[0]
                    e = S.Member(e.span.cover(t.span), e, name)
                elif self.peek().is_op("["):
                    self.advance()  # `InitiatedBy.["user"]`
                elif self.peek().kind is T.STRING:
                    self.advance()
                    t = self.advance()
                    e = S.Member(e.span.cover(t.span), e, str(t.value))
                else:
                    self.advance()
                    self.fail("a property name")
            elif self.at_op("["):
                self.advance()
                idx = self.expression()
                end = self.expect_op("]")
                e = S.Index(e.span.cover(end.span), e, idx)
            else:
                return e

    def primary(self) -> S.Expr:
        t = self.tok
        if t.kind is T.STRING:
            self.advance()
            value = str(t.value)
            span = t.span
            while self.tok.kind is T.STRING:  # adjacent literals concatenate
                nxt = self.advance()
                value += str(nxt.value)
                span = span.cover(nxt.span)
            return S.Literal(span, "string", value)
        if t.kind is T.INT:
            self.advance()
            return S.Literal(t.span, "long", t.value)
        if t.kind is T.REAL:
            self.advance()
            return S.Literal(t.span, "real", t.value)
        if t.kind is T.TIMESPAN:
            self.advance()
            return S.Literal(t.span, "timespan", t.value)
        if t.kind is T.RAW_LITERAL:
            self.advance()
            return S.Literal(t.span, "raw", t.value)
        if t.is_op("("):
            self.advance()
            e = self.expr_or_tabular()
            if self.at_op(","):
                # a parenthesized list, e.g. the right side of `in` written without `in`
                items = [e]
                while self.accept_op(","):
                    items.append(self.expr_or_tabular())
                self.expect_op(")")
                return S.Call(self.span_from(t.span), "__tuple", tuple(items), t.span)
            self.expect_op(")")
            return e
        if t.is_op("*"):
            self.advance()
            return S.Star(t.span)
        if t.is_op("[") and self.peek().kind is T.STRING and self.peek(2).is_op("]"):
            name, span = self.identifier()
            return S.Name(span, name, bracketed=True)
        if t.kind is T.IDENT:
            return self.word_primary()
        if t.is_op("!") and self.peek().kind is T.IDENT:
            self.advance()
            operand = self.postfix()
            return S.Unary(t.span.cover(operand.span), "not", operand)
        self.fail("an expression")

    def word_primary(self) -> S.Expr:
        t = self.advance()
        word = t.text
        if word.lower() in ("true", "false") and not self.at_op("("):
            return S.Literal(t.span, "bool", word.lower() == "true")
        if word == "null" and not self.at_op("("):
            return S.Literal(t.span, "null", None)
        if word == "dynamic" and self.at_op("("):
            return self.dynamic_literal(t)
        if word in ("datatable", "print", "range", "union") and self.at_op("("):
            pass
        if self.at_op("("):
            self.advance()
            args = self.call_args()
            end = self.expect_op(")")
            return S.Call(Span(t.span.start, end.span.end), word, tuple(args), t.span)
        return S.Name(t.span, word)

    def call_args(self) -> list[S.Expr]:
        args: list[S.Expr] = []
        if self.at_op(")"):
            return args
        while True:
            if self.tok.kind is T.IDENT and self.peek().is_op("=") and not self.peek().is_op("=="):
                name = self.advance()
                self.advance()
                value = self.expr_or_tabular()
                args.append(S.NamedArg(name.span.cover(value.span), name.text, value))
            else:
                args.append(self.expr_or_tabular())
            if not self.accept_op(","):
                return args

    def dynamic_literal(self, start: Token) -> S.Expr:
        """`dynamic(...)`: JSON-ish text, parsed from the raw source between the parentheses."""
        open_tok = self.expect_op("(")
        depth = 1
        while depth and not self.at_eof():
            if self.at_op("(", "[", "{"):
                depth += 1 if self.at_op("(") else 0
            if self.at_op(")"):
                depth -= 1
                if depth == 0:
                    break
            self.advance()
        end = self.expect_op(")")
        raw = self.text[open_tok.span.end : end.span.start].strip()
        span = Span(start.span.start, end.span.end)
        value, ok = parse_dynamic_text(raw)
        if not ok:
            self.diagnostics.append(
                D.bad_literal(
                    f"dynamic({raw})", span, "dynamic() takes JSON: an array, object or scalar"
                )
            )
        return S.DynamicLiteral(span, value)


def parse_dynamic_text(raw: str) -> tuple[object, bool]:
    """Parse the text of a dynamic literal. Kusto accepts JSON plus a few relaxations."""
    if raw == "" or raw == "null":
        return None, True
    try:
        return json.loads(raw), True
    except ValueError:
        pass
    # Kusto also accepts single-quoted strings and datetime/timespan literals inside arrays.
    from kustodian.kql.literals import relaxed_json  # local: rarely needed

    return relaxed_json(raw)


_OP_PARAM_NAMES = {
    "kind",
    "withsource",
    "isfuzzy",
    "with_itemindex",
    "bagexpansion",
    "flags",
    "with_match_id",
    "hint.strategy",
    "hint.shufflekey",
    "hint.num_partitions",
    "hint.remote",
    "hint.materialized",
    "hint.concurrency",
    "hint.spread",
    "decodeblocks",
}

_OPERATOR_METHODS = {
    "where": Parser.op_where,
    "filter": Parser.op_where,
    "project": Parser.op_project,
    "extend": Parser.op_extend,
    "project-away": Parser.op_project_away,
    "project-keep": Parser.op_project_keep,
    "project-rename": Parser.op_project_rename,
    "project-reorder": Parser.op_project_reorder,
    "summarize": Parser.op_summarize,
    "count": Parser.op_count,
    "take": Parser.op_take,
    "limit": Parser.op_take,
    "top": Parser.op_top,
    "sort": Parser.op_sort,
    "order": Parser.op_sort,
    "distinct": Parser.op_distinct,
    "join": Parser.op_join,
    "lookup": Parser.op_lookup,
    "union": Parser.op_union,
    "parse": Parser.op_parse,
    "parse-where": Parser.op_parse_where,
    "mv-expand": Parser.op_mv_expand,
    "mvexpand": Parser.op_mv_expand,
    "serialize": Parser.op_serialize,
    "as": Parser.op_as,
    "getschema": Parser.op_getschema,
    "render": Parser.op_render,
    "invoke": Parser.op_invoke,
    "sample": Parser.op_sample,
    "make-series": Parser.op_make_series,
    "evaluate": Parser.op_evaluate,
    "mv-apply": Parser.op_mv_apply,
    "top-nested": Parser.op_unsupported,
    "top-hitters": Parser.op_unsupported,
    "parse-kv": Parser.op_unsupported,
    "scan": Parser.op_unsupported,
    "partition": Parser.op_unsupported,
    "fork": Parser.op_unsupported,
    "facet": Parser.op_unsupported,
    "reduce": Parser.op_unsupported,
    "sample-distinct": Parser.op_unsupported,
    "project-smart": Parser.op_unsupported,
    "project-by-names": Parser.op_project_by_names,
    "make-graph": Parser.op_unsupported,
    "graph-match": Parser.op_unsupported,
    "graph-to-table": Parser.op_unsupported,
    "graph-shortest-paths": Parser.op_unsupported,
    "graph-mark-components": Parser.op_unsupported,
    "consume": Parser.op_unsupported,
    "search": Parser.op_unsupported,
    "find": Parser.op_unsupported,
    "lookup-kv": Parser.op_unsupported,
}

KNOWN_OPERATORS = frozenset(_OPERATOR_METHODS)


def parse(text: str) -> tuple[S.Query, list[Diagnostic]]:
    """Parse a KQL query. Returns the syntax tree and every syntax diagnostic; never throws."""
    p = Parser(text)
    q = p.parse_query()
    return q, p.diagnostics
