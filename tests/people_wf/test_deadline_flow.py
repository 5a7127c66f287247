"""Family-search deadlines end to end with a fake clock over the real 2026 calendar: the timer
opens the case, each reminder and overdue notice becomes one alert, survives a restart without
being raised again, and reaches a real webhook receiver as a signed notification."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.alerts.service import AlertService
from gateway.config import GatewaySettings
from gateway.notify.notifier import Notifier
from gateway.people.family_search import StepIn
from gateway.people.family_search_timer import people_workflow
from gateway.people.models import Person, PersonCreate
from gateway.people.store import create_person, set_status
from gateway.store.db import connect, open_store
from tests.notify.support import FakeClock, WebhookReceiver

# Friday 2026-09-25, 10:00 Shanghai: the Friday before the 2026 National Day holiday.
ARRIVAL = datetime(2026, 9, 25, 2, 0, tzinfo=UTC)
# 7 working days (tests/people_wf/test_calendar.py): end of Mon 2026-10-12 Shanghai.
DNA_DUE = datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
REFRESH_DUE = datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # one calendar month after entry


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "gw.db"


@pytest.fixture
def db(db_path: Path) -> Any:
    store = open_store(db_path)
    yield store
    store.conn.close()


@pytest.fixture
def hook() -> Any:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


class Gateway:
    """The pieces of a gateway this flow needs, wired by gateway/service.py's own function
    (`people_workflow`), with a fake clock."""

    def __init__(self, db_path: Path, clock: FakeClock, hook: WebhookReceiver) -> None:
        settings = GatewaySettings.model_validate(
            {
                "db": db_path,
                "notify": {
                    "webhooks": [{"name": "bureau", "url": hook.url, "secret": "s" * 32}],
                    "mqtt": {"enabled": False},
                },
                "family_search": {"every_s": 1},
            }
        )
        self.notifier = Notifier(settings.notify, db_path, clock=clock)
        self.alerts = AlertService(db_path, settings.alerts, notifier=self.notifier, clock=clock)
        self.timer = people_workflow(settings, self.alerts)
        self.family = self.timer.family
        self.clock = clock

    def at(self, when: datetime) -> None:
        self.clock.now = when
        self.alerts.tick(when)
        self.notifier.deliver_due(when)

    def stop(self) -> None:
        self.timer.close()
        self.alerts.stop()


def _deadline_alerts(db_path: Path) -> list[tuple[str, str, str]]:
    db = connect(db_path)
    try:
        return [
            (r[0], r[1], r[2])
            for r in db.execute(
                "SELECT rule, subject, state FROM alerts WHERE rule LIKE 'family_search%' "
                "ORDER BY rowid"
            )
        ]
    finally:
        db.conn.close()


def _raised(hook: WebhookReceiver) -> Counter[tuple[str, str]]:
    docs = [json.loads(r.body) for r in hook.ok()]
    return Counter(
        (d["alert"]["rule"], d["alert"]["subject"].split("/", 1)[1])
        for d in docs
        if d["event"] == "raised"
    )


def _arrival(db: Any, came_by: str, by: str) -> Person:
    """An unnamed person in s1, come (`came_by`) at ARRIVAL; the file opened by `by`."""
    came = PersonCreate(site="s1", came_by=came_by, came_at="2026-09-25T02:00:00.000Z")
    return create_person(db, came, by, now=ARRIVAL)


def test_reminders_and_overdue_alerts_fire_once_survive_a_restart_and_reach_the_webhook(
    db_path: Path, db: Any, hook: WebhookReceiver
) -> None:
    person = _arrival(db, "police", "desk-ann")
    clock = FakeClock(ARRIVAL + timedelta(minutes=5))
    gw = Gateway(db_path, clock, hook)
    gw.at(clock.now)  # the timer opens the case for the unnamed arrival
    (case,) = gw.family.cases(db, clock.now)
    assert case.person_id == person.id and case.entered_at == "2026-09-25T02:00:00.000Z"
    assert {s.name: s.due for s in case.steps} == {
        "notice": "2026-09-26T02:00:00.000Z",
        "dna_request": "2026-10-12T16:00:00.000Z",
        "refresh-1": "2026-10-25T02:00:00.000Z",
    }
    assert _deadline_alerts(db_path) == []

    gw.at(ARRIVAL + timedelta(hours=19, minutes=59))
    assert _deadline_alerts(db_path) == []
    gw.at(ARRIVAL + timedelta(hours=20))  # 4 h before the 24 h notice deadline
    gw.at(ARRIVAL + timedelta(hours=20, minutes=1))
    assert _deadline_alerts(db_path) == [("family_search_reminder", f"{case.id}/notice", "active")]

    # restart: a new alert service and timer on the same database raise nothing again
    gw.stop()
    gw = Gateway(db_path, clock, hook)
    gw.at(ARRIVAL + timedelta(hours=22))
    assert len(_deadline_alerts(db_path)) == 1

    gw.at(ARRIVAL + timedelta(hours=24))  # exactly at the deadline: not yet overdue
    assert len(_deadline_alerts(db_path)) == 1
    gw.at(ARRIVAL + timedelta(hours=24, seconds=1))
    gw.at(ARRIVAL + timedelta(hours=30))
    assert _deadline_alerts(db_path)[1] == ("family_search_overdue", f"{case.id}/notice", "active")

    # the notice is published (late): both notice alerts are resolved by whoever recorded it
    gw.family.record_step(
        db, case.id, StepIn(step="notice", channel="全国救助寻亲网", reference="XQ-2026-0925"),
        "sup-li", clock.now,
    )  # fmt: skip
    assert [a[2] for a in _deadline_alerts(db_path)] == ["resolved", "resolved"]

    # the DNA request: reminder 24 h before the end of Mon 12 Oct, overdue strictly after it
    gw.at(DNA_DUE - timedelta(hours=24, seconds=1))
    assert len(_deadline_alerts(db_path)) == 2
    gw.at(DNA_DUE - timedelta(hours=24))
    gw.stop()
    gw = Gateway(db_path, clock, hook)  # another restart in between
    gw.at(DNA_DUE)
    gw.at(DNA_DUE + timedelta(seconds=1))
    assert _deadline_alerts(db_path)[2:] == [
        ("family_search_reminder", f"{case.id}/dna_request", "active"),
        ("family_search_overdue", f"{case.id}/dna_request", "active"),
    ]

    # the 1-month refresh: reminder 72 h before, overdue after; once each over many ticks
    for when in (REFRESH_DUE - timedelta(hours=72), REFRESH_DUE - timedelta(hours=1),
                 REFRESH_DUE + timedelta(seconds=1), REFRESH_DUE + timedelta(days=2)):  # fmt: skip
        gw.at(when)
    gw.stop()
    gw = Gateway(db_path, clock, hook)
    gw.at(REFRESH_DUE + timedelta(days=3))

    raised = _raised(hook)
    assert raised == Counter(
        {
            ("family_search_reminder", "notice"): 1,
            ("family_search_overdue", "notice"): 1,
            ("family_search_reminder", "dna_request"): 1,
            ("family_search_overdue", "dna_request"): 1,
            ("family_search_reminder", "refresh-1"): 1,
            ("family_search_overdue", "refresh-1"): 1,
        }
    )
    docs = [json.loads(r.body) for r in hook.ok()]
    overdue = next(
        d for d in docs
        if d["event"] == "raised" and d["alert"]["subject"] == f"{case.id}/dna_request"
        and d["alert"]["rule"] == "family_search_overdue"
    )  # fmt: skip
    assert "DNA" in overdue["text"]["en"] and person.id in overdue["text"]["zh"]
    assert all(r.headers.get("X-StationKit-Signature") for r in hook.ok())
    # the overdue alerts climbed the escalation chain to the bureau's level
    levels = {d["level"] for d in docs if d["alert"]["rule"] == "family_search_overdue"}
    assert "bureau_duty" in levels
    gw.stop()


def test_a_case_ends_when_the_person_leaves_and_its_alerts_are_resolved(
    db_path: Path, db: Any, hook: WebhookReceiver
) -> None:
    person = _arrival(db, "self", "d")
    clock = FakeClock(ARRIVAL + timedelta(hours=25))  # the notice is overdue already
    gw = Gateway(db_path, clock, hook)
    gw.at(clock.now)
    gw.at(clock.now + timedelta(seconds=2))
    assert [a[0] for a in _deadline_alerts(db_path)] == ["family_search_overdue"]
    set_status(db, person.id, "left", "desk-b", reason="left on his own", now=clock.now)
    gw.at(clock.now + timedelta(minutes=1))
    assert [a[2] for a in _deadline_alerts(db_path)] == ["resolved"]
    (case,) = gw.family.cases(db, clock.now, state="closed")
    assert case.found_by is None and case.found_note == "search ended: the file closed (left)"
    gw.at(DNA_DUE + timedelta(days=1))  # no more notices for somebody who left
    assert len(_deadline_alerts(db_path)) == 1
    gw.stop()
