"""The person file API (docs/people.md): search, files, status, checks, belongings, placements,
images, timeline, subject-access export and erasure.

Roles: the desk opens and links files, records belongings and status (arrivals and
departures happen at the desk) and reads files; supervisors do everything at their sites
(placements, export, erase, holds); the bureau reads files of its sites; admin all. A caller
sees the files of their sites' stations and of people placed at their foster homes. Every read
of a file or of a part of it (status history, belongings, placements, images, timeline) needs a
`reason` and leaves a `person.view` audit row naming the reader."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from gateway.alerts.config import AlertsConfig
from gateway.api.context import context_of
from gateway.api.deps import Db, require
from gateway.api.errors import http_errors
from gateway.api.responses import binary
from gateway.auth.audit import audit
from gateway.auth.tokens import Principal
from gateway.people import Conflict, Invalid, ItemsHeld, NotFound, PeopleError, privacy, roster
from gateway.people import belongings as ledger
from gateway.people import images as pics
from gateway.people import placements as places
from gateway.people import store as people
from gateway.people.export_models import PersonExport
from gateway.people.models import (
    Belonging,
    BelongingIn,
    BelongingRelease,
    CheckLink,
    Person,
    PersonCreate,
    PersonPage,
    PersonUpdate,
    Placement,
    PlacementIn,
    Status,
    StatusChange,
    StatusEntry,
    TimelineEntry,
)
from gateway.people.search import search_people
from gateway.people.timeline import timeline as person_timeline
from gateway.store.sql import site_in
from gateway.store.times import iso

router = APIRouter(prefix="/api/v1/people", tags=["people"])

Reader = Annotated[Principal, require("desk", "supervisor", "bureau")]
Writer = Annotated[Principal, require("desk", "supervisor")]
Supervisor = Annotated[Principal, require("supervisor")]
Reason = Annotated[
    str, Query(min_length=2, max_length=200, description="why the file is read (audited)")
]


def _fail(exc: PeopleError) -> NoReturn:
    if isinstance(exc, ItemsHeld):
        raise HTTPException(409, {"code": "items_held", "message": str(exc)}) from exc
    if isinstance(exc, NotFound):
        raise HTTPException(404, str(exc)) from exc
    if isinstance(exc, Conflict):
        raise HTTPException(409, str(exc)) from exc
    if isinstance(exc, Invalid):
        raise HTTPException(422, str(exc)) from exc
    raise HTTPException(500, str(exc)) from exc


def _visible(db: Db, who: Principal, person_id: str) -> Person:
    """The file if the caller may see it; 404 otherwise (no hint that it exists)."""
    with http_errors(_fail, NotFound):
        person = people.get_person(db, person_id)
    if not (who.sees(person.site) or (person.foster_home and who.sees(person.foster_home))):
        raise HTTPException(404, f"no person file {person_id!r}")
    return person


def _viewed(db: Db, who: Principal, person_id: str, reason: str, part: str | None = None) -> Person:
    """The file (see _visible), its reading audited as `person.view` with the reason and the
    part of the file read (none: the file itself)."""
    person = _visible(db, who, person_id)
    detail = {"reason": reason} if part is None else {"reason": reason, "part": part}
    audit(db, who.name, "person.view", person_id, detail)
    return person


def _vault(request: Request) -> pics.ImageVault:
    ctx = context_of(request)
    return ctx.memo("people_vault", lambda: pics.ImageVault.beside(ctx.db_path))


# lists -----------------------------------------------------------------------------------------


@router.get("", response_model=PersonPage)
def search(
    db: Db,
    who: Reader,
    q: Annotated[
        str | None, Query(max_length=100, description="words in names, aliases, description")
    ] = None,
    status: Status | None = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    came_from: Annotated[date | None, Query(description="arrived on or after (UTC date)")] = None,
    came_to: Annotated[date | None, Query(description="arrived before (UTC date)")] = None,
    archived: Annotated[bool, Query(description="include archived files")] = False,
    after: Annotated[str | None, Query(max_length=40, description="cursor: `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PersonPage:
    """Person files, newest first."""
    if site and not who.sees(site):
        raise HTTPException(403, f"site {site!r} is not one of yours")

    def day(d: date | None) -> str | None:
        return iso(datetime.combine(d, time(0), UTC)) if d else None

    return search_people(
        db,
        sites=who.sites,
        q=q,
        status=status,
        site=site,
        came_from=day(came_from),
        came_to=day(came_to),
        archived=archived,
        after=after,
        limit=limit,
    )


class UnlinkedCheck(BaseModel):
    """An intake check that is on no person's file yet (the desk links it or opens a file)."""

    check_id: str = Field(description="the check's id (its step events share it)")
    site: str
    node: str = Field(description="the intake node that ran the check")
    outcome: str = Field(description="cleared, items_held, fever_referral, hypothermia_referral, …")
    started_at: str = Field(description="passage time, UTC ISO")
    celsius: float | None = Field(None, description="the screening temperature, °C")
    operator: str | None = Field(None, description="desk operator responsible")
    items_held: list[str] = Field(default_factory=list, description="items kept at the desk")


class UnlinkedChecks(BaseModel):
    total: int = Field(description="checks in the period on no file")
    items: list[UnlinkedCheck]


@router.get("/unlinked-checks", response_model=UnlinkedChecks)
def unlinked_checks(
    db: Db,
    who: Writer,
    site: Annotated[str | None, Query(max_length=64)] = None,
    days: Annotated[int, Query(ge=1, le=400, description="how far back")] = 7,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UnlinkedChecks:
    """Finished checks (not `refused`) on no person file yet, newest first: so none is
    forgotten. Checks made before people files existed are listed too."""
    if site and not who.sees(site):
        raise HTTPException(403, f"site {site!r} is not one of yours")
    since = iso(datetime.now(UTC) - timedelta(days=days))
    clause, args = site_in("c.site", (site,) if site else who.sites)
    where = (
        "c.started_at >= ? AND c.outcome <> 'refused' AND NOT EXISTS (SELECT 1 FROM "
        "person_checks pc WHERE pc.check_id=c.check_id)" + (f" AND {clause}" if clause else "")
    )
    (total,) = db.execute(f"SELECT count(*) FROM checks c WHERE {where}", [since, *args]).fetchone()
    found = people.rows(
        db,
        "SELECT c.check_id, c.site, c.node, c.outcome, c.started_at, c.celsius, c.operator, "
        f"c.items_held FROM checks c WHERE {where} ORDER BY c.started_at DESC LIMIT ?",
        [since, *args, limit],
    )

    items = [
        UnlinkedCheck.model_validate({**r, "items_held": json.loads(r["items_held"] or "[]")})
        for r in found
    ]
    return UnlinkedChecks(total=int(total), items=items)


class HeldItem(BaseModel):
    id: int
    person_id: str
    site: str
    names: list[str]
    status: str
    status_since: str
    item: str
    quantity: int
    storage_place: str | None = None
    received_at: str


@router.get("/held-belongings", response_model=list[HeldItem])
def held_belongings(db: Db, who: Reader) -> list[HeldItem]:
    """Items still held for people who have left (closed files)."""

    return [
        HeldItem.model_validate({**r, "names": json.loads(r["names"] or "[]")})
        for r in ledger.held_for_departed(db, who.sites)
    ]


class RosterView(roster.SiteRoster):
    people: list[dict[str, Any]] = Field(
        default_factory=list, description="who is placed there (id, names, status, from_date)"
    )


@router.get("/rosters", response_model=list[RosterView])
def rosters(
    request: Request, db: Db, who: Reader, site: Annotated[str | None, Query(max_length=64)] = None
) -> list[RosterView]:
    """Expected head count per foster home: from placements when there are any, else the
    configured roster (what the alert engine compares counts with)."""

    service = context_of(request).alerts
    config = service.config if service is not None else AlertsConfig()
    out = []
    for r in roster.site_rosters(config, places.placed_counts(db)):
        if not who.sees(r.site) or (site and r.site != site):
            continue
        placed = [
            {**p, "names": json.loads(str(p["names"]) or "[]")}
            for p in places.placed_people(db, r.site)
        ]
        out.append(RosterView(**r.model_dump(), people=placed))
    return out


class LinkedCheck(BaseModel):
    check_id: str
    person_id: str | None = Field(description="the file the check is on; None: on none")


@router.get("/by-check/{check_id}", response_model=LinkedCheck)
def by_check(db: Db, who: Writer, check_id: str) -> LinkedCheck:
    """Which file a check is on (the desk's "open file / link" button asks this)."""
    with http_errors(_fail, NotFound):
        check = people.check_row(db, check_id)
    if not who.sees(check["site"]):
        raise HTTPException(404, f"no check {check_id!r}")
    return LinkedCheck(check_id=check_id, person_id=people.person_of_check(db, check_id))


# one file --------------------------------------------------------------------------------------


@router.post("", response_model=Person, status_code=201)
def create(db: Db, who: Writer, new: PersonCreate) -> Person:
    """Open a file; with `check_id`, from that check (time, outcome, items held pre-filled)."""
    if not who.sees(new.site):
        raise HTTPException(403, f"site {new.site!r} is not one of yours")
    with http_errors(_fail, PeopleError):
        return people.create_person(db, new, who.name)


@router.get("/{person_id}", response_model=Person)
def read(db: Db, who: Reader, person_id: str, reason: Reason) -> Person:
    return _viewed(db, who, person_id, reason)


@router.patch("/{person_id}", response_model=Person)
def update(db: Db, who: Writer, person_id: str, changes: PersonUpdate) -> Person:
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        return people.update_person(db, person_id, changes, who.name)


@router.get("/{person_id}/status", response_model=list[StatusEntry])
def status_history(db: Db, who: Reader, person_id: str, reason: Reason) -> list[StatusEntry]:
    _viewed(db, who, person_id, reason, "status")
    return people.status_history(db, person_id)


@router.post("/{person_id}/status", response_model=Person)
def change_status(db: Db, who: Writer, person_id: str, change: StatusChange) -> Person:
    """Change the status (history kept). A departure while items are held is refused (409,
    code items_held) unless `override` gives a reason."""
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        return people.set_status(
            db, person_id, change.status, who.name, reason=change.reason, override=change.override
        )


@router.post("/{person_id}/checks", response_model=Person)
def link(db: Db, who: Writer, person_id: str, body: CheckLink) -> Person:
    """Link a check (a returning resident's, or an earlier one) to this file."""
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        check = people.check_row(db, body.check_id)
        if not who.sees(check["site"]):
            raise NotFound(f"no check {body.check_id!r}")
        return people.link_check(db, body.check_id, person_id, who.name)


class Timeline(BaseModel):
    person_id: str
    entries: list[TimelineEntry]


@router.get("/{person_id}/timeline", response_model=Timeline)
def timeline(db: Db, who: Reader, person_id: str, reason: Reason) -> Timeline:
    """Everything that happened to the person, oldest first."""
    _viewed(db, who, person_id, reason, "timeline")
    return Timeline(person_id=person_id, entries=person_timeline(db, person_id))


# belongings ------------------------------------------------------------------------------------


@router.get("/{person_id}/belongings", response_model=list[Belonging])
def list_belongings(db: Db, who: Reader, person_id: str, reason: Reason) -> list[Belonging]:
    _viewed(db, who, person_id, reason, "belongings")
    return ledger.belongings(db, person_id)


@router.post("/{person_id}/belongings", response_model=Belonging, status_code=201)
def add_belonging(db: Db, who: Writer, person_id: str, new: BelongingIn) -> Belonging:
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        return ledger.add_belonging(db, person_id, new, who.name)


@router.post("/{person_id}/belongings/{belonging_id}/release", response_model=Belonging)
def release_belonging(
    db: Db, who: Writer, person_id: str, belonging_id: int, body: BelongingRelease
) -> Belonging:
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        return ledger.release_belonging(
            db, person_id, belonging_id, body.released_to, who.name, note=body.note
        )


# placements ------------------------------------------------------------------------------------


@router.get("/{person_id}/placements", response_model=list[Placement])
def list_placements(db: Db, who: Reader, person_id: str, reason: Reason) -> list[Placement]:
    _viewed(db, who, person_id, reason, "placements")
    return places.placements(db, person_id)


@router.post("/{person_id}/placements", response_model=Placement, status_code=201)
def place(db: Db, who: Supervisor, person_id: str, new: PlacementIn) -> Placement:
    """Place the person at a foster home from a date (status foster_home)."""
    _visible(db, who, person_id)
    if not who.sees(new.site):
        raise HTTPException(403, f"site {new.site!r} is not one of yours")
    with http_errors(_fail, PeopleError):
        return places.place(db, person_id, new, who.name)


class Done(BaseModel):
    ok: bool = True
    detail: dict[str, Any] = Field(default_factory=dict)


@router.post("/{person_id}/placements/end", response_model=Done)
def end_placement(db: Db, who: Supervisor, person_id: str) -> Done:
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        places.end_placement(db, person_id, who.name)
    return Done()


# images ----------------------------------------------------------------------------------------


@router.get("/{person_id}/images", response_model=list[pics.ImageInfo])
def list_images(db: Db, who: Reader, person_id: str, reason: Reason) -> list[pics.ImageInfo]:
    """The file's image records (portrait history included)."""
    _viewed(db, who, person_id, reason, "images")
    return pics.images(db, person_id)


@router.post("/{person_id}/images", response_model=pics.ImageInfo, status_code=201)
def add_image(
    request: Request,
    db: Db,
    who: Writer,
    person_id: str,
    data: Annotated[bytes, Body(media_type="image/jpeg", description="JPEG or PNG bytes")],
    purpose: Annotated[str, Query(pattern="^(portrait|mark|belonging)$")] = "portrait",
    ref: Annotated[int | None, Query(description="mark number or belonging id")] = None,
) -> pics.ImageInfo:
    """Store an image (encrypted at rest). Needs the file's legal basis first (422)."""
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        return pics.store_image(db, _vault(request), person_id, purpose, data, who.name, ref=ref)


@router.get(
    "/{person_id}/images/{image_id}",
    response_class=Response,
    responses=binary("the image (decrypted)", "image/jpeg", "image/png"),
)
def get_image(
    request: Request, db: Db, who: Reader, person_id: str, image_id: str, reason: Reason
) -> Response:
    """The image (decrypted); each view is audited with its reason."""
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        info = pics.image_info(db, person_id, image_id)
        data = _vault(request).get(image_id, person_id)
    audit(db, who.name, "person.image_view", person_id, {"image": image_id, "reason": reason})
    return Response(data, media_type=info.content_type, headers={"Cache-Control": "no-store"})


# privacy ---------------------------------------------------------------------------------------


class ReasonIn(BaseModel):
    reason: str = Field(min_length=2, max_length=500, description="why (audited)")


@router.get(
    "/{person_id}/export",
    response_model=PersonExport,
    # keys the export leaves out stay out (an erased image has no data_base64; no family
    # search without that module)
    response_model_exclude_unset=True,
)
def export(request: Request, db: Db, who: Supervisor, person_id: str, reason: Reason) -> Any:
    """Subject access: the whole file as JSON, images included (audited)."""
    _visible(db, who, person_id)
    return privacy.export_person(db, _vault(request), person_id, who.name, reason)


@router.post("/{person_id}/erase", response_model=Done)
def erase(request: Request, db: Db, who: Supervisor, person_id: str, body: ReasonIn) -> Done:
    """Erase the file with a logged reason (refused under a legal hold)."""
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        counts = privacy.erase_person(db, _vault(request), person_id, body.reason, who.name)
    return Done(detail=counts)


@router.post("/{person_id}/holds", response_model=Done, status_code=201)
def hold(db: Db, who: Supervisor, person_id: str, body: ReasonIn) -> Done:
    """A legal hold: retention and erasure leave the file alone until it is released."""
    _visible(db, who, person_id)
    with http_errors(_fail, PeopleError):
        hold_id = privacy.place_person_hold(db, person_id, body.reason, who.name)
    return Done(detail={"hold": hold_id})
