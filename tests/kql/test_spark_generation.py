"""The same plans generate Spark SQL: every golden case that runs on DuckDB either generates
Spark SQL that sqlglot's Spark parser reads back, or reports KQL3002 (no Spark translation of
an operation yet) — never wrong SQL or a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlglot

from kustodian.kql import KqlError, compile

from .casefile import load_cases

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_golden_cases_generate_spark_sql() -> None:
    generated, missing = 0, 0
    for case in load_cases():
        if case.error is not None or "bag_unpack" in case.query:
            continue
        try:
            sql = compile(case.query, now=NOW, dialect="spark").sql
        except KqlError as e:
            assert [d.code for d in e.diagnostics] == ["KQL3002"], f"{case.id}: {e.render()}"
            missing += 1
            continue
        sqlglot.parse_one(sql, read="spark")  # raises on SQL Spark would not parse
        generated += 1
    print(f"\nSpark SQL generated for {generated} golden cases; {missing} need a translation")
    assert generated >= 135


def test_admin_query_in_spark_sql() -> None:
    sql = compile(
        'SigninLogs | where ResultType == "50053" | summarize n = count() by bin(TimeGenerated, 1h)',
        now=NOW,
        dialect="spark",
    ).sql
    assert (
        "div(" in sql and "timestamp_micros" in sql and "JSON" not in sql.upper().split("FROM")[0]
    )
