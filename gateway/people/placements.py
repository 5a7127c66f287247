"""Foster-home placements (table `placements`) and the head counts they give.

A person placed at a foster home (a site) from a date counts in that home's expected head
count while the placement is current (`until_date` NULL) and they are present: status
in_station, isolation or foster_home (not in hospital, not gone). `placed_counts` is what the
alert engine's roster provider asks (gateway/people/roster.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from gateway.auth.audit import audit
from gateway.people import Conflict, NotFound
from gateway.people.models import CLOSED, PRESENT, Placement, PlacementIn
from gateway.people.store import _row, one_row, person_rows, rows, set_status
from gateway.store.times import iso


def placements(db: sqlite_utils.Database, person_id: str) -> list[Placement]:
    return [Placement.model_validate(r) for r in person_rows(db, "placements", person_id)]


def place(
    db: sqlite_utils.Database,
    person_id: str,
    new: PlacementIn,
    actor: str,
    *,
    now: datetime | None = None,
) -> Placement:
    """Place a person at a foster home from a date; a current placement elsewhere ends that
    day. The status becomes foster_home (with history)."""
    person = _row(db, person_id)
    if person["status"] in CLOSED:
        raise Conflict(f"the file is closed ({person['status']}): reopen it before placing")
    at = iso(now or datetime.now(UTC))
    with db.atomic():
        db.execute(
            "UPDATE placements SET until_date=?, ended_by=?, ended_at=? "
            "WHERE person_id=? AND until_date IS NULL",
            [new.from_date.isoformat(), actor, at, person_id],
        )
        pid = (
            db.table("placements")
            .insert(
                {
                    **new.model_dump(mode="json"),
                    "person_id": person_id,
                    "placed_by": actor,
                    "placed_at": at,
                }
            )
            .last_pk
        )
        audit(
            db,
            actor,
            "person.place",
            person_id,
            {"site": new.site, "from": new.from_date.isoformat()},
            at=now,
        )
        if person["status"] != "foster_home":
            # set_status ends current placements for other statuses, not for foster_home
            set_status(db, person_id, "foster_home", actor, reason=f"placed at {new.site}", now=now)
    return _placement(db, int(pid))  # type: ignore[arg-type]


def _placement(db: sqlite_utils.Database, placement_id: int) -> Placement:
    missing = f"no placement {placement_id}"
    return Placement.model_validate(
        one_row(db, "SELECT * FROM placements WHERE id=?", [placement_id], missing)
    )


def end_placement(
    db: sqlite_utils.Database, person_id: str, actor: str, *, now: datetime | None = None
) -> None:
    """End the current placement (the person back at the station)."""
    at = iso(now or datetime.now(UTC))
    with db.atomic():
        n = db.execute(
            "UPDATE placements SET until_date=?, ended_by=?, ended_at=? "
            "WHERE person_id=? AND until_date IS NULL",
            [at[:10], actor, at, person_id],
        ).rowcount
        if not n:
            raise NotFound("this person has no current placement")
        audit(db, actor, "person.unplace", person_id, None, at=now)


def placed_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Expected head count per foster home: people placed there now and present."""
    marks = ",".join("?" * len(PRESENT))
    return {
        site: n
        for site, n in db.execute(
            "SELECT pl.site, count(DISTINCT pl.person_id) FROM placements pl "
            "JOIN people p ON p.id = pl.person_id WHERE pl.until_date IS NULL "
            f"AND p.status IN ({marks}) GROUP BY pl.site",
            sorted(PRESENT),
        ).fetchall()
    }


def placed_people(db: sqlite_utils.Database, site: str) -> list[dict[str, object]]:
    marks = ",".join("?" * len(PRESENT))
    return rows(
        db,
        "SELECT p.id, p.names, p.status, pl.from_date FROM placements pl JOIN people p "
        f"ON p.id = pl.person_id WHERE pl.until_date IS NULL AND pl.site=? "
        f"AND p.status IN ({marks}) ORDER BY pl.from_date, p.id",
        [site, *sorted(PRESENT)],
    )
