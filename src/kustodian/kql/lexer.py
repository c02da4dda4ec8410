"""Hand-written KQL lexer: text -> tokens, each with its span. Never throws."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kustodian.kql import diagnostics as D
from kustodian.kql.diagnostics import Diagnostic, Span


class T(Enum):
    IDENT = "identifier"
    INT = "integer"
    REAL = "real"
    STRING = "string"
    TIMESPAN = "timespan"
    RAW_LITERAL = "literal"  # datetime(...), guid(...), long(...): the raw text between parentheses
    OP = "operator"
    EOF = "end of query"


@dataclass(frozen=True, slots=True)
class Token:
    kind: T
    text: str
    span: Span
    value: object = None  # decoded literal value: str, int, float, ticks (int), or (name, raw)

    def is_op(self, *ops: str) -> bool:
        return self.kind is T.OP and self.text in ops

    def is_word(self, *words: str) -> bool:
        return self.kind is T.IDENT and self.text in words

    def describe(self) -> str:
        return "end of query" if self.kind is T.EOF else f"'{self.text}'"


# Longest first so that `!~` wins over `!` and `==` over `=`.
_OPERATORS = sorted(
    [
        "==",
        "!=",
        "<>",
        "<=",
        ">=",
        "=~",
        "!~",
        "=>",
        "..",
        "|",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ";",
        ".",
        "<",
        ">",
        "=",
        "+",
        "-",
        "*",
        "/",
        "%",
        ":",
        "!",
        "?",
        "@",
        "#",
    ],
    key=len,
    reverse=True,
)

# Operator words written with dashes, merged into one identifier token.
DASHED_WORDS = frozenset(
    {
        "project-away",
        "project-keep",
        "project-rename",
        "project-reorder",
        "project-smart",
        "project-by-names",
        "mv-expand",
        "mv-apply",
        "parse-where",
        "parse-kv",
        "make-series",
        "top-nested",
        "top-hitters",
        "make-graph",
        "graph-match",
        "graph-to-table",
        "graph-shortest-paths",
        "graph-mark-components",
    }
)

# `!word` string operators.
NEGATED_WORDS = frozenset(
    {
        "contains",
        "contains_cs",
        "has",
        "has_cs",
        "hasprefix",
        "hasprefix_cs",
        "hassuffix",
        "hassuffix_cs",
        "startswith",
        "startswith_cs",
        "endswith",
        "endswith_cs",
        "in",
        "between",
        "has_all",
        "has_any",
    }
)

_TIMESPAN_UNITS: dict[str, int] = {}
for _names, _ticks in [
    (("d", "day", "days"), 864_000_000_000),
    (("h", "hr", "hrs", "hour", "hours"), 36_000_000_000),
    (("m", "min", "minute", "minutes"), 600_000_000),
    (("s", "sec", "second", "seconds"), 10_000_000),
    (("ms", "milli", "millis", "millisecond", "milliseconds"), 10_000),
    (("microsecond", "microseconds", "micro", "micros"), 10),
    (("tick", "ticks"), 1),
]:
    for _n in _names:
        _TIMESPAN_UNITS[_n] = _ticks

# Calls whose argument is raw literal text rather than an expression.
RAW_LITERAL_WORDS = frozenset(
    {
        "datetime",
        "date",
        "timespan",
        "time",
        "guid",
        "uuid",
        "uniqueid",
        "long",
        "int",
        "int32",
        "int64",
        "real",
        "double",
        "decimal",
        "bool",
        "boolean",
    }
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []
        self.diagnostics: list[Diagnostic] = []

    def run(self) -> list[Token]:
        n = len(self.text)
        while True:
            self._skip_trivia()
            if self.pos >= n:
                break
            self._next_token()
        self.tokens.append(Token(T.EOF, "", Span(n, n)))
        return self.tokens

    def _skip_trivia(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c.isspace():
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            else:
                break

    def _emit(self, kind: T, start: int, value: object = None) -> None:
        self.tokens.append(Token(kind, self.text[start : self.pos], Span(start, self.pos), value))

    def _next_token(self) -> None:
        text, start = self.text, self.pos
        c = text[start]
        if text.startswith("```", start) or text.startswith("~~~", start):
            self._fence(text[start : start + 3])
        elif c in "'\"":
            self._string(verbatim=False)
        elif c in "@hH" and self._string_prefix():
            pass
        elif c.isdigit() or (c == "." and start + 1 < len(text) and text[start + 1].isdigit()):
            self._number()
        elif c.isalpha() or c in "_$":
            self._word()
        elif c == "!" and start + 1 < len(text) and text[start + 1].isalpha():
            self._negated_word()
        else:
            self._operator()

    def _string_prefix(self) -> bool:
        """`@'...'`, `h'...'`, `h@'...'`: verbatim and obfuscated strings."""
        text, p = self.text, self.pos
        if text[p] in "hH":
            p += 1
        verbatim = p < len(text) and text[p] == "@"
        if verbatim:
            p += 1
        if p >= len(text) or text[p] not in "'\"" or p == self.pos:
            return False
        start = self.pos
        self.pos = p
        self._string(verbatim=verbatim, start=start)
        return True

    def _fence(self, fence: str) -> None:
        start = self.pos
        end = self.text.find(fence, start + 3)
        if end < 0:
            self.pos = len(self.text)
            self.diagnostics.append(D.unterminated_string(Span(start, self.pos)))
            self._emit(T.STRING, start, self.text[start + 3 :])
            return
        self.pos = end + 3
        self._emit(T.STRING, start, self.text[start + 3 : end])

    def _string(self, verbatim: bool, start: int | None = None) -> None:
        text = self.text
        begin = self.pos if start is None else start
        quote = text[self.pos]
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(text) or (text[self.pos] == "\n" and not verbatim):
                self.diagnostics.append(D.unterminated_string(Span(begin, self.pos)))
                break
            ch = text[self.pos]
            if ch == quote:
                if verbatim and text.startswith(quote * 2, self.pos):
                    out.append(quote)
                    self.pos += 2
                    continue
                self.pos += 1
                break
            if ch == "\\" and not verbatim and self.pos + 1 < len(text):
                self.pos += 1
                out.append(self._escape())
                continue
            out.append(ch)
            self.pos += 1
        self._emit(T.STRING, begin, "".join(out))

    def _escape(self) -> str:
        text = self.text
        ch = text[self.pos]
        if ch == "u" and self.pos + 4 < len(text):
            code = text[self.pos + 1 : self.pos + 5]
            self.pos += 5
            try:
                value = int(code, 16)
            except ValueError:
                return code
            low = text[self.pos + 2 : self.pos + 6] if text.startswith("\\u", self.pos) else ""
            if 0xD800 <= value < 0xDC00 and len(low) == 4:
                try:
                    low_value = int(low, 16)
                except ValueError:
                    low_value = 0
                if 0xDC00 <= low_value < 0xE000:  # a UTF-16 surrogate pair is one character
                    self.pos += 6
                    return chr(0x10000 + ((value - 0xD800) << 10) + (low_value - 0xDC00))
            return chr(value)
        if ch == "x" and self.pos + 2 < len(text):
            code = text[self.pos + 1 : self.pos + 3]
            self.pos += 3
            try:
                return chr(int(code, 16))
            except ValueError:
                return code
        self.pos += 1
        return _ESCAPES.get(ch, "\\" + ch)

    def _number(self) -> None:
        text, start = self.text, self.pos
        n = len(text)
        if text.startswith(("0x", "0X"), start):
            self.pos += 2
            while self.pos < n and text[self.pos] in "0123456789abcdefABCDEF":
                self.pos += 1
            digits = text[start + 2 : self.pos]
            if not digits:
                self.diagnostics.append(D.bad_literal("0x", Span(start, self.pos), "e.g. 0x1F"))
            self._emit(T.INT, start, int(digits or "0", 16))
            return
        while self.pos < n and text[self.pos].isdigit():
            self.pos += 1
        is_real = False
        if self.pos + 1 < n and text[self.pos] == "." and text[self.pos + 1].isdigit():
            is_real = True
            self.pos += 1
            while self.pos < n and text[self.pos].isdigit():
                self.pos += 1
        elif (
            self.pos < n
            and text[self.pos] == "."
            and not text.startswith("..", self.pos)
            and not (
                self.pos + 1 < n and (text[self.pos + 1].isalpha() or text[self.pos + 1] == "_")
            )
        ):
            is_real = True  # `1.` is a real
            self.pos += 1
        if self.pos < n and text[self.pos] in "eE":
            p = self.pos + 1
            if p < n and text[p] in "+-":
                p += 1
            if p < n and text[p].isdigit():
                is_real = True
                self.pos = p
                while self.pos < n and text[self.pos].isdigit():
                    self.pos += 1
        number = text[start : self.pos]
        suffix_start = self.pos
        while self.pos < n and (text[self.pos].isalpha() or text[self.pos] == "_"):
            self.pos += 1
        suffix = text[suffix_start : self.pos]
        if suffix:
            unit = _TIMESPAN_UNITS.get(suffix.lower())
            if unit is None:
                self.diagnostics.append(
                    D.bad_literal(
                        text[start : self.pos],
                        Span(start, self.pos),
                        "timespan units are d, h, m, s, ms, microsecond, tick",
                    )
                )
                self._emit(T.INT, start, 0)
                return
            ticks = round(float(number) * unit)
            self._emit(T.TIMESPAN, start, ticks)
            return
        if is_real:
            self._emit(T.REAL, start, float(number))
        else:
            self._emit(T.INT, start, int(number))

    def _word(self) -> None:
        text, start = self.text, self.pos
        n = len(text)
        self.pos += 1
        while self.pos < n and (text[self.pos].isalnum() or text[self.pos] == "_"):
            self.pos += 1
        # dashed operator words: project-away, mv-expand...
        while self.pos < n and text[self.pos] == "-":
            p = self.pos + 1
            while p < n and (text[p].isalnum() or text[p] == "_"):
                p += 1
            if text[start:p].lower() in DASHED_WORDS or any(
                w.startswith(text[start:p].lower() + "-") for w in DASHED_WORDS
            ):
                self.pos = p
            else:
                break
        if text[start : self.pos] == "in" and self.pos < n and text[self.pos] == "~":
            self.pos += 1
            self._emit(T.OP, start)
            return
        word = text[start : self.pos]
        if word in RAW_LITERAL_WORDS and self._raw_literal(word, start):
            return
        self._emit(T.IDENT, start)

    def _raw_literal(self, word: str, start: int) -> bool:
        text = self.text
        p = self.pos
        while p < len(text) and text[p] in " \t":
            p += 1
        if p >= len(text) or text[p] != "(":
            return False
        depth, q = 0, p
        while q < len(text):
            if text[q] == "(":
                depth += 1
            elif text[q] == ")":
                depth -= 1
                if depth == 0:
                    break
            q += 1
        if q >= len(text):
            return False
        raw = text[p + 1 : q].strip()
        self.pos = q + 1
        self._emit(T.RAW_LITERAL, start, (word.lower(), raw))
        return True

    def _negated_word(self) -> None:
        text, start = self.text, self.pos
        p = start + 1
        while p < len(text) and (text[p].isalnum() or text[p] == "_"):
            p += 1
        word = text[start + 1 : p]
        if word in NEGATED_WORDS:
            self.pos = p
            if word == "in" and p < len(text) and text[p] == "~":
                self.pos += 1
            self._emit(T.OP, start)
        else:
            self._operator()

    def _operator(self) -> None:
        text, start = self.text, self.pos
        for op in _OPERATORS:
            if text.startswith(op, start):
                self.pos += len(op)
                self._emit(T.OP, start)
                return
        self.pos += 1
        self.diagnostics.append(
            D.syntax(f"unexpected character '{text[start]}'", Span(start, self.pos))
        )


def lex(text: str) -> tuple[list[Token], list[Diagnostic]]:
    """Split a query into tokens. Returns the tokens (ending with EOF) and lexical diagnostics."""
    lexer = Lexer(text)
    tokens = lexer.run()
    return tokens, lexer.diagnostics
