"""Alerts to action groups: the `notify` hook that `evaluate` calls, delivering through
`kustodian.actions.dispatch` (email, webhook, Teams, Slack; outbox without SMTP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace


def notifier(ws: Workspace, **dispatch_options: Any) -> Callable[[list[str], dict[str, Any]], None]:
    """A `notify(action_groups, payload)` for `evaluate` that dispatches to the named groups.

    A rule without action groups notifies nobody. `dispatch_options` go to `dispatch` (clock,
    sleep, timeout) so tests never wait for real retries.
    """
    from kustodian.actions import dispatch

    def notify(action_groups: list[str], payload: dict[str, Any]) -> None:
        if action_groups:
            dispatch(ws, action_groups, payload, **dispatch_options)

    return notify
