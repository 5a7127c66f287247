"""Missing-person incidents carry the person file: who the incident is about (named by staff,
or the wander-risk residents of the site as possible), their portrait, the one-page
missing-person notice (寻人启事) as PDF, and what staff add for the written report (narrative,
last seen, actions taken). Roles as for incidents and files; every read is audited
(gateway/api/deps.py), portrait views and notice exports have their own audit rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.alerts import store as alert_store
from gateway.api.context import context_of
from gateway.api.deps import Db, require
from gateway.api.errors import http_errors
from gateway.api.responses import binary
from gateway.api.routes.family_search import _fail, _person_site
from gateway.auth.audit import audit
from gateway.auth.tokens import Principal
from gateway.people import PeopleError
from gateway.people.missing import (
    ActionIn,
    MissingRecord,
    NarrativeIn,
    add_action,
    record,
    set_narrative,
)
from gateway.people.notice import notice_pdf
from gateway.people.wander import name_people, portrait, summary
from gateway.store.times import parse

router = APIRouter(prefix="/api/v1", tags=["people"])

READ = require("desk", "supervisor", "bureau")
WORK = require("desk", "supervisor")


def _now() -> datetime:
    return datetime.now(UTC)


class NamePeople(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_ids: list[str] = Field(min_length=1, max_length=20, description="who is missing")


class IncidentPerson(BaseModel):
    """A person of a missing-person incident (description, flags; the portrait is served by
    GET /api/v1/incidents/{id}/people/{person_id}/portrait)."""

    model_config = ConfigDict(extra="allow")
    id: str
    names: list[str]
    role: Literal["named", "possible"]
    source: str
    flags: list[str] = Field(default_factory=list)
    has_portrait: bool = False


def _incident(db: Db, who: Principal, incident_id: str) -> dict[str, Any]:
    inc = alert_store.get_incident(db, incident_id, _now())
    if inc is None or not who.sees(inc["site"]):
        raise HTTPException(404, f"no incident {incident_id}")
    return inc


def _people_out(people: list[dict[str, Any]]) -> list[IncidentPerson]:
    return [
        IncidentPerson(
            **{k: v for k, v in p.items() if k != "portrait_id"},
            has_portrait=bool(p.get("portrait_id")),
        )
        for p in people
    ]


@router.get("/incidents/{incident_id}/people", response_model=list[IncidentPerson])
def incident_people(db: Db, incident_id: str, who: Principal = READ) -> list[IncidentPerson]:
    return _people_out(_incident(db, who, incident_id)["people"])


@router.put("/incidents/{incident_id}/people", response_model=list[IncidentPerson])
def set_incident_people(
    request: Request, db: Db, incident_id: str, body: NamePeople, who: Principal = WORK
) -> list[IncidentPerson]:
    """Staff name who is missing (replaces the wander-risk residents listed as possible)."""
    inc = _incident(db, who, incident_id)
    if inc["category"] != "missing_person":
        raise HTTPException(409, "only a missing-person incident names missing people")
    for pid in body.person_ids:
        _person_site(db, who, pid)
    with http_errors(_fail, PeopleError):
        people = name_people(db, incident_id, body.person_ids, who.name, _now())
    _publish(request, db, incident_id)
    return _people_out(people)


def _incident_person(db: Db, who: Principal, incident_id: str, person_id: str) -> dict[str, Any]:
    inc = _incident(db, who, incident_id)
    for p in inc["people"]:
        if p.get("id") == person_id:
            return {**(summary(db, person_id) or p), "_incident": inc}
    raise HTTPException(404, f"{person_id} is not a person of incident {incident_id}")


@router.get(
    "/incidents/{incident_id}/people/{person_id}/portrait",
    response_class=Response,
    responses=binary("the portrait (decrypted)", "image/jpeg", "image/png"),
)
def incident_portrait(
    request: Request, db: Db, incident_id: str, person_id: str, who: Principal = READ
) -> Response:
    """The current portrait of a person of the incident (the view is audited)."""
    p = _incident_person(db, who, incident_id, person_id)
    img = portrait(str(context_of(request).db_path), p)
    if img is None:
        raise HTTPException(404, "no portrait")
    audit(db, who.name, "person.portrait_view", person_id, {"incident": incident_id})
    return Response(img[0], media_type=img[1], headers={"Cache-Control": "no-store"})


@router.get(
    "/incidents/{incident_id}/people/{person_id}/notice",
    response_class=Response,
    responses=binary("the missing-person notice, one A4 page", "application/pdf"),
)
def missing_notice(
    request: Request,
    db: Db,
    incident_id: str,
    person_id: str,
    who: Principal = WORK,
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    """The one-page missing-person notice (寻人启事) as PDF; the export is audited."""
    p = _incident_person(db, who, incident_id, person_id)
    inc = p.pop("_incident")
    where = _last_seen_where(db, inc)
    ctx = context_of(request)
    contacts = ctx.station_contacts
    contact = contacts.get(inc["site"]) or contacts.get(p.get("site") or "")
    img = portrait(str(ctx.db_path), p)
    tz = ctx.zone_name(inc["site"])
    pdf = notice_pdf(
        p,
        lang=lang,
        last_seen_at=parse(inc["opened_at"]),
        last_seen_where=where,
        contact=contact,
        portrait=img[0] if img else None,
        tz=tz,
    )
    audit(db, who.name, "person.notice_export", person_id, {"incident": incident_id, "lang": lang})
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="notice-{person_id}-{lang}.pdf"'},
    )


def _last_seen_where(db: Db, inc: dict[str, Any]) -> str:
    """The staff report's location, else the camera and site of the alert."""
    row = db.execute(
        "SELECT a.rule, a.node, a.device, e.data FROM alerts a LEFT JOIN events e "
        "ON e.id=a.event_id WHERE a.id=?",
        (inc["alert_id"],),
    ).fetchone()
    if row is None:
        return inc["site"]
    data = json.loads(row[3]) if row[3] else {}
    if data.get("location"):
        return f"{data['location']} ({inc['site']})"
    where = "/".join(x for x in (inc["site"], row[1], row[2]) if x and x != "dashboard")
    return where


def _publish(request: Request, db: Db, incident_id: str) -> None:
    incident = alert_store.get_incident(db, incident_id, _now()) or {}
    context_of(request).updates.publish("incident", incident)


@router.get("/incidents/{incident_id}/missing", response_model=MissingRecord)
def missing_record(db: Db, incident_id: str, who: Principal = READ) -> MissingRecord:
    """The narrative, last seen and actions staff recorded for the written report."""
    _incident(db, who, incident_id)
    with http_errors(_fail, PeopleError):
        return record(db, incident_id)


@router.put("/incidents/{incident_id}/missing", response_model=MissingRecord)
def edit_narrative(
    request: Request, db: Db, incident_id: str, body: NarrativeIn, who: Principal = WORK
) -> MissingRecord:
    """Write or edit the narrative (and when/where last seen) until the written report is
    recorded as sent (409 after)."""
    _incident(db, who, incident_id)
    with http_errors(_fail, PeopleError):
        out = set_narrative(db, incident_id, body, who.name, _now())
    _publish(request, db, incident_id)
    return out


@router.post("/incidents/{incident_id}/actions", response_model=MissingRecord, status_code=201)
def record_action(
    request: Request, db: Db, incident_id: str, body: ActionIn, who: Principal = WORK
) -> MissingRecord:
    """Record what was done (search, police called, family informed, …) and when."""
    _incident(db, who, incident_id)
    with http_errors(_fail, PeopleError):
        out = add_action(db, incident_id, body, who.name, _now())
    _publish(request, db, incident_id)
    return out
