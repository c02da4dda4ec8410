"""The Azure Monitor error document, one shape for every endpoint.

`{"error": {"code", "message", "details"?, "innererror"?}}`. The Azure SDKs read `code` and
`message`, and `LogsQueryError.message` is the deepest `innererror.message`, so a KQL error
carries its diagnostic as the innermost error.
"""

from __future__ import annotations

from typing import Any

from kustodian.kql.diagnostics import KqlError


class ApiError(Exception):
    """An error response: HTTP status, Azure error code, message and extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
        innererror: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details
        self.innererror = innererror

    def document(self) -> dict[str, Any]:
        return error_document(self.code, self.message, self.details, self.innererror)


def error_document(
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    innererror: dict[str, Any] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    if innererror:
        error["innererror"] = innererror
    return {"error": error}


def kql_error_document(e: KqlError) -> dict[str, Any]:
    """The Log Analytics API's `BadArgumentError` for a KQL error.

    Each diagnostic is a detail; the first is also the inner error, with our code (`KQL2001`),
    Kusto's (`ksCode`), the 1-based line and position, and the hint.
    """
    details = [_detail(e, d) for d in e.diagnostics]
    return error_document(
        "BadArgumentError",
        "The request had some invalid properties",
        details,
        details[0] if details else None,
    )


def _detail(e: KqlError, d: Any) -> dict[str, Any]:
    info = d.to_json(e.text)
    kind = "SyntaxError" if d.code.startswith("KQL1") else "SemanticError"
    where = f", line {info['line']}, position {info['pos']}" if e.text else ""
    return {
        "code": kind,
        "message": d.message,
        "innererror": {
            "code": d.code,
            "ksCode": d.ks_code,
            "message": f"{d.message} ({d.code}{where})",
            "line": info["line"],
            "pos": info["pos"],
            "hint": d.hint,
        },
    }
