"""What a reviewer reads back: one search with its candidates and decisions, and the queue of
probable matches still waiting for a second reviewer (the four-eyes rule of docs/faces.md)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils
from pydantic import BaseModel, Field

from gateway.auth.audit import audit
from gateway.faces import FacesError
from gateway.faces.store import Candidate, Review, reviews


class SearchRecord(BaseModel):
    search_id: str
    at: str
    actor: str = Field(description="who searched")
    reason: str = Field(description="the case the search was for")
    query: dict[str, Any] = Field(description='{"kind": person|report|upload, "id": …}')
    model_id: str
    candidates: list[Candidate]
    reviews: list[Review]
    note: str = "candidates for a person to review, never an identification"


class Pending(BaseModel):
    search_id: str
    candidate: str = Field(description="kind:id")
    query: dict[str, Any] = Field(
        description='what was searched with: {"kind": "person"|"report"|"upload", "id": …}'
    )
    marked_by: str = Field(description="the first reviewer, who may not confirm it")
    marked_at: str
    note: str | None = None


class ToReview(BaseModel):
    search_id: str
    at: str
    actor: str = Field(description='who searched ("auto": made when a face arrived)')
    query: dict[str, Any] = Field(
        description='what was searched with: {"kind": "person"|"report"|"upload", "id": …}'
    )
    unreviewed: list[str] = Field(description="candidates (kind:id) nobody has decided on")


def to_review(db: sqlite_utils.Database, limit: int = 100) -> list[ToReview]:
    """Searches with candidates nobody has decided on yet, newest first: a candidate shown is
    a question to a person, and it stays in the queue until someone answers it."""
    decided: dict[str, set[str]] = {}
    for sid, cand in db.execute("SELECT DISTINCT search_id, candidate FROM face_reviews"):
        decided.setdefault(sid, set()).add(cand)
    out: list[ToReview] = []
    for sid, at, actor, query, candidates in db.execute(
        "SELECT id, at, actor, query, candidates FROM face_searches "
        "WHERE candidates != '[]' ORDER BY at DESC, id DESC"
    ):
        open_ = [
            f"{c['kind']}:{c['id']}"
            for c in json.loads(candidates)
            if f"{c['kind']}:{c['id']}" not in decided.get(sid, set())
        ]
        if open_:
            out.append(ToReview(search_id=sid, at=at, actor=actor, query=json.loads(query),
                                unreviewed=open_))  # fmt: skip
            if len(out) >= limit:
                break
    return out


def get_search(db: sqlite_utils.Database, search_id: str, by: str) -> SearchRecord:
    """A past search as it was shown (the candidates are not recomputed); the read is audited."""
    row = db.execute(
        "SELECT id, at, actor, reason, query, model_id, candidates FROM face_searches WHERE id=?",
        [search_id],
    ).fetchone()
    if row is None:
        raise FacesError(404, "not_found", f"no face search {search_id}")
    audit(db, by, "faces.search_view", search_id, {})
    return SearchRecord(
        search_id=row[0],
        at=row[1],
        actor=row[2],
        reason=row[3],
        query=json.loads(row[4]),
        model_id=row[5],
        candidates=[Candidate(**c) for c in json.loads(row[6])],
        reviews=reviews(db, search_id),
    )


def pending(db: sqlite_utils.Database) -> list[Pending]:
    """Candidates marked probable and neither confirmed nor rejected since, oldest first."""
    rows = db.execute(
        """
        SELECT r.search_id, r.candidate, s.query, r.by, r.at, r.note
        FROM face_reviews r JOIN face_searches s ON s.id = r.search_id
        WHERE r.decision = 'probable'
          AND NOT EXISTS (
            SELECT 1 FROM face_reviews later
            WHERE later.search_id = r.search_id AND later.candidate = r.candidate
              AND later.id > r.id AND later.decision IN ('confirmed', 'rejected'))
          AND NOT EXISTS (
            SELECT 1 FROM face_reviews again
            WHERE again.search_id = r.search_id AND again.candidate = r.candidate
              AND again.decision = 'probable' AND again.id > r.id)
        ORDER BY r.id
        """
    ).fetchall()
    return [
        Pending(
            search_id=r[0],
            candidate=r[1],
            query=json.loads(r[2]),
            marked_by=r[3],
            marked_at=r[4],
            note=r[5],
        )
        for r in rows
    ]
