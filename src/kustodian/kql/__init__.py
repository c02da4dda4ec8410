"""The KQL compiler: text -> typed plan -> sqlglot -> SQL for DuckDB or Spark.

`compile()` runs every stage; each stage is also a public function (`lexer.lex`,
`parser.parse`, `binder.Binder`, `lower.lower`, `generate.generate`).

The compiler is imported on first use: modules of this package that need none of it (the
catalog, types, diagnostics) load without the parser, binder and sqlglot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kustodian.kql.compiler import CompiledQuery, compile, compile_all
    from kustodian.kql.diagnostics import Diagnostic, KqlError

__all__ = ["CompiledQuery", "Diagnostic", "KqlError", "compile", "compile_all"]


def __getattr__(name: str) -> Any:
    if name in ("CompiledQuery", "compile", "compile_all"):
        from kustodian.kql import compiler

        return getattr(compiler, name)
    if name in ("Diagnostic", "KqlError"):
        from kustodian.kql import diagnostics

        return getattr(diagnostics, name)
    raise AttributeError(f"module 'kustodian.kql' has no attribute '{name}'")
