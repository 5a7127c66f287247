"""m0700_people on a database at the schema before it, holding checks and events: every row
stays, and the old checks can be linked to files afterwards. Retention of person files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.maintenance.retention import RetentionPolicy, apply_retention
from gateway.people import images as pics
from gateway.people import store
from gateway.people.models import PersonCreate, PersonUpdate
from gateway.store.db import connect, open_store
from tests.people.conftest import add_check
from tests.support.schema import store_before

JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100


def _old_store(path: Path) -> None:
    """A database with every migration before m0700 applied (today's schema)."""
    db = store_before(path, "m0700")
    assert "people" not in db.table_names()
    for i in range(50):
        add_check(
            db,
            f"old-{i}",
            outcome="fever_referral" if i == 7 else "items_held",
            items=["打火机"],
            at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=i),
        )
    with db.atomic():
        db.table("events").insert_all(
            {
                "id": f"ev-{i}",
                "site": "s1",
                "node": "desk-1",
                "kind": "check",
                "ts": "2026-11-01T00:00:00.000Z",
                "seq": i,
                "device": None,
                "data": json.dumps({"i": i}),
                "received_at": "2026-11-01T00:00:00.000Z",
            }
            for i in range(300)
        )
    db.conn.close()


def test_migration_keeps_every_check_and_event(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    _old_store(path)
    before = connect(path)
    checks = before.execute("SELECT * FROM checks ORDER BY check_id").fetchall()
    events = before.execute("SELECT * FROM events ORDER BY id").fetchall()
    before.conn.close()
    db = open_store(path)  # applies m0700_people (and anything after it)
    assert "m0700_people" in {r[0] for r in db.execute("SELECT name FROM _migrations")}
    assert db.execute("SELECT * FROM checks ORDER BY check_id").fetchall() == checks
    assert db.execute("SELECT * FROM events ORDER BY id").fetchall() == events
    # an old check opens a file, another is linked to it later: both valid
    person = store.create_person(db, PersonCreate(site="s1", check_id="old-3"), "desk")
    linked = store.link_check(db, "old-7", person.id, "desk")
    assert linked.status == "isolation" and linked.items_held == 2
    assert linked.came_at == "2026-11-01T03:00:00.000Z"


def test_retention_archives_closed_files_and_deletes_portraits_of_people_home(
    tmp_path: Path,
) -> None:
    db = open_store(tmp_path / "gw.db")
    vault = pics.ImageVault.beside(tmp_path / "gw.db")
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    ids = {}
    for name in ("home", "held", "staying"):
        p = store.create_person(db, PersonCreate(site="s1", names=[name]), "desk", now=long_ago)
        store.update_person(db, p.id, PersonUpdate(legal_basis="statutory_duty"), "desk")
        pics.store_image(db, vault, p.id, "portrait", JPEG, "desk", now=long_ago)
        if name != "staying":
            store.set_status(db, p.id, "returned_home", "desk", now=long_ago)
        ids[name] = p.id
    db.execute(
        "INSERT INTO legal_holds (scope, target, reason, placed_by, placed_at) "
        "VALUES ('person', ?, 'inquiry', 'sup', 'x')",
        [ids["held"]],
    )
    policy = RetentionPolicy(people_archive_days=180, portraits_returned_days=90)
    report = apply_retention(db, policy, now=now)
    assert report.people == {
        "people_archived": 1,
        "portraits_deleted": 1,
        "face_templates_deleted": 0,
    }
    home = store.get_person(db, ids["home"])
    assert home.archived_at and home.portrait_id is None
    assert store.get_person(db, ids["held"]).portrait_id is not None  # legal hold
    assert store.get_person(db, ids["staying"]).archived_at is None
    files = {f.stem for f in (tmp_path / "people-images").glob("*.bin")}
    assert len(files) == 2
    (row,) = db.execute("SELECT reason, count FROM deletion_log WHERE table_name='person_images'")
    assert row == ("retention: portraits of people returned home", 1)
    # the linked checks of a file are kept with the file
    add_check(db, "c-kept", at=long_ago)
    add_check(db, "c-gone", at=long_ago)
    store.link_check(db, "c-kept", ids["staying"], "desk")
    apply_retention(db, RetentionPolicy(checks_days=60), now=now)
    left = {r[0] for r in db.execute("SELECT check_id FROM checks")}
    assert "c-kept" in left and "c-gone" not in left
