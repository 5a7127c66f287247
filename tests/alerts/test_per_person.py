"""Alerts about a person are keyed by their check: a second person is a second alert (which is
notified), never a count on the first. Alerts about devices and nodes stay one per device."""

from __future__ import annotations

import pytest

from gateway.alerts import NodeChange, Tick, acknowledge, restore_state
from tests.alerts.helpers import T0, Engine, check, check_of, event, metal, stored_alert, t

A, B = "01JCHECK0000000000000000AA", "01JCHECK0000000000000000BB"


@pytest.mark.parametrize(
    ("outcome", "rule"),
    [
        ("fever_referral", "fever_referral"),
        ("hypothermia_referral", "hypothermia_referral"),
        ("incomplete", "incomplete_check"),  # a walk-past
        ("items_held", "items_held"),
    ],
)
def test_two_people_in_a_row_are_two_alerts(outcome: str, rule: str) -> None:
    eng = Engine()
    first = eng.at(0, check_of(A, outcome))
    second = eng.at(15, check_of(B, outcome))  # same desk, same node, the next person
    assert [c.kind for c in first] == ["raised"] and [c.kind for c in second] == ["raised"]
    a, b = first[0].alert, second[0].alert
    assert a.id != b.id
    assert (a.rule, a.subject, a.device, a.count) == (rule, A, "desk", 1)
    assert (b.rule, b.subject, b.device, b.count) == (rule, B, "desk", 1)
    assert b.first_at == t(15)  # its own time, not the first person's
    assert {x.subject for x in eng.open_alerts(rule)} == {A, B}


def test_a_second_fever_while_the_first_is_acknowledged_is_still_raised() -> None:
    """The desk acknowledged the first person's fever; the next person's must reach them too."""
    eng = Engine()
    a = eng.at(0, check_of(A, "fever_referral"))[0].alert
    eng.state, _ = acknowledge(eng.state, a.id, t(5), by="desk")
    (c,) = eng.at(20, check_of(B, "fever_referral"))
    assert (c.kind, c.alert.state, c.alert.subject) == ("raised", "active", B)


def test_the_same_check_redelivered_counts_and_is_not_a_new_person() -> None:
    eng = Engine()
    a = eng.at(0, check_of(A, "incomplete"))[0].alert
    (c,) = eng.at(3, check_of(A, "incomplete"))  # the node's outbox sent it again
    assert (c.kind, c.alert.id, c.alert.count) == ("repeated", a.id, 2)
    assert len(eng.open_alerts()) == 1


def test_each_person_alert_auto_clears_on_its_own_quiet_period() -> None:
    eng = Engine()
    a = eng.at(0, check_of(A, "incomplete"))[0].alert
    b = eng.at(1800, check_of(B, "incomplete"))[0].alert
    cleared = eng.at(3600, Tick())  # one hour after A, half an hour after B
    assert [(c.kind, c.alert.id) for c in cleared] == [("auto_cleared", a.id)]
    assert [x.id for x in eng.open_alerts()] == [b.id]


def test_two_checks_with_metal_unresolved_are_two_alerts() -> None:
    eng = Engine()
    eng.at(0, metal(check_id=A))
    eng.at(10, metal(check_id=B))
    changes = eng.at(310, Tick())  # both past the 5-minute debounce
    assert sorted((c.kind, c.alert.subject) for c in changes) == [("raised", A), ("raised", B)]
    done = eng.at(320, check_of(A))  # A's check finished: only A's alert clears
    assert [(c.kind, c.alert.subject) for c in done] == [("auto_cleared", A)]
    assert [x.subject for x in eng.open_alerts()] == [B]


def test_device_faults_stay_one_alert_per_device() -> None:
    eng = Engine()
    eng.at(0, event("fault", {"state": "fault"}, device="therm"))
    (raised,) = eng.at(30, Tick())
    eng.at(40, event("fault", {"state": "fault"}, device="therm"))  # reported again
    eng.at(50, event("fault", {"state": "ok"}, device="therm"))
    eng.at(55, event("fault", {"state": "fault"}, device="therm"))  # flaps back
    assert eng.kinds("device_fault") == ["raised", "repeated", "repeated"]
    assert [a.id for a in eng.open_alerts("device_fault")] == [raised.alert.id]
    assert eng.open_alerts("device_fault")[0].count == 3


def test_camera_and_node_alerts_stay_deduplicated() -> None:
    eng = Engine()
    eng.at(0, NodeChange("s1", "n1", "online"))
    eng.at(0, event("camera", {"camera": "c1", "state": "offline"}))
    eng.at(60, Tick())  # raised after its debounce
    eng.at(70, event("camera", {"camera": "c1", "state": "offline"}))
    eng.at(80, NodeChange("s1", "n1", "offline"))
    eng.at(140, Tick())
    eng.at(150, NodeChange("s1", "n1", "offline"))
    eng.at(200, Tick())
    assert eng.kinds("camera_offline") == ["raised", "repeated"]
    assert eng.kinds("node_offline") == ["raised", "repeated"]
    assert len(eng.open_alerts("camera_offline")) == len(eng.open_alerts("node_offline")) == 1


def test_an_open_alert_from_before_per_person_keys_stays_valid_after_a_restart() -> None:
    """A database written by the earlier engine holds check alerts whose subject is the desk
    device. They come back as they were (same id, acknowledged, auto-clear from last_at); the
    next person raises their own alert instead of counting on the old one."""
    old = stored_alert(
        "fever_referral",
        "major",
        T0,
        id="01JOLDALERT000000000000000",
        node="n1",
        device="desk",
        subject="desk",
        count=3,
        state="acknowledged",
    )
    eng = Engine()
    eng.state = restore_state([old], [], t(60))
    (c,) = eng.at(60, check("fever_referral"))
    assert c.kind == "raised" and c.alert.id != old.id
    cleared = eng.at(3600, Tick())
    assert [(x.kind, x.alert.id, x.alert.count) for x in cleared] == [("auto_cleared", old.id, 3)]


def test_a_corrected_check_clears_the_alert_of_its_earlier_outcome() -> None:
    """A core temperature entered after the check closed sends the same check again with the
    corrected outcome: the fever alert closes (and its people are told), a hypothermia alert
    is raised for the same person; a correction to 'cleared' only closes."""
    eng = Engine()
    fever = eng.at(0, check_of(A, "fever_referral"))[0].alert
    other = eng.at(5, check_of(B, "fever_referral"))[0].alert
    changes = eng.at(60, check_of(A, "hypothermia_referral"))
    assert [(c.kind, c.alert.rule, c.alert.subject) for c in changes] == [
        ("auto_cleared", "fever_referral", A),
        ("raised", "hypothermia_referral", A),
    ]
    assert changes[0].alert.id == fever.id
    changes = eng.at(90, check_of(B, "cleared"))
    assert [(c.kind, c.alert.id) for c in changes] == [("auto_cleared", other.id)]
    assert [(a.rule, a.subject) for a in eng.open_alerts()] == [("hypothermia_referral", A)]
