"""Alerting: scheduled query rules (Azure Monitor and Sentinel), evaluation, alert instances.

- `model`: the `Rule` (spec §5.1) and its checks; `parse`: rule files (our YAML, ARM JSON,
  Sentinel YAML); `store`: rules, state and the `Alerts` table; `evaluate`: ticks, windows,
  aggregation, fire/resolve; `payload`: the common alert schema (spec §5.3).
"""

from __future__ import annotations

from kustodian.alerts.evaluate import DEFAULT_INGESTION_DELAY, AlertChange, evaluate
from kustodian.alerts.model import Dimension, Rule, RuleError, SentinelSettings
from kustodian.alerts.parse import load_rules, parse_document, parse_text, rule_to_doc
from kustodian.alerts.payload import common_alert_schema
from kustodian.alerts.store import (
    Alert,
    AlertError,
    RuleQueryError,
    delete_rule,
    get_alert,
    get_rule,
    list_alerts,
    list_rules,
    save_rule,
    set_enabled,
    set_user_state,
)

__all__ = [
    "DEFAULT_INGESTION_DELAY",
    "Alert",
    "AlertChange",
    "AlertError",
    "Dimension",
    "Rule",
    "RuleError",
    "RuleQueryError",
    "SentinelSettings",
    "common_alert_schema",
    "delete_rule",
    "evaluate",
    "get_alert",
    "get_rule",
    "list_alerts",
    "list_rules",
    "load_rules",
    "parse_document",
    "parse_text",
    "rule_to_doc",
    "save_rule",
    "set_enabled",
    "set_user_state",
]
