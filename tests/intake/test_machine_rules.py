"""The check machine's rules from issue 12, each at the edges of its window or threshold:
which check a reading belongs to, the hypothermia hold and corrections, desk inputs valid
only in their state, and a restart."""

from __future__ import annotations

import pytest

from devices.contract.models import CheckProgress
from firmware_py.intake.machine import (
    Buzz,
    CoreTemperature,
    Passage,
    Reading,
    Refusal,
    Rejected,
    Release,
    Restore,
    Select,
    Tick,
    WandEntry,
)
from tests.intake.test_machine import Desk, at


def rejected(d: Desk) -> list[str]:
    return [e.reason for e in d.effects if isinstance(e, Rejected)]


# -- which check a reading belongs to -----------------------------------------------------------
def test_a_walks_past_b_is_measured_b_gets_the_reading():
    d = Desk(temperature_timeout_s=30)(Passage(at(0)), Passage(at(10)), Reading(at(12), 38.4))
    [b] = d.checks()
    assert b.outcome == "fever_referral" and b.celsius == 38.4 and b.started_at == at(10)
    d(Tick(at(30)))
    _b, a = d.checks()
    assert a.outcome == "incomplete" and "walked past" in a.incomplete_reason
    assert a.started_at == at(0) and a.temperatures == []
    [t] = d.emitted("temperature")
    assert t.check_id == b.check_id


@pytest.mark.parametrize(("reading_at", "taken"), [(29.9, True), (30.0, False)])
def test_a_check_takes_no_reading_after_its_window(reading_at, taken):
    d = Desk(temperature_timeout_s=30)(Passage(at(0)), Reading(at(reading_at), 36.6))
    [c] = d.checks()
    [t] = d.emitted("temperature")
    if taken:
        assert c.outcome == "cleared" and t.check_id == c.check_id
    else:  # walked past; the late reading is recorded without a check
        assert c.outcome == "incomplete" and c.temperatures == [] and t.check_id is None


def test_an_expired_check_does_not_take_the_reading_of_a_later_person():
    d = Desk(temperature_timeout_s=30)(Passage(at(0)), Passage(at(25)))
    d(Reading(at(31), 36.9))  # B is measured just after A's window ran out (no tick between)
    a, b = d.checks()
    assert a.started_at == at(0) and a.outcome == "incomplete" and a.temperatures == []
    assert b.started_at == at(25) and b.outcome == "cleared"


def test_the_most_recent_check_waiting_gets_the_reading():
    d = Desk()(Passage(at(0)), Passage(at(2)), Reading(at(5), 36.5), Reading(at(9), 36.8))
    b, a = d.checks()
    assert (b.started_at, b.celsius) == (at(2), 36.5)
    assert (a.started_at, a.celsius) == (at(0), 36.8)


def test_a_re_measure_stays_with_the_person_and_the_older_check_is_not_disturbed():
    d = Desk()(Passage(at(0)), Passage(at(2)), Reading(at(4), 33.0), Reading(at(6), 36.6))
    [b] = d.checks()
    assert b.started_at == at(2) and [r.remeasure for r in b.temperatures] == [True, False]
    assert d.m.current().started_at == at(0) and d.m.current().readings == []


def test_the_desk_selects_the_check_for_the_next_reading():
    d = Desk()(Passage(at(0)), Passage(at(2)))
    a_id = d.m.open[0].check_id
    d(Select(at(3), a_id), Reading(at(4), 36.4), Reading(at(6), 36.7))
    a, b = d.checks()
    assert (a.check_id, a.celsius) == (a_id, 36.4)
    assert b.celsius == 36.7
    assert d.m.selected is None


def test_a_selection_is_refused_where_it_cannot_apply():
    d = Desk(temperature_timeout_s=30)(Passage(at(0)), Passage(at(29)))
    a, b = (c.check_id for c in d.m.open)
    d(Select(at(30), a))  # A's window is over (and the tick closes it)
    d(Reading(at(31), 36.5))  # B measured
    d(Select(at(32), b), Select(at(33), "01JZZZZZZZZZZZZZZZZZZZZZZZ"))
    assert rejected(d) == [
        f"check {a} already finished as incomplete",  # its window ran out at 30 s
        f"check {b} already finished as cleared",
        "check 01JZZZZZZZZZZZZZZZZZZZZZZZ is not in progress (finished or unknown)",
    ]


def test_a_selection_of_a_check_that_has_its_temperature_is_refused():
    d = Desk(temperature_timeout_s=30)(Passage(at(0), alarm=True), Reading(at(2), 36.5))
    cid = d.m.current().check_id
    d(Select(at(3), cid))
    assert rejected(d) == [f"check {cid} already has its temperature"]


# -- hypothermia ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("celsius", "waits_for_core", "remeasure"),
    [(35.0, False, False), (34.99, True, False), (34.0, True, False), (33.99, False, True)],
)
def test_the_hypothermia_screening_threshold_edges(celsius, waits_for_core, remeasure):
    d = Desk()(Passage(at(0)), Reading(at(3), celsius), Tick(at(4)))
    [t] = d.emitted("temperature")
    assert (t.core_needed, t.remeasure) == (waits_for_core, remeasure)
    if celsius >= 35.0:
        assert d.checks()[0].outcome == "cleared"
    else:
        assert d.checks() == []
        want = ["core_temperature"] if waits_for_core else ["temperature"]
        assert d.m.current().waiting_for() == want


def test_a_cold_screening_holds_the_check_and_a_cold_core_is_hypothermia():
    d = Desk()(Passage(at(0)), Reading(at(3), 34.8), Tick(at(60)))
    assert d.checks() == [] and d.lamps()[-1] == "amber"
    assert not any(isinstance(e, Release) for e in d.effects)
    assert Buzz("alert") in d.effects
    assert d.m.current().progress().waiting_for == ["core_temperature"]
    d(CoreTemperature(at(70), 34.8, operator="zhao"))  # no check id: the check waiting for it
    [c] = d.checks()
    assert c.outcome == "hypothermia_referral" and c.celsius == 34.8
    assert [s.name for s in c.steps] == [
        "passage",
        "temperature",
        "core_needed",
        "temperature",
        "outcome",
    ]
    assert [(r.mode, r.core_needed) for r in c.temperatures] == [("body", True), ("core", False)]
    assert not any(isinstance(e, Release) for e in d.effects)


def test_a_normal_core_clears_a_cold_screening():
    d = Desk()(Passage(at(0)), Reading(at(3), 34.5))
    d(CoreTemperature(at(40), 36.8, check_id=d.m.current().check_id))
    [c] = d.checks()
    assert c.outcome == "cleared" and c.celsius == 36.8


def test_the_hypothermia_screening_threshold_is_configurable():
    d = Desk(hypothermia_screening_below_celsius=35.5)(Passage(at(0)), Reading(at(3), 35.2))
    assert d.checks() == [] and d.m.current().needs_core


@pytest.mark.parametrize(("core_after_s", "closed"), [(119.9, False), (120.0, True)])
def test_no_core_temperature_within_core_timeout_is_incomplete(core_after_s, closed):
    d = Desk(core_timeout_s=120)(Passage(at(0)), Reading(at(3), 34.6), Tick(at(3 + core_after_s)))
    if not closed:
        assert d.checks() == []
        return
    [c] = d.checks()
    assert c.outcome == "incomplete" and "no core temperature within 120 s" in c.incomplete_reason


# -- corrections ---------------------------------------------------------------------------------
def test_a_core_temperature_corrects_a_screening_fever_after_the_check_closed():
    d = Desk()(Passage(at(0)), Reading(at(3), 38.2))
    [first] = d.checks()
    d(CoreTemperature(at(300), 36.9, operator="li", check_id=first.check_id))
    first_, second = d.checks()
    assert first_ == first  # the first event is kept; the correction is a new check event
    assert (second.check_id, second.revision, second.corrected_from) == (
        first.check_id,
        1,
        "fever_referral",
    )
    assert second.outcome == "cleared" and second.celsius == 36.9
    assert second.corrected_at == at(300) and second.finished_at == first.finished_at
    assert [s.name for s in second.steps][-3:] == ["outcome", "correction", "outcome"]
    [core] = [t for t in d.emitted("temperature") if t.mode == "core"]
    assert core.check_id == first.check_id
    assert not any(isinstance(e, Release) for e in d.effects)  # the person may have left
    assert d.lamps()[-1] == "green"


def test_a_core_temperature_corrects_a_cold_screening_that_timed_out():
    d = Desk(core_timeout_s=60)(Passage(at(0)), Reading(at(3), 34.7), Tick(at(63)))
    [first] = d.checks()
    assert first.outcome == "incomplete"
    d(CoreTemperature(at(400), 34.1, check_id=first.check_id))
    second = d.checks()[-1]
    assert (second.outcome, second.revision, second.corrected_from) == (
        "hypothermia_referral",
        1,
        "incomplete",
    )


@pytest.mark.parametrize(("after_s", "accepted"), [(1799.9, True), (1800.0, False)])
def test_the_correction_window_edge(after_s, accepted):
    d = Desk()(Passage(at(0)), Reading(at(3), 38.0))
    [first] = d.checks()
    d(CoreTemperature(at(3 + after_s), 36.5, check_id=first.check_id))
    assert (len(d.checks()) == 2) == accepted
    if not accepted:
        assert "did not close in the last 30 min" in rejected(d)[0]


def test_what_cannot_be_corrected_is_refused_with_the_reason():
    d = Desk()(Passage(at(0)), Reading(at(3), 36.6))  # cleared by screening
    d(Passage(at(10)), Refusal(at(12)))
    d(Passage(at(20)), Reading(at(22), 38.5))
    cleared, refused, fever = d.checks()
    d(CoreTemperature(at(30), 36.0, check_id=cleared.check_id))
    d(CoreTemperature(at(31), 36.0, check_id=refused.check_id))
    d(CoreTemperature(at(32), 36.9, check_id=fever.check_id))  # accepted
    d(CoreTemperature(at(33), 36.7, check_id=fever.check_id))  # has a core now
    reasons = rejected(d)
    assert len(reasons) == 3 and len(d.checks()) == 4
    assert "only a screening fever or a low screening reading" in reasons[0]
    assert "no screening reading" in reasons[1] or "refused" in reasons[1]
    assert "already has a core temperature" in reasons[2]


# -- desk inputs only in their state -------------------------------------------------------------
def test_admit_while_waiting_for_a_temperature_is_refused_and_records_nothing():
    d = Desk()(Passage(at(0)))
    d(WandEntry(at(2), "clear", source="dashboard", decides=True))
    assert "no check is waiting for a wand result" in rejected(d)[0]
    cid = d.m.current().check_id
    d(WandEntry(at(3), "clear", source="dashboard", check_id=cid, decides=True))
    assert "has no temperature yet" in rejected(d)[1]
    assert d.emitted("metal") == [] and d.checks() == [] and d.m.current().wand is None
    d(Reading(at(5), 36.6))
    assert d.checks()[0].outcome == "cleared" and d.checks()[0].wand is None


def test_admit_while_waiting_for_a_core_temperature_is_refused():
    d = Desk()(Passage(at(0), alarm=True), Reading(at(3), 34.9))
    d(WandEntry(at(4), "clear", source="dashboard", decides=True))
    assert "waits for a core temperature" in rejected(d)[0]
    assert d.emitted("metal") == []


def test_admit_when_only_the_wand_is_missing_decides_the_check():
    d = Desk()(Passage(at(0), alarm=True), Reading(at(3), 36.5))
    d(WandEntry(at(9), "metal_found", source="dashboard", items=("knife",), decides=True))
    [c] = d.checks()
    assert c.outcome == "items_held" and rejected(d) == []


def test_a_second_wand_result_for_the_same_check_is_refused():
    d = Desk()(Passage(at(0), alarm=True), Passage(at(0.5)))
    cid = d.m.open[0].check_id
    d(WandEntry(at(2), "clear", source="dashboard", check_id=cid))
    d(WandEntry(at(3), "metal_found", source="dashboard", check_id=cid))
    d(WandEntry(at(4), "clear", source="dashboard"))  # nobody else waits for a wand result
    assert len(d.emitted("metal")) == 1
    reasons = rejected(d)
    assert "already has a wand result (clear)" in reasons[0]
    assert "no check is waiting for a wand result" in reasons[1]


def test_inputs_naming_a_finished_check_say_how_it_finished():
    d = Desk()(Passage(at(0)), Reading(at(3), 36.6))
    [c] = d.checks()
    d(Refusal(at(5), check_id=c.check_id), WandEntry(at(6), "clear", check_id=c.check_id))
    assert rejected(d) == [f"check {c.check_id} already finished as cleared"] * 2


# -- restart -------------------------------------------------------------------------------------
def _open_after(d: Desk) -> tuple[CheckProgress, ...]:
    return tuple(c.progress() for c in d.m.open)


def test_after_a_restart_a_check_within_its_window_resumes():
    before = Desk(temperature_timeout_s=30)(Passage(at(0), alarm=True))
    after = Desk(temperature_timeout_s=30)(Restore(at(20), _open_after(before)))
    assert after.checks() == [] and after.lamps() == ["red"]
    after(Reading(at(22), 36.6), WandEntry(at(25), "clear"))
    [c] = after.checks()
    assert c.outcome == "cleared" and c.gate_alarm and "restart" in [s.name for s in c.steps]


@pytest.mark.parametrize(("restart_at", "resumes"), [(29.9, True), (30.0, False)])
def test_after_a_restart_a_check_past_its_window_is_incomplete(restart_at, resumes):
    before = Desk(temperature_timeout_s=30)(Passage(at(0)))
    after = Desk(temperature_timeout_s=30)(Restore(at(restart_at), _open_after(before)))
    if resumes:
        assert after.checks() == []
        after(Tick(at(30)))
    [c] = after.checks()
    assert c.outcome == "incomplete" and c.incomplete_reason.startswith("node restarted")
    assert c.check_id == before.m.open[0].check_id and c.started_at == at(0)


def test_a_restart_keeps_a_cold_check_waiting_for_its_core_temperature():
    before = Desk()(Passage(at(0)), Reading(at(3), 34.8))
    after = Desk()(Restore(at(60), _open_after(before)))
    after(CoreTemperature(at(90), 34.8))
    [c] = after.checks()
    assert c.outcome == "hypothermia_referral"
    assert [r.celsius for r in c.temperatures] == [34.8, 34.8]


def test_a_restart_keeps_closed_checks_open_to_correction():
    before = Desk()(Passage(at(0)), Reading(at(3), 38.3))
    [first] = before.checks()
    after = Desk()(Restore(at(100), (), tuple(before.m.closed.values())))
    after(CoreTemperature(at(120), 37.0, check_id=first.check_id))
    [second] = after.checks()
    assert (second.revision, second.outcome) == (1, "cleared")
