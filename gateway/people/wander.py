"""The wander-risk register (易走失人员) and who a missing-person incident is about.

A person is flagged with one or more reasons (DOMAIN.md §6; the Chongqing register's categories)
by someone who says why; a flag is cleared with a reason, never deleted (both audited).

**Naming the person of a missing-person incident.** StationKit's cameras count people and line
crossings; they never identify anyone (no face identification on foster-home nodes, by design:
PIPL Art. 26, research/family-search.md §1), and `line_cross`, `people` and `door` events carry no
person. So:

- a **staff report** names its person: the report's `person` is matched to a file by id, else by a
  name or alias given in the file (role `named`);
- a **night exit** or a **head count** below the roster names the wander-risk people present at
  that site (placed at that foster home, or in the station and not placed elsewhere) as
  `possible`: the people the supervisor should look for first. It never claims who left;
- staff can name the person afterwards (`name_people`, PUT /api/v1/incidents/{id}/people),
  which replaces the possible ones.

The people go to the incident's `people` column (a summary without images), which the alert
page, the report and the notifications read; the notification to the bureau adds the portrait
(`MissingPersonFiles.people`).
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime
from typing import Any, Literal

import sqlite_utils
from pydantic import BaseModel, ConfigDict, Field

from gateway.alerts.models import AlertChange
from gateway.auth.audit import audit
from gateway.people import Conflict, NotFound
from gateway.people.store import person_rows, rows
from gateway.store.times import iso

log = logging.getLogger(__name__)

Reason = Literal[
    "mental_disorder",
    "dementia",
    "intellectual_disability",
    "physical_disability",
    "repeated_wandering",
    "minor",
    "elderly_alone",
]
REASON_ZH = {
    "mental_disorder": "精神障碍",
    "dementia": "阿尔茨海默病/痴呆",
    "intellectual_disability": "智力残疾",
    "physical_disability": "肢体残疾",
    "repeated_wandering": "多次走失",
    "minor": "未成年人",
    "elderly_alone": "独居老人",
}
PRESENT = ("in_station", "isolation", "foster_home")
PORTRAIT_MAX_BYTES = 512 * 1024
"""Largest portrait put into a notification (base64 inflates it by a third); a larger one is
left out with `portrait_omitted`, the gateway keeps it."""


class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[Reason] = Field(min_length=1, max_length=7, description="why at risk")
    why: str = Field(min_length=1, max_length=1000, description="what was observed, by whom")


class ClearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000, description="why the flag is cleared")


class Flag(BaseModel):
    """A wander-risk flag on a person, open until cleared with a reason."""

    id: int
    person_id: str
    reasons: list[str] = Field(description="dementia, minor, elderly_alone, repeated_wandering, …")
    why: str = Field(description="what was seen, in the staff member's words")
    flagged_by: str
    flagged_at: str = Field(description="UTC ISO")
    cleared_at: str | None = Field(None, description="UTC ISO; none while the flag is open")
    cleared_by: str | None = None
    cleared_reason: str | None = None


class RegisterEntry(BaseModel):
    """A flagged person in the register."""

    person_id: str
    names: list[str]
    site: str
    status: str
    foster_home: str | None = None
    reasons: list[str]
    why: str
    flagged_by: str
    flagged_at: str
    has_portrait: bool


def _flag(row: dict[str, Any]) -> Flag:
    return Flag(**{**row, "reasons": json.loads(row["reasons"])})


def flags(db: sqlite_utils.Database, person_id: str) -> list[Flag]:
    """Every flag of a person, newest first (cleared ones included: the history)."""
    return [_flag(r) for r in person_rows(db, "wander_flags", person_id, order="id DESC")]


def open_flag(db: sqlite_utils.Database, person_id: str) -> Flag | None:
    found = rows(
        db, "SELECT * FROM wander_flags WHERE person_id=? AND cleared_at IS NULL", [person_id]
    )
    return _flag(found[0]) if found else None


def flag(db: sqlite_utils.Database, person_id: str, body: FlagIn, by: str, now: datetime) -> Flag:
    if not rows(db, "SELECT 1 FROM people WHERE id=?", [person_id]):
        raise NotFound(f"no person {person_id!r}")
    if open_flag(db, person_id) is not None:
        raise Conflict(f"{person_id} is already in the register: clear the flag to change it")
    with db.atomic():
        db.table("wander_flags").insert(
            {
                "person_id": person_id,
                "reasons": json.dumps(sorted(set(body.reasons))),
                "why": body.why,
                "flagged_by": by,
                "flagged_at": iso(now),
            }
        )
        audit(db, by, "wander.flag", person_id, body.model_dump(mode="json"), at=now)
    found = open_flag(db, person_id)
    assert found is not None
    return found


def clear(db: sqlite_utils.Database, person_id: str, body: ClearIn, by: str, now: datetime) -> Flag:
    current = open_flag(db, person_id)
    if current is None:
        raise NotFound(f"{person_id} is not in the register")
    with db.atomic():
        db.execute(
            "UPDATE wander_flags SET cleared_at=?, cleared_by=?, cleared_reason=? WHERE id=?",
            (iso(now), by, body.reason, current.id),
        )
        audit(db, by, "wander.clear", person_id, body.reason, at=now)
    return flags(db, person_id)[0]


_CURRENT_HOME = (
    "(SELECT pl.site FROM placements pl WHERE pl.person_id=p.id AND pl.until_date IS NULL "
    "ORDER BY pl.id DESC LIMIT 1)"
)


def register(db: sqlite_utils.Database, sites: tuple[str, ...] | None) -> list[RegisterEntry]:
    """Flagged people (open flags) of the given stations or foster homes (None: all)."""
    found = rows(
        db,
        f"SELECT p.id, p.names, p.site, p.status, p.portrait_id, {_CURRENT_HOME} AS home, "
        "f.reasons, f.why, f.flagged_by, f.flagged_at FROM wander_flags f "
        "JOIN people p ON p.id=f.person_id WHERE f.cleared_at IS NULL ORDER BY f.flagged_at DESC",
    )
    out = []
    for r in found:
        if sites is not None and r["site"] not in sites and r["home"] not in sites:
            continue
        out.append(
            RegisterEntry(
                person_id=r["id"],
                names=json.loads(r["names"]),
                site=r["site"],
                status=r["status"],
                foster_home=r["home"],
                reasons=json.loads(r["reasons"]),
                why=r["why"],
                flagged_by=r["flagged_by"],
                flagged_at=r["flagged_at"],
                has_portrait=bool(r["portrait_id"]),
            )
        )
    return out


def flagged_present(db: sqlite_utils.Database, site: str) -> list[str]:
    """Ids of wander-risk people present at `site`: placed at that foster home, or of that
    station and not placed elsewhere; in station, isolation or foster care (not in hospital)."""
    found = rows(
        db,
        f"SELECT p.id, p.site, p.status, {_CURRENT_HOME} AS home FROM wander_flags f "
        "JOIN people p ON p.id=f.person_id WHERE f.cleared_at IS NULL "
        f"AND p.status IN ({','.join('?' * len(PRESENT))}) ORDER BY p.id",
        list(PRESENT),
    )
    return [r["id"] for r in found if (r["home"] or r["site"]) == site]


def find_named(db: sqlite_utils.Database, site: str, given: str) -> list[str]:
    """Files a staff report's `person` text names: an exact file id, else files of that site
    (station or foster home) with that exact name or alias."""
    given = given.strip()
    if rows(db, "SELECT 1 FROM people WHERE id=?", [given]):
        return [given]
    found = rows(
        db,
        f"SELECT p.id, p.site, p.names, {_CURRENT_HOME} AS home FROM people p, "
        "json_each(p.names) n WHERE n.value=? AND p.archived_at IS NULL",
        [given],
    )
    return sorted({r["id"] for r in found if site in (r["site"], r["home"])})


def summary(db: sqlite_utils.Database, person_id: str) -> dict[str, Any] | None:
    """What an incident, its report and its notification say about a person (no image)."""
    found = rows(db, f"SELECT p.*, {_CURRENT_HOME} AS home FROM people p WHERE p.id=?", [person_id])
    if not found:
        return None
    p = found[0]
    fl = open_flag(db, person_id)
    marks = json.loads(p.get("marks") or "[]")
    age = None
    if p.get("age_min") is not None or p.get("age_max") is not None:
        lo, hi = p.get("age_min"), p.get("age_max")
        age = f"{lo}-{hi}" if lo is not None and hi is not None and lo != hi else str(lo or hi)
    return {
        "id": p["id"],
        "names": json.loads(p["names"]),
        "site": p["site"],
        "foster_home": p["home"],
        "status": p["status"],
        "sex": p["sex"],
        "age": age,
        "height_cm": p.get("height_cm"),
        "build": p.get("build"),
        "hair": p.get("hair"),
        "accent": p.get("accent"),
        "clothing": p.get("clothing"),
        "marks": "; ".join(
            " ".join(str(m.get(k) or "") for k in ("kind", "location", "description")).strip()
            for m in marks
        ),
        "cond_mental": p.get("cond_mental"),
        "cond_intellectual": p.get("cond_intellectual"),
        "cond_communication": p.get("cond_communication"),
        "medication": p.get("medication"),
        "flags": fl.reasons if fl else [],
        "flag_why": fl.why if fl else None,
        "portrait_id": p.get("portrait_id"),
    }


def portrait(db_path: str | None, person: dict[str, Any]) -> tuple[bytes, str] | None:
    """The current portrait's bytes and content type, or None (no portrait, no vault)."""
    if not person.get("portrait_id") or not db_path:
        return None
    try:
        from gateway.people.images import ImageVault, sniff

        data = ImageVault.beside(db_path).get(person["portrait_id"], person["id"])
        return data, sniff(data) or "application/octet-stream"
    except Exception:  # a missing file or key must not stop the incident or its report
        log.exception("portrait of %s not readable", person.get("id"))
        return None


def _db_path(db: sqlite_utils.Database) -> str | None:
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] if row and row[2] else None


def set_people(db: sqlite_utils.Database, incident_id: str, people: list[dict[str, Any]]) -> None:
    db.execute(
        "UPDATE incidents SET people=? WHERE id=?",
        (json.dumps(people, ensure_ascii=False), incident_id),
    )


def name_people(
    db: sqlite_utils.Database, incident_id: str, person_ids: list[str], by: str, now: datetime
) -> list[dict[str, Any]]:
    """Staff name who is missing: replaces the possible people (audited, in the timeline)."""
    if not rows(db, "SELECT 1 FROM incidents WHERE id=?", [incident_id]):
        raise NotFound(f"no incident {incident_id}")
    people = []
    for pid in person_ids:
        s = summary(db, pid)
        if s is None:
            raise NotFound(f"no person {pid!r}")
        people.append({**s, "role": "named", "source": f"named by {by}"})
    with db.atomic():
        set_people(db, incident_id, people)
        db.execute(
            "INSERT INTO incident_history (incident_id, at, actor, action, detail) "
            "VALUES (?,?,?,?,?)",
            (incident_id, iso(now), by, "people_named", ", ".join(person_ids)),
        )
        audit(db, by, "incident.people", incident_id, {"people": person_ids}, at=now)
    return people


class MissingPersonFiles:
    """The alert service's extension (gateway/alerts/service.py `AlertExtension`): names the
    people of a new missing-person incident, writes the text of deadline notices, and gives
    the bureau's notification each person's description and portrait."""

    def stored(self, db: sqlite_utils.Database, changes: list[AlertChange]) -> None:
        for change in changes:
            inc = change.incident
            if change.kind != "raised" or inc is None or inc.category != "missing_person":
                continue
            alert = change.alert
            named: list[str] = []
            role, source = "possible", "wander-risk resident of this site"
            if alert.rule == "missing_person" and alert.subject:
                named = find_named(db, alert.site, alert.subject)
                role, source = "named", "staff report"
            if not named:
                named = flagged_present(db, alert.site)
                role, source = "possible", "wander-risk resident of this site"
            people = []
            for pid in named:
                s = summary(db, pid)
                if s is not None:
                    people.append({**s, "role": role, "source": source})
            if people:
                set_people(db, inc.id, people)

    def text(self, db: sqlite_utils.Database, alert: dict[str, Any]) -> dict[str, str] | None:
        from gateway.people.visits import deadline_text

        return deadline_text(db, alert)

    def people(
        self, db: sqlite_utils.Database, alert: dict[str, Any], incident: dict[str, Any] | None
    ) -> list[dict[str, Any]] | None:
        if not incident or not incident.get("people"):
            return None
        path = _db_path(db)
        out = []
        for p in incident["people"]:
            entry = {k: v for k, v in p.items() if k != "portrait_id"}
            img = portrait(path, p)
            if img is not None and len(img[0]) <= PORTRAIT_MAX_BYTES:
                entry["portrait"] = {
                    "content_type": img[1],
                    "base64": base64.b64encode(img[0]).decode(),
                }
            elif img is not None:
                entry["portrait_omitted"] = f"{len(img[0])} bytes: larger than the limit"
            out.append(entry)
        return out
