"""Unit tests of the docs-corpus comparator on hand-made cases: what it accepts and, as
important, what it must reject."""

from __future__ import annotations

import math
from typing import Any

import pytest

from .compare import Mismatch, compare, match_cell, normalize_header


def ok(cell: str, ktype: str, actual: Any, *, wildcard: bool = False) -> bool:
    return match_cell(cell, ktype, actual, wildcard=wildcard) is None


def example(
    columns: list[str], rows: list[list[str]], *notes: str, tier: str = "B-clean"
) -> dict[str, Any]:
    return {
        "id": "dx:test:1",
        "conformance_tier": tier,
        "expected_columns": columns,
        "expected_rows": rows,
        "notes": list(notes) or ["order-insensitive"],
    }


# ------------------------------------------------------------------------------------------
# Headers


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("`Month`", "Month"),
        ("**count_**", "count_"),
        ("series\\_periods\\_detect\\_y", "series_periods_detect_y"),
        (" event time ", "event time"),
        ("plain", "plain"),
    ],
)
def test_normalize_header(header: str, name: str) -> None:
    assert normalize_header(header) == name


def test_header_markup_is_ignored_but_names_are_compared() -> None:
    ex = example(["`Age`", "**Name**"], [["1", "a"]], "single-row")
    assert compare(ex, [("Age", "long"), ("Name", "string")], [[1, "a"]]) is None
    m = compare(ex, [("age", "long"), ("Name", "string")], [[1, "a"]])
    assert m is not None and m.kind == "columns"


def test_column_count_and_order_are_checked() -> None:
    ex = example(["a", "b"], [["1", "2"]], "single-row")
    assert compare(ex, [("a", "long")], [[1]]) is not None
    assert compare(ex, [("a", "long"), ("b", "long"), ("c", "long")], [[1, 2, 3]]) is not None
    m = compare(ex, [("b", "long"), ("a", "long")], [[2, 1]])
    assert m is not None and m.kind == "columns"
    assert "['a', 'b']" in str(m)


# ------------------------------------------------------------------------------------------
# Integers, booleans, nulls


def test_long_with_thousands_separators() -> None:
    assert ok("700,000,000", "long", 700_000_000)
    assert ok("1,048,576", "long", 1_048_576)
    assert ok("-12", "int", -12)
    assert not ok("700,000,000", "long", 700_000_001)
    assert not ok("1,0", "long", 10)  # not a thousands grouping
    assert not ok("5.0", "long", 5)
    assert not ok("5", "long", 6)


def test_thousands_separators_are_not_removed_from_strings() -> None:
    assert ok("1,000", "string", "1,000")
    assert not ok("1,000", "string", "1000")


def test_nulls_of_typed_columns() -> None:
    for shown in ("", "null", "(null)", "&nbsp;"):
        assert ok(shown, "long", None)
        assert ok(shown, "datetime", None)
        assert ok(shown, "bool", None)
    assert not ok("", "long", 0)
    assert not ok("0", "long", None)
    assert not ok("", "real", 0.0)
    assert not ok("", "real", math.nan)
    assert not ok("", "bool", False)
    assert not ok("false", "bool", None)


def test_strings_are_never_null_and_null_text_is_a_string() -> None:
    assert ok("", "string", "")
    assert ok("", "string", None)
    assert not ok("null", "string", "")
    assert not ok("", "string", "x")


def test_bool_spellings() -> None:
    for shown in ("true", "True", "TRUE", "1", "true<br>"):
        assert ok(shown, "bool", True)
        assert not ok(shown, "bool", False)
    for shown in ("false", "False", "FALSE", "0"):
        assert ok(shown, "bool", False)
        assert not ok(shown, "bool", True)
    assert not ok("yes", "bool", True)
    assert not ok("True", "string", "true")  # strings stay case-sensitive


# ------------------------------------------------------------------------------------------
# Reals and decimals


def test_reals_within_relative_tolerance() -> None:
    assert ok("0.999999999999959", "real", 0.9999999999999591)
    assert ok("1.7660796224425723", "real", 1.7660796224425723 * (1 + 1e-12))
    assert ok("1.5823717131966134E-06", "real", 1.5823717131966134e-06)
    assert ok("2.20904969985854E-05", "real", 2.209049699858541e-05)
    assert ok("10", "real", 10.0)
    assert ok("10", "real", 10)
    assert ok("0", "real", 1.2e-16)
    assert not ok("1.7660796224425723", "real", 1.7660796)
    assert not ok("2.20904969985854E-05", "real", 2.2091e-05)


def test_reals_rounded_to_the_digits_shown() -> None:
    assert ok("32.667", "real", 32.666666666666664)
    assert ok("0.354", "real", 0.35404)
    assert ok("-33.8715", "real", -33.87149)
    assert not ok("32.667", "real", 32.6)
    assert not ok("32.667", "real", 32.6676)
    assert not ok("0.354", "real", 0.3546)


def test_few_digits_shown_do_not_widen_the_tolerance() -> None:
    # One or no decimals shown: the docs value is taken as exact (to noise).
    assert not ok("0.1", "real", 0.14)
    assert not ok("10", "real", 10.4)
    assert not ok("2578351", "real", 2578351.4)
    # Large values: relative tolerance alone would accept these; the digits shown do not.
    assert not ok("1675225922.4", "real", 1675225922.5)
    assert ok("1675225922.4", "real", 1675225922.4000001)


def test_real_special_values() -> None:
    assert ok("NaN", "real", math.nan)
    assert ok("∞", "real", math.inf)
    assert ok("-∞", "real", -math.inf)
    assert ok("Infinity", "real", math.inf)
    assert not ok("-∞", "real", math.inf)
    assert not ok("NaN", "real", 0.0)
    assert not ok("NaN", "real", None)
    assert not ok("0", "real", math.nan)
    assert not ok("∞", "real", 1e308)


def test_real_with_thousands_separators() -> None:
    assert ok("1,234.5", "real", 1234.5)
    assert not ok("1,234.5", "real", 1234.6)


def test_decimals_compare_exactly_as_numbers() -> None:
    big = "1,000,000,020,000,000,300,000,004"
    assert ok(big, "decimal", "1000000020000000300000004")
    assert not ok(big, "decimal", "1000000020000000300000005")
    assert ok("700,000,000", "decimal", "700000000")
    assert ok("5", "decimal", "5.000")
    assert not ok("5", "decimal", "5.001")


def test_a_long_column_with_a_real_value_compares_as_real() -> None:
    assert ok("2.5", "long", 2.5)
    assert not ok("2.5", "long", 2)


# ------------------------------------------------------------------------------------------
# Datetimes and timespans


def test_datetimes_compare_as_instants() -> None:
    assert ok("2016-02-17 08:40:00.0000000", "datetime", "2016-02-17T08:40:00Z")
    assert ok("2017-05-14T12:00:00Z", "datetime", "2017-05-14T12:00:00Z")
    assert ok("2024-12-15 07:15:24", "datetime", "2024-12-15T07:15:24Z")
    assert ok("2023-02-01", "datetime", "2023-02-01T00:00:00Z")
    assert ok("2022-06-19T08:22:54.6623324Z", "datetime", "2022-06-19T08:22:54.6623324Z")
    assert ok("2020-01-01 23:59:59.9999999", "datetime", "2020-01-01T23:59:59.9999999Z")
    assert not ok("2016-02-17 08:40:00.0000000", "datetime", "2016-02-17T08:40:00.0000001Z")
    assert not ok("2016-02-17 08:40:00.0000000", "datetime", "2016-02-17T08:40:01Z")
    assert not ok("2016-02-17 08:40:00.0000000", "datetime", "2016-02-18T08:40:00Z")
    assert not ok("2024-12-15 07:15:24", "datetime", "2024-12-15T07:15:24.5Z")
    assert not ok("2023-02-01", "datetime", "2023-02-01T00:00:01Z")


def test_datetime_with_fewer_fraction_digits_rounds_or_truncates() -> None:
    assert ok("2015-12-05 09:10:04.627", "datetime", "2015-12-05T09:10:04.6279Z")  # truncated
    assert ok("2015-12-05 09:10:04.627", "datetime", "2015-12-05T09:10:04.6266Z")  # rounded
    assert ok("2024-05-28 08:15:23.0000", "datetime", "2024-05-28T08:15:23Z")
    assert not ok("2015-12-05 09:10:04.627", "datetime", "2015-12-05T09:10:04.628Z")
    assert not ok("2015-12-05 09:10:04.627", "datetime", "2015-12-05T09:10:04.6264Z")


def test_datetime_text_from_a_string_column_is_not_reinterpreted() -> None:
    assert ok("02/17/2016 08:40:00", "string", "02/17/2016 08:40:00")
    assert not ok("2016-02-17 08:40:00.0000000", "string", "2016-02-17T08:40:00Z")
    assert not ok("not a date", "datetime", "2016-02-17T08:40:00Z")


def test_timespans() -> None:
    assert ok("1.00:00:00", "timespan", "1.00:00:00")
    assert ok("365.00:00:00", "timespan", "365.00:00:00")
    assert ok("00:05:00", "timespan", "00:05:00")
    assert ok("04:32:02.4000000", "timespan", "04:32:02.4000000")
    assert ok("04:32:02.4000000", "timespan", "04:32:02.4")
    assert ok("1.12:30:55.1230000", "timespan", "1.12:30:55.123")
    assert ok("-12:00:00", "timespan", "-12:00:00")
    assert not ok("-12:00:00", "timespan", "12:00:00")
    assert not ok("00:05:00", "timespan", "00:05:01")
    assert not ok("1.00:00:00", "timespan", "00:00:00")
    assert not ok("14:00:00:00", "timespan", "14.00:00:00")  # docs typo stays a mismatch
    assert not ok("04:32:02.4000000", "timespan", "04:32:02.4000001")


# ------------------------------------------------------------------------------------------
# Guids and strings


def test_guids_case_insensitively() -> None:
    guid = "24fefbca-cf27-4d62-a623-249c2ad30c73"
    assert ok(guid.upper(), "guid", guid)
    assert ok(guid, "guid", guid.upper())
    assert not ok(guid, "guid", "24fefbca-cf27-4d62-a623-249c2ad30c74")
    assert not ok(guid.upper(), "string", guid)  # a string column stays exact


def test_string_markup() -> None:
    assert ok("`Wow!`", "string", "Wow!")
    assert ok("`Wow!`", "string", "`Wow!`")
    assert ok("<https://bing.com>", "string", "https://bing.com")
    assert ok("[https://x.org/a](https://x.org/a)", "string", "https://x.org/a")
    assert ok("PipelineScheduler<br>", "string", "PipelineScheduler\n")
    assert ok("K<br>u<br>s<br>t<br>o", "string", "K\nu\ns\nt\no")
    assert ok("&nbsp;", "string", "")
    assert ok("view=vs-2019&preserve-view=true", "string", "view=vs-2019&preserve-view=true")
    assert not ok("K<br>u", "string", "Ku")
    assert not ok("`Wow!`", "string", "Wow")
    assert not ok("abc", "string", "abd")
    assert not ok("<b>", "string", "b")


def test_elided_strings_only_with_wildcard() -> None:
    shown = "https://contoso.blob.core.windows.net/container/blob.txt?sv=2012-02-12&se=2013-0..."
    ours = "https://contoso.blob.core.windows.net/container/blob.txt?sv=2012-02-12&se=2013-04-13"
    assert ok(shown, "string", ours, wildcard=True)
    assert not ok(shown, "string", ours)
    assert not ok(shown, "string", "https://other", wildcard=True)
    assert ok("...", "long", 5, wildcard=True)
    assert not ok("...", "long", 5)


# ------------------------------------------------------------------------------------------
# Dynamic


def test_dynamic_json_spacing_and_line_breaks() -> None:
    bag = {"key1": 123, "key2": "abc"}
    assert ok('{<br>  "key1": 123,<br>  "key2": "abc"<br>}', "dynamic", bag)
    assert ok('{"key2":"abc","key1":123}', "dynamic", bag)  # key order is irrelevant
    assert ok('{<br>\t"key1": 123,<br>\t"key2": "abc"<br>}', "dynamic", bag)
    assert ok('`{"key1": 123, "key2": "abc"}`', "dynamic", bag)
    assert not ok('{"key1": 123}', "dynamic", bag)
    assert not ok('{"key1": 123, "key2": "abc", "key3": 1}', "dynamic", bag)
    assert not ok('{"key1": 124, "key2": "abc"}', "dynamic", bag)
    assert not ok('{"key1": "123", "key2": "abc"}', "dynamic", bag)


def test_dynamic_arrays() -> None:
    assert ok("[1, 2, 3]", "dynamic", [1, 2, 3])
    assert ok("[ 1, 2, 3]", "dynamic", [1, 2, 3])
    assert ok("[]", "dynamic", [])
    assert ok("[42.0]", "dynamic", [42])
    assert ok("[[1,2],[3,4]]", "dynamic", [[1, 2], [3, 4]])
    assert ok('["blue","green",null]', "dynamic", ["blue", "green", None])
    assert ok("[3.1415926535897931,1.5707963267948966,0.0]", "dynamic", [math.pi, math.pi / 2, 0.0])
    assert ok("[111.0,32.667]", "dynamic", [111.0, 32.666666666666664])
    assert not ok("[1, 2, 3]", "dynamic", [1, 3, 2])  # arrays are ordered
    assert not ok("[1, 2]", "dynamic", [1, 2, 3])
    assert not ok("[true, false]", "dynamic", [1, 0])  # bool is not a number
    assert not ok("[1]", "dynamic", [True])
    assert not ok('["1"]', "dynamic", [1])
    assert not ok("[0.1]", "dynamic", [0.14])
    assert not ok("[]", "dynamic", {})


def test_dynamic_python_style_and_bare_words() -> None:
    assert ok("[1,'2',3.4]", "dynamic", [1, "2", 3.4])
    assert ok("['a','b','c']", "dynamic", ["a", "b", "c"])
    assert ok("{'a': 1,'b': '2','c': 3.4}", "dynamic", {"a": 1, "b": "2", "c": 3.4})
    assert ok("[yes, no, yes]", "dynamic", ["yes", "no", "yes"])
    assert ok("[True, None]", "dynamic", [True, None])
    assert not ok("[1,'2',3.4]", "dynamic", [1, 2, 3.4])
    assert not ok("[yes, no]", "dynamic", ["yes", "yes"])


def test_dynamic_nested_object_shown_in_quotes() -> None:
    shown = '{ "Query Parameters":"{"k1":"v1", "k2":"v2"}" }'
    assert ok(shown, "dynamic", {"Query Parameters": {"k1": "v1", "k2": "v2"}})
    assert not ok(shown, "dynamic", {"Query Parameters": {"k1": "v1", "k2": "v3"}})


def test_dynamic_escaped_json_in_strings() -> None:
    assert ok('{"a":123, "b":"{\\"c\\":456}"}', "dynamic", {"a": 123, "b": '{"c":456}'})
    assert not ok('{"a":123, "b":"{\\"c\\":456}"}', "dynamic", {"a": 123, "b": {"c": 456}})


def test_dynamic_scalars_and_null() -> None:
    assert ok("a", "dynamic", "a")  # a dynamic string shows without quotes
    assert ok('"a"', "dynamic", "a")
    assert ok("5", "dynamic", 5)
    assert ok("true", "dynamic", True)
    assert ok("", "dynamic", None)
    assert ok("null", "dynamic", None)
    assert not ok("", "dynamic", {})
    assert not ok("{}", "dynamic", None)
    assert not ok("5", "dynamic", "5x")
    assert not ok("true", "dynamic", 1)
    assert not ok("[1,2]", "dynamic", "[1,3]")


def test_dynamic_datetime_strings_compare_as_instants() -> None:
    assert ok('["2015-12-31T00:00:00.0000000Z"]', "dynamic", ["2015-12-31T00:00:00Z"])
    assert not ok('["2015-12-31T00:00:00.0000000Z"]', "dynamic", ["2015-12-31T00:00:01Z"])
    assert not ok('["2015-12-31"]', "dynamic", ["2015-12-31T00:00:00Z"])


def test_dynamic_elided_content_only_with_wildcard() -> None:
    shown = '{"type": "Polygon","coordinates": [ ... ]}'
    ours = {"type": "Polygon", "coordinates": [[[1.0, 2.0], [3.0, 4.0]]]}
    assert ok(shown, "dynamic", ours, wildcard=True)
    assert not ok(shown, "dynamic", ours)
    assert not ok(shown, "dynamic", {"type": "Point", "coordinates": [1.0]}, wildcard=True)


def test_unparseable_docs_json_is_a_mismatch() -> None:
    reason = match_cell('`["A2\',"A1"]`', "dynamic", ["A2", "A1"])
    assert reason is not None and "not JSON" in reason


def test_unknown_type_names_go_by_our_value() -> None:
    assert ok("1,000", "", 1000)
    assert ok("true", "weird", True)
    assert ok("[1]", "", [1])
    assert not ok("2016-02-17 08:40:00.0000000", "datetime", 5)  # a wrong value type


# ------------------------------------------------------------------------------------------
# Tables


def test_order_insensitive_is_a_multiset() -> None:
    ex = example(["k", "v"], [["a", "1"], ["b", "2"], ["a", "1"]], "order-insensitive")
    cols = [("k", "string"), ("v", "long")]
    assert compare(ex, cols, [["b", 2], ["a", 1], ["a", 1]]) is None
    m = compare(ex, cols, [["b", 2], ["a", 1], ["b", 2]])  # duplicates matter
    assert isinstance(m, Mismatch) and m.kind == "missing-row"
    m = compare(ex, cols, [["b", 2], ["a", 1]])
    assert m is not None and m.kind == "row-count" and "expected 3 rows, got 2" in str(m)


def test_missing_row_explains_the_closest_row() -> None:
    ex = example(["k", "v"], [["a", "1"], ["b", "2"]], "order-insensitive")
    m = compare(ex, [("k", "string"), ("v", "long")], [["a", 1], ["b", 3]])
    assert m is not None and m.kind == "missing-row"
    assert m.row == 1 and m.column == "v" and m.expected == "2" and m.actual == 3
    assert "expected 2, got 3" in str(m)


def test_multiset_matching_is_not_greedy() -> None:
    # '0.33' (rounded) matches both our rows; '0.333' only the first. A greedy pairing of the
    # first docs row with our first row would wrongly report a mismatch.
    ex = example(["x"], [["0.33"], ["0.333"]], "order-insensitive")
    assert compare(ex, [("x", "real")], [[0.333], [0.334]]) is None
    assert compare(ex, [("x", "real")], [[0.334], [0.334]]) is not None


def test_order_sensitive_and_single_row_compare_in_order() -> None:
    ex = example(["x"], [["1"], ["2"]], "order-sensitive")
    assert compare(ex, [("x", "long")], [[1], [2]]) is None
    m = compare(ex, [("x", "long")], [[2], [1]])
    assert m is not None and m.kind == "cell" and m.row == 0 and m.column == "x"
    assert m.expected == "1" and m.actual == 2
    one = example(["x", "y"], [["1", "a"]], "single-row")
    assert compare(one, [("x", "long"), ("y", "string")], [[1, "a"]]) is None
    assert compare(one, [("x", "long"), ("y", "string")], [[1, "b"]]) is not None
    assert compare(one, [("x", "long"), ("y", "string")], []) is not None


def test_empty_tables() -> None:
    ex = example(["x"], [], "single-row")
    assert compare(ex, [("x", "long")], []) is None
    assert compare(ex, [("x", "long")], [[1]]) is not None


def test_partial_output_requires_containment_only() -> None:
    ex = example(["x", "y"], [["1", "a"], ["...", "..."], ["3", "c"]], "partial-output")
    cols = [("x", "long"), ("y", "string")]
    assert compare(ex, cols, [[3, "c"], [2, "b"], [1, "a"], [4, "d"]]) is None
    m = compare(ex, cols, [[1, "a"], [2, "b"], [4, "d"]])
    assert m is not None and m.kind == "missing-row"
    m = compare(ex, cols, [[1, "a"]])
    assert m is not None and m.kind == "row-count"
    assert compare(ex, [("x", "long"), ("z", "string")], [[1, "a"], [3, "c"]]) is not None


def test_partial_output_with_elided_columns() -> None:
    ex = example(["a", "b", "..."], [["1", "2", "..."]], "partial-output")
    assert compare(ex, [("a", "long"), ("b", "long"), ("c", "long")], [[1, 2, 9]]) is None
    assert compare(ex, [("a", "long"), ("b", "long"), ("c", "long")], [[1, 3, 9]]) is not None
    assert compare(ex, [("a", "long")], [[1]]) is not None


def test_ragged_rows_compare_the_common_prefix() -> None:
    ex = example(["id", "s", "t"], [["x", "1"], ["y", "2", "3"]], "ragged-rows", "order-sensitive")
    cols = [("id", "string"), ("s", "long"), ("t", "long")]
    assert compare(ex, cols, [["x", 1, 99], ["y", 2, 3]]) is None
    assert compare(ex, cols, [["x", 2, 99], ["y", 2, 3]]) is not None
    assert compare(ex, cols, [["x", 1, 99], ["y", 2, 4]]) is not None


def test_docs_row_width_mismatch_without_ragged_note() -> None:
    ex = example(["a", "b"], [["1"]], "single-row")
    m = compare(ex, [("a", "long"), ("b", "long")], [[1, 2]])
    assert m is not None and m.kind == "row-width"


def test_realistic_example_with_mixed_types() -> None:
    ex = example(
        ["`Timestamp`", "count_", "avg", "ok", "bag"],
        [
            ["2017-01-01 01:05:00.0000000", "1,056", "0.999999999999959", "True", "[1, 2]"],
            ["2017-01-01 00:05:00.0000000", "60", "NaN", "false", ""],
        ],
        "order-insensitive",
        "cells-contain-markdown",
    )
    cols = [
        ("Timestamp", "datetime"),
        ("count_", "long"),
        ("avg", "real"),
        ("ok", "bool"),
        ("bag", "dynamic"),
    ]
    rows: list[list[Any]] = [
        ["2017-01-01T00:05:00Z", 60, math.nan, False, None],
        ["2017-01-01T01:05:00Z", 1056, 0.999999999999959, True, [1, 2]],
    ]
    assert compare(ex, cols, rows) is None
    rows[1][3] = False
    m = compare(ex, cols, rows)
    assert m is not None and m.column == "ok"
