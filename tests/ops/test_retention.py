"""Retention on a real gateway store: periods, legal holds, incident evidence, deletion log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlite_utils

from gateway.maintenance.holds import HoldError, active_holds, place_hold, release_hold
from gateway.maintenance.retention import RetentionPolicy, apply_retention, iso
from gateway.store.db import open_store

NOW = dt.datetime(2027, 6, 1, 12, 0, tzinfo=dt.UTC)


def _event(db: sqlite_utils.Database, eid: str, node: str, age_days: float, seq: int) -> None:
    at = iso(NOW - dt.timedelta(days=age_days))
    db.execute(
        "INSERT INTO events (id, site, node, kind, ts, seq, device, data, received_at) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        (eid, "s1", node, "check", at, seq, None, "{}", at),
    )
    db.execute(
        "INSERT INTO checks (check_id, event_id, site, node, outcome, started_at) "
        "VALUES (?,?,?,?,?,?)",
        (f"c-{eid}", eid, "s1", node, "cleared", at),
    )


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    store = open_store(tmp_path / "gateway.db")
    with store.atomic():
        for i in range(1200):  # more than two deletion batches
            _event(store, f"old-{i:05d}", "desk-1", 400 + i / 1000, i)
        for i in range(10):
            _event(store, f"new-{i:05d}", "desk-1", 1 + i, 2000 + i)
        _event(store, "held-by-hold", "desk-1", 500, 5000)
        _event(store, "held-by-incident", "desk-1", 500, 5001)
        for i in range(5):
            _event(store, f"room-{i}", "room-2", 500, i)
        store.execute(
            "INSERT INTO deadletters (received_at, topic, reason, size) VALUES (?,?,?,?)",
            (iso(NOW - dt.timedelta(days=40)), "x", "bad_json", 1),
        )
        # an alert that raised an incident, referencing its evidence; its site is "s2" so the
        # incident's evidence window holds nothing of s1's
        old = iso(NOW - dt.timedelta(days=500))
        store.execute(
            "INSERT INTO alerts (id, rule, severity, site, node, first_at, last_at, count, "
            "state, event_id) VALUES ('a-1','missing_person','critical','s2','home-1',?,?,1,"
            "'resolved','held-by-incident')",
            (old, old),
        )
        store.execute(
            "INSERT INTO incidents (id, alert_id, category, site, opened_at, phone_due, "
            "written_due) VALUES ('inc-1','a-1','missing_person','s2',?,?,?)",
            (old, old, old),
        )
    place_hold(store, "event", "held-by-hold", reason="bureau case 17", actor="supervisor-li")
    place_hold(store, "node", "s1/room-2", reason="missing person inquiry", actor="bureau-wang")
    return store


def _ids(db: sqlite_utils.Database, table: str, key: str) -> set[str]:
    return {r[0] for r in db.execute(f"SELECT {key} FROM {table}").fetchall()}


def test_expired_records_go_and_held_ones_stay(db: sqlite_utils.Database) -> None:
    report = apply_retention(db, RetentionPolicy(), now=NOW)
    left = _ids(db, "events", "id")
    assert left == (
        {f"new-{i:05d}" for i in range(10)}
        | {"held-by-hold", "held-by-incident"}
        | {f"room-{i}" for i in range(5)}
    )
    assert _ids(db, "checks", "event_id") == left
    assert report.deleted == {"events": 1200, "checks": 1200, "deadletters": 1}
    assert report.held["events"] == 7
    assert db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1  # never touched


def test_every_deleted_id_is_logged(db: sqlite_utils.Database) -> None:
    apply_retention(db, RetentionPolicy(), now=NOW)
    logged: dict[str, list[str]] = {}
    for table, ids, count, reason in db.execute(
        "SELECT table_name, ids, count, reason FROM deletion_log"
    ).fetchall():
        assert len(json.loads(ids)) == count and reason == "retention period"
        logged.setdefault(table, []).extend(json.loads(ids))
    assert sorted(logged["events"]) == sorted(f"old-{i:05d}" for i in range(1200))
    assert len(set(logged["checks"])) == 1200
    (summary,) = db.execute("SELECT detail FROM audit WHERE action='retention.delete'").fetchone()
    assert "events: 1200 deleted, 7 held" in summary


def test_released_hold_lets_the_record_expire(db: sqlite_utils.Database) -> None:
    (hold,) = [h for h in active_holds(db) if h.target == "held-by-hold"]
    release_hold(db, hold.id, actor="supervisor-li")
    with pytest.raises(HoldError):
        release_hold(db, hold.id, actor="supervisor-li")
    apply_retention(db, RetentionPolicy(), now=NOW)
    assert "held-by-hold" not in _ids(db, "events", "id")
    actions = [r[0] for r in db.execute("SELECT action FROM audit ORDER BY id").fetchall()]
    assert actions.count("legal_hold.place") == 2 and "legal_hold.release" in actions


def test_a_second_run_deletes_nothing_and_none_keeps_forever(db: sqlite_utils.Database) -> None:
    apply_retention(db, RetentionPolicy(), now=NOW)
    again = apply_retention(db, RetentionPolicy(), now=NOW)
    assert set(again.deleted.values()) == {0}
    forever = RetentionPolicy(events_days=None, checks_days=None, deadletters_days=None)
    assert apply_retention(db, forever, now=NOW + dt.timedelta(days=9999)).deleted == {}


def test_policy_refuses_periods_shorter_than_the_node_outbox() -> None:
    with pytest.raises(ValueError, match="35"):
        RetentionPolicy(events_days=7)
    with pytest.raises(ValueError):
        RetentionPolicy(unknown_days=3)  # type: ignore[call-arg]


def test_hold_input_is_checked(db: sqlite_utils.Database) -> None:
    with pytest.raises(HoldError, match="site/node"):
        place_hold(db, "node", "room-2", reason="r", actor="a")
    with pytest.raises(HoldError, match="reason"):
        place_hold(db, "event", "x", reason=" ", actor="a")


def test_cli_retention_with_policy_file(tmp_path: Path, db: sqlite_utils.Database) -> None:
    from firmware_py.cli import main

    db_path = tmp_path / "gateway.db"
    policy = tmp_path / "retention.toml"
    policy.write_text("events_days = 36500\nchecks_days = 36500\ndeadletters_days = 1\n")
    five_days_ago = iso(dt.datetime.now(dt.UTC) - dt.timedelta(days=5))  # the CLI uses real time
    with db.atomic():
        db.execute(
            "INSERT INTO deadletters (received_at, topic, reason, size) VALUES (?,?,?,?)",
            (five_days_ago, "cli", "bad_json", 1),
        )
    assert main(["retention", "--db", str(db_path), "--policy", str(policy)]) == 0
    assert len(_ids(db, "events", "id")) == 1217  # nothing that old
    assert db.execute("SELECT count(*) FROM deadletters WHERE topic='cli'").fetchone()[0] == 0
    policy.write_text("events_days = 3\n")
    assert main(["retention", "--db", str(db_path), "--policy", str(policy)]) == 2


def test_events_around_an_incident_are_its_evidence(db: sqlite_utils.Database) -> None:
    opened = NOW - dt.timedelta(days=400.5)
    db.execute(
        "INSERT INTO incidents (id, alert_id, category, site, opened_at, phone_due, "
        "written_due) VALUES ('inc-2','a-1','injury','s1',?,?,?)",
        (iso(opened), iso(opened), iso(opened)),
    )
    apply_retention(db, RetentionPolicy(), now=NOW)
    kept = {e for e in _ids(db, "events", "id") if e.startswith("old-")}
    # old-i happened 400 + i/1000 days ago: 30 min before to 60 min after the incident
    window = {
        f"old-{i:05d}"
        for i in range(1200)
        if opened - dt.timedelta(minutes=30)
        <= NOW - dt.timedelta(days=400 + i / 1000)
        <= opened + dt.timedelta(minutes=60)
    }
    assert len(window) > 50 and kept == window
