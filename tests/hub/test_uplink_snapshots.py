"""Snapshots read from a real gateway SQLite store: health counts cameras by their events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from gateway.store.db import open_store
from gateway.store.times import iso
from gateway.uplink import snapshots

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_health_counts_cameras_by_their_events_and_returns_count_the_local_day(
    tmp_path: Path,
) -> None:
    db = open_store(tmp_path / "gw.db")
    with db.atomic():
        for node, state, devices in (
            ("cam-node", "online", {"yard": "ok", "gate-cam": "fault", "outbox": "ok"}),
            ("desk-1", "offline", {"thermo-1": "ok"}),
        ):
            db.execute(
                "INSERT INTO nodes (site, node, state, last_seen, devices) VALUES (?,?,?,?,?)",
                ("s1", node, state, iso(NOW), json.dumps(devices)),
            )
        for i, (device, kind) in enumerate((("yard", "people"), ("gate-cam", "camera"))):
            db.execute(
                "INSERT INTO events (id, site, node, kind, ts, seq, device, data, received_at) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    f"01JD3K0000000000000000000{i}",
                    "s1",
                    "cam-node",
                    kind,
                    iso(NOW - timedelta(hours=1)),
                    i,
                    device,
                    "{}",
                    iso(NOW),
                ),
            )
        # 23:30 Shanghai on Dec 2 = 15:30 UTC: counted on the 2nd, local time
        db.execute(
            "INSERT INTO checks (check_id, event_id, site, node, outcome, started_at) "
            "VALUES ('c1', 'e1', 's1', 'desk-1', 'cleared', '2026-12-02T15:30:00.000Z')"
        )
    h = snapshots.health_summary(db, "s1", NOW)
    assert (h.nodes_online, h.nodes_total, h.cameras_ok, h.cameras_total) == (1, 2, 1, 2)
    assert h.last_data_at == NOW
    day2 = snapshots.daily_return(db, "s1", date(2026, 12, 2), "Asia/Shanghai", NOW)
    day3 = snapshots.daily_return(db, "s1", date(2026, 12, 3), "Asia/Shanghai", NOW)
    assert (day2.checks, day2.checks_by_outcome, day3.checks) == (1, {"cleared": 1}, 0)
