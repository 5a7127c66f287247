"""Reminders before the phone (30 min) and written (60 min) report deadlines, overdue notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.alerts import Incident, RemindersConfig, due_reminders, next_reminder_at
from tests.alerts.helpers import T0, Engine, manual, t

DEFAULT = RemindersConfig()
MIN = 60.0


def incident() -> Incident:
    inc = Engine().at(0, manual("missing_person", person="p-1"))[0].incident
    assert inc is not None and inc.phone_due == t(30 * MIN) and inc.written_due == t(60 * MIN)
    return inc


def keys(
    inc: Incident, at: float, sent: set[str] | None = None, cfg: RemindersConfig = DEFAULT
) -> list[str]:
    return [r.key for r in due_reminders(inc, t(at), sent or set(), cfg)]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (0, []),
        (20 * MIN - 0.001, []),
        (20 * MIN, ["phone:-10m"]),
        (25 * MIN - 0.001, ["phone:-10m"]),
        (25 * MIN, ["phone:-5m"]),
        (30 * MIN, ["phone:-5m"]),  # exactly at the deadline: not yet overdue
        (30 * MIN + 0.001, ["phone:overdue"]),
        (50 * MIN, ["phone:overdue", "written:-10m"]),
        (55 * MIN, ["phone:overdue", "written:-5m"]),
        (60 * MIN + 0.001, ["phone:overdue", "written:overdue"]),
    ],
)
def test_default_schedule_edges(at: float, expected: list[str]) -> None:
    assert keys(incident(), at) == expected


def test_each_notice_once_with_the_sent_keys() -> None:
    inc, sent = incident(), set[str]()
    got = []
    for minute in range(0, 90):
        for r in due_reminders(inc, t(minute * MIN), sent, DEFAULT):
            got.append((minute, r.key, r.kind))
            sent.add(r.key)
    assert got == [
        (20, "phone:-10m", "reminder"),
        (25, "phone:-5m", "reminder"),
        (31, "phone:overdue", "overdue"),
        (50, "written:-10m", "reminder"),
        (55, "written:-5m", "reminder"),
        (61, "written:overdue", "overdue"),
    ]


def test_reminder_carries_the_deadline_and_time_left() -> None:
    inc = incident()
    (r,) = due_reminders(inc, t(22 * MIN), set(), DEFAULT)
    assert (r.report, r.kind, r.due, r.at, r.left_s) == (
        "phone",
        "reminder",
        t(30 * MIN),
        t(20 * MIN),
        8 * MIN,
    )
    assert r.incident_id == inc.id


def test_a_stale_reminder_is_superseded_never_sent_late() -> None:
    inc = incident()
    assert keys(inc, 27 * MIN) == ["phone:-5m"]  # the gateway was down at 20 min
    assert keys(inc, 28 * MIN, {"phone:-5m"}) == []  # -10m is never sent afterwards
    assert keys(inc, 40 * MIN) == ["phone:overdue"]  # both reminders superseded


def test_nothing_for_reports_already_recorded() -> None:
    inc = incident().reported("phone", t(10 * MIN))
    assert keys(inc, 29 * MIN) == []
    assert keys(inc, 70 * MIN) == ["written:overdue"]
    done = inc.reported("written", t(45 * MIN))
    assert keys(done, 10 * 60 * MIN) == []
    assert next_reminder_at(done, t(0), set(), DEFAULT) is None


def test_overdue_repeats_when_configured() -> None:
    cfg = RemindersConfig(before_min=[10], overdue_every_min=15)
    inc = incident().reported("written", t(1))
    assert keys(inc, 30 * MIN + 1, cfg=cfg) == ["phone:overdue"]
    assert keys(inc, 45 * MIN - 0.001, {"phone:overdue"}, cfg) == []
    assert keys(inc, 45 * MIN, {"phone:overdue"}, cfg) == ["phone:overdue:2"]
    assert keys(inc, 61 * MIN, {"phone:overdue", "phone:overdue:2"}, cfg) == ["phone:overdue:3"]
    assert next_reminder_at(inc, t(46 * MIN), {"phone:overdue:2"}, cfg) == t(60 * MIN)


def test_configurable_minutes_and_switches() -> None:
    inc = incident()
    cfg = RemindersConfig(before_min=[15, 2])
    assert keys(inc, 15 * MIN, cfg=cfg) == ["phone:-15m"]
    assert keys(inc, 28 * MIN, cfg=cfg) == ["phone:-2m"]
    no_overdue = RemindersConfig(overdue=False)
    assert keys(inc, 40 * MIN, cfg=no_overdue) == ["phone:-5m"]
    assert keys(inc, 40 * MIN, cfg=RemindersConfig(enabled=False)) == []
    with pytest.raises(ValidationError):
        RemindersConfig(before_min=[0])


def test_next_reminder_at_for_timers() -> None:
    inc = incident()
    assert next_reminder_at(inc, t(0), set(), DEFAULT) == t(20 * MIN)
    assert next_reminder_at(inc, t(20 * MIN), {"phone:-10m"}, DEFAULT) == t(25 * MIN)
    nxt = next_reminder_at(inc, t(25 * MIN), {"phone:-5m"}, DEFAULT)
    assert nxt is not None and t(30 * MIN) < nxt <= t(30 * MIN) + timedelta(milliseconds=1)


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.integers(0, 40 * 60), max_size=25),
    before=st.lists(st.integers(1, 40), min_size=1, max_size=4),
    phone_at=st.one_of(st.none(), st.integers(0, 90 * 60)),
)
def test_each_key_at_most_once_and_never_before_it_is_due(
    gaps: list[int], before: list[int], phone_at: int | None
) -> None:
    cfg = RemindersConfig(before_min=[float(b) for b in before])
    inc, now, sent = incident(), T0, set[str]()
    for gap in gaps:
        now += timedelta(seconds=gap)
        if phone_at is not None and now >= t(phone_at) and inc.phone_reported_at is None:
            inc = inc.reported("phone", now)
        for r in due_reminders(inc, now, sent, cfg):
            assert r.key not in sent and r.at <= now
            assert not (r.report == "phone" and inc.phone_reported_at is not None)
            assert (r.kind == "overdue") == (now > r.due)
            sent.add(r.key)
