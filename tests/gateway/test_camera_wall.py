"""The camera wall's first fold after a start reads every state change but only the last week
of frequent events: an old, still-active tamper is shown; months of motion are not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.api.routes.cameras import _Wall
from gateway.store.db import open_store
from gateway.store.times import iso


def _event(db, eid: str, kind: str, age: timedelta, data: dict) -> None:  # type: ignore[no-untyped-def]
    at = iso(datetime.now(UTC) - age)
    db.execute(
        "INSERT INTO events (id, site, node, kind, ts, seq, device, data, received_at) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        (eid, "home-7", "cam-1", kind, at, 0, "room-1", json.dumps(data), at),
    )


def test_first_fold_keeps_old_state_and_skips_old_motion(tmp_path: Path) -> None:
    db = open_store(tmp_path / "gw.db")
    _event(db, "old-tamper", "tamper", timedelta(days=30), {"reason": "covered", "active": True})
    for i in range(50):
        _event(db, f"old-motion-{i}", "motion", timedelta(days=20), {"snapshot": True})
    _event(db, "new-motion", "motion", timedelta(minutes=5), {"snapshot": True})
    cam = _Wall().fold(db)[("home-7", "cam-1", "room-1")]
    assert cam["tamper"]["covered"][1] is True
    assert [s["event_id"] for s in cam["snapshots"]] == ["new-motion"]
    # later folds read only what was added since
    _event(db, "newer-motion", "motion", timedelta(minutes=1), {})
    wall = _Wall()
    wall.fold(db)
    before = wall.rowid
    _event(db, "newest", "camera", timedelta(seconds=1), {"state": "offline"})
    assert wall.fold(db)[("home-7", "cam-1", "room-1")]["state"] == "offline"
    assert wall.rowid == before + 1
