"""Family-search cases, the wander-risk register, follow-up visits, who a missing-person
incident is about, and the missing-person notice (docs/people.md, "Family search and
follow-up"). Roles as for person files: the desk and supervisors of a station work the cases;
the bureau reads them for its sites; every request is in the audit trail (gateway/api/deps.py)
and every change has its own audit row (gateway/people/*)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.context import context_of
from gateway.api.deps import Db, require
from gateway.api.errors import http_errors
from gateway.auth.tokens import Principal
from gateway.people import Conflict, NotFound, PeopleError
from gateway.people.family_search import Case, CloseIn, FamilySearch, StepIn
from gateway.people.visits import Followups, Visit, VisitDue, VisitIn
from gateway.people.wander import (
    ClearIn,
    Flag,
    FlagIn,
    RegisterEntry,
    clear,
    flag,
    flags,
    register,
)

router = APIRouter(prefix="/api/v1", tags=["people"])

READ = require("desk", "supervisor", "bureau")
WORK = require("desk", "supervisor")
SUPERVISE = require("supervisor")
Slug = Annotated[str, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]


def _now() -> datetime:
    return datetime.now(UTC)


def _family(request: Request) -> FamilySearch:
    return context_of(request).family()


def _followups(request: Request) -> Followups:
    return context_of(request).followup_service()


def _fail(exc: PeopleError) -> NoReturn:
    status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 422
    raise HTTPException(status, str(exc)) from None


def _person_site(db: Db, who: Principal, person_id: str) -> dict[str, Any]:
    """The person's station and foster home; 404 outside the caller's scope (no leak)."""
    found = db.execute(
        "SELECT p.site, (SELECT site FROM placements WHERE person_id=p.id AND until_date IS NULL "
        "ORDER BY id DESC LIMIT 1) FROM people p WHERE p.id=?",
        (person_id,),
    ).fetchone()
    if found is None or not (who.sees(found[0]) or (found[1] and who.sees(found[1]))):
        raise HTTPException(404, f"no person {person_id}")
    return {"site": found[0], "home": found[1]}


def _case(db: Db, request: Request, who: Principal, case_id: str) -> Case:
    with http_errors(_fail, PeopleError):
        case = _family(request).case(db, case_id, _now())
    if not who.sees(case.site):
        raise HTTPException(404, f"no family-search case {case_id}")
    return case


# family-search cases ----------------------------------------------------------------------------


class OpenCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str = Field(max_length=40, description="the file of the person to search for")


@router.get("/family-search", response_model=list[Case])
def list_cases(
    request: Request,
    db: Db,
    who: Principal = READ,
    state: Literal["open", "closed", "all"] = "open",
    site: Slug | None = None,
    person: Annotated[str | None, Query(max_length=40)] = None,
) -> list[Case]:
    """Cases with their deadlines as countdowns, the first due first."""
    sites = who.sites
    if site:
        if not who.sees(site):
            raise HTTPException(403, f"site {site!r} is outside your scope")
        sites = (site,)
    return _family(request).cases(db, _now(), state=state, sites=sites, person_id=person)


@router.post("/family-search", response_model=Case, status_code=201)
def open_case(request: Request, db: Db, body: OpenCase, who: Principal = WORK) -> Case:
    """Open a case by hand (the gateway opens one by itself for every file with no name)."""
    _person_site(db, who, body.person_id)
    with http_errors(_fail, PeopleError):
        return _family(request).open_case(db, body.person_id, who.name, _now())


@router.get("/family-search/{case_id}", response_model=Case)
def get_case(request: Request, db: Db, case_id: str, who: Principal = READ) -> Case:
    return _case(db, request, who, case_id)


@router.post("/family-search/{case_id}/steps", response_model=Case)
def record_step(
    request: Request, db: Db, case_id: str, body: StepIn, who: Principal = WORK
) -> Case:
    """Record a notice published, the DNA request sent, or a refresh (closes its alerts)."""
    _case(db, request, who, case_id)
    with http_errors(_fail, PeopleError):
        return _family(request).record_step(db, case_id, body, who.name, _now())


@router.post("/family-search/{case_id}/close", response_model=Case)
def close_case(
    request: Request, db: Db, case_id: str, body: CloseIn, who: Principal = SUPERVISE
) -> Case:
    """Identity found: how, and the hand-over (to whom, ID checked, belongings returned)."""
    _case(db, request, who, case_id)
    with http_errors(_fail, PeopleError):
        return _family(request).close_case(db, case_id, body, who.name, _now())


# the wander-risk register -----------------------------------------------------------------------


@router.get("/people/{person_id}/flags", response_model=list[Flag])
def person_flags(db: Db, person_id: str, who: Principal = READ) -> list[Flag]:
    """The person's wander-risk flags, newest first (cleared ones too: the history)."""
    _person_site(db, who, person_id)
    return flags(db, person_id)


@router.post("/people/{person_id}/flags", response_model=Flag, status_code=201)
def flag_person(db: Db, person_id: str, body: FlagIn, who: Principal = WORK) -> Flag:
    _person_site(db, who, person_id)
    with http_errors(_fail, PeopleError):
        return flag(db, person_id, body, who.name, _now())


@router.post("/people/{person_id}/flags/clear", response_model=Flag)
def clear_flag(db: Db, person_id: str, body: ClearIn, who: Principal = SUPERVISE) -> Flag:
    _person_site(db, who, person_id)
    with http_errors(_fail, PeopleError):
        return clear(db, person_id, body, who.name, _now())


@router.get("/wander-register", response_model=list[RegisterEntry])
def wander_register(db: Db, who: Principal = READ) -> list[RegisterEntry]:
    """Flagged people of the caller's stations and foster homes."""
    return register(db, who.sites)


# follow-up visits -------------------------------------------------------------------------------


@router.get("/visits", response_model=list[VisitDue])
def visits_due(
    request: Request,
    db: Db,
    who: Principal = READ,
    person: Annotated[str | None, Query(max_length=40)] = None,
    include_done: bool = False,
) -> list[VisitDue]:
    """Scheduled follow-up visits, the first due first (done ones with include_done)."""
    return _followups(request).due(
        db, _now(), sites=who.sites, person_id=person, include_done=include_done
    )


@router.post("/people/{person_id}/visits", response_model=Visit, status_code=201)
def record_visit(
    request: Request, db: Db, person_id: str, body: VisitIn, who: Principal = WORK
) -> Visit:
    """Record a follow-up visit: it meets the earliest visit still open."""
    _person_site(db, who, person_id)
    alerts = context_of(request).alerts  # None in an API served alone: nothing raised
    with http_errors(_fail, PeopleError):
        return _followups(request).record(db, person_id, body, who.name, _now(), alerts)
