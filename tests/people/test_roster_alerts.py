"""The alert engine compares a foster home's head count with the people placed there
(AlertService.rosters = RosterProvider), and falls back to the configured roster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from devices.contract import codec
from devices.contract.models import Event
from gateway.alerts.config import AlertsConfig
from gateway.alerts.service import AlertService
from gateway.people import placements, store
from gateway.people.models import PersonCreate, PlacementIn
from gateway.people.roster import RosterProvider
from gateway.store.db import open_store

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _count(n: int, seq: int) -> Event:
    env = codec.make_event(
        "people",
        site="fh1",
        node="cam-node",
        seq=seq,
        data={"camera": "room-1", "count": n},
        ts=T0 + timedelta(seconds=seq),
    )
    return codec.decode_event(codec.encode(env))


def _head_count_alerts(svc: AlertService) -> list[tuple[str, str]]:
    return svc.db.execute("SELECT rule, state FROM alerts WHERE rule='head_count'").fetchall()


def test_placed_people_set_the_expected_head_count(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    db = open_store(path)
    config = AlertsConfig(
        sites={"fh1": {"roster_total": 1, "total_cameras": ["room-1"]}},
        rules={"head_count": {"debounce_s": 10}},
    )
    now = [T0]
    svc = AlertService(path, config, clock=lambda: now[0])
    svc.rosters = RosterProvider(path, every_s=0)
    # nobody placed: the configured roster (1) is in force, a count of 1 is fine
    svc.tick(now[0])
    svc.on_event(_count(1, 1), now[0])
    now[0] += timedelta(seconds=30)
    svc.tick(now[0])
    assert _head_count_alerts(svc) == []
    # two people placed there: 1 counted is one missing
    for name in ("甲", "乙"):
        p = store.create_person(db, PersonCreate(site="st", names=[name]), "sup")
        placements.place(db, p.id, PlacementIn(site="fh1", from_date="2026-11-01"), "sup")
    svc.tick(now[0])
    svc.on_event(_count(1, 2), now[0])
    now[0] += timedelta(seconds=30)
    svc.tick(now[0])
    assert _head_count_alerts(svc) == [("head_count", "active")]
    svc.stop()
