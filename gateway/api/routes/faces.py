"""Face matching for family search (docs/faces.md).

Roles: the desk may only take a person's portrait (which makes their template); supervisors
and admins search, review, confirm, and keep families' reports. A search returns candidates
for people to review, never an identification; every search and decision is audited.
Without the `faces` extra every route answers 503 "face search is not installed"."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.alerts.models import DeadlineNotice
from gateway.api.context import context_of
from gateway.api.deps import Db, require
from gateway.api.errors import http_errors
from gateway.api.responses import binary
from gateway.auth.audit import audit
from gateway.auth.tokens import Principal
from gateway.faces import FacesError, casework
from gateway.faces import store as faces
from gateway.faces.engine import QualityError, embedder, matrix, nearest
from gateway.people import PeopleError
from gateway.people import images as pics
from gateway.people import store as people
from gateway.people.family_search import CloseIn

router = APIRouter(prefix="/api/v1/faces", tags=["faces"])

PortraitTaker = Annotated[Principal, require("desk", "supervisor")]
Searcher = Annotated[Principal, require("supervisor")]

MAX_PHOTO_B64 = 11_200_000  # 8 MiB of image
Reason = Annotated[str, Query(min_length=2, max_length=200, description="why (audited)")]


class PhotoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image_b64: str = Field(max_length=MAX_PHOTO_B64, description="JPEG or PNG, base64")


class ReportPhotoIn(PhotoIn):
    year_taken: int = Field(ge=1900, le=2100, description="year the photo was taken (age gap)")


class AutoSearch(BaseModel):
    """The automatic comparison made when a face arrives (a portrait against families' open
    reports and past residents; a report's photo against the person files)."""

    search_id: str
    candidates: int = Field(description="candidates waiting for a supervisor's review")


class PortraitOut(BaseModel):
    person_id: str
    image_id: str = Field(description="the portrait kept on the file (encrypted)")
    template: bool = Field(description="a face template was made from it")
    face_px: int
    sharpness: float
    compared: AutoSearch


class ReportPhotoOut(BaseModel):
    report_id: str
    photo_id: str
    year_taken: int
    compared: AutoSearch


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str | None = Field(None, description="search with this person's portrait")
    report_id: str | None = Field(None, description="search with this family report's photos")
    image_b64: str | None = Field(None, max_length=MAX_PHOTO_B64, description="or a photo")
    reason: str = Field(min_length=2, max_length=200, description="why: the case (audited)")
    k: int = Field(10, ge=1, le=50, description="candidates at most")
    threshold: float = Field(faces.DEFAULT_THRESHOLD, gt=0, le=0.7, description="max distance")

    @model_validator(mode="after")
    def _one(self) -> SearchIn:
        if sum(x is not None for x in (self.person_id, self.report_id, self.image_b64)) != 1:
            raise ValueError("give exactly one of person_id, report_id, image_b64")
        return self


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    candidate: str = Field(pattern=r"^(person|report):[\w-]+$", description="kind:id")
    decision: faces.Decision
    note: str | None = Field(None, max_length=2000)


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    candidate: str = Field(pattern=r"^(person|report):[\w-]+$", description="kind:id")
    evidence: faces.Evidence = Field(description="the other evidence (not the face)")
    note: str | None = Field(None, max_length=2000)
    handover: CloseIn | None = Field(
        None, description="closes the person's family-search case (found by face match)"
    )


class ClosingReason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=2, max_length=300, description="why the search ends: found, withdrawn, …"
    )


class Reviews(BaseModel):
    items: list[faces.Review]


class Reports(BaseModel):
    items: list[faces.FamilyReport]


class PendingList(BaseModel):
    items: list[casework.Pending] = Field(description="probable, waiting for a second reviewer")
    to_review: list[casework.ToReview] = Field(description="candidates nobody has decided on")


def _fail(exc: FacesError | PeopleError) -> NoReturn:
    if isinstance(exc, QualityError):
        raise HTTPException(422, {"code": exc.code, "message": exc.text}) from exc
    if isinstance(exc, FacesError):
        raise HTTPException(exc.status, {"code": exc.code, "message": exc.message}) from exc
    status = {"NotFound": 404, "Conflict": 409, "Invalid": 422}.get(type(exc).__name__, 500)
    raise HTTPException(status, str(exc)) from exc


def _photo(b64: str) -> bytes:
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(
            422, {"code": "bad_image", "message": "image_b64 is not base64"}
        ) from None


def _key(request: Request) -> faces.TemplateKey:
    ctx = context_of(request)
    return ctx.memo("faces_key", lambda: faces.TemplateKey.beside(ctx.db_path))


def _gallery(request: Request) -> faces.Gallery:
    return context_of(request).memo("faces_gallery", lambda: faces.Gallery(_key(request), matrix))


def _vault(request: Request) -> pics.ImageVault:
    return pics.ImageVault.beside(context_of(request).db_path)


def _sites(who: Principal) -> list[str] | None:
    return list(who.sites) if who.sites is not None else None


def _person(db: Db, who: Principal, person_id: str) -> Any:
    with http_errors(_fail, PeopleError):
        person = people.get_person(db, person_id)
    if not who.sees(person.site):
        raise HTTPException(404, f"no person file {person_id!r}")
    return person


def _report(db: Db, who: Principal, report_id: str) -> faces.FamilyReport:
    with http_errors(_fail, FacesError):
        report = faces.get_report(db, report_id)
    if not who.sees(report.site):
        raise HTTPException(404, f"no family report {report_id}")
    return report


@router.post("/portraits/{person_id}", response_model=PortraitOut, status_code=201)
def take_portrait(
    request: Request, db: Db, who: PortraitTaker, person_id: str, body: PhotoIn
) -> PortraitOut:
    """The desk's photo (or an upload) becomes the file's portrait and its face template,
    if it passes the quality gate; otherwise 422 with the reason in zh-CN and en, and nothing
    is kept (the source photo is not stored anywhere)."""
    _person(db, who, person_id)
    data = _photo(body.image_b64)
    with http_errors(_fail, FacesError, PeopleError):
        engine = embedder()
        face = engine.embed(data)
        info = pics.store_image(db, _vault(request), person_id, "portrait", data, who.name)
        faces.add_template(
            db,
            _key(request),
            face,
            engine.model_id,
            kind="person",
            subject=person_id,
            person_id=person_id,
            by=who.name,
        )
    compared = _auto_search(
        request,
        db,
        face.vector,
        engine.model_id,
        "person",
        person_id,
        reason="automatic: new portrait compared with families' reports and past residents",
    )
    return PortraitOut(
        person_id=person_id,
        image_id=info.id,
        template=True,
        face_px=face.box_px,
        sharpness=face.sharpness,
        compared=compared,
    )


def _compared_with(kind: str, subject: str | None) -> tuple[dict[str, Any], set[str], set[str]]:
    """A search's query description, the templates it leaves out (the query's own) and the
    kinds it compares with: a person's face with families' reports and past residents, a
    report's photo with the person files, an uploaded photo with both."""
    if subject is None:
        return {"kind": kind}, set(), {"person", "report"}
    against = {"person"} if kind == "report" else {"person", "report"}
    return {"kind": kind, "id": subject}, {f"{kind}:{subject}"}, against


AUTO = "auto"  # the actor of the automatic comparisons in the audit trail and face_searches


def _auto_search(
    request: Request,
    db: Db,
    vector: bytes,
    model_id: str,
    kind: Literal["person", "report"],
    subject: str,
    *,
    reason: str,
    year: int | None = None,
) -> AutoSearch:
    """Every new face is compared at once, so no family waits for someone to think of it; the
    candidates join the review queue (GET /pending), nothing is decided."""
    gallery = _gallery(request)
    desc, exclude, against = _compared_with(kind, subject)
    res = faces.search(
        db,
        gallery,
        nearest,
        vector,
        model_id,
        query_desc=desc,
        query_year=year,
        exclude=exclude,
        against=against,
        reason=reason,
        by=AUTO,
    )
    return AutoSearch(search_id=res.search_id, candidates=len(res.candidates))


@router.post("/family-reports", response_model=faces.FamilyReport, status_code=201)
def create_family_report(db: Db, who: Searcher, body: faces.FamilyReportIn) -> faces.FamilyReport:
    if not who.sees(body.site):
        raise HTTPException(403, f"site {body.site} is not yours")
    with http_errors(_fail, FacesError):
        return faces.create_report(db, body, who.name)


@router.get("/family-reports", response_model=Reports)
def family_reports(db: Db, who: Searcher) -> Reports:
    return Reports(items=faces.list_reports(db, _sites(who)))


@router.post("/family-reports/{report_id}/photos", response_model=ReportPhotoOut, status_code=201)
def add_report_photo(
    request: Request, db: Db, who: Searcher, report_id: str, body: ReportPhotoIn
) -> ReportPhotoOut:
    report = _report(db, who, report_id)
    if report.status != "open":
        raise HTTPException(409, "the report is closed")
    if not report.consent_photos:
        raise HTTPException(422, "the reporter did not consent to the photos' use")
    data = _photo(body.image_b64)
    with http_errors(_fail, FacesError):
        engine = embedder()
        face = engine.embed(data)
    photo_id = faces.new_id()
    _vault(request).put(photo_id, report_id, data)  # encrypted like a file's images
    db.table("family_report_photos").insert(
        {
            "id": photo_id,
            "report_id": report_id,
            "year_taken": body.year_taken,
            "content_type": pics.sniff(data) or "application/octet-stream",
            "stored_at": faces.now_iso(),
            "stored_by": who.name,
        }
    )
    faces.add_template(
        db,
        _key(request),
        face,
        engine.model_id,
        kind="report_photo",
        subject=photo_id,
        report_id=report_id,
        photo_year=body.year_taken,
        by=who.name,
    )
    compared = _auto_search(
        request,
        db,
        face.vector,
        engine.model_id,
        "report",
        report_id,
        reason="automatic: a family's new photo compared with the person files",
        year=body.year_taken,
    )
    return ReportPhotoOut(
        report_id=report_id, photo_id=photo_id, year_taken=body.year_taken, compared=compared
    )


@router.get(
    "/family-reports/{report_id}/photo",
    response_class=Response,
    responses=binary("the photo (decrypted)", "image/jpeg", "image/png"),
)
def report_photo(
    request: Request, db: Db, who: Searcher, report_id: str, reason: Reason
) -> Response:
    """The report's newest photo (the one a search uses), for the reviewer to compare; each
    view is audited with its reason."""
    _report(db, who, report_id)
    row = db.execute(
        "SELECT id, content_type FROM family_report_photos WHERE report_id=? AND deleted_at IS "
        "NULL ORDER BY year_taken DESC, stored_at DESC LIMIT 1",
        [report_id],
    ).fetchone()
    if row is None:
        raise HTTPException(404, f"report {report_id} has no photo")
    with http_errors(_fail, PeopleError):
        data = _vault(request).get(row[0], report_id)
    audit(db, who.name, "faces.report_photo_view", report_id, {"photo": row[0], "reason": reason})
    return Response(data, media_type=row[1], headers={"Cache-Control": "no-store"})


@router.post("/family-reports/{report_id}/close", response_model=faces.FamilyReport)
def close_family_report(
    request: Request, db: Db, who: Searcher, report_id: str, body: ClosingReason
) -> faces.FamilyReport:
    """The family's search ends (found, withdrawn, on request): photos and templates go."""
    _report(db, who, report_id)
    return faces.close_report(db, report_id, body.reason, who.name, _vault(request).delete)


@router.post("/search", response_model=faces.SearchResult)
def search(request: Request, db: Db, who: Searcher, body: SearchIn) -> faces.SearchResult:
    """Candidates ranked by face distance, within `threshold`: a person's portrait against
    families' reports and past residents; a family's report against every person file the
    caller may see; or an uploaded photo against both."""
    with http_errors(_fail, FacesError):
        engine = embedder()
        gallery = _gallery(request)
        gallery.load(db, engine.model_id)
        year: int | None = None
        if body.person_id is not None:
            _person(db, who, body.person_id)
            query = _stored_vector(gallery, "person", body.person_id)
            kind, subject = "person", body.person_id
        elif body.report_id is not None:
            _report(db, who, body.report_id)
            query, year = _report_vector(gallery, body.report_id)
            kind, subject = "report", body.report_id
        else:
            query = engine.embed(_photo(body.image_b64 or "")).vector
            kind, subject = "upload", None
        desc, exclude, against = _compared_with(kind, subject)
        return faces.search(
            db,
            gallery,
            nearest,
            query,
            engine.model_id,
            query_desc=desc,
            query_year=year,
            exclude=exclude,
            against=against,
            reason=body.reason,
            by=who.name,
            k=body.k,
            threshold=body.threshold,
            sites=_sites(who),
        )


def _stored_vector(gallery: faces.Gallery, kind: str, subject: str) -> bytes:
    for i, row in enumerate(gallery.rows):
        if row.kind == kind and row.subject == subject:
            return bytes(gallery.vectors[i].tobytes())
    raise FacesError(409, "no_template", f"{subject} has no face template: take a portrait")


def _report_vector(gallery: faces.Gallery, report_id: str) -> tuple[bytes, int | None]:
    """The report's most recent photo (the smallest age gap to a new arrival)."""
    best = None
    for i, row in enumerate(gallery.rows):
        if row.report_id == report_id and (
            best is None or (row.photo_year or 0) > (gallery.rows[best].photo_year or 0)
        ):
            best = i
    if best is None:
        raise FacesError(409, "no_template", f"report {report_id} has no usable photo")
    return bytes(gallery.vectors[best].tobytes()), gallery.rows[best].photo_year


@router.get("/searches/{search_id}", response_model=casework.SearchRecord)
def past_search(db: Db, who: Searcher, search_id: str) -> casework.SearchRecord:
    """A search as it was shown, with every decision on its candidates (audited)."""
    with http_errors(_fail, FacesError):
        return casework.get_search(db, search_id, who.name)


@router.get("/pending", response_model=PendingList)
def pending(db: Db, who: Searcher) -> PendingList:
    """The review queue: probable matches waiting for a second reviewer, and searches (the
    automatic ones included) with candidates nobody has decided on."""
    return PendingList(items=casework.pending(db), to_review=casework.to_review(db))


@router.get("/searches/{search_id}/reviews", response_model=Reviews)
def search_reviews(db: Db, who: Searcher, search_id: str) -> Reviews:
    return Reviews(items=faces.reviews(db, search_id))


@router.post("/searches/{search_id}/reviews", response_model=faces.Review, status_code=201)
def review(request: Request, db: Db, who: Searcher, search_id: str, body: ReviewIn) -> faces.Review:
    """rejected / needs_info / probable. A probable match raises an alert to the supervisor."""
    with http_errors(_fail, FacesError):
        done = faces.review(db, search_id, body.candidate, body.decision, who.name, body.note)
    if body.decision == "probable":
        context_of(request).alert_service().raise_deadline(
            DeadlineNotice(
                rule="face_match_probable",
                site=_site_of(db, search_id, body),
                subject=f"face/{search_id}/{body.candidate}",
                at=datetime.now(UTC),
            )
        )
    return done


def _site_of(db: Db, search_id: str, body: ReviewIn) -> str:
    kind, cid = body.candidate.split(":", 1)
    row = db.execute("SELECT query FROM face_searches WHERE id=?", [search_id]).fetchone()
    pid = faces.query_person(row[0]) if row else None
    if kind == "person":
        pid = cid
    table, key = ("people", pid) if pid else ("family_reports", cid)
    found = db.execute(f"SELECT site FROM {table} WHERE id=?", [key]).fetchone()
    return str(found[0]) if found else "unknown"


@router.post("/searches/{search_id}/confirm", response_model=faces.Review, status_code=201)
def confirm(
    request: Request, db: Db, who: Searcher, search_id: str, body: ConfirmIn
) -> faces.Review:
    """A second reviewer, with other evidence, confirms a probable candidate; with
    `handover`, the person's family-search case closes as found by face match."""
    with http_errors(_fail, FacesError):
        done = faces.confirm(db, search_id, body.candidate, body.evidence, who.name, body.note)
    context_of(request).alert_service().close_deadlines(
        f"face/{search_id}/{body.candidate}", who.name
    )
    if body.handover is not None:
        row = db.execute("SELECT query FROM face_searches WHERE id=?", [search_id]).fetchone()
        kind, cid = body.candidate.split(":", 1)
        pid = cid if kind == "person" else faces.query_person(row[0])
        case = db.execute(
            "SELECT id FROM family_search_cases WHERE person_id=? AND closed_at IS NULL",
            [pid],
        ).fetchone()
        if case is not None:
            handover = body.handover.model_copy(update={"found_by": "face_match"})
            with http_errors(_fail, PeopleError):
                context_of(request).family().close_case(
                    db, case[0], handover, who.name, datetime.now(UTC)
                )
    return done


@router.get("/stats", response_model=faces.FaceStats)
def face_stats(db: Db, who: Searcher) -> faces.FaceStats:
    """Counts regulators ask for: distinct people with face data stored (filing at 100,000)."""
    return faces.stats(db)
