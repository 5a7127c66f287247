"""Alert rules engine: pure `evaluate(state, input, now)`, escalation, incident reminders and
restore after a restart; see docs/alerts.md."""

from gateway.alerts.config import (
    AlertsConfig,
    EscalationConfig,
    EscalationLevel,
    RemindersConfig,
    RuleConfig,
    Severity,
    SiteConfig,
    default_rule,
)
from gateway.alerts.engine import Input, acknowledge, evaluate, resolve
from gateway.alerts.escalation import (
    EscalationStep,
    due_escalations,
    level_after,
    next_escalation_at,
)
from gateway.alerts.models import (
    PHONE_REPORT_DUE,
    WRITTEN_REPORT_DUE,
    Alert,
    AlertChange,
    EngineState,
    Incident,
    NodeChange,
    Tick,
)
from gateway.alerts.reminders import Reminder, due_reminders, next_reminder_at
from gateway.alerts.restore import restore_state

__all__ = [
    "PHONE_REPORT_DUE",
    "WRITTEN_REPORT_DUE",
    "Alert",
    "AlertChange",
    "AlertsConfig",
    "EngineState",
    "EscalationConfig",
    "EscalationLevel",
    "EscalationStep",
    "Incident",
    "Input",
    "NodeChange",
    "Reminder",
    "RemindersConfig",
    "RuleConfig",
    "Severity",
    "SiteConfig",
    "Tick",
    "acknowledge",
    "default_rule",
    "due_escalations",
    "due_reminders",
    "evaluate",
    "level_after",
    "next_escalation_at",
    "next_reminder_at",
    "resolve",
    "restore_state",
]
