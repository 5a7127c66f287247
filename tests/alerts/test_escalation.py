"""Escalation of unacknowledged alerts: levels in order, each once, never backwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.alerts import (
    Alert,
    EscalationConfig,
    EscalationLevel,
    acknowledge,
    due_escalations,
    level_after,
    next_escalation_at,
    resolve,
)
from tests.alerts.helpers import T0, Engine, check, stored_alert, t

DEFAULT = EscalationConfig()


def alert(severity: str = "major", state: str = "active", raised: float = 0) -> Alert:
    # a stateful alert's first_at precedes its raise
    return stored_alert("device_fault", severity, t(raised), first_at=t(raised - 30), state=state)


def names(steps: list) -> list[str]:  # type: ignore[type-arg]
    return [s.name for s in steps]


def test_default_chain_desk_then_station_duty_then_bureau_duty() -> None:
    a = alert()
    assert names(due_escalations(a, t(0), 0, DEFAULT)) == ["desk"]
    assert names(due_escalations(a, t(299.999), 1, DEFAULT)) == []
    assert names(due_escalations(a, t(300), 1, DEFAULT)) == ["station_duty"]
    assert names(due_escalations(a, t(899.999), 2, DEFAULT)) == []
    steps = due_escalations(a, t(900), 2, DEFAULT)
    assert [(s.level, s.name, s.due_at, s.alert_id) for s in steps] == [
        (2, "bureau_duty", t(900), a.id)
    ]
    assert due_escalations(a, t(10**6), 3, DEFAULT) == []  # the chain is done


def test_clock_starts_when_the_alert_was_raised() -> None:
    a = alert(raised=1000)
    assert names(due_escalations(a, t(1299.999), 1, DEFAULT)) == []
    assert names(due_escalations(a, t(1300), 1, DEFAULT)) == ["station_duty"]


def test_after_a_gap_every_due_level_is_returned_once_in_order() -> None:
    a = alert()
    steps = due_escalations(a, t(3600), 0, DEFAULT)
    assert names(steps) == ["desk", "station_duty", "bureau_duty"]
    assert level_after(steps, 0) == 3
    assert due_escalations(a, t(3600), level_after(steps, 0), DEFAULT) == []


@pytest.mark.parametrize("state", ["acknowledged", "resolved", "auto_cleared"])
def test_acknowledged_or_closed_alerts_never_escalate(state: str) -> None:
    assert due_escalations(alert(state=state), t(3600), 0, DEFAULT) == []
    assert next_escalation_at(alert(state=state), 0, DEFAULT) is None


def test_acknowledge_through_the_engine_stops_escalation() -> None:
    eng = Engine()
    a = eng.at(0, check("fever_referral"))[0].alert
    assert names(due_escalations(a, t(0), 0, DEFAULT)) == ["desk"]
    eng.state, changes = acknowledge(eng.state, a.id, t(120), by="desk-a")
    assert due_escalations(changes[0].alert, t(3600), 1, DEFAULT) == []
    b = eng.at(200, check("fever_referral", device="desk2"))[0].alert
    _, closed = resolve(eng.state, b.id, t(250), by="desk-a")
    assert due_escalations(closed[0].alert, t(3600), 1, DEFAULT) == []


def test_per_severity_delays_and_skipped_levels() -> None:
    cfg = EscalationConfig(
        levels=[
            EscalationLevel(name="desk", after_s=0),
            EscalationLevel(name="station_duty", after_s=300, by_severity={"critical": 60}),
            EscalationLevel(
                name="bureau_duty", after_s=900, by_severity={"critical": 120, "info": None}
            ),
        ]
    )
    crit = alert("critical")
    assert names(due_escalations(crit, t(60), 1, cfg)) == ["station_duty"]
    assert names(due_escalations(crit, t(120), 2, cfg)) == ["bureau_duty"]
    info = alert("info")
    assert names(due_escalations(info, t(10**5), 0, cfg)) == ["desk", "station_duty"]
    assert next_escalation_at(info, 2, cfg) is None  # bureau is never told of info alerts


def test_next_escalation_at_for_timers() -> None:
    a = alert()
    assert next_escalation_at(a, 0, DEFAULT) == t(0)
    assert next_escalation_at(a, 1, DEFAULT) == t(300)
    assert next_escalation_at(a, 3, DEFAULT) is None


def test_disabled_escalation() -> None:
    cfg = EscalationConfig(enabled=False)
    assert due_escalations(alert(), t(3600), 0, cfg) == []


def test_config_rejects_backwards_chains_and_duplicates() -> None:
    with pytest.raises(ValidationError, match="backwards"):
        EscalationConfig(
            levels=[EscalationLevel(name="a", after_s=600), EscalationLevel(name="b", after_s=60)]
        )
    with pytest.raises(ValidationError, match="backwards"):
        EscalationConfig(
            levels=[
                EscalationLevel(name="a", after_s=0, by_severity={"critical": 600}),
                EscalationLevel(name="b", after_s=300),
            ]
        )
    with pytest.raises(ValidationError, match="duplicate"):
        EscalationConfig(
            levels=[EscalationLevel(name="a", after_s=0), EscalationLevel(name="a", after_s=1)]
        )
    with pytest.raises(ValidationError, match="extra"):
        EscalationConfig.model_validate({"levels": [], "channels": ["sms"]})


@settings(max_examples=80, deadline=None)
@given(
    severity=st.sampled_from(["critical", "major", "minor", "warning", "info"]),
    delays=st.lists(st.integers(0, 3600), min_size=1, max_size=6),
    calls=st.lists(st.integers(0, 600), max_size=30),
    ack_after=st.one_of(st.none(), st.integers(0, 20)),
)
def test_escalation_never_goes_backwards_and_each_level_once(
    severity: str, delays: list[int], calls: list[int], ack_after: int | None
) -> None:
    cfg = EscalationConfig(
        levels=[EscalationLevel(name=f"l{i}", after_s=d) for i, d in enumerate(sorted(delays))]
    )
    a, now, done = alert(severity), T0, 0
    notified: list[int] = []
    for i, gap in enumerate(calls):
        now += timedelta(seconds=gap)
        if ack_after is not None and i == ack_after:
            a = a.model_copy(update={"state": "acknowledged", "changed_at": now})
        steps = due_escalations(a, now, done, cfg)
        assert all(s.due_at <= now for s in steps)
        assert [s.level for s in steps] == sorted(s.level for s in steps)
        if a.state != "active":
            assert steps == []
        new_done = level_after(steps, done)
        assert new_done >= done
        notified += [s.level for s in steps]
        done = new_done
    assert len(notified) == len(set(notified))  # each level at most once
    assert notified == sorted(notified)  # in chain order, never backwards
    if ack_after is None and calls:  # never acknowledged: every level due so far was told
        due = [i for i, d in enumerate(sorted(delays)) if T0 + timedelta(seconds=d) <= now]
        assert notified == due
