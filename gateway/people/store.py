"""The person file's store API over the tables of gateway/store/schema/m0700_people.py.

Every change goes to the audit trail (gateway/auth/audit.py) in the same transaction as the
change: `person.create`, `person.update` (one row per changed field, old and new value),
`person.status`, `person.link_check`, `person.view` (with the reader's reason), `person.export`.
Names here are stable (the family-search, wander-risk and incident modules build on them):
`create_person`, `get_person`, `update_person`, `set_status`, `link_check`, `person_of_check`,
`status_history`, `read_person`.

A check whose outcome is `fever_referral` or `hypothermia_referral` puts its person in
`isolation` (medical referral) when it opens or is linked to the file, with a history row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlite_utils
from ulid import ULID

from gateway.auth.audit import audit
from gateway.people import Conflict, Invalid, ItemsHeld, NotFound
from gateway.people.models import (
    DEPARTURES,
    EDITABLE,
    Person,
    PersonCreate,
    PersonUpdate,
    StatusEntry,
)
from gateway.store.times import iso

MEDICAL_OUTCOMES = frozenset({"fever_referral", "hypothermia_referral"})
_SEARCHED = ("names", "accent", "build", "hair", "clothing", "marks", "clues", "found_place")


def _at(now: datetime | None) -> str:
    return iso(now or datetime.now(UTC))


def rows(
    db: sqlite_utils.Database, sql: str, args: list[Any] | tuple[Any, ...] = ()
) -> list[dict[str, Any]]:
    cur = db.execute(sql, list(args))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def one_row(db: sqlite_utils.Database, sql: str, args: list[Any], missing: str) -> dict[str, Any]:
    """The first row `sql` finds; `NotFound(missing)` when it finds none."""
    found = rows(db, sql, args)
    if not found:
        raise NotFound(missing)
    return found[0]


def person_rows(
    db: sqlite_utils.Database, table: str, person_id: str, order: str = "id"
) -> list[dict[str, Any]]:
    """A person's rows of one of the file's tables (`table` and `order` come from our code)."""
    return rows(db, f"SELECT * FROM {table} WHERE person_id=? ORDER BY {order}", [person_id])


def search_text(fields: dict[str, Any]) -> str:
    """Lower-case text of the searchable fields (names, aliases, description, clues)."""
    parts: list[str] = []
    for key in _SEARCHED:
        value = fields.get(key)
        if isinstance(value, str):
            value = json.loads(value) if key in ("names", "marks") else value
        if isinstance(value, list):
            for v in value:
                parts.extend(str(x) for x in (v.values() if isinstance(v, dict) else [v]) if x)
        elif value:
            parts.append(str(value))
    return "\n".join(parts).lower()


def check_row(db: sqlite_utils.Database, check_id: str) -> dict[str, Any]:
    missing = f"no check {check_id!r}: it may not have reached the gateway yet"
    return one_row(db, "SELECT * FROM checks WHERE check_id=?", [check_id], missing)


def person_of_check(db: sqlite_utils.Database, check_id: str) -> str | None:
    """The person a check is linked to, or None."""
    row = db.execute("SELECT person_id FROM person_checks WHERE check_id=?", [check_id]).fetchone()
    return row[0] if row else None


def _row(db: sqlite_utils.Database, person_id: str) -> dict[str, Any]:
    return one_row(
        db, "SELECT * FROM people WHERE id=?", [person_id], f"no person file {person_id!r}"
    )


def get_person(db: sqlite_utils.Database, person_id: str) -> Person:
    """The file as stored (no audit row: API reads go through `read_person`)."""
    row = _row(db, person_id)
    row["names"] = json.loads(row["names"] or "[]")
    row["marks"] = json.loads(row["marks"] or "[]")
    row.pop("search_text", None)
    row["foster_home"] = (
        db.execute(
            "SELECT site FROM placements WHERE person_id=? AND until_date IS NULL "
            "ORDER BY id DESC LIMIT 1",
            [person_id],
        ).fetchone()
        or [None]
    )[0]
    row["items_held"] = items_held(db, person_id)
    return Person.model_validate(row)


def read_person(
    db: sqlite_utils.Database,
    person_id: str,
    actor: str,
    reason: str,
    *,
    now: datetime | None = None,
) -> Person:
    """The file for a reader, with an audit row naming the reader and their reason."""
    person = get_person(db, person_id)
    audit(db, actor, "person.view", person_id, {"reason": reason}, at=now)
    return person


def items_held(db: sqlite_utils.Database, person_id: str) -> int:
    row = db.execute(
        "SELECT count(*) FROM belongings WHERE person_id=? AND released_at IS NULL", [person_id]
    ).fetchone()
    return int(row[0])


def _stored(field: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if field == "names":
        return json.dumps(value or [], ensure_ascii=False)
    if field == "marks":
        return json.dumps(
            [m if isinstance(m, dict) else m.model_dump() for m in value or []], ensure_ascii=False
        )
    return value


def create_person(
    db: sqlite_utils.Database, new: PersonCreate, actor: str, *, now: datetime | None = None
) -> Person:
    """Open a file. With `check_id`: the check's time is the arrival time, its items held become
    belongings, a fever/hypothermia outcome puts the person in isolation, and the check is
    linked to the file (refused if it already belongs to someone)."""
    at = _at(now)
    pid = str(ULID())
    fields = new.model_dump(exclude={"check_id", "site"}, exclude_none=True)
    check = None
    if new.check_id:
        check = check_row(db, new.check_id)
        owner = person_of_check(db, new.check_id)
        if owner:
            raise Conflict(f"check {new.check_id} already belongs to file {owner}")
        if check["site"] != new.site:
            raise Invalid(f"check {new.check_id} was made at {check['site']}, not {new.site}")
    status = "isolation" if check and check["outcome"] in MEDICAL_OUTCOMES else "in_station"
    record: dict[str, Any] = {
        "id": pid,
        "site": new.site,
        "came_by": fields.pop("came_by", "self"),
        "came_at": _stored("came_at", fields.pop("came_at", None))
        or (check["started_at"] if check else at),
        "sex": fields.pop("sex", "unknown"),
        "status": status,
        "status_since": at,
        "created_at": at,
        "created_by": actor,
        "updated_at": at,
        "updated_by": actor,
    }
    for key, value in fields.items():
        record[key] = _stored(key, value)
    record.setdefault("names", "[]")
    record.setdefault("marks", "[]")
    if new.legal_basis:
        record["legal_basis_at"] = at
    record["search_text"] = search_text(record)
    reason = f"check outcome {check['outcome']}" if check else "file opened"
    with db.atomic():
        db.table("people").insert(record)
        _history(db, pid, status, None, reason, check["check_id"] if check else None, at, actor)
        if check:
            db.table("person_checks").insert(
                {
                    "check_id": check["check_id"],
                    "person_id": pid,
                    "how": "opened",
                    "at": at,
                    "by": actor,
                }
            )
            for item in json.loads(check["items_held"] or "[]"):
                db.table("belongings").insert(
                    {
                        "person_id": pid,
                        "check_id": check["check_id"],
                        "item": str(item)[:120],
                        "quantity": 1,
                        "received_by": check["operator"] or actor,
                        "received_at": check["finished_at"] or check["started_at"],
                    }
                )
        audit(
            db,
            actor,
            "person.create",
            pid,
            {
                "site": new.site,
                "check_id": new.check_id,
                "fields": sorted(fields),
                "status": status,
            },
            at=now,
        )
    return get_person(db, pid)


def update_person(
    db: sqlite_utils.Database,
    person_id: str,
    changes: PersonUpdate,
    actor: str,
    *,
    now: datetime | None = None,
) -> Person:
    """Change the given fields; one audit row per changed field with the old and new value."""
    at = _at(now)
    old = _row(db, person_id)
    given = changes.model_dump(include=changes.model_fields_set & set(EDITABLE))
    for key in ("came_by", "came_at", "sex"):
        if key in given and given[key] is None:
            raise Invalid(f"{key} cannot be emptied (use 'unknown' where it applies)")
    if "names" in given and given["names"] is None:
        given["names"] = []  # no names: unknown
    if "marks" in given and given["marks"] is None:
        given["marks"] = []
    new: dict[str, Any] = {}
    for key, value in given.items():
        stored = _stored(key, value)
        if stored != old.get(key):
            new[key] = stored
    if not new:
        return get_person(db, person_id)
    if "legal_basis" in new:
        new["legal_basis_at"] = at if new["legal_basis"] else None
    merged = {**old, **new}
    new["search_text"] = search_text(merged)
    new["updated_at"] = at
    new["updated_by"] = actor
    with db.atomic():
        db.table("people").update(person_id, new)
        for key in sorted(given):
            if key in new:
                audit(
                    db,
                    actor,
                    "person.update",
                    person_id,
                    {"field": key, "old": old.get(key), "new": new[key]},
                    at=now,
                )
    return get_person(db, person_id)


def _history(
    db: sqlite_utils.Database,
    person_id: str,
    status: str,
    previous: str | None,
    reason: str | None,
    check_id: str | None,
    at: str,
    actor: str,
) -> None:
    db.table("person_status").insert(
        {
            "person_id": person_id,
            "status": status,
            "previous": previous,
            "reason": reason,
            "check_id": check_id,
            "at": at,
            "by": actor,
        }
    )


def set_status(
    db: sqlite_utils.Database,
    person_id: str,
    status: str,
    actor: str,
    *,
    reason: str | None = None,
    override: str | None = None,
    check_id: str | None = None,
    now: datetime | None = None,
) -> Person:
    """Change the status with a history row. A departure (returned_home, transferred, left)
    while belongings are held raises `ItemsHeld` unless `override` gives a reason (audited).
    Leaving the station's care also ends a current placement."""
    at = _at(now)
    old = _row(db, person_id)
    if old["status"] == status:
        return get_person(db, person_id)
    held = items_held(db, person_id)
    if status in DEPARTURES and held and not (override and override.strip()):
        raise ItemsHeld(
            f"{held} item(s) of this person are still held: release them first "
            "(belongings), or give an override reason"
        )
    with db.atomic():
        db.table("people").update(
            person_id, {"status": status, "status_since": at, "updated_at": at, "updated_by": actor}
        )
        _history(db, person_id, status, old["status"], reason, check_id, at, actor)
        if status != "foster_home" and status != "hospital":
            db.execute(
                "UPDATE placements SET until_date=?, ended_by=?, ended_at=? "
                "WHERE person_id=? AND until_date IS NULL",
                [at[:10], actor, at, person_id],
            )
        detail: dict[str, Any] = {"from": old["status"], "to": status, "reason": reason}
        if status in DEPARTURES and held:
            detail.update(override=override, items_held=held)
        audit(db, actor, "person.status", person_id, detail, at=now)
    return get_person(db, person_id)


def status_history(db: sqlite_utils.Database, person_id: str) -> list[StatusEntry]:
    return [
        StatusEntry.model_validate(r)
        for r in rows(
            db,
            "SELECT id, status, previous, reason, check_id, at, by FROM person_status "
            "WHERE person_id=? ORDER BY at, id",
            [person_id],
        )
    ]


def link_check(
    db: sqlite_utils.Database,
    check_id: str,
    person_id: str,
    actor: str,
    *,
    now: datetime | None = None,
) -> Person:
    """Link a (returning resident's, or any earlier) check to a file. Its items held become
    belongings; a fever/hypothermia outcome puts the person in isolation."""
    at = _at(now)
    check = check_row(db, check_id)
    person = _row(db, person_id)
    owner = person_of_check(db, check_id)
    if owner == person_id:
        return get_person(db, person_id)
    if owner:
        raise Conflict(f"check {check_id} already belongs to file {owner}")
    with db.atomic():
        db.table("person_checks").insert(
            {"check_id": check_id, "person_id": person_id, "how": "linked", "at": at, "by": actor}
        )
        for item in json.loads(check["items_held"] or "[]"):
            db.table("belongings").insert(
                {
                    "person_id": person_id,
                    "check_id": check_id,
                    "item": str(item)[:120],
                    "quantity": 1,
                    "received_by": check["operator"] or actor,
                    "received_at": check["finished_at"] or check["started_at"],
                }
            )
        audit(db, actor, "person.link_check", person_id, {"check_id": check_id}, at=now)
        if check["outcome"] in MEDICAL_OUTCOMES and person["status"] != "isolation":
            set_status(
                db,
                person_id,
                "isolation",
                actor,
                reason=f"check outcome {check['outcome']}",
                check_id=check_id,
                now=now,
            )
        elif person["status"] in DEPARTURES:
            # A returning resident: coming back in through the desk reopens the file.
            set_status(
                db,
                person_id,
                "in_station",
                actor,
                reason="returned through the desk",
                check_id=check_id,
                now=now,
            )
    return get_person(db, person_id)
