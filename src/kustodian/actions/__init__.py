"""Action groups and notifications: email (SMTP or a local outbox), webhooks, Teams, Slack.

The alert evaluator calls `dispatch(ws, action_groups, payload)` with a common alert schema
payload; see dispatch.py for the statuses and docs/action-groups.md for the file forms.
"""

from __future__ import annotations

from kustodian.actions.dispatch import Delivery, dispatch, test_group
from kustodian.actions.model import (
    ActionGroup,
    ActionGroupError,
    Receiver,
    ReceiverKind,
    load_file,
    parse_document,
    parse_text,
)

__all__ = [
    "ActionGroup",
    "ActionGroupError",
    "Delivery",
    "Receiver",
    "ReceiverKind",
    "dispatch",
    "load_file",
    "parse_document",
    "parse_text",
    "test_group",
]
