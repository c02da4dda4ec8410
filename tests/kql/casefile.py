"""Golden KQL cases: a query over inline data and the expected typed result.

A `.kqltest` file holds cases:

    ### strlen counts characters
    print n = strlen("hello")
    ---
    n:long
    [5]

The line after `---` is the header (`name:type` separated by ` | `); each further line is one
row as a JSON array, in the API encoding (see docs/architecture.md). `---` followed by
`!error KQL2001` expects a diagnostic with that code instead. A case whose name ends with
`(unordered)` compares rows as a multiset.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "cases"


@dataclass
class Case:
    file: str
    line: int
    name: str
    query: str
    columns: list[tuple[str, str]] | None
    rows: list[list[Any]] | None
    error: str | None

    @property
    def id(self) -> str:
        return f"{Path(self.file).stem}:{self.line}:{self.name}"

    @property
    def unordered(self) -> bool:
        return self.name.endswith("(unordered)")


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(directory.glob("**/*.kqltest")):
        cases.extend(parse_file(path))
    return cases


def parse_file(path: Path) -> list[Case]:
    lines = path.read_text(encoding="utf-8").split("\n")
    out: list[Case] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("### "):
            i += 1
            continue
        name, start = lines[i][4:].strip(), i + 1
        i += 1
        query: list[str] = []
        while i < len(lines) and lines[i].strip() != "---":
            query.append(lines[i])
            i += 1
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("### "):
            if lines[i].strip():
                body.append(lines[i])
            i += 1
        out.append(_case(str(path), start, name, "\n".join(query).strip(), body))
    return out


def _case(file: str, line: int, name: str, query: str, body: list[str]) -> Case:
    if body and body[0].startswith("!error"):
        return Case(file, line, name, query, None, None, body[0].split()[1])
    if not body:
        raise ValueError(f"{file}:{line}: case '{name}' has no expected header")
    columns = []
    for part in body[0].split(" | "):
        col, _, typ = part.strip().rpartition(":")
        columns.append((col, typ))
    rows = []
    for r in body[1:]:
        try:
            rows.append(json.loads(r))
        except ValueError as e:
            raise ValueError(f"{file}:{line}: case '{name}': bad row {r!r}: {e}") from None
    return Case(file, line, name, query, columns, rows, None)


def values_equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        if (
            expected is None
            or actual is None
            or isinstance(expected, str)
            or isinstance(actual, str)
        ):
            return expected == actual
        if math.isnan(expected) and math.isnan(actual):
            return True
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            values_equal(a, b) for a, b in zip(expected, actual)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            values_equal(expected[k], actual[k]) for k in expected
        )
    if isinstance(expected, bool) != isinstance(actual, bool):
        return False
    return bool(expected == actual)


def rows_equal(expected: list[list[Any]], actual: list[list[Any]], unordered: bool) -> bool:
    if len(expected) != len(actual):
        return False
    if not unordered:
        return all(values_equal(e, a) for e, a in zip(expected, actual))
    remaining = list(actual)
    for e in expected:
        for j, a in enumerate(remaining):
            if values_equal(e, a):
                del remaining[j]
                break
        else:
            return False
    return True
