"""The belongings ledger (物品集中管理): items held at the gate are stored centrally and released
on departure, with who released them, to whom and when (table `belongings`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from gateway.auth.audit import audit
from gateway.people import Conflict
from gateway.people.models import CLOSED, Belonging, BelongingIn
from gateway.people.store import _row, check_row, one_row, person_rows, rows
from gateway.store.sql import site_in
from gateway.store.times import iso


def belongings(db: sqlite_utils.Database, person_id: str) -> list[Belonging]:
    return [Belonging.model_validate(r) for r in person_rows(db, "belongings", person_id)]


def add_belonging(
    db: sqlite_utils.Database,
    person_id: str,
    new: BelongingIn,
    actor: str,
    *,
    now: datetime | None = None,
) -> Belonging:
    _row(db, person_id)
    if new.check_id:
        check_row(db, new.check_id)
    at = iso(now or datetime.now(UTC))
    with db.atomic():
        bid = (
            db.table("belongings")
            .insert(
                {
                    **new.model_dump(),
                    "person_id": person_id,
                    "received_by": actor,
                    "received_at": at,
                }
            )
            .last_pk
        )
        audit(db, actor, "person.belonging_add", person_id, {"id": bid, "item": new.item}, at=now)
    return _one(db, person_id, int(bid))  # type: ignore[arg-type]


def _one(db: sqlite_utils.Database, person_id: str, belonging_id: int) -> Belonging:
    sql = "SELECT * FROM belongings WHERE id=? AND person_id=?"
    missing = f"no belonging {belonging_id} on file {person_id}"
    return Belonging.model_validate(one_row(db, sql, [belonging_id, person_id], missing))


def release_belonging(
    db: sqlite_utils.Database,
    person_id: str,
    belonging_id: int,
    released_to: str,
    actor: str,
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> Belonging:
    """Hand an item back (or to someone): who released it, to whom, when."""
    item = _one(db, person_id, belonging_id)
    if item.released_at:
        raise Conflict(
            f"item {belonging_id} was already released to {item.released_to} at {item.released_at}"
        )
    at = iso(now or datetime.now(UTC))
    with db.atomic():
        db.table("belongings").update(
            belonging_id,
            {
                "released_at": at,
                "released_by": actor,
                "released_to": released_to,
                "release_note": note,
            },
        )
        audit(
            db,
            actor,
            "person.belonging_release",
            person_id,
            {"id": belonging_id, "to": released_to, "note": note},
            at=now,
        )
    return _one(db, person_id, belonging_id)


def held_for_departed(
    db: sqlite_utils.Database, sites: tuple[str, ...] | None
) -> list[dict[str, Any]]:
    """Items still held for people whose file is closed (left, home, transferred, deceased)."""
    clause, args = site_in("p.site", sites)
    marks = ",".join("?" * len(CLOSED))
    return rows(
        db,
        "SELECT b.*, p.site, p.names, p.status, p.status_since FROM belongings b "
        "JOIN people p ON p.id = b.person_id WHERE b.released_at IS NULL "
        f"AND p.status IN ({marks})"
        + (f" AND {clause}" if clause else "")
        + " ORDER BY p.status_since, b.id",
        [*sorted(CLOSED), *args],
    )
