"""The management API under `/manage/v1` (docs/server.md#management-api): tables and retention,
alert rules, action groups, alerts, detections, ingestion health and the email outbox.

Each handler authenticates with the role the resource needs, turns the request into a call of
the library that owns the resource (`kustodian.alerts`, `kustodian.actions`,
`kustodian.workspace.retention`, ...) in a worker thread, and the result into JSON. Every error is
an `ApiError` in the one JSON shape (errors.py); validation messages name the field.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kustodian.server.errors import ApiError
from kustodian.server.tokens import Role

if TYPE_CHECKING:
    from kustodian.actions import ActionGroup
    from kustodian.alerts import Alert, Rule
    from kustodian.alerts.detections import Detection
    from kustodian.server.app import Server
    from kustodian.workspace.workspace import Workspace

PREFIX = "/manage/v1"
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
Handler = Callable[[Request], Awaitable[Response]]


def routes(server: Server) -> list[Route]:
    """The management routes (tokens excepted: app.py has those)."""
    m = Manage(server)
    table: list[tuple[str, Handler, str]] = [
        ("/tables", m.list_tables, "GET"),
        ("/retention", m.get_retention, "GET"),
        ("/retention", m.set_retention, "PUT"),
        ("/retention/apply", m.apply_retention, "POST"),
        ("/tables/{name}/retention", m.set_table_retention, "PUT"),
        ("/rules", m.list_rules, "GET"),
        ("/rules/{name}", m.get_rule, "GET"),
        ("/rules/{name}", m.put_rule, "PUT"),
        ("/rules/{name}", m.delete_rule, "DELETE"),
        ("/rules/{name}/enable", m.enable_rule, "POST"),
        ("/rules/{name}/disable", m.disable_rule, "POST"),
        ("/action-groups", m.list_groups, "GET"),
        ("/action-groups/{name}", m.get_group, "GET"),
        ("/action-groups/{name}", m.put_group, "PUT"),
        ("/action-groups/{name}", m.delete_group, "DELETE"),
        ("/action-groups/{name}/test", m.test_group, "POST"),
        ("/alerts", m.list_alerts, "GET"),
        ("/alerts/evaluate", m.evaluate, "POST"),
        ("/alerts/{id}", m.get_alert, "GET"),
        ("/alerts/{id}/acknowledge", m.acknowledge, "POST"),
        ("/alerts/{id}/close", m.close, "POST"),
        ("/detections", m.list_detections, "GET"),
        ("/detections/{id}", m.get_detection, "GET"),
        ("/detections/{id}", m.put_detection, "PUT"),
        ("/ingestion/health", m.ingestion_health, "GET"),
        ("/outbox", m.outbox, "GET"),
    ]
    return [Route(PREFIX + path, handler, methods=[method]) for path, handler, method in table]


class Manage:
    """The handlers; `server` authenticates and holds the workspace."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.ws: Workspace = server.ws

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A library call in a worker thread; its validation errors become 400s."""
        from kustodian.actions import ActionGroupError
        from kustodian.alerts import RuleError, RuleQueryError
        from kustodian.workspace.config import ConfigError

        try:
            return await run_in_threadpool(fn, *args, **kwargs)
        except RuleQueryError as e:
            raise kql_rule_error(e) from None
        except (RuleError, ActionGroupError, ConfigError) as e:
            raise bad_request(str(e)) from None

    # -- tables and retention ----------------------------------------------------------------

    async def list_tables(self, request: Request) -> Response:
        """The workspace's tables: kind, columns, rows and retention."""
        await self.server.authenticate(request, Role.READER)
        return listing(await run_in_threadpool(self._tables))

    def _tables(self) -> list[dict[str, Any]]:
        from kustodian.workspace import retention

        return [
            {
                "name": t.table,
                "kind": table_kind(t.table),
                "columns": [
                    {"name": n, "type": k.value} for n, k in self.ws.catalog.tables[t.table].columns
                ],
                "rows": t.rows,
                "retentionInDays": t.days,
                "retentionSource": t.source,
            }
            for t in retention.show(self.ws)
        ]

    async def get_retention(self, request: Request) -> Response:
        """The workspace default and the tables that have their own retention."""
        await self.server.authenticate(request, Role.READER)
        return JSONResponse(self._retention())

    def _retention(self) -> dict[str, Any]:
        config = self.ws.config
        return {"retentionInDays": config.retention_days, "tables": dict(config.table_retention)}

    async def set_retention(self, request: Request) -> Response:
        """Set the workspace default retention."""
        from kustodian.workspace import retention

        await self.server.authenticate(request, Role.ADMIN)
        days = fields(await json_object(request), required={"retentionInDays"})["retentionInDays"]
        await self._call(retention.set_workspace_days, self.ws, whole_days(days, nullable=False))
        return JSONResponse(self._retention())

    async def set_table_retention(self, request: Request) -> Response:
        """Set one table's retention; null returns it to the workspace default."""
        from kustodian.workspace import retention

        await self.server.authenticate(request, Role.ADMIN)
        name = request.path_params["name"]
        days = fields(await json_object(request), required={"retentionInDays"})["retentionInDays"]
        days = whole_days(days, nullable=True)
        if self.ws.catalog.get(name) is None:
            raise not_found("TableNotFound", f"no table '{name}' in this workspace")
        await self._call(retention.set_table_days, self.ws, name, days)
        current, _ = retention.retention_of(self.ws, name)
        return JSONResponse(
            {
                "name": name,
                "retentionInDays": current,
                "retentionSource": retention.source_of(self.ws, name),
            }
        )

    async def apply_retention(self, request: Request) -> Response:
        """Remove the rows past retention now; the rows removed per table."""
        from kustodian.workspace import retention

        await self.server.authenticate(request, Role.ADMIN)
        now = datetime.now(UTC)
        removed = await run_in_threadpool(retention.apply, self.ws, now)
        return JSONResponse(
            {"appliedAt": iso(now), "removed": removed, "totalRemoved": sum(removed.values())}
        )

    # -- alert rules -------------------------------------------------------------------------

    async def list_rules(self, request: Request) -> Response:
        """Every alert rule, in the YAML form's fields."""
        from kustodian.alerts import list_rules, rule_to_doc

        await self.server.authenticate(request, Role.READER)
        return listing([rule_to_doc(r) for r in await run_in_threadpool(list_rules, self.ws)])

    async def get_rule(self, request: Request) -> Response:
        """One alert rule."""
        from kustodian.alerts import rule_to_doc

        await self.server.authenticate(request, Role.READER)
        return JSONResponse(rule_to_doc(await self._rule(request.path_params["name"])))

    async def _rule(self, name: str) -> Rule:
        from kustodian.alerts import get_rule

        rule: Rule = await self._find(get_rule, name, "RuleNotFound", "alert rule")
        return rule

    async def _find(
        self, get: Callable[[Workspace, str], Any], name: str, code: str, what: str
    ) -> Any:
        found = await run_in_threadpool(get, self.ws, name)
        if found is None:
            raise not_found(code, f"no {what} named '{name}'")
        return found

    async def put_rule(self, request: Request) -> Response:
        """Create or replace a rule from ARM JSON, our form as JSON, or YAML."""
        from kustodian.alerts import rule_to_doc, save_rule

        return await self._put(request, parse_rule, save_rule, rule_to_doc)

    async def _put(
        self,
        request: Request,
        parse: Callable[[Any, str], Any],
        save: Callable[[Workspace, Any], bool],
        view: Callable[[Any], dict[str, Any]],
    ) -> Response:
        """PUT of a named resource: parse the body, save it (201 when new), answer its view."""
        await self.server.authenticate(request, Role.CONTRIBUTOR)
        item = await self._call(parse, await document(request), request.path_params["name"])
        new = await self._call(save, self.ws, item)
        return JSONResponse(view(item), status_code=201 if new else 200)

    async def delete_rule(self, request: Request) -> Response:
        """Delete a rule; its alerts stay."""
        from kustodian.alerts import delete_rule

        await self.server.authenticate(request, Role.CONTRIBUTOR)
        name = request.path_params["name"]
        await self._rule(name)
        await self._call(delete_rule, self.ws, name)
        return Response(status_code=204)

    async def enable_rule(self, request: Request) -> Response:
        """Enable a rule."""
        return await self._enable(request, True)

    async def disable_rule(self, request: Request) -> Response:
        """Disable a rule."""
        return await self._enable(request, False)

    async def _enable(self, request: Request, enabled: bool) -> Response:
        from kustodian.alerts import rule_to_doc, set_enabled

        await self.server.authenticate(request, Role.CONTRIBUTOR)
        name = request.path_params["name"]
        await self._rule(name)
        await self._call(set_enabled, self.ws, name, enabled)
        return JSONResponse(rule_to_doc(await self._rule(name)))

    # -- action groups -----------------------------------------------------------------------

    async def list_groups(self, request: Request) -> Response:
        """Every action group; webhook URLs redacted."""
        from kustodian.actions.store import list_groups

        await self.server.authenticate(request, Role.READER)
        return listing(
            [g.to_redacted_json() for g in await run_in_threadpool(list_groups, self.ws)]
        )

    async def get_group(self, request: Request) -> Response:
        """One action group; webhook URLs redacted."""
        await self.server.authenticate(request, Role.READER)
        return JSONResponse((await self._group(request.path_params["name"])).to_redacted_json())

    async def _group(self, name: str) -> ActionGroup:
        from kustodian.actions.store import get_group

        group: ActionGroup = await self._find(
            get_group, name, "ActionGroupNotFound", "action group"
        )
        return group

    async def put_group(self, request: Request) -> Response:
        """Create or replace an action group from ARM JSON, our form as JSON, or YAML."""
        from kustodian.actions import ActionGroup

        return await self._put(request, parse_group, save_group, ActionGroup.to_redacted_json)

    async def delete_group(self, request: Request) -> Response:
        """Delete an action group and its webhook signing secrets."""
        from kustodian.actions.store import delete_group

        await self.server.authenticate(request, Role.CONTRIBUTOR)
        name = request.path_params["name"]
        if not await run_in_threadpool(delete_group, self.ws, name):
            raise not_found("ActionGroupNotFound", f"no action group named '{name}'")
        return Response(status_code=204)

    async def test_group(self, request: Request) -> Response:
        """Send a sample alert to every receiver; each receiver's outcome."""
        from kustodian.actions import test_group

        await self.server.authenticate(request, Role.CONTRIBUTOR)
        name = request.path_params["name"]
        await self._group(name)
        deliveries = await run_in_threadpool(test_group, self.ws, name)
        return listing(
            [
                {
                    "receiver": d.receiver,
                    "kind": d.kind,
                    "target": d.target,
                    "outcome": d.status,
                    "detail": d.detail,
                    "attempts": d.attempts,
                    "httpStatus": d.http_status,
                    "outboxId": d.outbox_id,
                }
                for d in deliveries
            ]
        )

    # -- alerts ------------------------------------------------------------------------------

    async def list_alerts(self, request: Request) -> Response:
        """Alerts, newest first, filtered by the query string."""
        from kustodian.alerts import list_alerts

        await self.server.authenticate(request, Role.READER)
        filters = alert_filters(request.query_params)
        found = await run_in_threadpool(lambda: list_alerts(self.ws, **filters))
        return listing([alert_json(a) for a in found])

    async def get_alert(self, request: Request) -> Response:
        """One alert, with its history."""
        from kustodian.alerts import AlertError, get_alert

        await self.server.authenticate(request, Role.READER)
        alert_id = request.path_params["id"]
        try:
            alert = await run_in_threadpool(get_alert, self.ws, alert_id)
        except AlertError as e:  # a prefix that matches several
            raise bad_request(str(e)) from None
        if alert is None:
            raise not_found("AlertNotFound", f"no alert with id '{alert_id}'")
        return JSONResponse(alert_json(alert, history=True))

    async def acknowledge(self, request: Request) -> Response:
        """Set the alert's user state to Acknowledged."""
        return await self._user_state(request, "Acknowledged")

    async def close(self, request: Request) -> Response:
        """Set the alert's user state to Closed."""
        return await self._user_state(request, "Closed")

    async def _user_state(self, request: Request, state: str) -> Response:
        from kustodian.alerts import AlertError, set_user_state

        who = await self.server.authenticate(request, Role.CONTRIBUTOR)
        alert_id = request.path_params["id"]
        try:
            alert = await run_in_threadpool(
                lambda: set_user_state(self.ws, alert_id, state, by=who.name)
            )
        except AlertError as e:
            if str(e).startswith("no alert"):
                raise not_found("AlertNotFound", str(e)) from None
            raise bad_request(str(e)) from None
        return JSONResponse(alert_json(alert, history=True))

    async def evaluate(self, request: Request) -> Response:
        """Evaluate the enabled rules at `at` (default now); the alerts fired and resolved.
        Their notifications are sent after the answer (`Notifications`)."""
        from kustodian.alerts import evaluate
        from kustodian.alerts.evaluate import configured_delay

        await self.server.authenticate(request, Role.CONTRIBUTOR)
        body = fields(await json_object(request, empty_ok=True), optional={"at"})
        at = instant(body["at"], "at") if body.get("at") is not None else datetime.now(UTC)
        try:
            delay = configured_delay(self.ws)
        except ValueError as e:
            raise bad_request(f"workspace.json: settings.alerts.ingestion_delay: {e}") from None
        changes = await self._call(
            evaluate, self.ws, at, ingestion_delay=delay, notify=self.server.notifications.submit
        )
        return JSONResponse(
            {
                "at": iso(at),
                "fired": [c.alert_id for c in changes if c.change == "Fired"],
                "resolved": [c.alert_id for c in changes if c.change == "Resolved"],
            }
        )

    # -- detections --------------------------------------------------------------------------

    async def list_detections(self, request: Request) -> Response:
        """The built-in detections and their state in this workspace."""
        from kustodian.alerts.detections import detections

        await self.server.authenticate(request, Role.READER)
        return listing(
            [await self._detection_json(d) for d in (await run_in_threadpool(detections)).values()]
        )

    async def get_detection(self, request: Request) -> Response:
        """One built-in detection."""
        await self.server.authenticate(request, Role.READER)
        return JSONResponse(await self._detection_json(self._detection(request)))

    def _detection(self, request: Request) -> Detection:
        from kustodian.alerts import RuleError
        from kustodian.alerts.detections import get_detection

        try:
            return get_detection(request.path_params["id"])
        except RuleError as e:
            raise not_found("DetectionNotFound", str(e)) from None

    async def put_detection(self, request: Request) -> Response:
        """Enable, disable or set the parameters of a built-in detection."""
        from kustodian.alerts.detections import configure

        await self.server.authenticate(request, Role.CONTRIBUTOR)
        d = self._detection(request)
        body = fields(await json_object(request), optional={"enabled", "parameters"})
        enabled = body.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            raise bad_request(f"enabled: {enabled!r} is not true or false")
        params = body.get("parameters")
        if params is not None and not isinstance(params, dict):
            raise bad_request("parameters: expected an object of name: value")
        await self._call(configure, self.ws, d.name, enabled=enabled, params=params)
        return JSONResponse(await self._detection_json(d))

    async def _detection_json(self, d: Detection) -> dict[str, Any]:
        from kustodian.alerts.detections import state

        enabled, values = await run_in_threadpool(state, self.ws, d)
        return {
            "id": d.name,
            "displayName": d.display_name,
            "description": d.description,
            "severity": d.severity,
            "techniques": list(d.mitre),
            "tactics": d.tactics,
            "enabled": enabled,
            "rule": d.rule_name,
            "parameters": [
                {
                    "name": p.name,
                    "description": p.description,
                    "type": p.type,
                    "default": p.default,
                    "value": values[p.name],
                }
                for p in d.parameters.values()
            ],
        }

    # -- ingestion health and the outbox -----------------------------------------------------

    async def ingestion_health(self, request: Request) -> Response:
        """Rows and last arrivals per table, dead letters, connectors' last pulls."""
        from kustodian.workspace import health

        await self.server.authenticate(request, Role.READER)
        report = await run_in_threadpool(health.ingestion_health, self.ws)
        return JSONResponse(health.to_json(report))

    async def outbox(self, request: Request) -> Response:
        """Emails kept locally (no SMTP server configured), newest first."""
        from kustodian.actions.store import outbox

        await self.server.authenticate(request, Role.READER)
        limit = int_param(request.query_params, "limit", 100, 1, 1000)
        messages = await run_in_threadpool(outbox, self.ws, limit)
        return listing(
            [
                {
                    "id": m.id,
                    "to": m.recipient,
                    "subject": m.subject,
                    "created": iso(m.created),
                    "alertId": m.alert_id.rsplit("/", 1)[-1],  # as /alerts/{id} takes it
                    "actionGroup": m.action_group,
                    "body": m.text(),
                }
                for m in messages
            ]
        )


# -- request bodies ----------------------------------------------------------------------------


async def body_of(request: Request) -> bytes:
    """The request body; over 1 MB is refused (413) without reading the rest."""
    from kustodian.server.app import _limited_body

    return await _limited_body(request)


async def json_object(request: Request, *, empty_ok: bool = False) -> dict[str, Any]:
    """The body as a JSON object; 400 naming what is wrong otherwise."""
    raw = await body_of(request)
    if not raw.strip():
        if empty_ok:
            return {}
        raise bad_request("The request body is empty: expected a JSON object")
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise bad_request(f"The request body is not valid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise bad_request("The request body must be a JSON object")
    return doc


def fields(
    body: dict[str, Any],
    *,
    required: frozenset[str] | set[str] = frozenset(),
    optional: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Any]:
    """The body, after checking that it has the required fields and no unknown ones."""
    import difflib

    known = set(required) | set(optional)
    for key in body:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise bad_request(f"{key}: unknown field (fields: {', '.join(sorted(known))}){hint}")
    for key in sorted(required):
        if key not in body:
            raise bad_request(f"{key}: required")
    return body


async def document(request: Request) -> Any:
    """A rule or action group body: YAML when the Content-Type says so, else JSON."""
    import yaml

    raw = await body_of(request)
    if not raw.strip():
        raise bad_request("The request body is empty: expected a JSON or YAML document")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in YAML_TYPES:
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise bad_request(f"The request body is not valid YAML{at}") from None
    if ctype not in ("", "application/json"):
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"Content-Type '{ctype}': send application/json or application/yaml",
        )
    try:
        return json.loads(raw)
    except ValueError as e:
        raise bad_request(f"The request body is not valid JSON: {e}") from None


def parse_rule(doc: Any, name: str) -> Rule:
    """One rule from a body; our form takes its name from the path when it has none."""
    from kustodian.alerts import RuleError, parse_document

    if isinstance(doc, dict) and "type" not in doc and "resources" not in doc:
        doc = {"name": name, **doc}
    rules = parse_document(doc, "body")
    if len(rules) != 1:
        raise RuleError(f"body: {len(rules)} rules; PUT one rule per request")
    if rules[0].name != name:
        raise RuleError(f"body: name: '{rules[0].name}' differs from the name in the path '{name}'")
    return rules[0]


def parse_group(doc: Any, name: str) -> ActionGroup:
    """One action group from a body; our form takes its name from the path when it has none."""
    from kustodian.actions import ActionGroupError, parse_document
    from kustodian.actions.store import group_key

    if isinstance(doc, dict) and not {"type", "resources", "properties", "actionGroups"} & set(doc):
        doc = {"name": name, **doc}
    groups = parse_document(doc, "body")
    if len(groups) != 1:
        raise ActionGroupError(f"body: {len(groups)} action groups; PUT one group per request")
    if group_key(groups[0].name) != group_key(name):
        raise ActionGroupError(
            f"body: name: '{groups[0].name}' differs from the name in the path '{name}'"
        )
    return groups[0]


def save_group(ws: Workspace, group: ActionGroup) -> bool:
    """Save a group from the API; URLs it sends back redacted keep their stored value.
    Webhook signing secrets come from the server's environment (`signingSecretEnv`)."""
    import os

    from kustodian.actions.model import keep_redacted_urls
    from kustodian.actions.store import apply_group, get_group

    group = keep_redacted_urls(group, get_group(ws, group.name))
    return apply_group(ws, group, os.environ, "api")


def whole_days(value: Any, *, nullable: bool) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        what = "a whole number of days" + (" or null" if nullable else "")
        raise bad_request(f"retentionInDays: {value!r} is not {what}")
    return value


def instant(value: Any, field: str) -> datetime:
    from kustodian.timespans import parse_instant

    try:
        return parse_instant(str(value))
    except ValueError:
        raise bad_request(
            f"{field}: {value!r} is not an ISO 8601 instant (e.g. 2024-05-01T12:00:00Z)"
        ) from None


def int_param(params: Mapping[str, str], key: str, default: int, lo: int, hi: int) -> int:
    text = params.get(key)
    if text is None:
        return default
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise bad_request(f"{key}: {text!r} is not a whole number from {lo} to {hi}")
    return int(text)


ALERT_FILTERS = {
    "monitorCondition": ("condition", ("Fired", "Resolved")),
    "userState": ("user_state", ("New", "Acknowledged", "Closed")),
}


def alert_filters(params: Mapping[str, str]) -> dict[str, Any]:
    """`GET /alerts` query parameters → `list_alerts` keyword arguments."""
    known = {"severity", "monitorCondition", "userState", "since", "until", "rule"}
    for key in params:
        if key not in known:
            raise bad_request(f"{key}: unknown query parameter ({', '.join(sorted(known))})")
    out: dict[str, Any] = {"rule": params.get("rule") or None}
    for key, (arg, allowed) in ALERT_FILTERS.items():
        value = params.get(key)
        if value is not None and value.lower() not in (a.lower() for a in allowed):
            raise bad_request(f"{key}: '{value}' is not one of {', '.join(allowed)}")
        out[arg] = value
    severity = params.get("severity")
    if severity is not None:
        digit = severity.removeprefix("Sev").removeprefix("sev")
        if digit not in ("0", "1", "2", "3", "4"):
            raise bad_request(f"severity: '{severity}' is not 0 to 4 (or Sev0 to Sev4)")
        out["severity"] = f"Sev{digit}"
    for key in ("since", "until"):
        if params.get(key):
            out[key] = instant(params[key], key)
    return out


# -- JSON views --------------------------------------------------------------------------------


def listing(items: list[Any]) -> JSONResponse:
    return JSONResponse({"value": items})


def iso(t: datetime | None) -> str | None:
    """ISO 8601 UTC (`2024-06-20T05:00:00Z`; fractions only when there are some)."""
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def alert_json(a: Alert, *, history: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": a.alert_id,
        "rule": a.rule,
        "title": a.title,
        "description": a.description,
        "severity": int(a.severity.removeprefix("Sev")),
        "severityName": a.severity,
        "monitorCondition": a.monitor_condition,
        "userState": a.user_state,
        "stateful": a.stateful,
        "firedTime": iso(a.fired_time),
        "resolvedTime": iso(a.resolved_time),
        "lastModifiedTime": iso(a.last_modified),
        "evaluationTime": iso(a.evaluation_time),
        "windowStart": iso(a.window_start),
        "windowEnd": iso(a.window_end),
        "dimensions": a.dimensions,
        "values": {
            "metricValue": a.metric_value,
            "threshold": a.threshold,
            "operator": a.operator,
            "timeAggregation": a.time_aggregation,
            "metricMeasureColumn": a.metric_measure_column,
        },
        "query": a.query,
        "actionGroups": a.action_groups,
        "actionsSuppressed": a.actions_suppressed,
        "customProperties": a.custom_properties,
    }
    if history:
        doc["history"] = a.history
    return doc


def table_kind(name: str) -> str:
    from kustodian.kql.catalog import entra_tables
    from kustodian.workspace.tables import SYSTEM_TABLES

    if any(t.name == name for t in entra_tables()):
        return "entra"
    if any(t.name == name for t in SYSTEM_TABLES):
        return "system"
    return "custom"


# -- errors ------------------------------------------------------------------------------------


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadArgumentError", message)


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def kql_rule_error(e: Any) -> ApiError:
    """A rule whose query does not compile: the KQL diagnostic (code, line, position, hint) is
    the inner error, as a query's is (errors.kql_error_document)."""
    from kustodian.server.errors import kql_error_document

    doc = kql_error_document(e.error)["error"]
    inner = doc["innererror"]["innererror"] if "innererror" in doc else None
    return ApiError(
        400,
        "BadArgumentError",
        str(e).split("\n", 1)[0],
        details=doc.get("details"),
        innererror=inner,
    )
