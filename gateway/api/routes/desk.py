"""The intake desk page's API: the checks in progress at each intake node, as the node says
(its `progress` message, contract v1.2: docs/mqtt.md), and the day's finished checks with a
search. Each finished check carries `person_id`, the person file it is on (None until the desk
opens or links a file: gateway/api/routes/people.py).

Nodes decide checks themselves (the desk must work without the gateway); the gateway shows
where each check stands as the node last said, never a reconstruction of its own. A check is
"in progress" while the node lists it and its `check` event has not arrived. An offline node's
last word is shown only for `window_min` minutes (it may have finished those checks since).
Intake nodes are those with checks, with a progress message, or with a gate/thermometer/wand
among their devices (ids `gate*`, `thermo*`, `wand*`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from devices.contract.models import CheckProgress, CheckStep
from devices.contract.models.intake import (
    CheckOutcome,
    CheckWaitingFor,
    TemperatureReading,
    WandResult,
)
from gateway.answer import Answer
from gateway.api.context import context_of
from gateway.api.deps import Db, require
from gateway.api.record_models import CheckRow
from gateway.auth.tokens import Principal
from gateway.store.sql import site_in
from gateway.store.times import iso

router = APIRouter(prefix="/api/v1/desk", tags=["intake desk"])

INTAKE_DEVICE_PREFIXES = ("gate", "thermo", "wand")


def _rows(db: Db, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


class GateStep(BaseModel):
    passage_at: datetime = Field(description="the passage (start of the check)")
    direction: Literal["in", "unknown"]
    alarm: bool = Field(description="the walk-through gate alarmed")


class WandStep(BaseModel):
    result: WandResult
    items: list[str] = Field(description="items found")
    operator: str | None = None


class OpenCheck(BaseModel):
    """A check in progress as the node said (its `CheckProgress`), shaped for the desk."""

    check_id: str
    started_at: datetime
    gate: GateStep
    wand: WandStep | None
    temperatures: list[TemperatureReading]
    celsius: float | None = Field(description="the deciding reading: core, else screening")
    remeasure: bool = Field(description="the last reading asked for a re-measure")
    core_needed: bool = Field(description="waiting for a core temperature")
    waiting_for: list[CheckWaitingFor]
    step: str = Field(description="the first missing step, or `outcome` when none is missing")
    steps: list[CheckStep] = Field(description="the node's timeline of this check")
    restarted_at: datetime | None = Field(description="the node restarted during this check")
    operator: str | None
    note: str | None


class DeskCheck(CheckRow):
    """A finished check (the stored row of its latest `check` event) with its person file;
    the desk's answer has its JSON decoded and the gate alarm as a flag."""

    gate_alarm: bool = Field(description="the walk-through gate alarmed")
    items_held: list[str] = Field(description="prohibited items taken into storage")
    data: dict[str, Any] = Field(
        description="the check event's whole payload (steps, temperatures, note, revision…)"
    )
    person_id: str | None = Field(description="the person file it is on; null: none yet")


class DeskNode(BaseModel):
    site: str
    node: str
    state: str | None
    state_since: str | None
    last_seen: str | None
    open: list[OpenCheck] = Field(description="checks in progress, oldest first")
    more_open: int = Field(description="open checks beyond the 20 the node's message lists")
    last: DeskCheck | None = Field(description="the node's last finished check")


class DeskActive(BaseModel):
    now: str
    nodes: list[DeskNode]


class DayChecks(Answer):
    day: date = Field(description="the day, in the site's time zone")
    tz: str = Field(description="the site's time zone (IANA name)")
    counts: dict[CheckOutcome, int] = Field(
        description="the day's checks by outcome (whatever the search and outcome filter)"
    )
    total: int = Field(description="the day's checks (the sum of counts)")
    items: list[DeskCheck] = Field(description="the matching checks, newest first")


def open_checks(progress: list[dict[str, Any]], finished: set[str]) -> list[OpenCheck]:
    """The desk's view of a node's open checks (`CheckProgress` as stored, oldest first),
    without those whose `check` event is already stored."""
    out = []
    for p in (CheckProgress.model_validate(raw) for raw in progress):
        if p.check_id in finished:
            continue
        core = p.core_celsius
        out.append(
            OpenCheck(
                check_id=p.check_id,
                started_at=p.started_at,
                gate=GateStep(passage_at=p.started_at, direction=p.direction, alarm=p.gate_alarm),
                wand=WandStep(result=p.wand, items=p.items, operator=p.operator)
                if p.wand
                else None,
                temperatures=p.temperatures,
                celsius=core if core is not None else p.screening_celsius,
                remeasure=bool(p.temperatures) and p.temperatures[-1].remeasure,
                core_needed="core_temperature" in p.waiting_for,
                waiting_for=p.waiting_for,
                step=p.waiting_for[0] if p.waiting_for else "outcome",
                steps=p.steps,
                restarted_at=p.restarted_at,
                operator=p.operator,
                note=p.note,
            )
        )
    return out


Reader = Annotated[Principal, require("desk", "supervisor")]


def _scope(who: Principal, site: str | None) -> tuple[str, list[str]]:
    """SQL condition on `site` for the caller: the one asked for, else the caller's sites (a
    site-scoped user sees only their sites; naming another one is refused by the auth layer)."""
    if site:
        return " AND site = ?", [site]
    clause, args = site_in("site", who.sites)
    return (f" AND {clause}", args) if clause else ("", [])


@router.get("/active", response_model=DeskActive)
def active(
    db: Db,
    who: Reader,
    site: str | None = None,
    window_min: Annotated[
        int, Query(ge=1, le=240, description="how long an offline node's last word is shown")
    ] = 10,
) -> DeskActive:
    """Each intake node with its checks in progress (oldest first) and its last finished
    check."""
    now = datetime.now(UTC)
    since = iso(now - timedelta(minutes=window_min))
    site_clause, site_args = _scope(who, site)
    said: dict[tuple[str, str], dict[str, Any]] = {
        (r["site"], r["node"]): r
        for r in _rows(
            db,
            "SELECT site, node, open, more_open, received_at FROM node_progress "
            f"WHERE 1=1{site_clause}",
            site_args,
        )
    }
    nodes = [
        n
        for n in _rows(
            db,
            "SELECT site, node, state, state_since, last_seen, devices, EXISTS (SELECT 1 FROM "
            "checks c WHERE c.site=n.site AND c.node=n.node) AS has_checks FROM nodes n "
            f"WHERE 1=1{site_clause} ORDER BY site, node",
            site_args,
        )
        if n.pop("has_checks") or (n["site"], n["node"]) in said or _intake_devices(n)
    ]
    for n in nodes:
        n.pop("devices")
        row = said.get((n["site"], n["node"]))
        fresh = row is not None and (n["state"] == "online" or row["received_at"] >= since)
        progress = json.loads(row["open"]) if row and fresh else []
        n["open"] = open_checks(progress, _finished(db, progress))  # as the node said
        n["more_open"] = row["more_open"] if row and fresh else 0
        last = _rows(
            db,
            "SELECT * FROM checks WHERE site=? AND node=? ORDER BY finished_at DESC LIMIT 1",
            [n["site"], n["node"]],
        )
        n["last"] = _with_people(db, [_check(last[0])])[0] if last else None
    return DeskActive(now=iso(now), nodes=[DeskNode(**n) for n in nodes])


def _finished(db: Db, progress: list[dict[str, Any]]) -> set[str]:
    """Those of the listed checks whose outcome is stored (the progress may lag a moment)."""
    ids = [p["check_id"] for p in progress]
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    rows = db.execute(f"SELECT check_id FROM checks WHERE check_id IN ({marks})", ids)
    return {r[0] for r in rows.fetchall()}


def _intake_devices(node: dict[str, Any]) -> bool:
    """A node with a gate, thermometer or wand among its devices is an intake node."""
    try:
        devices = json.loads(node.get("devices") or "{}")
    except ValueError:
        return False
    return any(str(d).startswith(INTAKE_DEVICE_PREFIXES) for d in devices)


def _check(row: dict[str, Any]) -> dict[str, Any]:
    row["items_held"] = json.loads(row["items_held"] or "[]")
    row["data"] = json.loads(row["data"] or "{}")
    row["gate_alarm"] = bool(row["gate_alarm"])
    return row


def _with_people(db: Db, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each check with `person_id`: the person file it is on (gateway/people), or None, so the
    desk can offer "open file / link to file" for the others."""
    ids = [c["check_id"] for c in checks]
    owners: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        owners.update(
            db.execute(
                "SELECT check_id, person_id FROM person_checks WHERE check_id IN "
                f"({','.join('?' * len(part))})",
                part,
            ).fetchall()
        )
    for c in checks:
        c["person_id"] = owners.get(c["check_id"])
    return checks


@router.get("/checks", response_model=DayChecks)
def day_checks(
    request: Request,
    db: Db,
    who: Reader,
    day: Annotated[
        date | None, Query(description="YYYY-MM-DD in the site's time zone (default today)")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=100, description="text in the check id, node, operator, items, note"),
    ] = None,
    site: str | None = None,
    outcome: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Finished checks of one day in the site's time zone, newest first, with a text search,
    and the day's counts by outcome."""
    if day is not None and not 2000 <= day.year <= 2999:
        raise HTTPException(422, "day out of range")
    tz = context_of(request).zone(site)
    the_day = day or datetime.now(tz).date()
    start = datetime.combine(the_day, time(0), tz)
    end = start + timedelta(days=1)
    clause, scope_args = _scope(who, site)
    where = ["started_at >= ?", "started_at < ?" + clause]
    args: list[Any] = [iso(start), iso(end), *scope_args]
    counts = {
        r[0]: r[1]
        for r in db.execute(
            f"SELECT outcome, count(*) FROM checks WHERE {' AND '.join(where)} GROUP BY outcome",
            args,
        ).fetchall()
    }
    if outcome:
        where.append("outcome = ?")
        args.append(outcome)
    if q and q.strip():
        needle = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        needle += "%"
        where.append(
            "(check_id LIKE ? ESCAPE '\\' OR node LIKE ? ESCAPE '\\' OR operator LIKE ? "
            "ESCAPE '\\' OR items_held LIKE ? ESCAPE '\\' OR json_extract(data, '$.note') "
            "LIKE ? ESCAPE '\\')"
        )
        args += [needle] * 5
    rows = _rows(
        db,
        f"SELECT * FROM checks WHERE {' AND '.join(where)} ORDER BY started_at DESC LIMIT ?",
        [*args, limit],
    )
    return {
        "day": the_day.isoformat(),
        "tz": tz.key,
        "counts": counts,
        "total": sum(counts.values()),
        "items": _with_people(db, [_check(r) for r in rows]),
    }
