"""GET /events, /checks, /checks/{id}, /nodes, /deadletters (keyset pagination by rowid)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from gateway.api.deps import Caller, Db, require, require_event_reader
from gateway.api.record_models import (
    CheckPage,
    CheckRow,
    DeadLetterPage,
    EventPage,
    NodeList,
)
from gateway.auth.tokens import Principal
from gateway.store.sql import site_in
from gateway.store.times import iso

router = APIRouter(prefix="/api/v1", tags=["records"])
EventReader = Annotated[Principal, require_event_reader()]  # desk: intake kinds only

Limit = Query(100, ge=1, le=1000, description="page size")
Cursor = Query(None, description="`next` from the previous page")


def _rows(db: Db, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _page(
    db: Db,
    table: str,
    where: list[str],
    args: list[Any],
    limit: int,
    cursor: str | None,
    columns: str = "*",
) -> dict[str, Any]:
    if cursor:
        where = [*where, "rowid < ?"]
        args = [*args, _decode_cursor(cursor)]
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = _rows(
        db,
        f"SELECT rowid AS _rowid, {columns} FROM {table} {clause} ORDER BY rowid DESC LIMIT ?",
        [*args, limit],
    )
    nxt = None
    if len(rows) == limit:
        nxt = base64.urlsafe_b64encode(str(rows[-1]["_rowid"]).encode()).decode()
    for row in rows:
        del row["_rowid"]
    return {"items": rows, "next": nxt}


MAX_ROWID = 2**63 - 1
"""SQLite integers are 64-bit: a larger cursor made the query raise (500) instead of 422."""


def _decode_cursor(cursor: str) -> int:
    try:
        if len(cursor) > 40:
            raise ValueError(cursor)
        value = int(base64.urlsafe_b64decode(cursor.encode()).decode())
        if not 0 <= value <= MAX_ROWID:
            raise ValueError(value)
        return value
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(422, "bad cursor: use `next` from the previous page") from None


def _filters(
    who: Principal,
    since: datetime | None,
    until: datetime | None,
    ts: str,
    **equal: str | None,
) -> tuple[list[str], list[Any]]:
    """WHERE terms and their arguments: the caller's sites (unless a `site` is asked for),
    each column of `equal` given a value, and `ts` within [since, until)."""
    where, args = [], []
    scope, scope_args = site_in("site", who.sites if equal.get("site") is None else None)
    if scope:  # a site-scoped user sees only its sites
        where.append(scope)
        args += scope_args
    for col, val in equal.items():
        if val is not None:
            where.append(f"{col} = ?")
            args.append(val)
    if since is not None:
        where.append(f"{ts} >= ?")
        args.append(_iso(since))
    if until is not None:
        where.append(f"{ts} < ?")
        args.append(_iso(until))
    return where, args


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise HTTPException(422, "times need a zone, e.g. 2026-11-22T14:00:00Z")
    return iso(value)


def _json_fields(page: dict[str, Any], *fields: str) -> dict[str, Any]:
    for row in page["items"]:
        for f in fields:
            if row.get(f) is not None:
                row[f] = json.loads(row[f])
    return page


@dataclass(frozen=True)
class RecordFilter:
    """The filters and the page /events and /checks share (a FastAPI dependency class)."""

    site: str | None = None
    node: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Limit
    cursor: str | None = Cursor

    def page(
        self, db: Db, who: Principal, table: str, ts: str, **equal: str | None
    ) -> dict[str, Any]:
        """One page of `table`, newest first, with `ts` (its time column) in [since, until)."""
        where, args = _filters(
            who, self.since, self.until, ts, site=self.site, node=self.node, **equal
        )
        return _page(db, table, where, args, self.limit, self.cursor)


Filter = Annotated[RecordFilter, Depends()]


@router.get("/events", response_model=EventPage)
def list_events(db: Db, who: EventReader, f: Filter, kind: str | None = None) -> dict[str, Any]:
    """Events, newest first. Filters: site, node, kind, since/until (event time)."""
    return _json_fields(f.page(db, who, "events", "ts", kind=kind), "data")


@router.get("/checks", response_model=CheckPage)
def list_checks(db: Db, who: Caller, f: Filter, outcome: str | None = None) -> dict[str, Any]:
    """Intake checks, newest first. Filters: site, node, outcome, since/until (start time)."""
    return _json_fields(
        f.page(db, who, "checks", "started_at", outcome=outcome), "items_held", "data"
    )


@router.get("/checks/{check_id}", response_model=CheckRow)
def get_check(check_id: str, db: Db, who: Caller) -> dict[str, Any]:
    """One intake check (its latest revision)."""
    rows = _rows(db, "SELECT * FROM checks WHERE check_id = ?", [check_id])
    if not rows or not who.sees(rows[0]["site"]):
        raise HTTPException(404, f"no check {check_id}")
    row = rows[0]
    row["items_held"] = json.loads(row["items_held"] or "[]")
    row["data"] = json.loads(row["data"])
    return row


@router.get("/nodes", response_model=NodeList)
def list_nodes(db: Db, who: Caller, site: str | None = None) -> dict[str, Any]:
    """Every node: state, last seen, outbox backlog, device states, events lost by seq."""
    where, args = _filters(who, None, None, "", site=site)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = _rows(db, f"SELECT * FROM nodes {clause} ORDER BY site, node", args)
    for row in rows:
        row["devices"] = json.loads(row["devices"] or "{}")
        # seq ledger: gateway/ingest/limits.py SeqLedger (a reset carries the loss before it)
        carried = row.get("lost_before_reset") or 0
        if row["max_seq"] is not None:
            span = row["max_seq"] - row["first_seq"] + 1 - (row["received"] or 0)
            row["lost"] = max(0, span) + carried
        else:
            row["lost"] = carried
    return {"items": rows, "next": None}


@router.get("/deadletters", response_model=DeadLetterPage, dependencies=[require("admin")])
def list_deadletters(
    db: Db,
    limit: int = Limit,
    cursor: str | None = Cursor,
    reason: str | None = None,
) -> dict[str, Any]:
    """Rejected messages with their reason (admin only: payloads may hold personal data)."""
    where, args = ([], []) if reason is None else (["reason = ?"], [reason])
    page = _page(
        db,
        "deadletters",
        where,
        args,
        limit,
        cursor,
        columns="id, received_at, topic, reason, detail, size, payload",
    )
    for row in page["items"]:
        row["payload"] = bytes(row["payload"] or b"")[:2048].decode("utf-8", "replace")
    return page
