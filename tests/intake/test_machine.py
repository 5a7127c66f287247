"""The check state machine: outcomes, timeouts, ordering, lamp — all with explicit times."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from firmware_py.intake.machine import (
    Buzz,
    CheckMachine,
    CoreTemperature,
    Emit,
    GateAlarm,
    Lamp,
    Passage,
    Policy,
    Reading,
    Refusal,
    Rejected,
    Release,
    Tick,
    WandEntry,
)

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


class Desk:
    """Feeds inputs and collects effects."""

    def __init__(self, **policy) -> None:
        counter = itertools.count(1)
        self.m = CheckMachine(
            Policy(**{"alarm_window_s": 1.0, **policy}),
            new_id=lambda: f"CHECK{next(counter):021d}",
        )
        self.effects: list = []

    def __call__(self, *inputs):
        for i in inputs:
            self.effects += self.m.handle(i)
        return self

    def checks(self):
        return [e.data for e in self.effects if isinstance(e, Emit) and e.kind == "check"]

    def emitted(self, kind):
        return [e.data for e in self.effects if isinstance(e, Emit) and e.kind == kind]

    def lamps(self):
        return [e.color for e in self.effects if isinstance(e, Lamp)]


def test_plain_arrival_is_cleared_and_releases_the_turnstile():
    d = Desk(operator="wang")(Passage(at(0)), Reading(at(5), 36.6), Tick(at(6)))
    [c] = d.checks()
    assert c.outcome == "cleared"
    assert c.celsius == 36.6 and c.operator == "wang" and not c.gate_alarm
    assert [s.name for s in c.steps] == ["passage", "temperature", "outcome"]
    assert c.started_at == at(0) and c.finished_at == at(5)
    assert any(isinstance(e, Release) for e in d.effects)
    assert d.lamps() == ["amber", "green"]
    d(Tick(at(11)))
    assert d.lamps()[-1] == "off"


@pytest.mark.parametrize(
    ("threshold", "celsius", "outcome"),
    [
        (37.3, 37.2, "cleared"),
        (37.3, 37.3, "fever_referral"),
        (37.5, 37.4, "cleared"),
        (37.5, 37.5, "fever_referral"),
        (38.0, 37.9, "cleared"),
        (38.0, 38.4, "fever_referral"),
    ],
)
def test_fever_threshold_and_presets(threshold, celsius, outcome):
    d = Desk(fever_threshold_celsius=threshold)(Passage(at(0)), Reading(at(3), celsius))
    [c] = d.checks()
    assert c.outcome == outcome and c.fever_threshold_celsius == threshold
    assert (d.lamps()[-1] == "red") == (outcome != "cleared")
    assert any(isinstance(e, Release) for e in d.effects) == (outcome == "cleared")


def test_gate_alarm_makes_the_wand_mandatory():
    d = Desk()(Passage(at(0), alarm=True, zone_mask=0xC, level=67), Reading(at(3), 36.5))
    assert d.checks() == []
    assert d.m.current().waiting_for() == ["wand"]
    assert d.lamps()[-1] == "red"
    d(WandEntry(at(20), "clear", operator="li"))
    [c] = d.checks()
    assert (c.outcome, c.gate_alarm, c.wand, c.operator) == ("cleared", True, "clear", "li")
    [alarm] = [g for g in d.emitted("gate") if g.action == "alarm"]
    assert alarm.zone_mask == 0xC and alarm.signal_level == 67 and alarm.check_id == c.check_id


def test_metal_found_holds_items():
    d = Desk()(
        Passage(at(0), alarm=True),
        WandEntry(at(10), "metal_found", items=("knife", "lighter"), source="dashboard"),
        Reading(at(12), 36.4),
    )
    [c] = d.checks()
    assert c.outcome == "items_held" and c.items_held == ["knife", "lighter"]
    [metal] = d.emitted("metal")
    assert metal.source == "dashboard" and metal.check_id == c.check_id


def test_fever_outranks_items_but_keeps_them_listed():
    d = Desk()(
        Passage(at(0), alarm=True),
        WandEntry(at(10), "metal_found", items=("knife",)),
        Reading(at(12), 38.2),
    )
    [c] = d.checks()
    assert c.outcome == "fever_referral" and c.items_held == ["knife"]


def test_walk_past_is_incomplete_after_the_timeout():
    d = Desk(temperature_timeout_s=30)(Passage(at(0)), Tick(at(29.9)))
    assert d.checks() == []
    d(Tick(at(30)))
    [c] = d.checks()
    assert c.outcome == "incomplete" and "walked past" in c.incomplete_reason
    assert d.lamps()[-1] == "red"


def test_alarm_without_wand_result_is_incomplete():
    d = Desk(wand_timeout_s=60)(Passage(at(0), alarm=True), Reading(at(4), 36.5), Tick(at(60)))
    [c] = d.checks()
    assert c.outcome == "incomplete" and "wand" in c.incomplete_reason
    assert c.celsius == 36.5


def test_cold_forehead_means_remeasure_not_a_result():
    d = Desk()(Passage(at(0)), Reading(at(3), 33.1))
    assert d.checks() == []
    [t] = d.emitted("temperature")
    assert t.remeasure is True
    assert any(e == Buzz("remeasure") for e in d.effects)
    d(Reading(at(60), 36.4))
    [c] = d.checks()
    assert c.outcome == "cleared" and c.celsius == 36.4
    assert [r.remeasure for r in c.temperatures] == [True, False]
    assert "remeasure" in [s.name for s in c.steps]


def test_confirmed_core_below_35_is_hypothermia():
    d = Desk()(Passage(at(0)), Reading(at(3), 32.0), CoreTemperature(at(40), 34.2, operator="zhao"))
    [c] = d.checks()
    assert c.outcome == "hypothermia_referral" and c.celsius == 34.2 and c.operator == "zhao"
    assert c.temperatures[-1].mode == "core"


def test_core_temperature_overrides_screening():
    d = Desk()(Passage(at(0)), Reading(at(3), 37.9))
    [first] = d.checks()
    assert first.outcome == "fever_referral"  # finished: the screening result decides
    d = Desk()(Passage(at(0), alarm=True), Reading(at(3), 37.9), CoreTemperature(at(9), 36.9))
    d(WandEntry(at(10), "clear"))
    [c] = d.checks()
    assert c.outcome == "cleared" and c.celsius == 36.9


def test_only_low_readings_time_out_with_the_reason():
    d = Desk(temperature_timeout_s=30)(Passage(at(0)), Reading(at(3), 31.0), Tick(at(31)))
    [c] = d.checks()
    assert c.outcome == "incomplete" and "re-measure" in c.incomplete_reason


def test_two_people_in_quick_succession_are_two_checks():
    # the second person, just through the gate, is the one at the thermometer; the first is
    # measured after, the wand result goes to the one whose gate alarmed
    d = Desk()(
        Passage(at(0), alarm=True),
        Passage(at(1.5)),
        Reading(at(5), 38.1),  # second person
        Reading(at(8), 36.7),  # first person
        WandEntry(at(15), "clear"),
        Tick(at(16)),
    )
    second, first = d.checks()
    assert second.outcome == "fever_referral" and second.celsius == 38.1
    assert not second.gate_alarm and second.started_at == at(1.5)
    assert first.outcome == "cleared" and first.celsius == 36.7 and first.gate_alarm
    assert first.check_id != second.check_id


def test_outbound_passage_starts_no_check():
    d = Desk()(Passage(at(0), direction="out"), Tick(at(500)))
    assert d.checks() == []
    [g] = d.emitted("gate")
    assert g.direction == "out" and g.check_id is None


def test_alarm_just_before_the_passage_belongs_to_it():
    d = Desk()(Passage(at(0)), Reading(at(0.4), 36.5))  # first person, still in window
    d(GateAlarm(at(3), zone_mask=1, level=40), Passage(at(3.6)), Tick(at(5)))
    first = d.checks()[0]
    assert first.outcome == "cleared" and not first.gate_alarm
    second = d.m.current()
    assert second.gate_alarm and second.waiting_for() == ["wand", "temperature"]


def test_alarm_just_after_the_passage_is_attached_to_it():
    d = Desk()(Passage(at(0)), GateAlarm(at(0.5)), Reading(at(0.8), 36.5), Tick(at(1.6)))
    assert d.checks() == []
    assert d.m.current().gate_alarm


def test_nuisance_alarm_without_passage_makes_no_check():
    d = Desk()(GateAlarm(at(0)), Tick(at(5)), Tick(at(100)))
    assert d.checks() == [] and d.m.open == []
    [g] = d.emitted("gate")
    assert g.action == "alarm" and g.check_id is None


def test_refusal_finishes_the_check():
    d = Desk()(Passage(at(0)), Refusal(at(9), operator="li", note="left the station"))
    [c] = d.checks()
    assert c.outcome == "refused" and c.note == "left the station"


def test_operator_input_without_a_check_is_rejected():
    d = Desk()(WandEntry(at(0), "clear"), CoreTemperature(at(1), 36.0), Refusal(at(2)))
    rejected = [e for e in d.effects if isinstance(e, Rejected)]
    assert len(rejected) == 3 and "no check in progress" in rejected[0].reason
    assert d.emitted("metal") == []


def test_reading_with_nobody_checked_in_is_recorded_without_a_check():
    d = Desk()(Reading(at(0), 36.5))
    [t] = d.emitted("temperature")
    assert t.check_id is None and d.checks() == []


def test_absurd_readings_are_ignored():
    d = Desk()(Passage(at(0)), Reading(at(1), 400.0))
    assert d.emitted("temperature") == []
    assert any(isinstance(e, Rejected) for e in d.effects)


def test_step_and_reading_lists_stay_within_the_contract_bounds():
    d = Desk(temperature_timeout_s=1000)(Passage(at(0)))
    for i in range(80):
        d(Reading(at(1 + i), 30.0))
    d(Reading(at(90), 36.6))
    [c] = d.checks()  # the CheckData model validated the bounds
    assert len(c.temperatures) == 20 and len(c.steps) <= 50
    assert c.steps[-1].name == "outcome" and c.celsius == 36.6
