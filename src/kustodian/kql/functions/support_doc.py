"""Generates docs/kql-support.md from the function catalog: `python -m
kustodian.kql.functions.support_doc > docs/kql-support.md` (`make docs`)."""

from __future__ import annotations

from kustodian.kql.functions import families
from kustodian.kql.functions.unsupported import UNSUPPORTED_FUNCTIONS
from kustodian.kql.parser import KNOWN_OPERATORS

# Operators handled by the binder; everything else the parser knows is reported unsupported.
OPERATOR_STATUS: dict[str, tuple[str, str]] = {
    "where": ("supported", "alias `filter`"),
    "project": ("supported", ""),
    "project-away": ("supported", "wildcards"),
    "project-keep": ("supported", "wildcards"),
    "project-rename": ("supported", ""),
    "project-reorder": ("supported", "asc/desc ordering of wildcard matches"),
    "extend": ("supported", ""),
    "summarize": ("supported", "aggregates in expressions, `by` expressions and bin()"),
    "count": ("supported", ""),
    "take": ("supported", "alias `limit`"),
    "top": ("supported", ""),
    "sort": ("supported", "alias `order`; asc/desc, nulls first/last"),
    "distinct": ("supported", ""),
    "join": ("supported", "every kind; innerunique keeps one left row per key"),
    "lookup": ("supported", "leftouter and inner"),
    "union": ("supported", "withsource, kind=inner|outer, isfuzzy, name patterns"),
    "parse": ("supported", "simple, regex (with flags), relaxed"),
    "parse-where": ("supported", ""),
    "mv-expand": ("supported", "also legacy `mvexpand`; bag and array expansion"),
    "serialize": ("supported", "with prev(), next(), row_number(), row_cumsum()"),
    "as": ("supported", ""),
    "getschema": ("supported", ""),
    "render": ("supported", "kept as result metadata"),
    "invoke": ("supported", ""),
    "sample": ("partial", "returns the first N rows, not a random sample"),
    "mv-apply": ("supported", "the sub-query runs per row (summarize, take, top partitioned)"),
    "make-series": ("supported", "from/to/step and in range(); default per aggregate"),
    "evaluate": ("partial", "the bag_unpack plugin"),
    "project-by-names": ("supported", ""),
}


# Statements and tabular sources, listed with the operators.
SOURCES: dict[str, tuple[str, str]] = {
    "let": ("supported", "scalars, tables, lambdas with defaults, views"),
    "datatable": ("supported", ""),
    "print": ("supported", ""),
    "range": ("supported", "numbers, datetimes, timespans"),
    "declare query_parameters": ("supported", ""),
    "materialize": ("supported", "a materialized CTE"),
    "toscalar": ("supported", ""),
}


def _ops() -> list[str]:
    lines = ["## Statements and sources", "", "| name | status | notes |", "|---|---|---|"]
    lines += [f"| `{n}` | {s} | {note} |" for n, (s, note) in SOURCES.items()]
    lines += ["", "## Operators", "", "| operator | status | notes |", "|---|---|---|"]
    for name in sorted(KNOWN_OPERATORS):
        status, note = OPERATOR_STATUS.get(name, ("not supported", "reported as KQL3001"))
        lines.append(f"| `{name}` | {status} | {note} |")
    return lines


def _functions() -> list[str]:
    lines = ["## Functions", ""]
    for fam in families():
        lines += [
            f"### {fam.name}",
            "",
            "| function | status | aliases | notes |",
            "|---|---|---|---|",
        ]
        for spec in sorted(fam.functions, key=lambda s: s.name):
            aliases = ", ".join(f"`{a}`" for a in spec.aliases)
            kind = " (aggregate)" if spec.aggregate else ""
            lines.append(f"| `{spec.name}`{kind} | {spec.status} | {aliases} | {spec.note} |")
        lines.append("")
    lines += [
        "### Special forms",
        "",
        "`iff`/`iif`, `case`, `coalesce`, `column_ifexists`/"
        "`columnifexists`, `toscalar`, `now`, `ago`, `prev`, `next`, `row_number`, "
        "`row_cumsum`, `pack_all`: bound by the binder itself (they need the row scope or "
        "lazy typing).",
        "",
    ]
    lines += ["### Not supported", "", "| function | reason |", "|---|---|"]
    for name, reason in sorted(UNSUPPORTED_FUNCTIONS.items()):
        if reason:
            lines.append(f"| `{name}` | {reason} |")
    return lines


def render() -> str:
    head = [
        "# KQL support matrix",
        "",
        "Generated from the function catalog by `make docs`; a test fails when it is stale.",
        "Statuses: *supported* (Kusto's semantics, tested), *partial* (see the note), "
        "*not supported* (a clear KQL3001 diagnostic, never wrong SQL).",
        "",
    ]
    return "\n".join(head + _ops() + [""] + _functions()) + "\n"


if __name__ == "__main__":
    print(render(), end="")
