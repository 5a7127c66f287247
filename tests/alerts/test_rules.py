"""Every rule raises the alert it should, and nothing for events that do not match."""

from __future__ import annotations

import pytest

from gateway.alerts import AlertsConfig, EngineState, RuleConfig, Tick, evaluate
from tests.alerts.helpers import T0, Engine, check, event, manual


@pytest.mark.parametrize(
    ("outcome", "rule", "severity"),
    [
        ("fever_referral", "fever_referral", "major"),
        ("hypothermia_referral", "hypothermia_referral", "major"),
        ("incomplete", "incomplete_check", "warning"),
        ("items_held", "items_held", "info"),
    ],
)
def test_check_outcomes_raise_their_rule(outcome: str, rule: str, severity: str) -> None:
    eng = Engine()
    ev = check(outcome)
    changes = eng.at(0, ev)
    assert [c.kind for c in changes] == ["raised"]
    alert = changes[0].alert
    assert (alert.rule, alert.severity, alert.site, alert.node, alert.device) == (
        rule,
        severity,
        "s1",
        "n1",
        "desk",
    )
    assert alert.state == "active" and alert.count == 1 and alert.event_id == ev.id
    assert changes[0].incident is None


@pytest.mark.parametrize("outcome", ["cleared", "refused"])
def test_ordinary_check_outcomes_raise_nothing(outcome: str) -> None:
    eng = Engine()
    assert eng.at(0, check(outcome)) == []
    assert eng.state.alerts == {}


def test_disabled_rule_raises_nothing_and_severity_is_configurable() -> None:
    cfg = AlertsConfig(
        rules={
            "fever_referral": RuleConfig(enabled=False),
            "items_held": RuleConfig(severity="critical"),
        }
    )
    eng = Engine(cfg)
    assert eng.at(0, check("fever_referral")) == []
    assert eng.at(1, check("items_held"))[0].alert.severity == "critical"


def test_config_rejects_unknown_keys_and_rules() -> None:
    with pytest.raises(ValueError, match="extra"):
        RuleConfig.model_validate({"enabled": True, "debounce": 3})
    with pytest.raises(ValueError):
        AlertsConfig.model_validate({"rules": {"no_such_rule": {}}})
    with pytest.raises(ValueError):
        RuleConfig(severity="urgent")  # type: ignore[arg-type]


def test_night_exit_only_for_outward_crossings_at_night() -> None:
    eng = Engine()
    base = {"camera": "cam1", "line": "door"}
    assert eng.at(0, event("line_cross", {**base, "direction": "out", "night": False})) == []
    assert eng.at(1, event("line_cross", {**base, "direction": "in", "night": True})) == []
    changes = eng.at(2, event("line_cross", {**base, "direction": "out", "night": True}))
    assert [(c.kind, c.alert.rule, c.alert.device, c.alert.severity) for c in changes] == [
        ("raised", "night_exit", "cam1", "critical")
    ]


@pytest.mark.parametrize("category", ["missing_person", "injury", "death", "disaster", "violence"])
def test_manual_reports_raise_critical_alert_and_open_incident(category: str) -> None:
    eng = Engine()
    changes = eng.at(0, manual(category, person="p-17"))
    assert len(changes) == 1
    alert, incident = changes[0].alert, changes[0].incident
    assert alert.rule == category and alert.severity == "critical" and alert.subject == "p-17"
    assert incident is not None and incident.category == category
    assert incident.alert_id == alert.id
    assert eng.state.incidents == {incident.id: incident}


def test_manual_other_raises_nothing() -> None:
    eng = Engine()
    assert eng.at(0, manual("other")) == []


def test_irrelevant_event_kinds_raise_nothing() -> None:
    eng = Engine()
    assert eng.at(0, event("motion", {"camera": "cam1", "active": True})) == []
    assert eng.at(0, event("door", {"door": "front", "open": True})) == []
    assert eng.at(0, event("people", {"camera": "cam1", "count": 3})) == []


def test_evaluate_does_not_mutate_the_given_state() -> None:
    state = EngineState()
    new, changes = evaluate(state, check("fever_referral"), T0)
    assert changes and new.alerts and state.alerts == {}
    again, _ = evaluate(new, Tick(), T0)
    assert again.alerts == new.alerts and again is not new
