"""Built-in identity detections: rule YAML with declared parameters, enabled per workspace.

A detection file is our rule YAML form plus `parameters` (name -> `type` list|int|string|timespan,
`default`, `description`) and `mitre` (ATT&CK technique ids). `{{name}}` in the query is replaced
by the parameter's KQL literal; enabling saves the rule as `builtin-<name>` in the rules store.

A parameter may name a workspace `setting` it defaults to (`trusted_named_locations`: the
trusted named locations' ranges). Enabling without a value for it reads the workspace, and
`refresh(ws)` re-renders the enabled rules after the setting changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import yaml

from kustodian.alerts.model import Rule, RuleError
from kustodian.alerts.parse import parse_document
from kustodian.content import shipped_files

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

PREFIX = "builtin-"
PARAM_TYPES = ("list", "int", "string", "timespan")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_TIMESPAN = re.compile(r"^\d+(\.\d+)?(d|h|m|s|ms)$")
FROM_SETTINGS = "settingParameters"  # customProperties: parameters read from the workspace


def _trusted_named_locations(ws: Workspace) -> list[str]:
    from kustodian.workspace.named_locations import trusted_ranges

    return trusted_ranges(ws)


SETTINGS: dict[str, Callable[[Workspace], Any]] = {
    "trusted_named_locations": _trusted_named_locations,
}

# MITRE ATT&CK tactics of the techniques the shipped detections name (sub-techniques inherit
# their technique's tactics).
TACTICS: dict[str, tuple[str, ...]] = {
    "T1078": ("Defense Evasion", "Persistence", "Privilege Escalation", "Initial Access"),
    "T1098": ("Persistence", "Privilege Escalation"),
    "T1110": ("Credential Access",),
    "T1136": ("Persistence",),
    "T1621": ("Credential Access",),
}


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: str
    default: Any
    description: str = ""
    setting: str | None = None  # a workspace setting the value comes from when not given


@dataclass(frozen=True, slots=True)
class Detection:
    name: str
    display_name: str
    description: str
    mitre: tuple[str, ...]
    parameters: dict[str, Parameter]
    doc: dict[str, Any] = field(repr=False)  # the rule document, placeholders unreplaced

    @property
    def rule_name(self) -> str:
        return PREFIX + self.name

    @property
    def severity(self) -> int:
        return int(self.doc.get("severity", 3))

    @property
    def tactics(self) -> list[str]:
        out: list[str] = []
        for technique in self.mitre:
            for tactic in TACTICS.get(technique.split(".")[0], ()):
                if tactic not in out:
                    out.append(tactic)
        return out

    def to_doc(self) -> dict[str, Any]:
        """The detection file's content: the rule form plus `mitre` and `parameters`."""
        return {
            **self.doc,
            "mitre": list(self.mitre),
            "parameters": {
                n: {"type": p.type, "default": p.default, "description": p.description}
                | ({"setting": p.setting} if p.setting else {})
                for n, p in self.parameters.items()
            },
        }

    def rule(
        self,
        params: dict[str, Any] | None = None,
        *,
        action_groups: list[str] | tuple[str, ...] = (),
        from_settings: list[str] | tuple[str, ...] = (),
    ) -> Rule:
        """The rule with parameters substituted (defaults for those not given).

        Args:
            params: parameter values (text from the command line is coerced).
            action_groups: the action groups its alerts notify.
            from_settings: names of parameters whose values came from workspace settings.
        """
        values = {n: p.default for n, p in self.parameters.items()}
        for k, v in (params or {}).items():
            if k not in self.parameters:
                known = ", ".join(self.parameters) or "none"
                raise RuleError(
                    f"detection '{self.name}': no parameter '{k}' (parameters: {known})"
                )
            values[k] = coerce(self.parameters[k], v, self.name)
        doc = dict(self.doc)
        doc["name"] = self.rule_name
        doc["query"] = _PLACEHOLDER.sub(
            lambda m: literal(self.parameters[m.group(1)], values[m.group(1)]), doc["query"]
        )
        props = dict(doc.get("customProperties") or {})
        props.update(
            {
                "detection": self.name,
                "mitreTechniques": ", ".join(self.mitre),
                **{f"param.{k}": _text(values[k]) for k in sorted(values)},
            }
        )
        if from_settings:
            props[FROM_SETTINGS] = ", ".join(from_settings)
        doc["customProperties"] = props
        if action_groups:
            doc["actionGroups"] = list(action_groups)
        (rule,) = parse_document(doc, f"detection '{self.name}'")
        return rule


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def coerce(p: Parameter, value: Any, where: str) -> Any:
    """A parameter value from YAML or from the command line (`k=a,b` for lists)."""
    w = f"detection '{where}': parameter '{p.name}'"
    if p.type == "list":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise RuleError(f"{w}: expected a list of strings")
        return list(value)
    if p.type == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise RuleError(f"{w}: expected an integer, got {value!r}") from None
    if p.type == "timespan":
        if not isinstance(value, str) or not _TIMESPAN.match(value.strip()):
            raise RuleError(f"{w}: expected a Kusto timespan such as 6h or 1d, got {value!r}")
        return value.strip()
    return str(value)


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(p: Parameter, value: Any) -> str:
    """The KQL text of a value: lists are comma-separated strings (`""` when empty)."""
    if p.type == "list":
        return ", ".join(_quote(v) for v in value) if value else '""'
    if p.type in ("int", "timespan"):
        return str(value)
    return _quote(str(value))


def _parse(text: str, where: str) -> Detection:
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise RuleError(f"{where}: a detection is a mapping")
    doc = dict(doc)
    raw = doc.pop("parameters", None) or {}
    mitre = tuple(doc.pop("mitre", None) or ())
    params: dict[str, Parameter] = {}
    for n, spec in raw.items():
        t = spec.get("type", "string")
        if t not in PARAM_TYPES:
            raise RuleError(f"{where}: parameters.{n}.type: {t!r} is not one of {PARAM_TYPES}")
        setting = spec.get("setting")
        if setting is not None and setting not in SETTINGS:
            raise RuleError(
                f"{where}: parameters.{n}.setting: {setting!r} is not one of {list(SETTINGS)}"
            )
        p = Parameter(n, t, None, str(spec.get("description", "")))
        default = coerce(p, spec.get("default"), where)
        params[n] = Parameter(n, t, default, p.description, setting)
    used = set(_PLACEHOLDER.findall(str(doc.get("query", ""))))
    if used - set(params):
        raise RuleError(f"{where}: query uses undeclared parameters {sorted(used - set(params))}")
    return Detection(
        name=str(doc["name"]),
        display_name=str(doc.get("displayName", "")),
        description=str(doc.get("description", "")),
        mitre=mitre,
        parameters=params,
        doc=doc,
    )


def detections() -> dict[str, Detection]:
    """The shipped detections, by name."""
    out: dict[str, Detection] = {}
    for name, text in shipped_files(__name__, ".yaml"):
        d = _parse(text, name)
        out[d.name] = d
    return out


def get_detection(name: str) -> Detection:
    all_ = detections()
    key = name.removeprefix(PREFIX)
    if key not in all_:
        raise RuleError(f"no detection named '{name}' (detections: {', '.join(all_)})")
    return all_[key]


def enable(
    ws: Workspace,
    name: str,
    params: dict[str, Any] | None = None,
    action_groups: list[str] | tuple[str, ...] = (),
) -> Rule:
    """Save the parameterised rule (compiled first) and enable it; returns the rule.

    Parameters with a workspace `setting` that are not given take the setting's value.
    """
    from kustodian.alerts.store import save_rule

    d = get_detection(name)
    given = dict(params or {})
    from_settings = [n for n, p in d.parameters.items() if p.setting and n not in given]
    for n in from_settings:
        given[n] = SETTINGS[str(d.parameters[n].setting)](ws)
    rule = d.rule(given, action_groups=action_groups, from_settings=from_settings)
    save_rule(ws, rule)
    return rule


def state(ws: Workspace, d: Detection) -> tuple[bool, dict[str, Any]]:
    """Whether the detection is enabled in the workspace, and its parameter values (the saved
    rule's, read back from its `param.*` custom properties; the defaults when never saved)."""
    from kustodian.alerts.store import get_rule

    values = {n: p.default for n, p in d.parameters.items()}
    rule = get_rule(ws, d.rule_name)
    if rule is None:
        return False, values
    for n, p in d.parameters.items():
        saved = rule.custom_properties.get(f"param.{n}")
        if saved is not None:
            values[n] = coerce(p, saved, d.name)
    return rule.enabled, values


def configure(
    ws: Workspace, name: str, *, enabled: bool | None = None, params: dict[str, Any] | None = None
) -> bool:
    """Enable, disable or re-parameterise a detection; parameters not given keep their current
    values. A detection given parameters but not enabled is saved disabled. Returns whether it
    is enabled now.

    Raises:
        RuleError: no such detection or parameter, a bad value, or a query that does not compile.
    """
    from kustodian.alerts.store import get_rule, save_rule, set_enabled

    d = get_detection(name)
    was_enabled, values = state(ws, d)
    target = was_enabled if enabled is None else enabled
    if params or target:
        saved = get_rule(ws, d.rule_name)
        given = {**values, **(params or {})}
        # parameters read from workspace settings stay so unless given a value now
        from_settings = [
            n for n, p in d.parameters.items() if p.setting and n not in (params or {})
        ]
        if saved is not None:
            props = saved.custom_properties.get(FROM_SETTINGS)
            reread = {n.strip() for n in props.split(",")} if props else set()
            from_settings = [n for n in from_settings if n in reread]
        for n in from_settings:
            given[n] = SETTINGS[str(d.parameters[n].setting)](ws)
        groups = saved.action_groups if saved is not None else ()
        rule = d.rule(given, action_groups=groups, from_settings=from_settings)
        save_rule(ws, replace(rule, enabled=target))
    elif was_enabled:
        set_enabled(ws, d.rule_name, False)
    return target


def refresh(ws: Workspace) -> list[str]:
    """Re-render the stored built-in rules that read workspace settings (after a setting
    changed), keeping their other parameters, action groups and enabled state.

    Returns:
        The names of the rules saved again.
    """
    from kustodian.alerts.store import list_rules, save_rule

    done = []
    for r in list_rules(ws):
        props = r.custom_properties
        if not r.name.startswith(PREFIX) or not props.get(FROM_SETTINGS):
            continue
        d = get_detection(r.name)
        reread = {n.strip() for n in props[FROM_SETTINGS].split(",")}
        kept = {
            n: props[f"param.{n}"]
            for n in d.parameters
            if n not in reread and f"param.{n}" in props
        }
        for n in reread:
            kept[n] = SETTINGS[str(d.parameters[n].setting)](ws)
        rule = d.rule(kept, action_groups=r.action_groups, from_settings=sorted(reread))
        save_rule(ws, replace(rule, enabled=r.enabled))
        done.append(r.name)
    return done


def disable(ws: Workspace, name: str) -> None:
    from kustodian.alerts.store import get_rule, set_enabled

    d = get_detection(name)
    if get_rule(ws, d.rule_name) is None:
        raise RuleError(f"detection '{d.name}' is not enabled in this workspace")
    set_enabled(ws, d.rule_name, False)
