"""Subject access, erasure, legal holds and retention of person files (PIPL Arts 19, 45, 47).

- `export_person`: the whole file as JSON (fields, status history, checks, belongings,
  placements, image records with the images themselves in base64, and what extensions add),
  audited as `person.export`.
- `erase_person`: deletes the file, its rows and its image files, with a logged reason (a
  `deletion_log` row listing what went, and an audit row). Refused under a legal hold. The
  checks themselves stay (they are the desk's record of a check), unlinked.
- Legal holds on a file: a `legal_holds` row with scope `person` and the person id as target.
- `apply_people_retention`: closed files (returned_home, transferred, left, deceased) are
  archived `archive_days` after they closed; portraits (and their history) of people returned
  home are deleted `portraits_days` after they went home. Held files are skipped.

Extension points: `EXPORT_SOURCES` (name -> fn(db, person_id) -> JSON-able) and `ERASE_HOOKS`
(fn(db, person_id) -> count of rows deleted) for the records other modules keep on a person."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import sqlite_utils

from gateway.auth.audit import audit
from gateway.people import Conflict, Invalid, NotFound
from gateway.people.images import ImageVault, delete_image
from gateway.people.models import CLOSED
from gateway.people.store import _row, get_person, person_rows, rows, status_history
from gateway.people.timeline import timeline
from gateway.store.times import iso

EXPORT_SOURCES: dict[str, Callable[[sqlite_utils.Database, str], Any]] = {}
ERASE_HOOKS: list[Callable[[sqlite_utils.Database, str], int]] = []
_CHILD_TABLES = ("person_status", "person_checks", "belongings", "placements", "person_images")


def held(db: sqlite_utils.Database, person_id: str) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM legal_holds WHERE scope='person' AND target=? AND released_at IS NULL",
            [person_id],
        ).fetchone()
    )


def place_person_hold(db: sqlite_utils.Database, person_id: str, reason: str, actor: str) -> int:
    _row(db, person_id)
    if not reason.strip():
        raise Invalid("a legal hold needs a reason")
    at = iso(dt.datetime.now(dt.UTC))
    with db.atomic():
        hold_id = db.execute(
            "INSERT INTO legal_holds (scope, target, reason, placed_by, placed_at) "
            "VALUES ('person',?,?,?,?)",
            [person_id, reason, actor, at],
        ).lastrowid
        audit(db, actor, "person.hold", person_id, {"hold": hold_id, "reason": reason})
    return int(hold_id or 0)


def export_person(
    db: sqlite_utils.Database, vault: ImageVault, person_id: str, actor: str, reason: str
) -> dict[str, Any]:
    person = get_person(db, person_id)
    images = []
    for r in person_rows(db, "person_images", person_id, order="stored_at"):
        r.pop("sha256", None)
        if not r["deleted_at"]:
            try:
                r["data_base64"] = base64.b64encode(vault.get(r["id"], person_id)).decode()
            except NotFound:
                r["data_base64"] = None
        images.append(r)
    out: dict[str, Any] = {
        "exported_at": iso(dt.datetime.now(dt.UTC)),
        "exported_by": actor,
        "file": person.model_dump(),
        "status_history": [s.model_dump() for s in status_history(db, person_id)],
        "checks": rows(
            db,
            "SELECT c.*, pc.how, pc.at AS linked_at, pc.by AS linked_by FROM person_checks pc "
            "JOIN checks c ON c.check_id=pc.check_id WHERE pc.person_id=? ORDER BY c.started_at",
            [person_id],
        ),
        "belongings": person_rows(db, "belongings", person_id),
        "placements": person_rows(db, "placements", person_id),
        "images": images,
        "timeline": [e.model_dump() for e in timeline(db, person_id)],
    }
    for name, source in EXPORT_SOURCES.items():
        out[name] = source(db, person_id)
    audit(db, actor, "person.export", person_id, {"reason": reason})
    return out


def erase_person(
    db: sqlite_utils.Database, vault: ImageVault, person_id: str, reason: str, actor: str
) -> dict[str, int]:
    """Erase a file (subject's request, or a file opened in error). Returns rows deleted per
    table."""
    _row(db, person_id)
    if not reason.strip():
        raise Invalid("erasing a file needs a reason")
    if held(db, person_id):
        raise Conflict("this file is under a legal hold: release the hold before erasing")
    image_ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM person_images WHERE person_id=?", [person_id]
        ).fetchall()
    ]
    at = iso(dt.datetime.now(dt.UTC))
    counts: dict[str, int] = {}
    with db.atomic():
        for hook in ERASE_HOOKS:
            counts[getattr(hook, "__name__", "extension")] = hook(db, person_id)
        for table in _CHILD_TABLES:
            counts[table] = db.execute(
                f"DELETE FROM {table} WHERE person_id=?", [person_id]
            ).rowcount
        counts["people"] = db.execute("DELETE FROM people WHERE id=?", [person_id]).rowcount
        db.execute(
            "INSERT INTO deletion_log (at, actor, table_name, reason, cutoff, count, oldest, "
            "newest, ids) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                at,
                actor,
                "people",
                f"erasure: {reason}",
                None,
                1,
                None,
                None,
                json.dumps({"person": person_id, "rows": counts, "images": image_ids}),
            ),
        )
        audit(db, actor, "person.erase", person_id, {"reason": reason, "rows": counts})
    for image_id in image_ids:  # after the commit: a failed commit leaves the files in place
        vault.delete(image_id)
    return counts


def apply_people_retention(
    db: sqlite_utils.Database,
    vault: ImageVault,
    *,
    archive_days: float | None,
    portraits_days: float | None,
    now: dt.datetime,
    actor: str = "retention",
) -> dict[str, int]:
    """Archive closed files and delete the portraits of people long returned home."""
    report: dict[str, int] = {}
    not_held = (
        "NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.scope='person' AND h.target=people.id "
        "AND h.released_at IS NULL)"
    )
    closed = ",".join(f"'{s}'" for s in sorted(CLOSED))
    if archive_days is not None:
        cutoff = iso(now - dt.timedelta(days=archive_days))
        ids = [
            r[0]
            for r in db.execute(
                f"SELECT id FROM people WHERE status IN ({closed}) AND archived_at IS NULL "
                f"AND status_since < ? AND {not_held}",
                [cutoff],
            ).fetchall()
        ]
        with db.atomic():
            for pid in ids:
                db.execute("UPDATE people SET archived_at=? WHERE id=?", [iso(now), pid])
                audit(db, actor, "person.archive", pid, {"cutoff": cutoff}, at=now)
        report["people_archived"] = len(ids)
    if portraits_days is not None:
        cutoff = iso(now - dt.timedelta(days=portraits_days))
        found = db.execute(
            "SELECT i.person_id, i.id FROM person_images i JOIN people ON people.id=i.person_id "
            "WHERE i.purpose='portrait' AND i.deleted_at IS NULL "
            f"AND people.status='returned_home' AND people.status_since < ? AND {not_held}",
            [cutoff],
        ).fetchall()
        for pid, image_id in found:
            delete_image(db, vault, pid, image_id, "retention: returned home", actor, now=now)
        if found:
            with db.atomic():
                db.execute(
                    "INSERT INTO deletion_log (at, actor, table_name, reason, cutoff, count, "
                    "oldest, newest, ids) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        iso(now),
                        actor,
                        "person_images",
                        "retention: portraits of people returned home",
                        cutoff,
                        len(found),
                        None,
                        None,
                        json.dumps([i for _, i in found]),
                    ),
                )
        report["portraits_deleted"] = len(found)
    return report
