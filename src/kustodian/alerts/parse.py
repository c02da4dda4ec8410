"""Rule files: our YAML form, ARM JSON of scheduled query rules, and Sentinel analytic rules.

`load_rules(path)` reads one file and returns its rules; `parse_document(doc, where)` does the
same for an already loaded document. The form is recognised from the content:

- ARM: a `Microsoft.Insights/scheduledQueryRules` resource (api-version 2021-08-01), or a
  template whose `resources[]` holds some; `[parameters('x')]` names take the parameter's
  `defaultValue`.
- Sentinel: a document with `queryFrequency`/`triggerOperator`, or `kind: NRT` (spec §5.4).
- Ours (docs/alert-rules.md): the same fields as ARM's `properties`, flat, plus `name`; one rule
  per document, or a `rules:` list.

Errors are `RuleError("<file>: <field path>: what is wrong")`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from kustodian.alerts.model import (
    Dimension,
    Rule,
    RuleError,
    SentinelSettings,
    iso_duration,
    parse_span,
)

ARM_TYPE = "microsoft.insights/scheduledqueryrules"
SENTINEL_SEVERITY = {"high": 1, "medium": 2, "low": 3, "informational": 4}
SENTINEL_OPERATORS = {
    "gt": "GreaterThan",
    "greaterthan": "GreaterThan",
    "lt": "LessThan",
    "lessthan": "LessThan",
    "eq": "Equals",
    "equal": "Equals",
    "equals": "Equals",
    "ne": "NotEqual",
    "notequal": "NotEqual",
}
NRT_FREQUENCY = timedelta(minutes=1)


def load_rules(path: str | Path) -> list[Rule]:
    """Read a rule file (.json, .yaml, .yml); raises RuleError naming the file and field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise RuleError(f"{p}: cannot read ({e.strerror})") from None
    return parse_text(text, str(p))


def parse_text(text: str, where: str = "rule") -> list[Rule]:
    docs = _load_documents(text, where)
    rules: list[Rule] = []
    for i, doc in enumerate(docs):
        label = where if len(docs) == 1 else f"{where} (document {i + 1})"
        rules.extend(parse_document(doc, label))
    if not rules:
        raise RuleError(f"{where}: no rules found")
    return rules


def _load_documents(text: str, where: str) -> list[Any]:
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as e:
            raise RuleError(f"{where}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise RuleError(f"{where}{pos}: not valid YAML: {problem}") from None


def parse_document(doc: Any, where: str = "rule") -> list[Rule]:
    """The rules in one JSON/YAML document, whichever form it has."""
    if isinstance(doc, list):
        return [r for i, d in enumerate(doc) for r in parse_document(d, f"{where}[{i}]")]
    if not isinstance(doc, dict):
        raise RuleError(f"{where}: expected a mapping (a rule), got {type(doc).__name__}")
    try:
        if "resources" in doc and isinstance(doc["resources"], list):
            return _arm_template(doc)
        if str(doc.get("type", "")).lower() == ARM_TYPE:
            return [_arm_resource(doc, {}, "")]
        if "rules" in doc and isinstance(doc["rules"], list):
            return [_in(f"rules[{i}]", rule_from_doc, d) for i, d in enumerate(doc["rules"])]
        if _is_sentinel(doc):
            return [sentinel_rule(doc)]
        return [rule_from_doc(doc)]
    except RuleError as e:
        raise RuleError(f"{where}: {e}") from None


def _in(prefix: str, fn: Any, *args: Any) -> Any:
    """Call fn; a RuleError's field path gets `prefix.` in front."""
    try:
        return fn(*args)
    except RuleError as e:
        raise RuleError(f"{prefix}.{e}" if prefix else str(e)) from None


def _is_sentinel(doc: Mapping[str, Any]) -> bool:
    return (
        "queryFrequency" in doc
        or "triggerOperator" in doc
        or str(doc.get("kind", "")).lower() == "nrt"
    )


# --- our YAML form -------------------------------------------------------------------------


def rule_from_doc(doc: Any) -> Rule:
    """Our form: ARM's `properties` flattened, with `name`; criteria may be flat or allOf."""
    if not isinstance(doc, dict):
        raise RuleError("expected a mapping of rule fields")
    _no_unknown(doc, _OUR_FIELDS)
    criteria = doc.get("criteria", {})
    if isinstance(criteria, dict) and "allOf" in criteria:
        criteria = _single_condition(criteria["allOf"])
    if not isinstance(criteria, dict):
        raise RuleError("criteria: expected a mapping")
    criteria = dict(criteria)
    _in("criteria", _no_unknown, criteria, _CONDITION_FIELDS)
    query = doc.get("query", criteria.pop("query", None))
    sentinel = doc.get("sentinel")
    return _build(
        doc,
        criteria,
        query,
        name=_str(doc, "name", required=True),
        actions=(doc.get("actionGroups", []), doc.get("customProperties", {})),
        source=str(doc.get("source", "yaml")),
        sentinel=_sentinel_settings(sentinel) if sentinel else None,
    )


_OUR_FIELDS = {
    "name",
    "displayName",
    "description",
    "severity",
    "enabled",
    "query",
    "evaluationFrequency",
    "windowSize",
    "overrideQueryTimeRange",
    "criteria",
    "muteActionsDuration",
    "autoMitigate",
    "actionGroups",
    "customProperties",
    "source",
    "sentinel",
}


_CONDITION_FIELDS = {
    "query",
    "timeAggregation",
    "metricMeasureColumn",
    "resourceIdColumn",
    "operator",
    "threshold",
    "dimensions",
    "failingPeriods",
}


def _no_unknown(doc: Mapping[str, Any], known: set[str]) -> None:
    import difflib

    for key in doc:
        if key in known:
            continue
        if key in _CONDITION_FIELDS:
            raise RuleError(f"{key}: belongs under criteria")
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise RuleError(f"{key}: unknown field{hint}")


def _single_condition(all_of: Any) -> dict[str, Any]:
    if not isinstance(all_of, list) or len(all_of) != 1 or not isinstance(all_of[0], dict):
        raise RuleError("criteria.allOf: log alert rules have exactly one condition")
    return dict(all_of[0])


def _build(
    props: Mapping[str, Any],
    cond: Mapping[str, Any],
    query: Any,
    *,
    name: str,
    actions: tuple[Any, Any],
    source: str,
    sentinel: SentinelSettings | None = None,
) -> Rule:
    c = "criteria.allOf[0]"
    if not isinstance(query, str) or not query.strip():
        raise RuleError(f"{c}.query: required (the KQL text)")
    freq = parse_span(_req(props, "evaluationFrequency"), "evaluationFrequency")
    window = parse_span(props.get("windowSize", iso_duration(freq)), "windowSize")
    override = props.get("overrideQueryTimeRange")
    periods = cond.get("failingPeriods") or {}
    if not isinstance(periods, dict):
        raise RuleError(f"{c}.failingPeriods: expected a mapping")
    groups, custom = actions
    rule = Rule(
        name=name,
        query=query,
        evaluation_frequency=freq,
        window_size=window,
        severity=_int(props, "severity", 3),
        description=str(props.get("description") or ""),
        display_name=str(props.get("displayName") or ""),
        enabled=_bool(props, "enabled", True),
        override_query_time_range=(
            parse_span(override, "overrideQueryTimeRange") if override else None
        ),
        time_aggregation=str(cond.get("timeAggregation", "Count")),
        metric_measure_column=_opt_str(cond, f"{c}.metricMeasureColumn", "metricMeasureColumn"),
        operator=str(cond.get("operator", "GreaterThan")),
        threshold=_float(cond, f"{c}.threshold", "threshold"),
        dimensions=_dimensions(cond.get("dimensions") or [], c),
        evaluation_periods=_int(periods, "numberOfEvaluationPeriods", 1, f"{c}.failingPeriods."),
        min_failing_periods=_int(periods, "minFailingPeriodsToAlert", 1, f"{c}.failingPeriods."),
        mute_actions_duration=_mute(props.get("muteActionsDuration")),
        auto_mitigate=_bool(props, "autoMitigate", True),
        action_groups=_str_list(groups, "actionGroups"),
        custom_properties=_str_map(custom, "customProperties"),
        source=source,
        sentinel=sentinel,
    )
    return rule.validate()


def _mute(value: Any) -> timedelta | None:
    if value in (None, ""):
        return None
    span = parse_span(value, "muteActionsDuration")
    return span if span > timedelta(0) else None


def _dimensions(value: Any, c: str) -> tuple[Dimension, ...]:
    if not isinstance(value, list):
        raise RuleError(f"{c}.dimensions: expected a list")
    out = []
    for i, d in enumerate(value):
        where = f"{c}.dimensions[{i}]"
        if isinstance(d, str):
            out.append(Dimension(d))
            continue
        if not isinstance(d, dict) or not isinstance(d.get("name"), str) or not d["name"]:
            raise RuleError(f"{where}.name: required (a column of the query's results)")
        values = d.get("values", ["*"])
        if not isinstance(values, list):
            raise RuleError(f"{where}.values: expected a list")
        out.append(
            Dimension(d["name"], str(d.get("operator", "Include")), tuple(str(v) for v in values))
        )
    return tuple(out)


# --- field readers: each names its field -------------------------------------------------------


def _req(doc: Mapping[str, Any], key: str) -> Any:
    if doc.get(key) in (None, ""):
        raise RuleError(f"{key}: required")
    return doc[key]


def _str(doc: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = doc.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RuleError(f"{key}: required (a string)" if value is None else f"{key}: expected text")
    return value


def _opt_str(doc: Mapping[str, Any], where: str, key: str) -> str | None:
    value = doc.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RuleError(f"{where}: expected a column name")
    return value


def _int(doc: Mapping[str, Any], key: str, default: int, prefix: str = "") -> int:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RuleError(f"{prefix}{key}: {value!r} is not an integer")
    try:
        return int(value)
    except ValueError:
        raise RuleError(f"{prefix}{key}: {value!r} is not an integer") from None


def _float(doc: Mapping[str, Any], where: str, key: str) -> float:
    value = doc.get(key)
    if value is None:
        raise RuleError(f"{where}: required (a number)")
    if isinstance(value, bool):
        raise RuleError(f"{where}: {value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RuleError(f"{where}: {value!r} is not a number") from None


def _bool(doc: Mapping[str, Any], key: str, default: bool) -> bool:
    value = doc.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise RuleError(f"{key}: {value!r} is not true or false")
    return value


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{where}: expected a list of names or ids")
    return tuple(value)


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuleError(f"{where}: expected a mapping of name: value")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


# --- ARM JSON -------------------------------------------------------------------------------


def _arm_template(doc: Mapping[str, Any]) -> list[Rule]:
    params = doc.get("parameters") or {}
    rules = []
    for i, res in enumerate(doc["resources"]):
        if isinstance(res, dict) and str(res.get("type", "")).lower() == ARM_TYPE:
            rules.append(_arm_resource(res, params, f"resources[{i}]."))
    if not rules:
        raise RuleError(f"resources: no {ARM_TYPE} resource (the template has other kinds only)")
    return rules


_PARAM = re.compile(r"^\[parameters\('([^']+)'\)\]$")


def _resolve(value: Any, params: Mapping[str, Any], where: str) -> Any:
    """ARM expressions: `[parameters('x')]` takes x's defaultValue; others are refused."""
    if isinstance(value, dict):
        return {k: _resolve(v, params, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str) or not value.startswith("[") or value.startswith("[["):
        return value
    m = _PARAM.match(value)
    p = params.get(m.group(1)) if m else None
    if isinstance(p, dict) and "defaultValue" in p:
        return p["defaultValue"]
    raise RuleError(
        f"{where}: the ARM expression {value} cannot be evaluated here; "
        "give the value, or a parameter with a defaultValue"
    )


def _arm_resource(res: Mapping[str, Any], params: Mapping[str, Any], prefix: str) -> Rule:
    res = _resolve(dict(res), params, prefix.rstrip(".") or "resource")
    api = str(res.get("apiVersion", "2021-08-01"))
    if api < "2021-08-01":
        raise RuleError(
            f"{prefix}apiVersion: {api} is the legacy form; use 2021-08-01 or later "
            "(source/schedule/action rules are not imported)"
        )
    props = res.get("properties")
    if not isinstance(props, dict):
        raise RuleError(f"{prefix}properties: required (a mapping)")
    name = res.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleError(f"{prefix}name: required (the rule's name)")
    name = name.rsplit("/", 1)[-1]
    if "enabled" not in props:
        raise RuleError(f"{prefix}properties.enabled: required (true or false)")
    criteria = props.get("criteria")
    if not isinstance(criteria, dict):
        raise RuleError(f"{prefix}properties.criteria: required, with allOf[]")
    actions = props.get("actions") or {}
    if not isinstance(actions, dict):
        raise RuleError(f"{prefix}properties.actions: expected a mapping")
    cond = _in(f"{prefix}properties", _single_condition, criteria.get("allOf"))
    rule: Rule = _in(
        f"{prefix}properties",
        lambda: _build(
            props,
            cond,
            cond.get("query"),
            name=name,
            actions=(actions.get("actionGroups", []), actions.get("customProperties", {})),
            source="arm",
        ),
    )
    return rule


# --- Microsoft Sentinel ---------------------------------------------------------------------


def sentinel_rule(doc: Mapping[str, Any]) -> Rule:
    """A Sentinel scheduled or NRT analytic rule, as the Azure Monitor model (spec §5.4).

    The trigger compares the number of result rows with triggerThreshold over queryPeriod, at
    every queryFrequency (NRT: every minute over the last minute). Alerts are stateless: each
    evaluation that triggers makes new alerts, as Sentinel does.
    """
    kind = str(doc.get("kind", "Scheduled"))
    if kind.lower() not in ("scheduled", "nrt"):
        raise RuleError(f"kind: '{kind}' is not Scheduled or NRT")
    nrt = kind.lower() == "nrt"
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleError("name: required")
    if nrt:
        freq = period = NRT_FREQUENCY
    else:
        freq = parse_span(_req(doc, "queryFrequency"), "queryFrequency")
        period = parse_span(_req(doc, "queryPeriod"), "queryPeriod")
    op_text = str(doc.get("triggerOperator", "gt"))
    operator = SENTINEL_OPERATORS.get(op_text.lower())
    if operator is None:
        raise RuleError(f"triggerOperator: '{op_text}' is not gt, lt, eq or ne")
    severity_text = str(doc.get("severity", "Medium"))
    severity = SENTINEL_SEVERITY.get(severity_text.lower())
    if severity is None:
        raise RuleError(f"severity: '{severity_text}' is not Informational, Low, Medium or High")
    rule = Rule(
        name=_clean_name(name),
        query=_sentinel_query(doc),
        evaluation_frequency=freq,
        window_size=period,
        severity=severity,
        description=str(doc.get("description") or "").strip().strip("'"),
        display_name=name,
        enabled=str(doc.get("status", "Available")).lower() != "disabled",
        operator=operator,
        threshold=_float(doc, "triggerThreshold", "triggerThreshold")
        if "triggerThreshold" in doc
        else 0.0,
        auto_mitigate=False,
        source="sentinel",
        sentinel=_sentinel_settings(
            {
                "id": doc.get("id", ""),
                "kind": "NRT" if nrt else "Scheduled",
                **_sentinel_extras(doc),
            }
        ),
    )
    return rule.validate()


def _clean_name(name: str) -> str:
    return re.sub(r"[<>*%&:\\?+/#|]", "-", name.strip())


def _sentinel_query(doc: Mapping[str, Any]) -> str:
    query = doc.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RuleError("query: required (the KQL text)")
    return query


def _sentinel_extras(doc: Mapping[str, Any]) -> dict[str, Any]:
    grouping = doc.get("eventGroupingSettings") or {}
    if not isinstance(grouping, dict):
        raise RuleError("eventGroupingSettings: expected a mapping")
    return {
        "aggregationKind": grouping.get("aggregationKind", "SingleAlert"),
        "suppressionEnabled": doc.get("suppressionEnabled", False),
        "suppressionDuration": doc.get("suppressionDuration"),
        "tactics": doc.get("tactics") or [],
        "relevantTechniques": doc.get("relevantTechniques") or [],
        "entityMappings": doc.get("entityMappings") or [],
        "customDetails": doc.get("customDetails") or {},
        "alertDetailsOverride": doc.get("alertDetailsOverride") or {},
        "version": doc.get("version", ""),
    }


def _sentinel_settings(doc: Any) -> SentinelSettings:
    if not isinstance(doc, dict):
        raise RuleError("sentinel: expected a mapping")
    kind = str(doc.get("aggregationKind", "SingleAlert"))
    if kind not in ("SingleAlert", "AlertPerResult"):
        raise RuleError(
            f"eventGroupingSettings.aggregationKind: '{kind}' is not SingleAlert or AlertPerResult"
        )
    enabled = doc.get("suppressionEnabled", False)
    if not isinstance(enabled, bool):
        raise RuleError(f"suppressionEnabled: {enabled!r} is not true or false")
    duration = doc.get("suppressionDuration")
    suppression = parse_span(duration, "suppressionDuration") if duration else None
    mappings = doc.get("entityMappings") or []
    if not isinstance(mappings, list) or not all(isinstance(m, dict) for m in mappings):
        raise RuleError("entityMappings: expected a list of {entityType, fieldMappings}")
    for i, m in enumerate(mappings):
        if not isinstance(m.get("fieldMappings"), list):
            raise RuleError(f"entityMappings[{i}].fieldMappings: expected a list")
    override = doc.get("alertDetailsOverride") or {}
    if not isinstance(override, dict):
        raise RuleError("alertDetailsOverride: expected a mapping")
    return SentinelSettings(
        id=str(doc.get("id") or ""),
        kind=str(doc.get("kind", "Scheduled")),
        aggregation_kind=kind,
        suppression_enabled=enabled,
        suppression_duration=suppression,
        tactics=_str_list(doc.get("tactics"), "tactics"),
        techniques=_str_list(doc.get("relevantTechniques"), "relevantTechniques"),
        entity_mappings=tuple(mappings),
        custom_details=_str_map(doc.get("customDetails"), "customDetails"),
        alert_details_override=_str_map(override, "alertDetailsOverride"),
        version=str(doc.get("version") or ""),
    )


# --- back to a document (storage, `rules show`) -------------------------------------------


def rule_to_doc(rule: Rule) -> dict[str, Any]:
    """Our form of a rule; `rule_from_doc(rule_to_doc(r)) == r`."""
    cond: dict[str, Any] = {
        "timeAggregation": rule.time_aggregation,
        "operator": rule.operator,
        "threshold": rule.threshold,
    }
    if rule.metric_measure_column:
        cond["metricMeasureColumn"] = rule.metric_measure_column
    if rule.dimensions:
        cond["dimensions"] = [
            {"name": d.name, "operator": d.operator, "values": list(d.values)}
            for d in rule.dimensions
        ]
    cond["failingPeriods"] = {
        "numberOfEvaluationPeriods": rule.evaluation_periods,
        "minFailingPeriodsToAlert": rule.min_failing_periods,
    }
    doc: dict[str, Any] = {
        "name": rule.name,
        "displayName": rule.display_name,
        "description": rule.description,
        "severity": rule.severity,
        "enabled": rule.enabled,
        "query": rule.query,
        "evaluationFrequency": iso_duration(rule.evaluation_frequency),
        "windowSize": iso_duration(rule.window_size),
        "criteria": cond,
        "autoMitigate": rule.auto_mitigate,
        "actionGroups": list(rule.action_groups),
        "customProperties": dict(rule.custom_properties),
        "source": rule.source,
    }
    if rule.override_query_time_range:
        doc["overrideQueryTimeRange"] = iso_duration(rule.override_query_time_range)
    if rule.mute_actions_duration:
        doc["muteActionsDuration"] = iso_duration(rule.mute_actions_duration)
    if rule.sentinel is not None:
        doc["sentinel"] = _sentinel_doc(rule.sentinel)
    return doc


def _sentinel_doc(s: SentinelSettings) -> dict[str, Any]:
    return {
        "id": s.id,
        "kind": s.kind,
        "aggregationKind": s.aggregation_kind,
        "suppressionEnabled": s.suppression_enabled,
        "suppressionDuration": iso_duration(s.suppression_duration)
        if s.suppression_duration
        else None,
        "tactics": list(s.tactics),
        "relevantTechniques": list(s.techniques),
        "entityMappings": list(s.entity_mappings),
        "customDetails": dict(s.custom_details),
        "alertDetailsOverride": dict(s.alert_details_override),
        "version": s.version,
    }
