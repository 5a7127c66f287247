"""`GET /api/v1/audit` (admin): the audit trail with filters, as JSON pages or a CSV export.

The trail answers "who read or changed what, and when" (logins, API reads, live views, media
views, alert actions). Admins only: the targets name residents' events and cameras.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from gateway.api.deps import Db, require

router = APIRouter(prefix="/api/v1", tags=["audit"], dependencies=[require("admin")])

COLUMNS = ("id", "at", "actor", "action", "target", "detail")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise HTTPException(422, "times need a zone, e.g. 2026-11-22T14:00:00Z")
    return value.isoformat()


@router.get("/audit", response_model=None)
def list_audit(
    db: Db,
    actor: str | None = Query(None, max_length=100, description="exact user/token name"),
    action: str | None = Query(None, max_length=100, description="exact action, e.g. login"),
    q: str | None = Query(None, max_length=200, description="text contained in the target"),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(200, ge=1, le=10000),
    before: int | None = Query(None, ge=1, description="`next` of the previous page"),
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """Newest first. `at` is compared as text: stored times are UTC ISO-8601."""
    where: list[str] = []
    args: list[Any] = []
    for col, val in (("actor", actor), ("action", action)):
        if val:
            where.append(f"{col} = ?")
            args.append(val)
    if q:
        where.append("instr(coalesce(target, ''), ?) > 0")
        args.append(q)
    if since is not None:
        where.append("at >= ?")
        args.append(_iso(since))
    if until is not None:
        where.append("at < ?")
        args.append(_iso(until))
    if before is not None:
        where.append("id < ?")
        args.append(before)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = db.execute(
        f"SELECT {', '.join(COLUMNS)} FROM audit {clause} ORDER BY id DESC LIMIT ?",
        [*args, limit],
    ).fetchall()
    items = [dict(zip(COLUMNS, r, strict=True)) for r in rows]
    if format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return Response(
            "\ufeff" + buf.getvalue(),  # BOM: Excel opens UTF-8 (Chinese names) correctly
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
    return {"items": items, "next": items[-1]["id"] if len(items) == limit else None}
