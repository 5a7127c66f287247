"""`GET /api/v1/audit` (admin): the audit trail with filters, newest first, keyset pages;
`GET /api/v1/audit.csv` (admin): the same rows as CSV. An export is itself audited
(action "export"), since it carries the trail out of the gateway.

The trail answers "who read or changed what, and when" (logins, API reads, live views, media
views, alert actions). Admins only: the targets name residents' events and cameras.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlite_utils
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gateway.api.deps import Db, require
from gateway.api.responses import text
from gateway.auth.audit import audit
from gateway.auth.tokens import Principal
from gateway.store.times import iso

router = APIRouter(prefix="/api/v1", tags=["audit"])
Admin = Annotated[Principal, require("admin")]

COLUMNS = ("id", "at", "actor", "action", "target", "detail")
EXPORT_MAX = 100_000
# A spreadsheet runs a cell starting with these as a formula; a failed login's username is
# attacker-chosen text, so such cells are prefixed with a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

ActorQ = Query(None, max_length=128, description="exact user/token name")
ActionQ = Query(None, max_length=100, description="exact action, e.g. login, login_failed, GET")
TextQ = Query(None, max_length=200, description="text contained in the target")
# le: SQLite integers are 64-bit; 2**63 made the query raise (500) instead of 422
BeforeQ = Query(
    None, ge=1, le=2**63 - 1, description="`next` of the previous page (rows with smaller id)"
)


class AuditFilter:
    """The filters both the page and the export take (a FastAPI dependency class)."""

    def __init__(
        self,
        actor: str | None = ActorQ,
        action: str | None = ActionQ,
        q: str | None = TextQ,
        since: datetime | None = None,
        until: datetime | None = None,
        before: int | None = BeforeQ,
    ) -> None:
        self.actor, self.action, self.q = actor, action, q
        self.since, self.until, self.before = _iso(since), _iso(until), before

    def recorded(self, limit: int) -> dict[str, Any]:
        """What an export was filtered by (kept with the export's own audit row)."""
        return {k: v for k, v in {**vars(self), "limit": limit}.items() if v is not None}


Filter = Annotated[AuditFilter, Depends()]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise HTTPException(422, "times need a zone, e.g. 2026-11-22T14:00:00Z")
    return iso(value)


def _select(db: sqlite_utils.Database, f: AuditFilter, limit: int) -> list[tuple[Any, ...]]:
    """`at` is in the store's one spelling (gateway/store/times.py), and so are the bounds,
    so comparing them as text compares the times."""
    where: list[str] = []
    args: list[Any] = []
    for col, val in (("actor", f.actor), ("action", f.action)):
        if val:
            where.append(f"{col} = ?")
            args.append(val)
    if f.q:
        where.append("instr(coalesce(target, ''), ?) > 0")
        args.append(f.q)
    for condition, bound in (("at >= ?", f.since), ("at < ?", f.until), ("id < ?", f.before)):
        if bound is not None:
            where.append(condition)
            args.append(bound)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return list(
        db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM audit {clause} ORDER BY id DESC LIMIT ?",
            [*args, limit],
        )
    )


def _safe(cell: Any) -> Any:
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def _csv(
    db: sqlite_utils.Database, who: Principal, rows: list[tuple[Any, ...]], filters: dict[str, Any]
) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerows([_safe(c) for c in row] for row in rows)
    audit(
        db,
        who.name,
        "export",
        "/api/v1/audit.csv",
        {"rows": len(rows), "filters": filters},
    )
    return Response(
        "\ufeff" + buf.getvalue(),  # BOM: Excel opens UTF-8 (Chinese names) correctly
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


class AuditRow(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    target: str | None = None
    detail: Any = Field(None, description="what the action concerned (JSON text as written)")


class AuditPage(BaseModel):
    items: list[AuditRow] = Field(description="newest first")
    next: int | None = Field(None, description="pass as `before` for the next page")


CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "model": AuditPage,
        "description": "JSON, or CSV (UTF-8 with BOM) with format=csv",
        "content": text("text/csv"),
    }
}


@router.get("/audit", response_model=None, responses=CSV_ANSWER)
def list_audit(
    db: Db,
    who: Admin,
    f: Filter,
    limit: int = Query(200, ge=1, le=10000),
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """Newest first: {"items": [{id, at, actor, action, target, detail}], "next": id|null}.
    `format=csv` is the same as /audit.csv for this page."""
    rows = _select(db, f, limit)
    if format == "csv":
        return _csv(db, who, rows, f.recorded(limit))
    items = [dict(zip(COLUMNS, r, strict=True)) for r in rows]
    return {"items": items, "next": items[-1]["id"] if len(items) == limit else None}


@router.get(
    "/audit.csv",
    response_model=None,
    responses={200: {"description": "CSV (UTF-8 with BOM)", "content": text("text/csv")}},
)
def export_audit(
    db: Db, who: Admin, f: Filter, limit: int = Query(EXPORT_MAX, ge=1, le=EXPORT_MAX)
) -> Response:
    """CSV (UTF-8 with BOM) of the matching rows, newest first; audited as "export"."""
    return _csv(db, who, _select(db, f, limit), f.recorded(limit))
