"""Per-rule configuration of the alert rules engine (pydantic, `extra="forbid"`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "major", "minor", "warning", "info"]

RuleName = Literal[
    "fever_referral",
    "hypothermia_referral",
    "incomplete_check",
    "items_held",
    "device_fault",
    "camera_offline",
    "camera_tamper",
    "night_exit",
    "node_offline",
    "site_link",
    "missing_person",
    "injury",
    "death",
    "disaster",
    "violence",
]

STATEFUL_RULES: frozenset[str] = frozenset(
    {"device_fault", "camera_offline", "camera_tamper", "node_offline", "site_link"}
)
"""Rules over a condition that is raised and later cleared (fault/ok, offline/online, …).
Every other rule is instantaneous: each matching event is one occurrence."""


class RuleConfig(BaseModel):
    """How one rule behaves. Durations are seconds of the injected clock."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="false: the rule never raises an alert")
    severity: Severity = Field("major", description="severity of the alerts this rule raises")
    debounce_s: float = Field(
        0.0,
        ge=0,
        le=86400,
        description="stateful rules: the condition must last this long before an alert is "
        "raised (minimum duration); ignored by instantaneous rules",
    )
    auto_clear_s: float | None = Field(
        None,
        ge=0,
        le=30 * 86400,
        description="quiet period after which an open alert is auto-cleared: for stateful rules "
        "the time the condition must stay cleared (hysteresis); for instantaneous rules the "
        "time without a repeat. None: only a person resolves it",
    )
    incident: bool = Field(False, description="an alert of this rule opens an incident")


_DEFAULTS: dict[str, RuleConfig] = {
    "fever_referral": RuleConfig(severity="major", auto_clear_s=3600),
    "hypothermia_referral": RuleConfig(severity="major", auto_clear_s=3600),
    "incomplete_check": RuleConfig(severity="warning", auto_clear_s=3600),
    "items_held": RuleConfig(severity="info", auto_clear_s=3600),
    "device_fault": RuleConfig(severity="major", debounce_s=30, auto_clear_s=60),
    "camera_offline": RuleConfig(severity="major", debounce_s=60, auto_clear_s=60),
    "camera_tamper": RuleConfig(severity="major", debounce_s=10, auto_clear_s=60),
    "night_exit": RuleConfig(severity="critical"),
    "node_offline": RuleConfig(severity="major", debounce_s=60, auto_clear_s=60),
    "site_link": RuleConfig(severity="critical", debounce_s=60, auto_clear_s=60),
    "missing_person": RuleConfig(severity="critical", incident=True),
    "injury": RuleConfig(severity="critical", incident=True),
    "death": RuleConfig(severity="critical", incident=True),
    "disaster": RuleConfig(severity="critical", incident=True),
    "violence": RuleConfig(severity="critical", incident=True),
}


class AlertsConfig(BaseModel):
    """All rules. A rule not named in `rules` keeps its default (see `default_rule`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: dict[RuleName, RuleConfig] = Field(
        default_factory=dict, description="per-rule overrides, by rule name"
    )
    site_link_window_s: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="when every node of a site (two or more) goes offline within this window, "
        "one site_link alert is raised instead of one node_offline alert per node",
    )

    def rule(self, name: str) -> RuleConfig:
        """The configuration in force for rule `name`."""
        return self.rules.get(name, _DEFAULTS[name])  # type: ignore[call-overload]


def default_rule(name: str) -> RuleConfig:
    """The built-in configuration of rule `name` (KeyError for an unknown rule)."""
    return _DEFAULTS[name]
