"""Action groups: who is notified when an alert fires, and how.

Two input forms describe the same model (docs/action-groups.md):

- the ARM JSON of `Microsoft.Insights/actionGroups` (api-version 2021-09-01), a single resource
  or a deployment template with `resources[]`; Teams and Slack incoming webhooks are
  `webhookReceivers` whose `serviceUri` host is `*.webhook.office.com` or `hooks.slack.com`
  (or that carry our extension property `kustodianKind`);
- our YAML form: `name`, `shortName`, `enabled`, `email[]`, `webhook[]`, `teams[]`, `slack[]`.

Every error names the file and the field (`groups.yaml: actionGroups[0].email[1].address: ...`).
The stored form of a group is its YAML form as JSON (`ActionGroup.to_json`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SHORT_NAME_MAX = 12
MAX_EMAIL_RECEIVERS = 1000
MAX_WEBHOOK_RECEIVERS = 10  # webhooks, Teams and Slack together, as Azure counts webhooks
ARM_TYPE = "microsoft.insights/actiongroups"

# Receiver lists of the ARM resource that Kustodian cannot deliver to; non-empty is an error.
UNSUPPORTED_ARM_RECEIVERS = (
    "smsReceivers",
    "voiceReceivers",
    "azureAppPushReceivers",
    "azureFunctionReceivers",
    "logicAppReceivers",
    "eventHubReceivers",
    "armRoleReceivers",
    "automationRunbookReceivers",
    "itsmReceivers",
)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,259}$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ActionGroupError(ValueError):
    """An action group definition is invalid; the message names the file and the field."""


class ReceiverKind(StrEnum):
    EMAIL = "Email"
    WEBHOOK = "Webhook"
    TEAMS = "Teams"
    SLACK = "Slack"


@dataclass(frozen=True, slots=True)
class Receiver:
    """One notification target of a group.

    Args:
        target: the email address, or the webhook URL (which may hold a secret token: it is
            never printed or recorded whole, see `display_target`).
        signing_secret_env: webhooks only: the environment variable whose value is stored as
            the HMAC signing secret when the group is applied.
    """

    kind: ReceiverKind
    name: str
    target: str
    use_common_alert_schema: bool = True
    signing_secret_env: str | None = None

    @property
    def display_target(self) -> str:
        if self.kind is ReceiverKind.EMAIL:
            return self.target
        return redact_url(self.target)


@dataclass(frozen=True, slots=True)
class ActionGroup:
    name: str
    short_name: str
    enabled: bool = True
    receivers: tuple[Receiver, ...] = field(default_factory=tuple)

    def by_kind(self, kind: ReceiverKind) -> list[Receiver]:
        return [r for r in self.receivers if r.kind is kind]

    def to_json(self) -> dict[str, Any]:
        """The YAML form of the group (also how it is stored)."""
        doc: dict[str, Any] = {
            "name": self.name,
            "shortName": self.short_name,
            "enabled": self.enabled,
        }
        for kind, key in _YAML_LISTS.items():
            items = [_receiver_json(r) for r in self.by_kind(kind)]
            if items:
                doc[key] = items
        return doc

    def to_redacted_json(self) -> dict[str, Any]:
        """The YAML form with webhook URLs redacted (Teams and Slack URLs are credentials)."""
        doc = self.to_json()
        for items in doc.values():
            if isinstance(items, list):
                for item in items:
                    if "url" in item:
                        item["url"] = redact_url(item["url"])
        return doc


_YAML_LISTS = {
    ReceiverKind.EMAIL: "email",
    ReceiverKind.WEBHOOK: "webhook",
    ReceiverKind.TEAMS: "teams",
    ReceiverKind.SLACK: "slack",
}


def _receiver_json(r: Receiver) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": r.name}
    if r.kind is ReceiverKind.EMAIL:
        doc["address"] = r.target
    else:
        doc["url"] = r.target
    if r.kind in (ReceiverKind.EMAIL, ReceiverKind.WEBHOOK):
        doc["useCommonAlertSchema"] = r.use_common_alert_schema
    if r.signing_secret_env:
        doc["signingSecretEnv"] = r.signing_secret_env
    return doc


def redact_url(url: str) -> str:
    """A webhook URL without credentials, path or query (Slack and Teams URLs are secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    rest = "/..." if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def keep_redacted_urls(group: ActionGroup, previous: ActionGroup | None) -> ActionGroup:
    """The group, with each webhook URL that is the redacted form of the same receiver's stored
    URL replaced by the stored one: a group read back (URLs redacted) and saved again keeps its
    secret URLs."""
    if previous is None:
        return group
    stored = {(r.kind, r.name.lower()): r.target for r in previous.receivers}
    receivers = []
    for r in group.receivers:
        old = stored.get((r.kind, r.name.lower()))
        if r.kind is not ReceiverKind.EMAIL and old is not None and r.target == redact_url(old):
            r = replace(r, target=old)
        receivers.append(r)
    return replace(group, receivers=tuple(receivers))


def kind_of_url(url: str) -> ReceiverKind:
    """Teams and Slack incoming webhooks are known by their host; anything else is a webhook."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(".webhook.office.com") or host == "outlook.office.com":
        return ReceiverKind.TEAMS
    if host == "hooks.slack.com":
        return ReceiverKind.SLACK
    return ReceiverKind.WEBHOOK


# -- reading files -----------------------------------------------------------------------------


def load_file(path: str | Path) -> list[ActionGroup]:
    """Action groups from a JSON (ARM, or our form) or YAML (our form, or ARM) file.

    Raises:
        ActionGroupError: the file cannot be read or a field is invalid.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ActionGroupError(f"{p}: cannot read the file ({e.strerror})") from None
    return parse_text(text, str(p))


def parse_text(text: str, where: str = "input") -> list[ActionGroup]:
    if where.endswith(".json") or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise ActionGroupError(
                f"{where}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
            ) from None
    else:
        doc = _load_yaml(text, where)
    return parse_document(doc, where)


def _load_yaml(text: str, where: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ActionGroupError(f"{where}: not valid YAML{at}: {problem}") from None


def parse_document(doc: Any, where: str = "input") -> list[ActionGroup]:
    """Groups from a parsed document: an ARM resource or template, or our YAML form."""
    if not isinstance(doc, dict):
        raise ActionGroupError(f"{where}: expected a mapping (an action group or a template)")
    if "resources" in doc or "properties" in doc or "type" in doc:
        groups = parse_arm(doc, where)
    elif "actionGroups" in doc:
        items = _list(doc, "actionGroups", where, "")
        groups = [parse_yaml_group(g, where, f"actionGroups[{i}]") for i, g in enumerate(items)]
    else:
        groups = [parse_yaml_group(doc, where, "")]
    if not groups:
        raise ActionGroupError(f"{where}: no action group found")
    seen: set[str] = set()
    for g in groups:
        if g.name.lower() in seen:
            raise ActionGroupError(f"{where}: action group '{g.name}' is defined twice")
        seen.add(g.name.lower())
    return groups


# -- our YAML form -------------------------------------------------------------------------------


def parse_yaml_group(doc: Any, where: str, at: str) -> ActionGroup:
    if not isinstance(doc, dict):
        raise _err(where, at, "expected a mapping with name, shortName and receivers")
    _known(doc, {"name", "shortName", "enabled", "email", "webhook", "teams", "slack"}, where, at)
    name = _name(doc, "name", where, at)
    short = _short_name(doc.get("shortName", name[:SHORT_NAME_MAX]), where, _join(at, "shortName"))
    enabled = _bool(doc, "enabled", True, where, at)
    receivers: list[Receiver] = []
    for kind, key in _YAML_LISTS.items():
        for i, item in enumerate(_list(doc, key, where, at)):
            receivers.append(_yaml_receiver(kind, item, where, _join(at, f"{key}[{i}]")))
    return _group(name, short, enabled, receivers, where, at)


def _yaml_receiver(kind: ReceiverKind, doc: Any, where: str, at: str) -> Receiver:
    if not isinstance(doc, dict):
        raise _err(where, at, "expected a mapping")
    if kind is ReceiverKind.EMAIL:
        _known(doc, {"name", "address", "useCommonAlertSchema"}, where, at)
        address = _email(doc, "address", where, at)
        return Receiver(
            kind,
            _name(doc, "name", where, at),
            address,
            _bool(doc, "useCommonAlertSchema", True, where, at),
        )
    allowed = {"name", "url"}
    if kind is ReceiverKind.WEBHOOK:
        allowed |= {"useCommonAlertSchema", "signingSecretEnv"}
    _known(doc, allowed, where, at)
    return Receiver(
        kind,
        _name(doc, "name", where, at),
        _url(doc, "url", where, at),
        _bool(doc, "useCommonAlertSchema", True, where, at),
        _env_name(doc, "signingSecretEnv", where, at),
    )


# -- ARM JSON ------------------------------------------------------------------------------------


def parse_arm(doc: dict[str, Any], where: str) -> list[ActionGroup]:
    """An ARM resource of type Microsoft.Insights/actionGroups, or a template holding some."""
    if "resources" in doc:
        resources = _list(doc, "resources", where, "")
        groups = []
        for i, res in enumerate(resources):
            at = f"resources[{i}]"
            if not isinstance(res, dict):
                raise _err(where, at, "expected a resource object")
            if str(res.get("type", "")).lower() == ARM_TYPE:
                groups.append(_arm_group(res, where, at))
        return groups
    return [_arm_group(doc, where, "")]


def _arm_group(res: dict[str, Any], where: str, at: str) -> ActionGroup:
    rtype = res.get("type")
    if rtype is not None and str(rtype).lower() != ARM_TYPE:
        raise _err(where, _join(at, "type"), f"'{rtype}' is not Microsoft.Insights/actionGroups")
    name = _name(res, "name", where, at)
    if name.startswith("["):
        raise _err(
            where,
            _join(at, "name"),
            f"'{name}' is a template expression; give the group's literal name",
        )
    pat = _join(at, "properties")
    props = res.get("properties")
    if not isinstance(props, dict):
        raise _err(where, pat, "expected an object with groupShortName and the receivers")
    short = _short_name(props.get("groupShortName"), where, _join(pat, "groupShortName"))
    enabled = _bool(props, "enabled", True, where, pat)
    for key in UNSUPPORTED_ARM_RECEIVERS:
        if _list(props, key, where, pat):
            raise _err(
                where,
                _join(pat, key),
                "this receiver kind is not supported; Kustodian delivers to emailReceivers "
                "and webhookReceivers (including Teams and Slack incoming webhooks)",
            )
    receivers: list[Receiver] = []
    for i, item in enumerate(_list(props, "emailReceivers", where, pat)):
        receivers.append(_arm_email(item, where, _join(pat, f"emailReceivers[{i}]")))
    for i, item in enumerate(_list(props, "webhookReceivers", where, pat)):
        receivers.append(_arm_webhook(item, where, _join(pat, f"webhookReceivers[{i}]")))
    return _group(name, short, enabled, receivers, where, at)


def _arm_email(doc: Any, where: str, at: str) -> Receiver:
    if not isinstance(doc, dict):
        raise _err(where, at, "expected an object with name and emailAddress")
    return Receiver(
        ReceiverKind.EMAIL,
        _name(doc, "name", where, at),
        _email(doc, "emailAddress", where, at),
        _bool(doc, "useCommonAlertSchema", False, where, at),
    )


def _arm_webhook(doc: Any, where: str, at: str) -> Receiver:
    if not isinstance(doc, dict):
        raise _err(where, at, "expected an object with name and serviceUri")
    if _bool(doc, "useAadAuth", False, where, at):
        raise _err(
            where,
            _join(at, "useAadAuth"),
            "Entra ID (AAD) authenticated webhooks are not supported; sign the webhook "
            "with signingSecretEnv (HMAC) or put basic-auth credentials in the URI",
        )
    url = _url(doc, "serviceUri", where, at)
    kind = kind_of_url(url)
    ext = doc.get("kustodianKind")
    if ext is not None:
        try:
            kind = ReceiverKind(str(ext).capitalize())
        except ValueError:
            raise _err(
                where, _join(at, "kustodianKind"), f"'{ext}': expected webhook, teams or slack"
            ) from None
        if kind is ReceiverKind.EMAIL:
            raise _err(where, _join(at, "kustodianKind"), "'email' is not a webhook kind")
    env = _env_name(doc, "signingSecretEnv", where, at)
    if env and kind is not ReceiverKind.WEBHOOK:
        raise _err(where, _join(at, "signingSecretEnv"), "only plain webhooks are signed")
    common = _bool(doc, "useCommonAlertSchema", False, where, at)
    # Teams and Slack get cards whatever the flag says; keep the model's canonical value
    return Receiver(
        kind, _name(doc, "name", where, at), url, common or kind is not ReceiverKind.WEBHOOK, env
    )


# -- checks shared by both forms ------------------------------------------------------------------


def _group(
    name: str, short: str, enabled: bool, receivers: list[Receiver], where: str, at: str
) -> ActionGroup:
    names: set[str] = set()
    for r in receivers:
        if r.name.lower() in names:
            raise _err(where, at, f"receiver name '{r.name}' is used twice; names must be unique")
        names.add(r.name.lower())
    emails = sum(1 for r in receivers if r.kind is ReceiverKind.EMAIL)
    hooks = len(receivers) - emails
    if emails > MAX_EMAIL_RECEIVERS:
        raise _err(where, at, f"{emails} email receivers; at most {MAX_EMAIL_RECEIVERS}")
    if hooks > MAX_WEBHOOK_RECEIVERS:
        raise _err(
            where, at, f"{hooks} webhook receivers (with Teams and Slack); at most 10 per group"
        )
    return ActionGroup(name, short, enabled, tuple(receivers))


def _join(at: str, key: str) -> str:
    if not at:
        return key
    return f"{at}{key}" if key.startswith("[") else f"{at}.{key}"


def _err(where: str, at: str, message: str) -> ActionGroupError:
    return ActionGroupError(f"{where}: {at}: {message}" if at else f"{where}: {message}")


def _known(doc: dict[str, Any], allowed: set[str], where: str, at: str) -> None:
    for key in doc:
        if key not in allowed:
            expected = ", ".join(sorted(allowed))
            raise _err(where, _join(at, str(key)), f"unknown field (expected one of: {expected})")


def _name(doc: dict[str, Any], key: str, where: str, at: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _err(where, _join(at, key), "required: a non-empty name")
    if not value.startswith("[") and not _NAME.match(value):
        raise _err(
            where,
            _join(at, key),
            f"'{value}': use letters, digits, spaces and . _ - ( ) (up to 260 characters)",
        )
    return value


def _short_name(value: Any, where: str, at: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _err(where, at, "required: a short name of 1 to 12 characters")
    if len(value) > SHORT_NAME_MAX:
        raise _err(
            where,
            at,
            f"'{value}' has {len(value)} characters; at most {SHORT_NAME_MAX} "
            "(it is shown in SMS and email subjects)",
        )
    return value


def _bool(doc: dict[str, Any], key: str, default: bool, where: str, at: str) -> bool:
    value = doc.get(key, default)
    if not isinstance(value, bool):
        raise _err(where, _join(at, key), f"{value!r}: expected true or false")
    return value


def _list(doc: dict[str, Any], key: str, where: str, at: str) -> list[Any]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _err(where, _join(at, key), "expected a list")
    return value


def _email(doc: dict[str, Any], key: str, where: str, at: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise _err(where, _join(at, key), f"{value!r} is not an email address")
    return value.strip()


def _url(doc: dict[str, Any], key: str, where: str, at: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise _err(where, _join(at, key), "required: an http(s) URL")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _err(where, _join(at, key), "expected an http:// or https:// URL with a host")
    return value.strip()


def _env_name(doc: dict[str, Any], key: str, where: str, at: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _ENV.match(value):
        raise _err(where, _join(at, key), f"{value!r}: expected an environment variable name")
    return value


__all__ = [
    "ActionGroup",
    "ActionGroupError",
    "Receiver",
    "ReceiverKind",
    "kind_of_url",
    "load_file",
    "parse_document",
    "parse_text",
    "redact_url",
]
