"""Diagnostics: stable codes, spans and hints, rendered with a caret under the source.

Code families: KQL1xxx syntax, KQL2xxx names and types, KQL3xxx unsupported constructs,
KQL4xxx engine. `ks_code` is Kusto's own code where one exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range of character offsets in the query text."""

    start: int
    end: int

    def cover(self, other: Span) -> Span:
        return Span(min(self.start, other.start), max(self.end, other.end))


NO_SPAN = Span(0, 0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    hint: str | None = None
    ks_code: str | None = None
    severity: str = "error"

    def line_col(self, text: str) -> tuple[int, int]:
        """1-based line and column of the span start."""
        before = text[: self.span.start]
        line = before.count("\n") + 1
        col = self.span.start - (before.rfind("\n") + 1) + 1
        return line, col

    def render(self, text: str, source: str = "query") -> str:
        """Render like a compiler: code, location, the source line and a caret under the span."""
        line, col = self.line_col(text)
        lines = text.split("\n")
        src = lines[line - 1] if line - 1 < len(lines) else ""
        width = max(1, min(self.span.end, self.span.start + len(src) - col + 1) - self.span.start)
        gutter = " " * len(str(line))
        out = [
            f"{self.severity}[{self.code}]: {self.message}",
            f"{gutter}--> {source}:{line}:{col}",
            f"{line} | {src}",
            f"{gutter} | {' ' * (col - 1)}{'^' * width}",
        ]
        if self.hint:
            out.append(f"{gutter} = help: {self.hint}")
        return "\n".join(out)

    def to_json(self, text: str) -> dict[str, object]:
        line, col = self.line_col(text)
        return {
            "code": self.code,
            "ksCode": self.ks_code,
            "message": self.message,
            "line": line,
            "pos": col,
            "start": self.span.start,
            "length": self.span.end - self.span.start,
            "hint": self.hint,
        }


class KqlError(Exception):
    """Raised when a query cannot be compiled or run; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic], text: str = "") -> None:
        self.diagnostics = diagnostics
        self.text = text
        first = diagnostics[0] if diagnostics else None
        super().__init__(first.message if first else "query failed")

    def render(self) -> str:
        return "\n\n".join(d.render(self.text) for d in self.diagnostics)


@dataclass
class DiagnosticBag:
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean" hint from the closest candidate names (case-insensitive match first)."""
    pool = list(dict.fromkeys(candidates))
    for c in pool:
        if c.lower() == name.lower() and c != name:
            return f"did you mean '{c}'? (names are case-sensitive)"
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=3)]
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return None


# --- one factory per message -------------------------------------------------------------


def syntax(message: str, span: Span, hint: str | None = None, code: str = "KQL1001") -> Diagnostic:
    return Diagnostic(code, message, span, hint, ks_code="KS007")


def too_deep() -> Diagnostic:
    return Diagnostic(
        "KQL1011",
        "the query is nested too deeply, or its pipeline is too long, to compile",
        NO_SPAN,
        "split it with let statements or materialize(), or use in/has_any with a list "
        "instead of long chains of conditions",
    )


def unexpected_token(found: str, expected: str, span: Span) -> Diagnostic:
    return Diagnostic("KQL1002", f"expected {expected}, found {found}", span, ks_code="KS007")


def unterminated_string(span: Span) -> Diagnostic:
    return Diagnostic(
        "KQL1003", "unterminated string literal", span, "close the string with its quote"
    )


def bad_literal(text: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("KQL1004", f"invalid literal '{text}'", span, hint)


def unknown_column(name: str, span: Span, available: list[str]) -> Diagnostic:
    hint = did_you_mean(name, available)
    if hint is None and available:
        shown = ", ".join(available[:12]) + (", ..." if len(available) > 12 else "")
        hint = f"available columns: {shown}"
    return Diagnostic("KQL2001", f"unknown column '{name}'", span, hint, ks_code="KS142")


def unknown_table(name: str, span: Span, available: list[str]) -> Diagnostic:
    return Diagnostic(
        "KQL2002", f"unknown table '{name}'", span, did_you_mean(name, available), ks_code="KS204"
    )


def unknown_function(name: str, span: Span, available: list[str]) -> Diagnostic:
    return Diagnostic(
        "KQL2003",
        f"unknown function '{name}'",
        span,
        did_you_mean(name, available),
        ks_code="KS211",
    )


def wrong_arg_count(name: str, got: int, expected: str, span: Span) -> Diagnostic:
    exact = expected.isdigit()  # Kusto: KS119 for an exact count, KS120 for a range
    return Diagnostic(
        "KQL2004",
        f"function '{name}' expects {expected} argument(s), got {got}",
        span,
        ks_code="KS119" if exact else "KS120",
    )


def type_error(
    message: str, span: Span, hint: str | None = None, ks: str | None = None
) -> Diagnostic:
    return Diagnostic("KQL2005", message, span, hint, ks_code=ks)


def not_boolean(found: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "KQL2006",
        f"the expression must have the type bool, not {found}",
        span,
        "to compare values use '==' (a single '=' names a column)",
        ks_code="KS141",
    )


def name_conflict(name: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "KQL2007", f"column '{name}' is defined more than once", span, ks_code="KS171"
    )


def not_constant(what: str, span: Span) -> Diagnostic:
    return Diagnostic("KQL2008", f"{what} must be a constant", span, ks_code="KS129")


def too_many_columns(what: str, limit: int, span: Span) -> Diagnostic:
    return Diagnostic(
        "KQL2009",
        f"{what} would make more than {limit:,} columns",
        span,
        "give the output schema, e.g. '| evaluate bag_unpack(col) : (*, a:string)'",
    )


def unsupported(what: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("KQL3001", f"{what} is not supported yet", span, hint)


def engine_error(message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic("KQL4001", message, NO_SPAN, hint)


def query_cancelled() -> Diagnostic:
    return Diagnostic(
        "KQL4002",
        "the query was cancelled: it ran longer than its time limit",
        NO_SPAN,
        "narrow the query (a time range, fewer columns) or raise the limit (Prefer: wait=N)",
    )


def out_of_memory() -> Diagnostic:
    return Diagnostic(
        "KQL4003",
        "the query ran out of memory: it needed more than the memory limit",
        NO_SPAN,
        "summarize or filter earlier (a time range, fewer columns, take/top before sort), "
        "or raise the limit (kustodian serve --memory-limit)",
    )


def sandbox_violation(why: str) -> Diagnostic:
    return Diagnostic(
        "KQL4004",
        f"internal error: the generated SQL was refused by the sandbox ({why})",
        NO_SPAN,
        "this is a bug in Kustodian's compiler, not in the query: please report the query",
    )
