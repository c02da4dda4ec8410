"""The escape-attempt corpus (escape_corpus.yaml) and the checks every case shares."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).with_name("escape_corpus.yaml")
KEYS = {"id", "tries", "kql", "code", "value", "column", "rows"}
EXPECTATIONS = ("code", "value", "column", "rows")


@dataclass(frozen=True)
class Case:
    id: str
    tries: str
    kql: str
    expect: str  # which of EXPECTATIONS the case has
    expected: Any

    def bind(self, secret: Secret) -> Case:
        """The case with the secret file's paths in place of its placeholders."""
        return Case(
            self.id,
            self.tries,
            secret.fill(self.kql),
            self.expect,
            secret.fill(self.expected) if isinstance(self.expected, str) else self.expected,
        )


def load_cases() -> list[Case]:
    entries = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    cases = []
    for entry in entries:
        unknown = set(entry) - KEYS
        assert not unknown, f"{entry.get('id')}: unknown keys {unknown}"
        kinds = [k for k in EXPECTATIONS if k in entry]
        assert len(kinds) == 1, f"{entry['id']}: needs exactly one of {EXPECTATIONS}"
        cases.append(Case(entry["id"], entry["tries"], entry["kql"], kinds[0], entry[kinds[0]]))
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases


class Secret:
    """A file outside the workspace holding a sentinel no query may ever return."""

    def __init__(self, directory: Path) -> None:
        self.sentinel = "sentinel-" + secrets.token_hex(16)
        self.dir = directory
        self.file = directory / "secret.csv"
        self.file.write_text(f"secret\n{self.sentinel}\n", encoding="utf-8")

    def fill(self, text: str) -> str:
        return text.replace("%SECRET_FILE%", str(self.file)).replace("%SECRET_DIR%", str(self.dir))


def engine_state(ws: Any, logged: str = "LAQueryLogs") -> tuple[Any, ...]:
    """Everything an escape could change: settings, tables, row counts, attached databases,
    the functions (a loaded extension adds some); except the rows of `logged`, which the
    server adds per query."""
    settings = ws.execute("SELECT name, value FROM duckdb_settings() ORDER BY name").fetchall()
    tables = ws.execute(
        "SELECT schema_name, table_name, estimated_size, column_count FROM duckdb_tables() "
        "WHERE table_name <> ? ORDER BY 1, 2",
        [logged],
    ).fetchall()
    databases = ws.execute("SELECT database_name FROM duckdb_databases() ORDER BY 1").fetchall()
    functions = ws.execute("SELECT count(*) FROM duckdb_functions()").fetchall()
    return tuple(settings), tuple(tables), tuple(databases), tuple(functions)


def check_clean(case: Case, columns: list[str], rows: list[list[Any]]) -> None:
    """A case that ran: its result is what the corpus says, the payload as plain data."""
    if case.expect == "value":
        assert rows and rows[0][0] == case.expected, (case.id, rows[:1])
    elif case.expect == "column":
        assert case.expected in columns, (case.id, columns)
    elif case.expect == "rows":
        assert len(rows) == case.expected, (case.id, rows)
    else:
        raise AssertionError(f"{case.id}: expected {case.expected}, but it ran: {rows[:1]}")


# Queries too deep for the recursive stages (parser, binder, lowering, sqlglot): KQL1011.
TOO_DEEP = {
    "nested-parentheses": "print x = " + "(" * 3000 + "1" + ")" * 3000,
    "long-sum": "print x = " + " + ".join(["1"] * 20000),
    "nested-negation": "print x = " + "-" * 5000 + "1",
    "long-pipeline": "print x = 1" + " | extend y = 1" * 3000,
}
