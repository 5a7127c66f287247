"""What staff add to a missing-person incident for the written report (tables of
gateway/store/schema/m0711_missing_reports.py): their narrative, when and where the person was
last seen, and what was done (searches, police called, …) with times. The narrative can be
edited until the written report to the bureau is recorded; actions are only added. Every
change is audited and appears in the incident's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import sqlite_utils
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.audit import audit
from gateway.people import Conflict, Invalid
from gateway.people.store import one_row, rows
from gateway.store.times import iso, parse

ActionKind = Literal["search", "police_called", "family_informed", "hospitals_checked", "found",
                     "other"]  # fmt: skip


class NarrativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    narrative: str = Field(min_length=1, max_length=8000, description="what happened, by staff")
    last_seen_at: datetime | None = Field(None, description="when last seen (UTC)")
    last_seen_where: str | None = Field(None, max_length=300, description="where last seen")


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ActionKind = Field(description="what was done")
    at: datetime | None = Field(None, description="when (UTC); default now")
    note: str | None = Field(None, max_length=2000, description="who searched where, police unit")


class ActionOut(BaseModel):
    id: int
    at: str
    kind: str
    note: str | None = None
    by: str
    recorded_at: str


class MissingRecord(BaseModel):
    incident_id: str
    narrative: str | None = None
    last_seen_at: str | None = None
    last_seen_where: str | None = None
    updated_by: str | None = None
    updated_at: str | None = None
    written_reported: bool = Field(description="the written report is recorded: narrative locked")
    actions: list[ActionOut] = Field(default_factory=list)


def _incident(db: sqlite_utils.Database, incident_id: str) -> dict[str, Any]:
    inc = one_row(
        db, "SELECT * FROM incidents WHERE id=?", [incident_id], f"no incident {incident_id}"
    )
    if inc["category"] != "missing_person":
        raise Invalid(f"incident {incident_id} is not a missing-person incident")
    return inc


def record(db: sqlite_utils.Database, incident_id: str) -> MissingRecord:
    inc = _incident(db, incident_id)
    ext = rows(db, "SELECT * FROM missing_reports WHERE incident_id=?", [incident_id])
    acts = rows(
        db, "SELECT * FROM missing_actions WHERE incident_id=? ORDER BY at, id", [incident_id]
    )
    return MissingRecord(
        incident_id=incident_id,
        **{k: v for k, v in (ext[0] if ext else {}).items() if k != "incident_id"},
        written_reported=inc["written_reported_at"] is not None,
        actions=[ActionOut(**{k: a[k] for k in ActionOut.model_fields}) for a in acts],
    )


def _history(db: sqlite_utils.Database, incident_id: str, at: datetime, by: str, action: str,
             detail: str) -> None:  # fmt: skip
    db.execute(
        "INSERT INTO incident_history (incident_id, at, actor, action, detail) VALUES (?,?,?,?,?)",
        (incident_id, iso(at), by, action, detail[:500]),
    )


def set_narrative(
    db: sqlite_utils.Database, incident_id: str, body: NarrativeIn, by: str, now: datetime
) -> MissingRecord:
    inc = _incident(db, incident_id)
    if inc["written_reported_at"] is not None:
        raise Conflict("the written report was recorded as sent: the narrative is locked")
    seen = min(body.last_seen_at, now) if body.last_seen_at else None
    with db.atomic():
        db.execute(
            "INSERT INTO missing_reports (incident_id, narrative, last_seen_at, last_seen_where, "
            "updated_by, updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT(incident_id) DO UPDATE SET "
            "narrative=excluded.narrative, last_seen_at=excluded.last_seen_at, "
            "last_seen_where=excluded.last_seen_where, updated_by=excluded.updated_by, "
            "updated_at=excluded.updated_at",
            (incident_id, body.narrative, iso(seen) if seen else None, body.last_seen_where, by,
             iso(now)),
        )  # fmt: skip
        _history(db, incident_id, now, by, "narrative", body.narrative[:200])
        audit(db, by, "incident.narrative", incident_id, body.model_dump(mode="json"), at=now)
    return record(db, incident_id)


def add_action(
    db: sqlite_utils.Database, incident_id: str, body: ActionIn, by: str, now: datetime
) -> MissingRecord:
    inc = _incident(db, incident_id)
    at = min(body.at or now, now)
    opened = parse(inc["opened_at"])
    if at < opened - timedelta(hours=24):
        raise Invalid("an action more than a day before the incident belongs to another record")
    with db.atomic():
        db.table("missing_actions").insert(
            {
                "incident_id": incident_id,
                "at": iso(at),
                "kind": body.kind,
                "note": body.note,
                "by": by,
                "recorded_at": iso(now),
            }
        )
        _history(db, incident_id, at, by, f"action:{body.kind}", body.note or "")
        audit(db, by, "incident.action", incident_id, body.model_dump(mode="json"), at=now)
    return record(db, incident_id)
