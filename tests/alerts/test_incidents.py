"""Incidents: deadlines at +30 min (phone) and +60 min (written) of the event, overdue flags."""

from __future__ import annotations

from datetime import timedelta

from gateway.alerts import PHONE_REPORT_DUE, WRITTEN_REPORT_DUE, AlertsConfig, RuleConfig
from tests.alerts.helpers import Engine, manual, t


def test_deadlines_count_from_the_event_time() -> None:
    eng = Engine()
    # the event happened at t(0); the gateway learns of it 5 minutes later
    inc = eng.at(300, manual("missing_person", ts=t(0)))[0].incident
    assert inc is not None
    assert inc.opened_at == t(0)
    assert inc.phone_due == t(0) + timedelta(minutes=30) == t(0) + PHONE_REPORT_DUE
    assert inc.written_due == t(0) + timedelta(minutes=60) == t(0) + WRITTEN_REPORT_DUE


def test_future_node_clock_does_not_push_deadlines_back() -> None:
    eng = Engine()
    inc = eng.at(0, manual("injury", ts=t(3600)))[0].incident
    assert inc is not None and inc.opened_at == t(0)


def test_overdue_edges() -> None:
    eng = Engine()
    inc = eng.at(0, manual("death"))[0].incident
    assert inc is not None
    assert inc.overdue(t(30 * 60)) == frozenset()  # exactly at the deadline: not yet late
    assert inc.overdue(t(30 * 60 + 1)) == {"phone"}
    assert inc.overdue(t(60 * 60 + 1)) == {"phone", "written"}
    phoned = inc.reported("phone", t(20 * 60))
    assert phoned.overdue(t(60 * 60 + 1)) == {"written"}
    done = phoned.reported("written", t(50 * 60))
    assert done.overdue(t(10 * 3600)) == frozenset()
    assert inc.phone_reported_at is None  # the original record is unchanged


def test_repeat_report_counts_on_the_alert_without_a_second_incident() -> None:
    eng = Engine()
    eng.at(0, manual("violence", person="p-1"))
    changes = eng.at(60, manual("violence", person="p-1"))
    assert [(c.kind, c.alert.count, c.incident) for c in changes] == [("repeated", 2, None)]
    assert len(eng.state.incidents) == 1


def test_different_people_are_different_incidents() -> None:
    eng = Engine()
    eng.at(0, manual("injury", person="p-1"))
    eng.at(0, manual("injury", person="p-2"))
    assert len(eng.state.incidents) == 2


def test_incident_opening_can_be_turned_off() -> None:
    eng = Engine(AlertsConfig(rules={"disaster": RuleConfig(severity="critical")}))
    changes = eng.at(0, manual("disaster"))
    assert changes[0].kind == "raised" and changes[0].incident is None
    assert eng.state.incidents == {}


def test_unnamed_staff_reports_are_separate_incidents_and_a_named_person_is_one() -> None:
    """Two injuries reported within minutes, naming nobody, are two reports to the bureau;
    two staff reporting the same missing resident by name are one incident."""
    eng = Engine()
    first = eng.at(0, manual("injury"))[0]
    second = eng.at(60, manual("injury"))[0]
    assert (first.kind, second.kind) == ("raised", "raised")
    assert first.alert.id != second.alert.id
    assert first.incident is not None and second.incident is not None
    assert first.incident.id != second.incident.id
    named = [eng.at(120 + i, manual("missing_person", person="张某"))[0] for i in range(2)]
    assert [c.kind for c in named] == ["raised", "repeated"]
    assert named[0].alert.id == named[1].alert.id and named[1].incident is None
