"""The OpenAPI 3.1 document of every route (`GET /openapi.json`), built from the app's routes.

Each route's method and path come from the app itself, so a route cannot be missing from the
document; what it takes and returns is declared here as data (`OPERATIONS`, `SCHEMAS`). A route
without a declaration still appears, described by its handler's docstring.
tests/server/snapshots/openapi.json pins the document; after changing a route, regenerate it with
`make openapi` and review the diff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROLE_NONE = "none"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        doc["required"] = list(required)
    return doc


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def listing(name: str) -> dict[str, Any]:
    return obj({"value": array(ref(name))}, ("value",))


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
ANY_OBJ = {"type": "object"}

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": STR,
                    "message": STR,
                    "details": array(ANY_OBJ),
                    "innererror": ANY_OBJ,
                },
                ("code", "message"),
            )
        },
        ("error",),
    ),
    "QueryBody": obj(
        {"query": STR, "timespan": {"type": ["string", "null"]}, "workspaces": array(STR)},
        ("query",),
    ),
    "QueryResponse": obj(
        {
            "tables": array(
                obj({"name": STR, "columns": array(ANY_OBJ), "rows": array(array({}))})
            ),
            "statistics": ANY_OBJ,
            "render": ANY_OBJ,
            "error": ANY_OBJ,
        },
        ("tables",),
    ),
    "BatchBody": obj({"requests": array(ANY_OBJ)}, ("requests",)),
    "BatchResponse": obj({"responses": array(obj({"id": STR, "status": INT, "body": {}}))}),
    "Metadata": obj({"tables": array(ANY_OBJ), "workspaces": array(ANY_OBJ)}),
    "Token": obj(
        {
            "id": STR,
            "name": STR,
            "role": {"enum": ["reader", "contributor", "admin"]},
            "state": {"enum": ["active", "expired", "revoked"]},
            "created": TIME,
            "expires": NULL_TIME,
            "revoked": NULL_TIME,
            "lastUsed": NULL_TIME,
            "token": {"type": "string", "description": "only in the answer to POST, once"},
        }
    ),
    "TokenBody": obj(
        {"role": {"enum": ["reader", "contributor", "admin"]}, "name": STR, "expiresIn": STR},
        ("role",),
    ),
    "CliBody": obj(
        {
            "argv": array(STR),
            "cwd": STR,
            "stdin": STR,
            "tty": obj({"stdout": {"type": "boolean"}, "stderr": {"type": "boolean"}}),
        },
        ("argv", "cwd"),
    ),
    "Table": obj(
        {
            "name": STR,
            "kind": {"enum": ["entra", "system", "custom"]},
            "columns": array(obj({"name": STR, "type": STR})),
            "rows": INT,
            "retentionInDays": INT,
            "retentionSource": {"enum": ["workspace", "table", "built-in"]},
        }
    ),
    "Retention": obj(
        {"retentionInDays": INT, "tables": {"type": "object", "additionalProperties": INT}}
    ),
    "RetentionBody": obj({"retentionInDays": INT}, ("retentionInDays",)),
    "TableRetentionBody": obj(
        {"retentionInDays": {"type": ["integer", "null"]}}, ("retentionInDays",)
    ),
    "TableRetention": obj({"name": STR, "retentionInDays": INT, "retentionSource": STR}),
    "RetentionReport": obj(
        {
            "appliedAt": TIME,
            "removed": {"type": "object", "additionalProperties": INT},
            "totalRemoved": INT,
        }
    ),
    "Rule": obj(
        {
            "name": STR,
            "displayName": STR,
            "description": STR,
            "severity": {"type": "integer", "minimum": 0, "maximum": 4},
            "enabled": BOOL,
            "query": STR,
            "evaluationFrequency": {"type": "string", "description": "ISO 8601 (PT5M)"},
            "windowSize": STR,
            "overrideQueryTimeRange": STR,
            "criteria": obj(
                {
                    "timeAggregation": {
                        "enum": ["Count", "Average", "Minimum", "Maximum", "Total"]
                    },
                    "metricMeasureColumn": STR,
                    "operator": STR,
                    "threshold": NUM,
                    "dimensions": array(obj({"name": STR, "operator": STR, "values": array(STR)})),
                    "failingPeriods": obj(
                        {"numberOfEvaluationPeriods": INT, "minFailingPeriodsToAlert": INT}
                    ),
                }
            ),
            "muteActionsDuration": STR,
            "autoMitigate": BOOL,
            "actionGroups": array(STR),
            "customProperties": {"type": "object", "additionalProperties": STR},
            "source": STR,
            "sentinel": ANY_OBJ,
        },
        ("name", "query", "evaluationFrequency", "criteria"),
    ),
    "ActionGroup": obj(
        {
            "name": STR,
            "shortName": STR,
            "enabled": BOOL,
            "email": array(obj({"name": STR, "address": STR, "useCommonAlertSchema": BOOL})),
            "webhook": array(
                obj(
                    {
                        "name": STR,
                        "url": STR,
                        "useCommonAlertSchema": BOOL,
                        "signingSecretEnv": STR,
                    }
                )
            ),
            "teams": array(obj({"name": STR, "url": STR})),
            "slack": array(obj({"name": STR, "url": STR})),
        },
        ("shortName",),
    ),
    "TestOutcome": obj(
        {
            "receiver": STR,
            "kind": STR,
            "target": STR,
            "outcome": {"enum": ["Succeeded", "Outbox", "Failed", "Suppressed", "Skipped"]},
            "detail": STR,
            "attempts": INT,
            "httpStatus": {"type": ["integer", "null"]},
            "outboxId": {"type": ["integer", "null"]},
        }
    ),
    "Alert": obj(
        {
            "id": STR,
            "rule": STR,
            "title": STR,
            "description": STR,
            "severity": INT,
            "severityName": STR,
            "monitorCondition": {"enum": ["Fired", "Resolved"]},
            "userState": {"enum": ["New", "Acknowledged", "Closed"]},
            "stateful": BOOL,
            "firedTime": TIME,
            "resolvedTime": NULL_TIME,
            "lastModifiedTime": NULL_TIME,
            "evaluationTime": TIME,
            "windowStart": TIME,
            "windowEnd": TIME,
            "dimensions": ANY_OBJ,
            "values": obj(
                {
                    "metricValue": NUM,
                    "threshold": NUM,
                    "operator": STR,
                    "timeAggregation": STR,
                    "metricMeasureColumn": STR,
                }
            ),
            "query": STR,
            "actionGroups": array(STR),
            "actionsSuppressed": BOOL,
            "customProperties": ANY_OBJ,
            "history": array(obj({"time": TIME, "change": STR, "from": STR, "to": STR, "by": STR})),
        }
    ),
    "EvaluateBody": obj({"at": TIME}),
    "Evaluation": obj({"at": TIME, "fired": array(STR), "resolved": array(STR)}),
    "Detection": obj(
        {
            "id": STR,
            "displayName": STR,
            "description": STR,
            "severity": INT,
            "techniques": array(STR),
            "tactics": array(STR),
            "enabled": BOOL,
            "rule": STR,
            "parameters": array(
                obj(
                    {
                        "name": STR,
                        "description": STR,
                        "type": {"enum": ["list", "int", "string", "timespan"]},
                        "default": {},
                        "value": {},
                    }
                )
            ),
        }
    ),
    "DetectionBody": obj({"enabled": BOOL, "parameters": ANY_OBJ}),
    "IngestionHealth": obj(
        {
            "tables": array(
                obj(
                    {
                        "name": STR,
                        "rows": INT,
                        "lastTimeGenerated": NULL_TIME,
                        "lastReceived": NULL_TIME,
                    }
                )
            ),
            "deadLetters": array(
                obj(
                    {
                        "table": STR,
                        "source": STR,
                        "count": INT,
                        "last": NULL_TIME,
                        "sampleReason": STR,
                    }
                )
            ),
            "connectors": array(
                obj(
                    {
                        "name": STR,
                        "kind": STR,
                        "lastPull": NULL_TIME,
                        "lastError": {"type": ["string", "null"]},
                        "checkpoints": {"type": "object", "additionalProperties": STR},
                    }
                )
            ),
        }
    ),
    "Workbook": obj(
        {
            "id": STR,
            "title": STR,
            "description": STR,
            "tiles": array(
                obj(
                    {
                        "title": STR,
                        "query": STR,
                        "visualization": STR,
                        "kind": {"type": ["string", "null"]},
                        "size": {"enum": ["small", "medium", "wide"]},
                    }
                )
            ),
        }
    ),
    "LoginBody": obj({"token": STR}, ("token",)),
    "SavedQueryBody": obj({"name": STR, "query": STR, "timespan": STR}, ("name", "query")),
    "SavedQuery": obj(
        {
            "id": STR,
            "name": STR,
            "query": STR,
            "timespan": STR,
            "author": STR,
            "created": TIME,
            "updated": TIME,
        }
    ),
    "NamedLocation": obj({"name": STR, "ranges": array(STR), "trusted": BOOL}),
    "NamedLocationBody": obj(
        {
            "ranges": {
                "type": "array",
                "items": {"type": "string", "description": "IPv4 CIDR or one address"},
                "minItems": 1,
            },
            "trusted": {"type": "boolean", "default": True},
        },
        ("ranges",),
    ),
    "NamedLocationChange": obj(
        {
            "name": STR,
            "ranges": array(STR),
            "trusted": BOOL,
            "rerenderedRules": {
                "type": "array",
                "items": STR,
                "description": "the detections' rules re-rendered with the new trusted ranges",
            },
        }
    ),
    "OutboxMessage": obj(
        {
            "id": INT,
            "to": STR,
            "subject": STR,
            "created": TIME,
            "alertId": STR,
            "actionGroup": STR,
            "body": STR,
        }
    ),
}


@dataclass(frozen=True)
class Op:
    """What one route takes and returns."""

    summary: str
    role: str
    tag: str
    body: str | None = None  # a schema name
    yaml_body: bool = False  # also accepts application/yaml
    ok: int = 200
    returns: dict[str, Any] | None = None  # the success body's schema; None: no body
    errors: tuple[int, ...] = ()  # beyond 401/403 (and 400 for a body)
    query: tuple[str, ...] = ()  # query parameters, described in QUERY_PARAMS


QUERY_PARAMS = {
    "query": "the KQL text",
    "timespan": "ISO 8601 duration or interval",
    "workspaces": "comma-separated workspace ids",
    "api-version": "accepted, not checked",
    "severity": "0 to 4 (or Sev0 to Sev4)",
    "monitorCondition": "Fired or Resolved",
    "userState": "New, Acknowledged or Closed",
    "since": "fired at or after this ISO 8601 instant",
    "until": "fired at or before this ISO 8601 instant",
    "rule": "only this rule's alerts",
    "limit": "1 to 1000, default 100",
    "code": "the one-time sign-in code `kustodian serve` prints",
}

# One route a line (a backslash continues it): METHOD PATH | role | tag | body (+yaml) | status | returns (Name, Name[] for
# {"value": [...]}, object, -) | error statuses | query parameters | summary.
_TABLE = """
GET /health | none | server | - | 200 | object | | | Liveness: no data, no authentication
GET /openapi.json | none | server | - | 200 | object | | | This document
POST /v1/workspaces/{workspace}/query | reader | query | QueryBody | 200 | QueryResponse \
    | 404 429 | | Run a KQL query (Logs Query API)
GET /v1/workspaces/{workspace}/query | reader | query | - | 200 | QueryResponse | 400 404 429 \
    | query timespan workspaces | Run a KQL query given in the query string
POST /v1/$batch | reader | query | BatchBody | 200 | BatchResponse | | | Run several queries
GET /v1/workspaces/{workspace}/metadata | reader | query | - | 200 | Metadata | 404 | \
    | Tables and columns
POST /v1/workspaces/{workspace}/metadata | reader | query | - | 200 | Metadata | 404 | \
    | Tables and columns
POST /dataCollectionRules/{rule}/streams/{stream} | contributor | ingestion | IngestionRows \
    | 204 | - | 404 413 | api-version | Upload rows (Logs Ingestion API): a JSON array, maybe gzip
GET /manage/v1/tokens | admin | tokens | - | 200 | Token[] | | | List API tokens
POST /manage/v1/tokens | admin | tokens | TokenBody | 201 | Token | | | Create an API token
DELETE /manage/v1/tokens/{token} | admin | tokens | - | 204 | - | 404 | \
    | Revoke a token (by id or name)
POST /manage/v1/cli | admin | cli | CliBody | 200 | object | | \
    | Run a kustodian command in the server (only the token of its server.json, from loopback): \
    newline-delimited JSON of its output, then its exit status
GET /manage/v1/tables | reader | tables | - | 200 | Table[] | | \
    | Tables: kind, columns, rows, retention
GET /manage/v1/retention | reader | tables | - | 200 | Retention | | \
    | The workspace default retention and the tables' own settings
PUT /manage/v1/retention | admin | tables | RetentionBody | 200 | Retention | 413 | \
    | Set the workspace default retention (days)
POST /manage/v1/retention/apply | admin | tables | - | 200 | RetentionReport | | \
    | Remove the rows past retention now
PUT /manage/v1/tables/{name}/retention | admin | tables | TableRetentionBody | 200 \
    | TableRetention | 404 413 | | Set a table's retention; null: back to the workspace default
GET /manage/v1/rules | reader | rules | - | 200 | Rule[] | | | List alert rules
GET /manage/v1/rules/{name} | reader | rules | - | 200 | Rule | 404 | | One alert rule
PUT /manage/v1/rules/{name} | contributor | rules | Rule+yaml | 200 | Rule | 413 415 | \
    | Create (201) or replace (200) a rule: ARM JSON, our form as JSON, or YAML
DELETE /manage/v1/rules/{name} | contributor | rules | - | 204 | - | 404 | \
    | Delete a rule (its alerts stay)
POST /manage/v1/rules/{name}/enable | contributor | rules | - | 200 | Rule | 404 | | Enable a rule
POST /manage/v1/rules/{name}/disable | contributor | rules | - | 200 | Rule | 404 | \
    | Disable a rule
GET /manage/v1/action-groups | reader | action groups | - | 200 | ActionGroup[] | | \
    | List action groups (webhook URLs redacted)
GET /manage/v1/action-groups/{name} | reader | action groups | - | 200 | ActionGroup | 404 | \
    | One action group (webhook URLs redacted)
PUT /manage/v1/action-groups/{name} | contributor | action groups | ActionGroup+yaml | 200 \
    | ActionGroup | 413 415 | | Create (201) or replace (200) an action group: ARM JSON, our \
    form as JSON, or YAML
DELETE /manage/v1/action-groups/{name} | contributor | action groups | - | 204 | - | 404 | \
    | Delete an action group
POST /manage/v1/action-groups/{name}/test | contributor | action groups | - | 200 \
    | TestOutcome[] | 404 | | Send a sample alert to every receiver
GET /manage/v1/alerts | reader | alerts | - | 200 | Alert[] | 400 \
    | severity monitorCondition userState since until rule | List alerts, newest first
GET /manage/v1/alerts/{id} | reader | alerts | - | 200 | Alert | 400 404 | \
    | One alert (an id or a unique prefix), with its history
POST /manage/v1/alerts/{id}/acknowledge | contributor | alerts | - | 200 | Alert | 404 | \
    | Acknowledge an alert
POST /manage/v1/alerts/{id}/close | contributor | alerts | - | 200 | Alert | 404 | \
    | Close an alert
POST /manage/v1/alerts/evaluate | contributor | alerts | EvaluateBody | 200 | Evaluation | 413 | \
    | Evaluate the enabled rules at a time (default now)
GET /manage/v1/detections | reader | detections | - | 200 | Detection[] | | \
    | Built-in detections and their state
GET /manage/v1/detections/{id} | reader | detections | - | 200 | Detection | 404 | \
    | One built-in detection
PUT /manage/v1/detections/{id} | contributor | detections | DetectionBody | 200 | Detection \
    | 404 413 | | Enable, disable or parameterise a detection
GET /manage/v1/ingestion/health | reader | ingestion | - | 200 | IngestionHealth | | \
    | Rows and last arrivals per table, dead letters, connectors
GET /manage/v1/outbox | reader | alerts | - | 200 | OutboxMessage[] | 400 | limit \
    | Emails kept locally (no SMTP server), newest first
GET /manage/v1/named-locations | reader | named locations | - | 200 | NamedLocation[] | | \
    | Named locations: IPv4 ranges, trusted or not
PUT /manage/v1/named-locations/{name} | contributor | named locations | NamedLocationBody | 200 \
    | NamedLocationChange | 413 | | Create (201) or replace (200) a named location; \
    re-renders the detections that read the trusted ranges
DELETE /manage/v1/named-locations/{name} | contributor | named locations | - | 200 \
    | NamedLocationChange | 404 | | Delete a named location; re-renders the detections that \
    read the trusted ranges
GET / | none | ui | - | 200 | - | | | The web UI (HTML)
GET /index.html | none | ui | - | 200 | - | | | The web UI (HTML)
POST /ui/login | none | ui | LoginBody | 200 | object | 401 415 | \
    | Sign in with an API token: a session cookie and the CSRF token
GET /ui/login | none | ui | - | 303 | - | 401 | code | The one-time sign-in link
GET /ui/session | reader | ui | - | 200 | object | | \
    | The signed-in session (cookie), with its CSRF token
POST /ui/logout | reader | ui | - | 204 | - | | | End the session (needs X-CSRF-Token)
GET /manage/v1/saved-queries | reader | ui | - | 200 | SavedQuery[] | | | Saved queries
PUT /manage/v1/saved-queries/{id} | contributor | ui | SavedQueryBody | 200 | SavedQuery \
    | | | Create (201) or replace (200) a saved query
DELETE /manage/v1/saved-queries/{id} | contributor | ui | - | 204 | - | 404 | \
    | Delete a saved query
GET /manage/v1/workbooks | reader | workbooks | - | 200 | Workbook[] | | \
    | The shipped workbooks, their queries filled from the workspace's settings
GET /manage/v1/workbooks/{id} | reader | workbooks | - | 200 | Workbook | 404 | | One workbook
"""


def _returns(text: str) -> dict[str, Any] | None:
    if text == "-":
        return None
    if text == "object":
        return {"type": "object"}
    return listing(text[:-2]) if text.endswith("[]") else ref(text)


def _parse_table(text: str) -> dict[tuple[str, str], Op]:
    ops: dict[tuple[str, str], Op] = {}
    for line in text.strip().splitlines():
        route, role, tag, body, ok, returns, errors, query, summary = (
            " ".join(cell.split()) for cell in line.split("|")
        )
        method, path = route.split(" ")
        name = body.removesuffix("+yaml")
        ops[(method, path)] = Op(
            summary,
            role,
            tag,
            body=None if name == "-" else name,
            yaml_body=body.endswith("+yaml"),
            ok=int(ok),
            returns=_returns(returns),
            errors=tuple(int(e) for e in errors.split()),
            query=tuple(query.split()),
        )
    return ops


OPERATIONS: dict[tuple[str, str], Op] = _parse_table(_TABLE)

SCHEMAS["IngestionRows"] = array(ANY_OBJ)

ERROR_TEXT = {
    400: "Bad request: the message names the field",
    401: "No valid credential",
    403: "The credential's role is below the route's",
    404: "Not found",
    413: "The body is too large",
    415: "Unsupported Content-Type",
    429: "Too many failed authentications (Retry-After)",
}


def template(route: Route) -> str:
    """The route's path as OpenAPI writes it: Starlette's `{name:path}` is `{name}`."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)


def document(app: Starlette) -> dict[str, Any]:
    """The OpenAPI document of every route of `app`."""
    paths: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        if not isinstance(route, Route):
            continue
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            path = template(route)
            op = OPERATIONS.get((method, path)) or _undeclared(route)
            paths.setdefault(path, {})[method.lower()] = _operation(method, path, op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kustodian",
            "version": "v1",  # the API's version (the paths' /v1), not the package's
            "description": "Azure Monitor's Logs Query and Logs Ingestion APIs and Kustodian's "
            "management API (docs/server.md). Every error is the one JSON shape `Error`.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(SCHEMAS.items())),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an API token (`kustodian token create`)",
                }
            },
        },
    }


def _undeclared(route: Route) -> Op:
    doc = (route.endpoint.__doc__ or route.name or "").strip().splitlines()
    return Op(doc[0] if doc else route.path, "", "other")


def _operation(method: str, path: str, op: Op) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": op.summary,
        "operationId": _operation_id(method, path),
        "tags": [op.tag],
    }
    if op.role:
        out["x-kustodian-role"] = op.role
    params = [
        {"name": n, "in": "path", "required": True, "schema": STR}
        for n in re.findall(r"\{([^}:]+)", path)
    ]
    params += [
        {"name": n, "in": "query", "description": QUERY_PARAMS[n], "schema": STR} for n in op.query
    ]
    if params:
        out["parameters"] = params
    if op.body:
        content = {"application/json": {"schema": ref(op.body)}}
        if op.yaml_body:
            content["application/yaml"] = {"schema": ref(op.body)}
        out["requestBody"] = {"required": op.body != "EvaluateBody", "content": content}
    ok: dict[str, Any] = {"description": "Success"}
    if op.returns is not None:
        ok["content"] = {"application/json": {"schema": op.returns}}
    responses: dict[str, Any] = {str(op.ok): ok}
    errors = set(op.errors)
    if op.body:
        errors.add(400)
    if op.role != ROLE_NONE:
        out["security"] = [{"bearer": []}]
        errors |= {401, 403}
    for status in sorted(errors):
        responses[str(status)] = {
            "description": ERROR_TEXT[status],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    responses["default"] = {
        "description": "Any other error, in the same shape",
        "content": {"application/json": {"schema": ref("Error")}},
    }
    out["responses"] = responses
    return out


def _operation_id(method: str, path: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", path.replace("{", "by-")) if w]
    return method.lower() + "".join(w[0].upper() + w[1:] for w in words)


async def openapi(request: Request) -> Response:
    """The OpenAPI document (no authentication: it holds no data)."""
    return JSONResponse(document(request.app))


def route() -> Route:
    return Route("/openapi.json", openapi, methods=["GET"])


def snapshot_text() -> str:
    """The document of the app as `create_app` builds it, as the snapshot file holds it."""
    import json

    from kustodian.server.app import create_app
    from kustodian.workspace.workspace import Workspace

    with Workspace.open(":memory:") as ws:
        return json.dumps(document(create_app(ws)), indent=2, sort_keys=True) + "\n"
