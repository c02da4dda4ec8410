"""Generators: the dialect-neutral SELECT -> SQL text for one engine.

A dialect is data: a sqlglot dialect subclass whose TRANSFORMS render the `KqlFn` operations
from the function families' template tables, plus a type mapping.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark

from kustodian.kql import diagnostics as D
from kustodian.kql.functions import templates, untranslatable
from kustodian.kql.functions.base import NoTranslation, render_template
from kustodian.kql.sqlnodes import KqlAggFn, KqlFn, parenthesize

DIALECTS = ("duckdb", "spark")
_SQL_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class MissingTranslation(Exception):
    def __init__(self, op: str, dialect: str, reason: str = "") -> None:
        super().__init__(op)
        self.op = op
        self.dialect = dialect
        self.reason = reason


def _renderer(dialect: str) -> Any:
    def render(gen: Any, e: exp.Expression) -> str:
        table = templates(dialect)
        op = e.this if isinstance(e.this, str) else e.this.name
        t = table.get(op)
        if t is None:
            if dialect == "duckdb" and _SQL_NAME.fullmatch(op):
                # an operation named like the DuckDB function it is; the name is spliced into
                # the SQL, so it must be a plain name (operation names come from the function
                # catalog, never from a query: this keeps it so by construction)
                args = ", ".join(gen.sql(a) for a in e.expressions)
                return f"{op}({args})"
            raise MissingTranslation(op, dialect, untranslatable(dialect).get(op, ""))
        try:
            return render_template(t, [_operand(gen, a) for a in e.expressions])
        except NoTranslation as x:
            raise MissingTranslation(op, dialect, x.reason) from None

    return render


_ATOMS = (
    exp.Column,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Func,
    exp.Cast,
    exp.Placeholder,
    exp.Subquery,
    exp.Case,
    exp.Window,
    exp.Struct,
)


def _operand(gen: Any, a: exp.Expression) -> str:
    """An argument's SQL, parenthesized unless it is atomic (templates splice it)."""
    sql: str = gen.sql(a)
    return sql if isinstance(a, _ATOMS) else f"({sql})"


class KustoDuckDB(DuckDB):  # type: ignore[misc]
    class Generator(DuckDB.Generator):  # type: ignore[misc]
        TRANSFORMS = {
            **DuckDB.Generator.TRANSFORMS,
            KqlFn: _renderer("duckdb"),
            KqlAggFn: _renderer("duckdb"),
        }


class KustoSpark(Spark):  # type: ignore[misc]
    class Generator(Spark.Generator):  # type: ignore[misc]
        TRANSFORMS = {
            **Spark.Generator.TRANSFORMS,
            KqlFn: _renderer("spark"),
            KqlAggFn: _renderer("spark"),
        }

        def literal_sql(self, expression: exp.Literal) -> str:
            # Spark reads 0.5 as a DECIMAL, whose arithmetic rounds: Kusto's reals are doubles
            text = expression.this
            if expression.is_number and "." in text and "e" not in text.lower():
                return f"{text}D"
            sql: str = super().literal_sql(expression)
            return sql

        TYPE_MAPPING = {
            **Spark.Generator.TYPE_MAPPING,
            exp.DataType.Type.TIMESTAMP_NS: "TIMESTAMP",
            exp.DataType.Type.JSON: "STRING",
            exp.DataType.Type.UUID: "STRING",
        }


def _order_row_numbers(tree: exp.Expression) -> None:
    """Spark numbers rows only in a window with an order: where any order does (numbering the
    rows of mv-apply, one row per key of innerunique), the rows' order as read."""
    for w in tree.find_all(exp.Window):
        if isinstance(w.this, exp.RowNumber) and not w.args.get("order"):
            w.set(
                "order",
                exp.Order(expressions=[exp.Ordered(this=exp.func("monotonically_increasing_id"))]),
            )


@cache
def dialect_class(name: str) -> type:
    return {"duckdb": KustoDuckDB, "spark": KustoSpark}[name]


def generate(select: exp.Expression, dialect: str = "duckdb", pretty: bool = False) -> str:
    """SQL text of a lowered query for one dialect.

    Raises:
        KqlError: when an operation has no translation for the dialect.
    """
    if dialect not in DIALECTS:
        raise D.KqlError([D.engine_error(f"unknown dialect '{dialect}'", "use duckdb or spark")])
    try:
        parenthesize(select)
        if dialect == "spark":
            _order_row_numbers(select)
        sql: str = select.sql(dialect=dialect_class(dialect), identify=True, pretty=pretty)
    except MissingTranslation as e:
        raise D.KqlError(
            [
                D.Diagnostic(
                    "KQL3002",
                    f"'{e.op}' has no {e.dialect} translation"
                    + (f": {e.reason}" if e.reason else " yet"),
                    D.NO_SPAN,
                    "run this query on DuckDB (the default engine)",
                )
            ]
        ) from None
    return sql
