"""The alert flow of the gateway (AlertService): events → engine → alerts/incidents tables →
notification outbox, with a fake clock; a restart rebuilds the engine from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devices.contract import codec
from devices.contract.models import Event
from gateway.alerts.config import AlertsConfig
from gateway.alerts.service import AlertError, AlertService
from gateway.notify.config import NotifyConfig, WebhookConfig
from gateway.notify.notifier import Notifier, outbox_for_alert
from gateway.store.db import open_store

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "gw.db"
    open_store(path).conn.close()
    return path


def _service(db_path: Path, clock: Clock, **config: Any) -> tuple[AlertService, Notifier]:
    notify = NotifyConfig(
        webhooks=[WebhookConfig(name="bureau", url="http://127.0.0.1:9/hook", secret="s" * 32)],
        mqtt={"enabled": False},
    )
    notifier = Notifier(notify, db_path, clock=clock)
    return AlertService(db_path, AlertsConfig(**config), notifier=notifier, clock=clock), notifier


def _fever(seq: int = 1, check_id: str | None = None) -> Event:
    """A fever check; a new person (check) unless `check_id` names one already sent."""
    data = {
        "check_id": check_id or codec.new_id(),
        "outcome": "fever_referral",
        "started_at": T0.isoformat(),
        "finished_at": T0.isoformat(),
        "celsius": 38.6,
    }
    env = codec.make_event("check", site="s1", node="desk-1", seq=seq, data=data, ts=T0)
    return codec.decode_event(codec.encode(env))


def _manual(category: str, seq: int = 1) -> Event:
    env = codec.make_event(
        "manual",
        site="s1",
        node="desk-1",
        seq=seq,
        data={"category": category, "description": "resident not in bed at roll call"},
        ts=T0,
    )
    return codec.decode_event(codec.encode(env))


def _events(svc: AlertService, alert_id: str) -> list[tuple[str, str]]:
    return [(r["event"], r["level"]) for r in outbox_for_alert(svc.db, alert_id)]


def test_a_fever_check_raises_an_alert_told_to_the_desk_at_once(db_path: Path) -> None:
    clock = Clock()
    svc, _ = _service(db_path, clock)
    svc.on_event(_fever(), clock())
    (alert,) = svc.db.execute("SELECT id, rule, severity, state FROM alerts").fetchall()
    assert alert[1:] == ("fever_referral", "major", "active")
    assert _events(svc, alert[0]) == [("raised", "desk")]
    history = svc.db.execute("SELECT actor, action FROM alert_history").fetchall()
    assert history == [("engine", "raised")]


def test_unacknowledged_alerts_climb_the_chain_and_stop_when_acknowledged(db_path: Path) -> None:
    clock = Clock()
    svc, _ = _service(db_path, clock)
    svc.on_event(_fever(), clock())
    (alert_id,) = svc.db.execute("SELECT id FROM alerts").fetchone()
    svc.tick(clock.advance(seconds=299))
    assert _events(svc, alert_id) == [("raised", "desk")]
    svc.tick(clock.advance(seconds=1))  # 5 min: the station duty officer
    assert _events(svc, alert_id)[-1] == ("escalated", "station_duty")
    svc.tick(clock.advance(seconds=1))
    assert len(_events(svc, alert_id)) == 2, "each level is told once"
    svc.acknowledge(alert_id, "desk-a")
    svc.tick(clock.advance(minutes=30))  # past the bureau's 15 min: acknowledged, no escalation
    assert _events(svc, alert_id) == [
        ("raised", "desk"),
        ("escalated", "station_duty"),
        ("acknowledged", "station_duty"),
    ]
    row = svc.db.execute("SELECT state, changed_by, escalation_level FROM alerts").fetchone()
    assert row == ("acknowledged", "desk-a", 2)
    actions = [r[0] for r in svc.db.execute("SELECT action FROM alert_history ORDER BY id")]
    assert actions == ["raised", "escalated", "acknowledged"]


def test_resolved_alert_gets_a_new_id_next_time_and_actions_are_checked(db_path: Path) -> None:
    clock = Clock()
    svc, _ = _service(db_path, clock)
    svc.on_event(_fever(1), clock())
    (first,) = svc.db.execute("SELECT id FROM alerts").fetchone()
    svc.comment(first, "desk-a", "sent to clinic by ambulance")
    svc.assign(first, "desk-a", "dr-wang")
    svc.resolve(first, "desk-a")
    with pytest.raises(AlertError) as err:
        svc.acknowledge(first, "desk-a")
    assert err.value.status == 409
    with pytest.raises(AlertError) as err:
        svc.resolve("01NOSUCHALERT0000000000000", "desk-a")
    assert err.value.status == 404
    clock.advance(minutes=1)
    svc.on_event(_fever(2), clock())
    ids = [r[0] for r in svc.db.execute("SELECT id FROM alerts ORDER BY id")]
    assert len(ids) == 2 and ids[0] == first
    row = svc.db.execute("SELECT assignee, state FROM alerts WHERE id=?", (first,)).fetchone()
    assert row == ("dr-wang", "resolved")
    history = svc.db.execute(
        "SELECT actor, action, detail FROM alert_history WHERE alert_id=? ORDER BY id", (first,)
    ).fetchall()
    assert history[1:] == [
        ("desk-a", "commented", "sent to clinic by ambulance"),
        ("desk-a", "assigned", "dr-wang"),
        ("desk-a", "resolved", ""),
    ]


def test_an_incident_gets_reminders_then_overdue_notices_until_reported(db_path: Path) -> None:
    clock = Clock()
    svc, _ = _service(db_path, clock)
    svc.on_event(_manual("missing_person"), clock())
    inc = svc.db.execute("SELECT id, alert_id, phone_due, written_due FROM incidents").fetchone()
    assert inc[2] == "2026-11-23T02:30:00.000Z" and inc[3] == "2026-11-23T03:00:00.000Z"

    def notices() -> list[str]:
        return [
            r[0]
            for r in svc.db.execute(
                "SELECT detail FROM incident_history WHERE incident_id=? "
                "AND action IN ('reminder','overdue') ORDER BY id",
                (inc[0],),
            )
        ]

    svc.tick(clock.advance(minutes=19, seconds=59))
    assert notices() == []
    svc.tick(clock.advance(seconds=1))  # 10 minutes before the phone deadline
    assert notices() == ["phone:-10m"]
    svc.record_report(inc[0], "phone", "duty-li", "bureau duty officer Zhao", "called 02:22")
    svc.tick(clock.advance(minutes=30))  # 02:50: written due 03:00, reminded at -10 min
    assert notices() == ["phone:-10m", "written:-10m"]
    svc.tick(clock.advance(minutes=11))  # 03:01: overdue, told to the bureau level too
    assert notices()[-1] == "written:overdue"
    levels = [e for e in _events(svc, inc[1]) if e[0] == "overdue"]
    assert levels == [("overdue", "station_duty"), ("overdue", "bureau_duty")]
    row = svc.record_report(inc[0], "written", "duty-li", "bureau, by e-mail")
    assert row["closed_at"] is not None and row["overdue"] == []
    assert row["phone_reported_by"] == "duty-li"
    with pytest.raises(AlertError) as err:
        svc.record_report(inc[0], "written", "duty-li", "again")
    assert err.value.status == 409


def test_two_fevers_in_a_row_are_two_alerts_each_told_to_the_desk(db_path: Path) -> None:
    clock = Clock()
    svc, _ = _service(db_path, clock)
    svc.on_event(_fever(1), clock())
    svc.on_event(_fever(2), clock.advance(seconds=15))  # the next person
    rows = svc.db.execute("SELECT id, count FROM alerts ORDER BY id").fetchall()
    assert [r[1] for r in rows] == [1, 1]
    assert [_events(svc, r[0]) for r in rows] == [[("raised", "desk")], [("raised", "desk")]]


def test_a_restart_keeps_counting_on_the_open_alert(db_path: Path) -> None:
    clock = Clock()
    svc, _ = _service(db_path, clock)
    check_id = codec.new_id()
    svc.on_event(_fever(1, check_id), clock())
    svc.stop()
    again, _ = _service(db_path, clock)
    again.on_event(_fever(2, check_id), clock.advance(seconds=5))  # the same check, redelivered
    rows = again.db.execute("SELECT count(*), max(count) FROM alerts").fetchone()
    assert rows == (1, 2), "the repeat was counted on the open alert, not a new one"
    again.tick(clock.advance(minutes=5))
    (alert_id,) = again.db.execute("SELECT id FROM alerts").fetchone()
    assert _events(again, alert_id) == [("raised", "desk"), ("escalated", "station_duty")]


def _store(db_path: Path, *events: Event) -> None:
    """Store events the way the gateway does (the alert engine looks up their rowid): node
    events through the ingest writer, staff reports as the dashboard's route stores them
    (the writer refuses `manual` from a node: issue 13)."""
    from devices.contract import topics
    from gateway.ingest.writer import Incoming, IngestWriter
    from gateway.store.times import iso

    db = open_store(db_path)
    IngestWriter(db).store_batch(
        [
            Incoming(topics.event(e.site, e.node, e.kind), codec.encode(e), T0)
            for e in events
            if e.kind != "manual"
        ]
    )
    with db.atomic():
        for e in events:
            if e.kind == "manual":
                db.execute(
                    "INSERT INTO events (id, site, node, kind, ts, seq, data, received_at) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    (
                        e.id,
                        e.site,
                        e.node,
                        e.kind,
                        iso(e.ts),
                        e.seq,
                        e.data.model_dump_json(),
                        iso(T0),
                    ),
                )
    db.conn.close()


def test_a_locked_database_delays_an_incident_but_loses_nothing(db_path: Path) -> None:
    import sqlite3

    clock = Clock()
    svc, _ = _service(db_path, clock)
    svc.db.execute("PRAGMA busy_timeout=50")
    report = _manual("missing_person")
    _store(db_path, report)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
    svc.on_event(report, clock())
    assert svc.db.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
    assert svc.feed.state.alerts == {}, "the engine must not keep what was not stored"
    blocker.execute("ROLLBACK")
    svc.tick(clock.advance(seconds=1))  # the timer feeds it again
    assert svc.db.execute("SELECT rule FROM alerts").fetchall() == [("missing_person",)]
    assert svc.db.execute("SELECT count(*) FROM incidents").fetchone() == (1,)
    (alert_id,) = svc.db.execute("SELECT id FROM alerts").fetchone()
    assert _events(svc, alert_id) == [("raised", "desk")]


def test_events_stored_but_not_yet_seen_by_the_engine_are_replayed_at_start(
    db_path: Path,
) -> None:
    clock = Clock()
    svc, _ = _service(db_path, clock)
    first = _fever(1)
    _store(db_path, first)
    svc.on_event(first, clock())
    svc.tick(clock.advance(seconds=1))  # progress saved
    svc.stop()
    # the gateway stored two more events and died before the engine saw them
    _store(db_path, _manual("injury", 2), _fever(3))
    again, _ = _service(db_path, clock)
    rows = again.db.execute("SELECT rule, count FROM alerts ORDER BY rule").fetchall()
    once = [("fever_referral", 1), ("fever_referral", 1), ("injury", 1)]  # one per person
    assert rows == once, "replayed once each, first not again"
    again.stop()
    third, _ = _service(db_path, clock)
    rows = third.db.execute("SELECT rule, count FROM alerts ORDER BY rule").fetchall()
    assert rows == once, "nothing replayed twice"


def test_an_open_alert_the_engine_does_not_hold_can_still_be_closed(db_path: Path) -> None:
    clock = Clock()
    svc, _ = _service(db_path, clock)
    svc.db.execute(  # e.g. a row the engine left out at start (it did not validate)
        "INSERT INTO alerts (id, rule, severity, site, first_at, last_at, count, state) "
        "VALUES ('01STRAY0000000000000000000','fever_referral','urgent','s1',?,?,1,'active')",
        ("2026-11-23T01:00:00.000Z", "2026-11-23T01:00:00.000Z"),
    )
    assert svc.acknowledge("01STRAY0000000000000000000", "sup-li")["state"] == "acknowledged"
    assert svc.resolve("01STRAY0000000000000000000", "sup-li")["state"] == "resolved"
    with pytest.raises(AlertError):
        svc.resolve("01STRAY0000000000000000000", "sup-li")


def test_an_input_that_keeps_failing_is_skipped_and_alerting_goes_on(db_path: Path) -> None:
    class BrokenOnce:  # a bug that hits one alert's notification only
        def __init__(self, real: Notifier) -> None:
            self.real = real

        def enqueue(self, db: Any, n: Any) -> list[str]:
            if n.alert["rule"] == "fever_referral":
                raise ValueError("cannot build this notification")
            return self.real.enqueue(db, n)

        def wake(self) -> None:
            self.real.wake()

    clock = Clock()
    svc, notifier = _service(db_path, clock)
    svc.notifier = BrokenOnce(notifier)
    fever, injury = _fever(1), _manual("injury", 2)
    _store(db_path, fever, injury)
    svc.on_event(fever, clock())
    svc.on_event(injury, clock())  # waits behind the failing one, in order
    assert svc.db.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
    svc.tick(clock.advance(seconds=1))
    svc.tick(clock.advance(seconds=1))  # third failure: skipped, the injury goes through
    assert [r[0] for r in svc.db.execute("SELECT rule FROM alerts")] == ["injury"]
