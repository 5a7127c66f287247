"""Dedup, acknowledge/resolve, new ids, debounce, auto-clear and hysteresis with a fake clock."""

from __future__ import annotations

from gateway.alerts import AlertsConfig, RuleConfig, Tick, acknowledge, resolve
from tests.alerts.helpers import Engine, check, check_of, event, t

CHECK = "01JCHECK0000000000000000AA"


def fault(state: str, device: str = "therm1") -> object:
    return event("fault", {"state": state, "error": "no reply"}, device=device)


def test_repeat_counts_on_the_same_open_alert() -> None:
    """A repeat is the same key again: for a per-person rule, the same check redelivered."""
    eng = Engine()
    first = eng.at(0, check_of(CHECK, "fever_referral"))[0].alert
    second = eng.at(5, check_of(CHECK, "fever_referral"))
    assert [c.kind for c in second] == ["repeated"]
    alert = second[0].alert
    assert alert.id == first.id and alert.count == 2
    assert alert.first_at == first.first_at and alert.last_at > first.last_at
    assert len(eng.open_alerts()) == 1


def test_different_devices_are_different_alerts() -> None:
    eng = Engine()
    eng.at(0, check("fever_referral", device="desk-a"))
    eng.at(0, check("fever_referral", device="desk-b"))
    assert len(eng.open_alerts("fever_referral")) == 2


def test_acknowledged_alert_still_counts_repeats() -> None:
    eng = Engine()
    alert = eng.at(0, check_of(CHECK, "items_held"))[0].alert
    eng.state, changes = acknowledge(eng.state, alert.id, t(1), by="desk-officer")
    assert (
        changes[0].alert.state == "acknowledged" and changes[0].alert.changed_by == "desk-officer"
    )
    repeated = eng.at(2, check_of(CHECK, "items_held"))[0].alert
    assert repeated.id == alert.id and repeated.count == 2 and repeated.state == "acknowledged"


def test_new_id_after_resolution_never_reused() -> None:
    eng = Engine()
    ids = []
    for i in range(3):
        alert = eng.at(i * 10, check("fever_referral"))[0].alert
        eng.state, changes = resolve(eng.state, alert.id, t(i * 10 + 1), by="duty")
        assert changes[0].kind == "resolved" and changes[0].alert.state == "resolved"
        ids.append(alert.id)
    assert len(set(ids)) == 3
    assert eng.state.alerts == {}


def test_resolve_or_ack_unknown_id_changes_nothing() -> None:
    eng = Engine()
    eng.at(0, check("fever_referral"))
    before = eng.state
    assert resolve(before, "nope", t(1), by="x") == (before, [])
    assert acknowledge(before, "nope", t(1), by="x") == (before, [])


def test_instantaneous_auto_clear_after_quiet_period_counts_from_last_repeat() -> None:
    cfg = AlertsConfig(rules={"incomplete_check": RuleConfig(auto_clear_s=60)})
    eng = Engine(cfg)
    first = eng.at(0, check_of(CHECK, "incomplete"))[0].alert
    eng.at(50, check_of(CHECK, "incomplete"))
    assert eng.at(109, Tick()) == []  # 59 s after the repeat: still quiet period
    changes = eng.at(110, Tick())
    assert [(c.kind, c.alert.id) for c in changes] == [("auto_cleared", first.id)]
    again = eng.at(111, check_of(CHECK, "incomplete"))[0]
    assert again.kind == "raised" and again.alert.id != first.id and again.alert.count == 1


def test_no_auto_clear_when_not_configured() -> None:
    eng = Engine(AlertsConfig(rules={"fever_referral": RuleConfig(auto_clear_s=None)}))
    eng.at(0, check("fever_referral"))
    assert eng.at(10 * 86400, Tick()) == []


def test_debounce_short_fault_raises_nothing() -> None:
    eng = Engine(AlertsConfig(rules={"device_fault": RuleConfig(debounce_s=30, auto_clear_s=0)}))
    assert eng.at(0, fault("fault")) == []
    assert eng.at(29, fault("ok")) == []
    assert eng.at(100, Tick()) == []
    assert eng.state.alerts == {} and eng.state.conditions == {}


def test_debounce_raises_exactly_at_minimum_duration_via_tick() -> None:
    eng = Engine(AlertsConfig(rules={"device_fault": RuleConfig(debounce_s=30)}))
    eng.at(0, fault("fault"))
    assert eng.at(29.9, Tick()) == []
    changes = eng.at(30, Tick())
    assert [(c.kind, c.alert.rule, c.alert.device) for c in changes] == [
        ("raised", "device_fault", "therm1")
    ]
    assert changes[0].alert.first_at == t(0)


def test_zero_debounce_raises_on_the_event() -> None:
    eng = Engine(AlertsConfig(rules={"camera_offline": RuleConfig(debounce_s=0)}))
    changes = eng.at(0, event("camera", {"camera": "cam2", "state": "offline"}))
    assert [(c.kind, c.alert.device) for c in changes] == [("raised", "cam2")]


def test_hysteresis_flapping_within_quiet_period_keeps_one_alert() -> None:
    cfg = AlertsConfig(rules={"camera_tamper": RuleConfig(debounce_s=0, auto_clear_s=60)})
    eng = Engine(cfg)
    tamper = {"camera": "cam1", "reason": "covered"}
    raised = eng.at(0, event("tamper", {**tamper, "active": True}))[0].alert
    eng.at(10, event("tamper", {**tamper, "active": False}))
    assert eng.at(69, Tick()) == []
    back = eng.at(69, event("tamper", {**tamper, "active": True}))  # flaps back inside 60 s
    assert [(c.kind, c.alert.id, c.alert.count) for c in back] == [("repeated", raised.id, 2)]
    eng.at(80, event("tamper", {**tamper, "active": False}))
    assert eng.at(139, Tick()) == []
    cleared = eng.at(140, Tick())
    assert [(c.kind, c.alert.id, c.alert.state) for c in cleared] == [
        ("auto_cleared", raised.id, "auto_cleared")
    ]
    assert eng.state.conditions == {}


def test_repeated_fault_events_count() -> None:
    eng = Engine(AlertsConfig(rules={"device_fault": RuleConfig(debounce_s=0)}))
    eng.at(0, fault("fault"))
    changes = eng.at(5, fault("fault"))
    assert [(c.kind, c.alert.count) for c in changes] == [("repeated", 2)]


def test_resolved_stateful_alert_is_latched_until_condition_clears() -> None:
    eng = Engine(AlertsConfig(rules={"device_fault": RuleConfig(debounce_s=0, auto_clear_s=0)}))
    alert = eng.at(0, fault("fault"))[0].alert
    eng.state, _ = resolve(eng.state, alert.id, t(1), by="tech")
    assert eng.at(100, Tick()) == []  # still faulty, but a person closed it: no re-raise
    eng.at(200, fault("ok"))
    fresh = eng.at(300, fault("fault"))
    assert [c.kind for c in fresh] == ["raised"] and fresh[0].alert.id != alert.id


def test_clear_without_raise_is_ignored() -> None:
    eng = Engine()
    assert eng.at(0, fault("ok")) == []
    assert eng.at(0, event("camera", {"camera": "c", "state": "online"})) == []
    assert eng.state.conditions == {}
