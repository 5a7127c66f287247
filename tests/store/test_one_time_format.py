"""m0910_one_time_format on a database written before it: old rows of every affected table,
in every spelling the writers used (`+00:00` with or without microseconds, whole seconds,
another offset, no zone), read back in the store's one spelling, and the comparisons made on
them (session expiry and clean-up, login locks, token expiry, the audit trail's filters) give
the answers the real times call for."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from gateway.auth import throttle
from gateway.auth.sessions import create_session, hash_id, lookup_session
from gateway.auth.tokens import list_tokens
from gateway.store.schema import m0910_one_time_format as m0910
from tests.security.auth_fixtures import AuthSite, make_site
from tests.support.schema import store_before

STORE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # the auth fixtures' clock
OLD_APPLIED = "2026-11-01T00:00:00.123456+00:00"


def _store_before_m0910(path: Path) -> sqlite_utils.Database:
    """A database with every migration before m0910 applied, recorded in the old spelling."""
    return store_before(path, "m0910", OLD_APPLIED)


def _user(name: str, **times: str | None) -> dict[str, Any]:
    return {
        "username": name,
        "role": "desk",
        "password_hash": "x",
        "disabled": 0,
        "lang": "en",
        "created_at": "2026-11-01T02:00:00.123456+00:00",
        **times,
    }


def _session(sid: str, expires_at: str) -> dict[str, Any]:
    return {
        "id_hash": hash_id(sid),
        "username": "old-a",
        "csrf_token": "c",
        "created_at": "2026-11-23T07:00:00+00:00",
        "expires_at": expires_at,
        "last_seen": "2026-11-23T07:59:00.500000+00:00",
    }


def _token(name: str, **times: str | None) -> dict[str, Any]:
    return {"name": name, "role": "bureau", "token_hash": f"hash-{name}", "disabled": 0, **times}


def _outbox(n: int, **times: str | None) -> dict[str, Any]:
    return {
        "id": f"o{n}",
        "seq": n,
        "notification_id": "n",
        "alert_id": "A",
        "event": "raised",
        "level": "0",
        "channel": "ops",
        "kind": "webhook",
        "target": "https://x",
        "payload": "{}",
        "attempts": 1,
        "state": "pending",
        "fell_back": 0,
        **times,
    }


def _write_old_rows(db: sqlite_utils.Database) -> None:
    """One or more rows in each affected table, in the spellings of the writers before."""
    with db.atomic():
        db.table("users").insert_all(
            [
                _user(
                    "old-a",
                    password_changed_at="2026-11-01T10:00:00+08:00",
                    locked_until="2026-11-23T08:10:00",
                    last_login_at=None,
                ),
                _user("old-b", last_login_at="2026-11-22T09:00:00+00:00"),
            ]
        )
        db.table("sessions").insert_all(
            [
                _session("live", "2026-11-23T19:00:00+08:00"),  # 11:00Z: live at 08:00Z
                # 07:30Z: expired at 08:00Z, though as text it sorts after "2026-11-23T08:00…"
                _session("expired", "2026-11-23T15:30:00+08:00"),
                _session("stale", "2026-11-16T15:00:00+08:00"),  # 07:00Z, more than a week ago
            ]
        )
        db.table("login_throttle").insert(
            {
                "key": "user:old-a",
                "failures": 0,
                "first_at": "2026-11-23T07:58:00.250000+00:00",
                "locked_until": "2026-11-23T08:10:00",
            }
        )
        db.table("api_tokens").insert_all(
            [
                _token(
                    "gone",
                    created_at="2026-11-01T02:00:00+00:00",
                    expires_at="2026-11-23T15:00:00+08:00",  # 07:00Z: expired
                    last_used_at="2026-11-22T10:00:00.000001+00:00",
                ),
                _token("ci", created_at="2026-11-01T02:00:00.5+00:00", expires_at=None),
            ]
        )
        db.table("audit").insert_all(
            {"at": at, "actor": "old", "action": action}
            for at, action in [
                ("2026-11-22T20:00:00+08:00", "offset"),  # 12:00Z
                ("2026-11-22T13:00:00+00:00", "at-until"),  # 13:00Z: not before `until`
                ("2026-11-22T11:00:00.999999+00:00", "micro"),  # 11:00:00.999Z
                ("2026-11-22T10:59:59", "naive"),  # 10:59:59Z: before `since`
                ("2026-11-22T12:30:00.000Z", "store"),
            ]
        )
        db.table("commands").insert(
            {
                "id": "cmd-1",
                "site": "s1",
                "node": "desk-1",
                "action": "ping",
                "args": "{}",
                "sent_at": "2026-11-22T10:00:00.123456+00:00",
                "sent_by": "desk1",
            }
        )
        db.table("camera_layouts").insert_all(
            [
                {
                    "site": "s1",
                    "node": "cam-1",
                    "camera": "room-1",
                    "layout": "{}",
                    "updated_at": "2026-11-22T10:00:00+00:00",
                    "updated_by": "admin1",
                },
                {
                    "site": "s1",
                    "node": "cam-1",
                    "camera": "room-2",
                    "layout": "{}",
                    "updated_at": "yesterday",
                    "updated_by": "admin1",
                },
            ]
        )
        db.table("notify_outbox").insert_all(
            [
                _outbox(
                    1,
                    created_at="2026-11-22T10:00:00.000001+00:00",
                    due_at="2026-11-22T10:00:30.5+00:00",
                    delivered_at=None,
                ),
                _outbox(
                    2,
                    created_at="2026-11-22T10:00:00+00:00",
                    due_at="2026-11-22T10:00:00",
                    delivered_at="2026-11-22T18:00:01.250000+08:00",
                ),
            ]
        )
        db.table("notify_deliveries").insert(
            {
                "outbox_id": "o2",
                "alert_id": "A",
                "channel": "ops",
                "kind": "webhook",
                "target": "https://x",
                "attempt": 1,
                "at": "2026-11-22T10:00:01.000500+00:00",
                "ok": 1,
            }
        )


@pytest.fixture
def site(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AuthSite:
    """The old database, then the gateway opened on it (which applies m0910)."""
    caplog.set_level(logging.INFO, logger=m0910.__name__)
    old = _store_before_m0910(tmp_path / "gw.db")
    _write_old_rows(old)
    old.conn.close()
    return make_site(tmp_path)


def _value(db: sqlite_utils.Database, sql: str, *args: object) -> Any:
    return db.execute(sql, args).fetchone()[0]


def test_every_old_time_reads_back_in_the_store_spelling(
    site: AuthSite, caplog: pytest.LogCaptureFixture
) -> None:
    db = site.db
    for table, columns in m0910.COLUMNS.items():
        for column in columns:
            values = [r[0] for r in db.execute(f"SELECT {column} FROM {table}")]
            odd = [v for v in values if v is not None and not STORE.match(v)]
            assert odd == (["yesterday"] if table == "camera_layouts" else []), (table, column)
    assert _value(db, "SELECT applied_at FROM _migrations WHERE name='m0001_core'") == (
        "2026-11-01T00:00:00.123Z"
    )
    old_a = "SELECT password_changed_at, locked_until, last_login_at FROM users WHERE username=?"
    assert db.execute(old_a, ["old-a"]).fetchone() == (
        "2026-11-01T02:00:00.000Z",  # +08:00 moved to UTC
        "2026-11-23T08:10:00.000Z",  # no zone: UTC
        None,  # NULL stays NULL
    )
    assert _value(db, "SELECT sent_at FROM commands") == "2026-11-22T10:00:00.123Z"
    assert _value(db, "SELECT due_at FROM notify_outbox WHERE id='o1'") == (
        "2026-11-22T10:00:30.500Z"
    )
    assert _value(db, "SELECT delivered_at FROM notify_outbox WHERE id='o2'") == (
        "2026-11-22T10:00:01.250Z"
    )
    assert _value(db, "SELECT at FROM notify_deliveries") == "2026-11-22T10:00:01.000Z"
    migration_log = caplog.get_records("setup")  # the fixture opened the old database
    warnings = [r.getMessage() for r in migration_log if r.levelno == logging.WARNING]
    assert warnings == ["camera_layouts.updated_at: 1 values are not times, left as they are"]


def test_sessions_expire_and_are_cleaned_up_by_their_real_times(site: AuthSite) -> None:
    db = site.db
    assert lookup_session(db, "live", NOW, site.settings) is not None
    assert lookup_session(db, "expired", NOW, site.settings) is None
    assert _value(db, "SELECT end_reason FROM sessions WHERE id_hash=?", hash_id("expired")) == (
        "expired"
    )
    # a new login deletes sessions that ended more than a week ago (07:00Z on the 16th)
    create_session(db, "old-b", NOW, site.settings)
    left = {r[0] for r in db.execute("SELECT id_hash FROM sessions")}
    assert hash_id("stale") not in left
    assert {hash_id("live"), hash_id("expired")} <= left


def test_login_locks_and_token_expiry_read_the_migrated_times(site: AuthSite) -> None:
    assert throttle.retry_after(site.db, ["user:old-a"], NOW) == 600
    assert throttle.retry_after(site.db, ["user:old-a"], NOW + timedelta(minutes=10)) is None
    states = {t.name: t.state(NOW) for t in list_tokens(site.db)}
    assert states == {"gone": "expired", "ci": "active"}


def test_audit_filters_find_rows_by_their_real_times(site: AuthSite) -> None:
    client = site.client()
    site.login(client, "admin")
    r = client.get(
        "/api/v1/audit",
        params={"actor": "old", "since": "2026-11-22T11:00:00Z", "until": "2026-11-22T13:00:00Z"},
    )
    assert r.status_code == 200, r.text
    found = {i["action"]: i["at"] for i in r.json()["items"]}
    assert found == {
        "offset": "2026-11-22T12:00:00.000Z",
        "micro": "2026-11-22T11:00:00.999Z",
        "store": "2026-11-22T12:30:00.000Z",
    }
    # the same instant written as +08:00 is found by a bound written as +08:00
    r = client.get("/api/v1/audit", params={"actor": "old", "since": "2026-11-22T21:00:00+08:00"})
    assert {i["action"] for i in r.json()["items"]} == {"at-until"}


def test_running_it_again_changes_nothing(site: AuthSite, caplog: pytest.LogCaptureFixture) -> None:
    db = site.db

    def everything() -> dict[str, list[tuple[Any, ...]]]:
        return {t: db.execute(f"SELECT * FROM {t}").fetchall() for t in m0910.COLUMNS}

    before = everything()
    caplog.clear()
    with db.atomic():
        m0910.migrate(db)
    assert everything() == before
    assert not [r for r in caplog.records if r.levelno == logging.INFO]
