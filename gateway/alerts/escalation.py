"""Escalation of unacknowledged alerts: pure decisions, the notifier does the sending.

An active alert climbs the chain (default: `desk` at once, `station_duty` after 5 minutes,
`bureau_duty` after 15 minutes) until someone acknowledges it; acknowledged and closed alerts
never escalate. The caller keeps `level_done` per alert (how many levels of the chain have been
handled, 0 for a new alert; store it as the alert's `escalation_level`) and calls
`due_escalations` from its timer; every level is returned once, in order, and `level_done` only
ever grows. Which channels reach a level, and the fallback between them, is the notifier's.

The clock starts when the alert was raised: for an active alert that is `changed_at` (the
engine changes `changed_at` only on raise, acknowledge and close).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.alerts.config import EscalationConfig, EscalationLevel
from gateway.alerts.models import Alert

__all__ = [
    "EscalationConfig",
    "EscalationLevel",
    "EscalationStep",
    "due_escalations",
    "level_after",
    "next_escalation_at",
]


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """Notify level `name` (index `level` in the chain) about `alert_id`; it was due at `due_at`.
    After handling it, the alert's `level_done` is `level + 1`."""

    alert_id: str
    level: int
    name: str
    due_at: datetime


def _steps(alert: Alert, level_done: int, config: EscalationConfig) -> list[EscalationStep]:
    """Every level not yet handled that applies to the alert's severity, with its due time."""
    if not config.enabled or alert.state != "active":
        return []
    steps = []
    for index, level in enumerate(config.levels):
        if index < level_done:
            continue
        delay = level.delay_s(alert.severity)
        if delay is None:
            continue
        due = alert.changed_at + timedelta(seconds=delay)
        steps.append(EscalationStep(alert.id, index, level.name, due))
    return steps


def due_escalations(
    alert: Alert, now: datetime, level_done: int, config: EscalationConfig
) -> list[EscalationStep]:
    """The levels to notify now for `alert`: those at index >= `level_done` whose delay (for
    the alert's severity) has elapsed at `now` (exactly at the delay counts), in chain order.
    Empty for an acknowledged or closed alert, or when escalation is disabled. After a gap
    (gateway down) several levels may be due at once; all are returned, each once."""
    return [s for s in _steps(alert, level_done, config) if now >= s.due_at]


def next_escalation_at(alert: Alert, level_done: int, config: EscalationConfig) -> datetime | None:
    """When the next level falls due (for scheduling a timer), or None when none will."""
    steps = _steps(alert, level_done, config)
    return steps[0].due_at if steps else None


def level_after(steps: list[EscalationStep], level_done: int) -> int:
    """The `level_done` to store after handling `steps` (never smaller than before)."""
    return max([level_done, *(s.level + 1 for s in steps)])
