"""Run the golden cases' Spark SQL on a local Spark and compare with the expected rows.

Not a test and not a dependency: it needs pyspark (3.5) and Java 17, installed apart from the
project, e.g.

    python3 -m venv /tmp/spark-venv
    /tmp/spark-venv/bin/pip install "pyspark==3.5.*" sqlglot pyarrow duckdb   # the project's versions
    TZ=UTC PYTHONPATH=src /tmp/spark-venv/bin/python benchmarks/spark_goldens.py [id-filter]

Expected datetimes are floored to microseconds, as Spark keeps them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ["TZ"] = "UTC"
time.tzset()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pyspark.sql import SparkSession  # noqa: E402

from kql.casefile import load_cases, rows_equal  # noqa: E402
from kustodian.kql import KqlError, compile  # noqa: E402
from kustodian.kql.literals import (  # noqa: E402
    format_datetime_ns,
    format_timespan_ticks,
    parse_datetime_ns,
)
from kustodian.kql.types import KType  # noqa: E402
from kustodian.result import _decimal_text, _load  # noqa: E402

NOW = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
EPOCH = dt.datetime(1970, 1, 1)


def floor_us(v: Any) -> Any:
    ns = parse_datetime_ns(v) if isinstance(v, str) else None
    return v if ns is None else format_datetime_ns(ns - ns % 1000)


def api_value(v: Any, t: KType) -> Any:
    """A Spark value as the query API encodes it (a tuple marks a value of the wrong type)."""
    if v is None:
        return "" if t is KType.STRING else None
    if t is KType.DATETIME and isinstance(v, dt.datetime):
        d = v - EPOCH
        return format_datetime_ns((d.days * 86400 + d.seconds) * 10**9 + d.microseconds * 1000)
    if t is KType.TIMESPAN and isinstance(v, int):
        return format_timespan_ticks(v)
    if t is KType.DYNAMIC and isinstance(v, str):
        return _load(v)
    if t is KType.DECIMAL:
        return _decimal_text(v)
    if t is KType.GUID:
        return str(v)
    if t is KType.REAL and isinstance(v, (int, float, decimal.Decimal)):
        return float(v)
    if t in (KType.DATETIME, KType.TIMESPAN, KType.DYNAMIC, KType.REAL):
        return ("wrong type", repr(v))
    if t is KType.STRING and not isinstance(v, str):
        return ("wrong type", repr(v))
    return v


def main() -> None:
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.analyzer.maxIterations", "1000")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("OFF")
    right = wrong = failed = missing = 0
    for case in load_cases():
        if case.error is not None or "bag_unpack" in case.query or wanted not in case.id:
            continue
        try:
            c = compile(case.query, now=NOW, dialect="spark")
        except KqlError:
            missing += 1
            continue
        try:
            rows = spark.sql(c.sql, args=c.params or None).collect()
        except Exception as e:
            failed += 1
            print(f"ERROR {case.id}\n   {str(e).strip().splitlines()[0][:300]}")
            continue
        assert case.columns is not None and case.rows is not None
        types = [KType(t) for _, t in case.columns]
        got = [[api_value(v, t) for v, t in zip(r, types)] for r in rows]
        expected = [
            [floor_us(v) if t is KType.DATETIME else v for v, t in zip(r, types)] for r in case.rows
        ]
        if rows_equal(expected, got, case.unordered):
            right += 1
        else:
            wrong += 1
            print(f"WRONG {case.id}\n   expected {json.dumps(expected)[:400]}")
            print(f"   actual   {json.dumps(got, default=str)[:400]}")
    print(f"spark: {right} right, {wrong} wrong, {failed} errors, {missing} not generated")


if __name__ == "__main__":
    main()
