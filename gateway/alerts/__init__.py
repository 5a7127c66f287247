"""Alert rules engine: pure `evaluate(state, input, now)`; see docs/alerts.md."""

from gateway.alerts.config import AlertsConfig, RuleConfig, Severity, default_rule
from gateway.alerts.engine import Input, acknowledge, evaluate, resolve
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

__all__ = [
    "PHONE_REPORT_DUE",
    "WRITTEN_REPORT_DUE",
    "Alert",
    "AlertChange",
    "AlertsConfig",
    "EngineState",
    "Incident",
    "Input",
    "NodeChange",
    "RuleConfig",
    "Severity",
    "Tick",
    "acknowledge",
    "default_rule",
    "evaluate",
    "resolve",
]
