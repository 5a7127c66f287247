"""Face templates, families' reports, searches and reviews on the gateway's SQLite (tables of
gateway/store/schema/m0300_faces.py).

Privacy rules enforced here (docs/faces.md, research: PIPL Art. 24/28/51, Order No. 19):
- a template is made only from a photo that passed the quality gate; the source frame is not
  kept, only the portrait (the person's file, encrypted) or the family's photo (encrypted);
- templates are AES-256-GCM ciphertext under a key file outside the database
  (`faces.key` beside it, or `$STATIONKIT_FACES_KEY`); only `Gallery` decrypts them, and no
  function here returns one;
- every search writes who, why, the query and the candidates shown; every decision a review
  row; nothing here ever marks a person identified: `confirm` needs an earlier `probable`
  by another reviewer and a piece of other evidence, and then closes the family-search case
  by the normal hand-over;
- retention deletes templates of closed cases after `template_days`, and a family's photos
  when their report closes or on request.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

import sqlite_utils
from pydantic import BaseModel, ConfigDict, Field
from ulid import ULID

from gateway.auth.audit import audit
from gateway.faces import FacesError
from gateway.faces.engine import Face
from gateway.keyfile import KeyFileError, read_key, seal, unseal
from gateway.people.privacy import ERASE_HOOKS
from gateway.store.times import iso, parse

DEFAULT_THRESHOLD = 0.5
"""Largest face distance shown as a candidate by default (docs/faces.md: why 0.5, not 0.6)."""

Decision = Literal["rejected", "needs_info", "probable"]
Evidence = Literal["police_id_check", "family_recognition", "dna"]


def new_id() -> str:
    return str(ULID())


def now_iso() -> str:
    return iso(datetime.now(UTC))


def erase_faces(db: sqlite_utils.Database, person_id: str) -> int:
    """Inside a file's erasure: its face templates go with it."""
    return delete_templates(db, "kind='person' AND person_id=?", [person_id])


if erase_faces not in ERASE_HOOKS:
    ERASE_HOOKS.append(erase_faces)


# the key -------------------------------------------------------------------------------------


class TemplateKey:
    """The 32-byte AES key of the templates: a file outside the database, 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, db_path: Path | str) -> TemplateKey:
        env = os.environ.get("STATIONKIT_FACES_KEY")
        return cls(Path(env) if env else Path(db_path).parent / "faces.key")

    def key(self, create: bool = True) -> bytes:
        if not create and not self.path.exists():
            raise FacesError(500, "no_key", f"{self.path}: the face template key is missing")
        try:
            return read_key(self.path, create=create)
        except KeyFileError as exc:
            raise FacesError(500, "bad_key", str(exc)) from None

    def seal(self, template_id: str, vector: bytes, key: bytes | None = None) -> bytes:
        return seal(key or self.key(), vector, template_id.encode())

    def open(self, template_id: str, blob: bytes, key: bytes | None = None) -> bytes:
        return unseal(key or self.key(create=False), blob, template_id.encode())


def rotate_key(db: sqlite_utils.Database, old: TemplateKey, new_path: Path) -> int:
    """Re-encrypt every template under a new key file; the old file stays until the caller
    removes it. Returns how many templates were re-encrypted."""
    if new_path.exists():
        raise FacesError(409, "key_exists", f"{new_path} exists: choose a new path")
    new = TemplateKey(new_path)
    old_key, new_key = old.key(create=False), new.key()
    n = 0
    with db.atomic():
        for tid, blob in db.execute("SELECT id, blob FROM face_templates").fetchall():
            vector = old.open(tid, blob, old_key)
            db.execute(
                "UPDATE face_templates SET blob=? WHERE id=?", (new.seal(tid, vector, new_key), tid)
            )
            n += 1
        _bump(db)
    return n


# templates ------------------------------------------------------------------------------------


def _bump(db: sqlite_utils.Database) -> None:
    db.execute("UPDATE face_state SET v = v + 1 WHERE k='gallery'")


def _version(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT v FROM face_state WHERE k='gallery'").fetchone()
    return int(row[0]) if row else 0


def add_template(
    db: sqlite_utils.Database,
    key: TemplateKey,
    face: Face,
    model_id: str,
    *,
    kind: Literal["person", "report_photo"],
    subject: str,
    by: str,
    person_id: str | None = None,
    report_id: str | None = None,
    photo_year: int | None = None,
    now: datetime | None = None,
) -> str:
    """Store one template (a person's replaces their earlier ones: one portrait, one face)."""
    tid = new_id()
    with db.atomic():
        if kind == "person":
            db.execute("DELETE FROM face_templates WHERE kind='person' AND subject=?", [subject])
        db.execute(
            "INSERT INTO face_templates (id, kind, subject, person_id, report_id, model_id, "
            "photo_year, blob, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                tid,
                kind,
                subject,
                person_id,
                report_id,
                model_id,
                photo_year,
                key.seal(tid, face.vector),
                iso(now or datetime.now(UTC)),
                by,
            ),
        )
        _bump(db)
    return tid


def delete_templates(db: sqlite_utils.Database, where: str, args: list[Any]) -> int:
    n = db.execute(f"DELETE FROM face_templates WHERE {where}", args).rowcount
    if n:
        _bump(db)
    return int(n)


class TemplateRow(NamedTuple):
    """What the gallery keeps beside each vector (a tuple: 100,000 of them stay in memory)."""

    id: str
    kind: str
    subject: str
    person_id: str | None
    report_id: str | None
    photo_year: int | None


class Gallery:
    """The decrypted templates of one model, in memory for fast search, reloaded when the
    gallery version changes. The only reader of template blobs."""

    def __init__(self, key: TemplateKey, matrix: Callable[[list[bytes]], Any]) -> None:
        self.key = key
        self._matrix = matrix
        self._lock = threading.Lock()
        self._loaded: tuple[int, str] | None = None
        self.rows: list[TemplateRow] = []
        self.vectors: Any = None

    def load(self, db: sqlite_utils.Database, model_id: str) -> None:
        version = _version(db)
        with self._lock:
            if self._loaded == (version, model_id):
                return
            key = self.key.key(create=False) if self.key.path.exists() else None
            rows: list[TemplateRow] = []
            vectors: list[bytes] = []
            for tid, kind, subject, pid, rid, year, blob in db.execute(  # a cursor: no copy
                "SELECT id, kind, subject, person_id, report_id, photo_year, blob "
                "FROM face_templates WHERE model_id=? ORDER BY id",
                [model_id],
            ):
                if key is None:
                    raise FacesError(500, "no_key", "templates exist but the key file is missing")
                vectors.append(self.key.open(tid, blob, key))
                rows.append(TemplateRow(tid, kind, subject, pid, rid, year))
            matrix = self._matrix(vectors)
            del vectors
            self.rows, self.vectors = rows, matrix
            self._loaded = (version, model_id)


# families' reports ---------------------------------------------------------------------------


class FamilyReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str = Field(min_length=1, max_length=64, description="station receiving the report")
    reporter_name: str = Field(min_length=1, max_length=100, description="who reports")
    reporter_relation: str = Field(min_length=1, max_length=60, description="son, wife, police…")
    reporter_contact: str = Field(min_length=1, max_length=200, description="phone or address")
    id_checked_by: str = Field(min_length=1, max_length=100, description="staff who checked ID")
    names: list[str] = Field(min_length=1, max_length=10, description="the missing person's")
    sex: Literal["male", "female", "unknown"] = "unknown"
    birth_date: str | None = Field(None, max_length=10, description="YYYY-MM-DD or YYYY")
    home_address: str | None = Field(None, max_length=300)
    last_seen_at: datetime | None = None
    last_seen_where: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=4000, description="height, build, marks…")
    conditions: str | None = Field(None, max_length=2000, description="dementia, medication…")
    consent_photos: bool = Field(description="the reporter consents to the photos' use")
    consent_contact: bool = Field(description="the reporter consents to their data being kept")


class FamilyReport(BaseModel):
    id: str
    site: str
    reporter_name: str | None = None
    reporter_relation: str | None = None
    reporter_contact: str | None = None
    id_checked_by: str | None = None
    names: list[str]
    sex: str | None = None
    birth_date: str | None = None
    home_address: str | None = None
    last_seen_at: str | None = None
    last_seen_where: str | None = None
    description: str | None = None
    conditions: str | None = None
    consent_photos: bool
    consent_contact: bool
    status: str
    created_at: str
    created_by: str
    closed_at: str | None = None
    photos: int = Field(0, description="photos kept (each with its year)")


def create_report(db: sqlite_utils.Database, body: FamilyReportIn, by: str) -> FamilyReport:
    if not body.consent_contact:
        raise FacesError(
            422, "consent", "the reporter's consent to keep their contact data is required"
        )
    rid = new_id()
    data = body.model_dump(mode="json")
    data["names"] = json.dumps(body.names, ensure_ascii=False)
    data["consent_photos"], data["consent_contact"] = int(body.consent_photos), 1
    db.table("family_reports").insert(
        {
            **data,
            "id": rid,
            "status": "open",
            "created_at": now_iso(),
            "created_by": by,
        }
    )
    audit(db, by, "faces.report.create", rid, {"site": body.site})
    return get_report(db, rid)


def get_report(db: sqlite_utils.Database, report_id: str) -> FamilyReport:
    rows = list(db.query("SELECT * FROM family_reports WHERE id=?", [report_id]))
    if not rows:
        raise FacesError(404, "not_found", f"no family report {report_id}")
    r = rows[0]
    photos = db.execute(
        "SELECT count(*) FROM family_report_photos WHERE report_id=? AND deleted_at IS NULL",
        [report_id],
    ).fetchone()[0]
    return FamilyReport(
        **{
            **r,
            "names": json.loads(r["names"]),
            "consent_photos": bool(r["consent_photos"]),
            "consent_contact": bool(r["consent_contact"]),
            "photos": photos,
        }
    )


def list_reports(db: sqlite_utils.Database, sites: list[str] | None) -> list[FamilyReport]:
    rows = db.execute("SELECT id, site FROM family_reports ORDER BY created_at DESC").fetchall()
    return [get_report(db, rid) for rid, site in rows if sites is None or site in sites]


def close_report(
    db: sqlite_utils.Database,
    report_id: str,
    reason: str,
    by: str,
    delete_photo: Callable[[str], Any],
) -> FamilyReport:
    """Close a family's search: their photos and templates are deleted (consent was for it)."""
    get_report(db, report_id)
    now = now_iso()
    with db.atomic():
        db.execute(
            "UPDATE family_reports SET status='closed', closed_at=?, closed_by=?, closed_reason=? "
            "WHERE id=?",
            (now, by, reason, report_id),
        )
        photos = [
            r[0]
            for r in db.execute(
                "SELECT id FROM family_report_photos WHERE report_id=? AND deleted_at IS NULL",
                [report_id],
            ).fetchall()
        ]
        for pid in photos:
            delete_photo(pid)
        db.execute(
            "UPDATE family_report_photos SET deleted_at=?, deleted_reason=? "
            "WHERE report_id=? AND deleted_at IS NULL",
            (now, f"report closed: {reason}", report_id),
        )
        delete_templates(db, "report_id=?", [report_id])
        audit(db, by, "faces.report.close", report_id, {"reason": reason, "photos": len(photos)})
    return get_report(db, report_id)


# searches and reviews ------------------------------------------------------------------------


class Candidate(BaseModel):
    rank: int = Field(description="1 = nearest")
    kind: Literal["person", "report"] = Field(description="a person file or a family's report")
    id: str = Field(description="person id or family report id")
    distance: float = Field(description="face distance (smaller = more alike)")
    photo_year: int | None = Field(None, description="year the report's photo was taken")
    age_gap_years: int | None = Field(None, description="years between the two photos")
    method: str = Field(description="model that compared them")


class SearchResult(BaseModel):
    search_id: str
    model_id: str
    threshold: float
    candidates: list[Candidate]
    note: str = Field(
        "candidates for a person to review, never an identification",
        description="what the list is",
    )


def search(
    db: sqlite_utils.Database,
    gallery: Gallery,
    nearest: Callable[[bytes, Any, float], list[tuple[int, float]]],
    query: bytes,
    model_id: str,
    *,
    query_desc: dict[str, Any],
    query_year: int | None,
    exclude: set[str],
    against: set[str],
    reason: str,
    by: str,
    k: int = 10,
    threshold: float = DEFAULT_THRESHOLD,
    sites: list[str] | None = None,
) -> SearchResult:
    """Rank the gallery's templates of `against` kinds by distance to `query`; audited."""
    gallery.load(db, model_id)
    now = datetime.now(UTC)
    found: list[Candidate] = []
    seen: set[str] = set()
    for i, d in nearest(query, gallery.vectors, threshold):
        if len(found) >= k:
            break
        row = gallery.rows[i]
        kind: Literal["person", "report"] = "person" if row.kind == "person" else "report"
        cid = (row.person_id if kind == "person" else row.report_id) or row.subject
        if kind not in against or f"{kind}:{cid}" in exclude or f"{kind}:{cid}" in seen:
            continue
        if sites is not None and not _in_sites(db, kind, cid, sites):
            continue
        seen.add(f"{kind}:{cid}")
        gap = None
        if row.photo_year or query_year:
            gap = abs((query_year or now.year) - (row.photo_year or now.year))
        found.append(
            Candidate(
                rank=len(found) + 1,
                kind=kind,
                id=cid,
                distance=round(d, 4),
                photo_year=row.photo_year,
                age_gap_years=gap,
                method=model_id,
            )
        )
    sid = new_id()
    shown = [c.model_dump() for c in found]
    db.execute(
        "INSERT INTO face_searches (id, at, actor, reason, query, model_id, candidates) "
        "VALUES (?,?,?,?,?,?,?)",
        (sid, iso(now), by, reason, json.dumps(query_desc), model_id, json.dumps(shown)),
    )
    audit(
        db,
        by,
        "faces.search",
        sid,
        {"reason": reason, "query": query_desc, "candidates": [f"{c.kind}:{c.id}" for c in found]},
    )
    return SearchResult(search_id=sid, model_id=model_id, threshold=threshold, candidates=found)


def _in_sites(db: sqlite_utils.Database, kind: str, cid: str, sites: list[str]) -> bool:
    table = "people" if kind == "person" else "family_reports"
    row = db.execute(f"SELECT site FROM {table} WHERE id=?", [cid]).fetchone()
    return row is not None and row[0] in sites


def _shown(db: sqlite_utils.Database, search_id: str, candidate: str) -> dict[str, Any]:
    row = db.execute("SELECT candidates FROM face_searches WHERE id=?", [search_id]).fetchone()
    if row is None:
        raise FacesError(404, "not_found", f"no face search {search_id}")
    for c in json.loads(row[0]):
        if f"{c['kind']}:{c['id']}" == candidate:
            return dict(c)
    raise FacesError(422, "not_shown", f"{candidate} was not a candidate of search {search_id}")


class Review(BaseModel):
    """A person's decision on one candidate of a face search (a human confirms every match)."""

    id: int
    search_id: str
    candidate: str = Field(description="the candidate shown, as kind:id")
    decision: str = Field(description="rejected, needs_info or probable")
    evidence: str | None = Field(None, description="police_id_check, family_recognition or dna")
    note: str | None = None
    by: str = Field(description="the reviewer's user name")
    at: str = Field(description="when, UTC ISO")


def reviews(db: sqlite_utils.Database, search_id: str) -> list[Review]:
    return [
        Review(**r)
        for r in db.query("SELECT * FROM face_reviews WHERE search_id=? ORDER BY id", [search_id])
    ]


def review(
    db: sqlite_utils.Database,
    search_id: str,
    candidate: str,
    decision: Decision,
    by: str,
    note: str | None,
) -> Review:
    _shown(db, search_id, candidate)
    now = now_iso()
    with db.atomic():
        rid = db.execute(
            "INSERT INTO face_reviews (search_id, candidate, decision, note, by, at) "
            "VALUES (?,?,?,?,?,?)",
            (search_id, candidate, decision, note, by, now),
        ).lastrowid
        audit(db, by, "faces.review", search_id, {"candidate": candidate, "decision": decision})
    return next(r for r in reviews(db, search_id) if r.id == rid)


def confirm(
    db: sqlite_utils.Database,
    search_id: str,
    candidate: str,
    evidence: Evidence,
    by: str,
    note: str | None,
) -> Review:
    """The four-eyes rule: a candidate marked `probable` by one reviewer is confirmed only by
    another, with a piece of evidence other than the face."""
    _shown(db, search_id, candidate)
    probable = [
        r for r in reviews(db, search_id) if r.candidate == candidate and r.decision == "probable"
    ]
    if not probable:
        raise FacesError(409, "not_probable", "mark the candidate probable before confirming")
    if all(r.by == by for r in probable):
        raise FacesError(
            409, "second_reviewer", "a second reviewer must confirm (you marked it probable)"
        )
    now = now_iso()
    with db.atomic():
        rid = db.execute(
            "INSERT INTO face_reviews (search_id, candidate, decision, evidence, note, by, at) "
            "VALUES (?,?,?,?,?,?,?)",
            (search_id, candidate, "confirmed", evidence, note, by, now),
        ).lastrowid
        audit(db, by, "faces.confirm", search_id, {"candidate": candidate, "evidence": evidence})
    return next(r for r in reviews(db, search_id) if r.id == rid)


def query_person(search_row_query: str) -> str | None:
    q = json.loads(search_row_query)
    return str(q["id"]) if q.get("kind") == "person" else None


# retention and counts ------------------------------------------------------------------------


def purge(db: sqlite_utils.Database, template_days: float, now: datetime) -> int:
    """Delete the templates of people whose family-search case closed more than
    `template_days` ago, and of people no longer on file. Returns how many."""
    n = 0
    with db.atomic():
        rows = db.execute(
            "SELECT DISTINCT t.person_id, c.closed_at FROM face_templates t "
            "LEFT JOIN family_search_cases c ON c.person_id = t.person_id "
            "WHERE t.kind='person'"
        ).fetchall()
        for pid, closed_at in rows:
            gone = db.execute("SELECT 1 FROM people WHERE id=?", [pid]).fetchone() is None
            old = closed_at is not None and (now - parse(closed_at)).total_seconds() > (
                template_days * 86400
            )
            if gone or old:
                n += delete_templates(db, "kind='person' AND person_id=?", [pid])
        if n:
            audit(db, "retention", "faces.purge", "face_templates", {"deleted": n}, at=now)
    return n


class FaceStats(BaseModel):
    people_with_templates: int = Field(description="distinct people with face data (filing)")
    person_templates: int
    report_templates: int
    open_family_reports: int
    searches: int


def stats(db: sqlite_utils.Database) -> FaceStats:
    one = lambda sql: int(db.execute(sql).fetchone()[0])  # noqa: E731
    return FaceStats(
        people_with_templates=one(
            "SELECT count(DISTINCT person_id) FROM face_templates WHERE kind='person'"
        ),
        person_templates=one("SELECT count(*) FROM face_templates WHERE kind='person'"),
        report_templates=one("SELECT count(*) FROM face_templates WHERE kind='report_photo'"),
        open_family_reports=one("SELECT count(*) FROM family_reports WHERE status='open'"),
        searches=one("SELECT count(*) FROM face_searches"),
    )
