"""The KQL compiler: text -> typed plan -> sqlglot -> SQL for DuckDB or Spark.

`compile()` runs every stage; each stage is also a public function (`lexer.lex`,
`parser.parse`, `binder.Binder`, `lower.lower`, `generate.generate`).
"""

from __future__ import annotations

from kustodian.kql.compiler import CompiledQuery, compile, compile_all
from kustodian.kql.diagnostics import Diagnostic, KqlError

__all__ = ["CompiledQuery", "Diagnostic", "KqlError", "compile", "compile_all"]
