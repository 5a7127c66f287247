"""The intake desk page's API: the checks in progress at each intake node, derived from the
step events (gate, metal, temperature) that nodes send before the check's outcome, and the
day's finished checks with a search. Each finished check carries `person_id`, the person file
it is on (None until the desk opens or links a file: gateway/api/routes/people.py).

Nodes decide checks themselves (the desk must work without the gateway); the gateway only sees
their events. A check is "in progress" while its step events have arrived and its `check`
event has not, within `window_min` minutes (a node that went offline mid-check leaves stale
steps: they age out of the window). Intake nodes are those with checks, with recent step
events, or with a gate/thermometer/wand among their devices (ids `gate*`, `thermo*`, `wand*`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from gateway.api.context import context_of
from gateway.api.deps import Db, require
from gateway.auth.tokens import Principal
from gateway.store.sql import site_in
from gateway.store.times import iso

router = APIRouter(prefix="/api/v1/desk", tags=["intake desk"])

STEP_KINDS = ("gate", "metal", "temperature")
ALARM_WINDOW_S = 2.0
INTAKE_DEVICE_PREFIXES = ("gate", "thermo", "wand")


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _rows(db: Db, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def derive_open_checks(events: list[dict[str, Any]], finished: set[str]) -> list[dict[str, Any]]:
    """Checks in progress from one node's step events (oldest first), skipping `finished`."""
    checks: dict[str, dict[str, Any]] = {}
    loose_alarms: list[datetime] = []
    for ev in events:
        data = ev["data"]
        at = ev["ts"]
        cid = data.get("check_id")
        if ev["kind"] == "gate" and data.get("action") == "alarm" and cid is None:
            loose_alarms.append(_parse(at))
            continue
        if cid is None or cid in finished:
            continue
        c = checks.setdefault(
            cid,
            {
                "check_id": cid,
                "started_at": at,
                "gate": {"passage_at": None, "direction": None, "alarm": False},
                "wand": None,
                "temperatures": [],
            },
        )
        if ev["kind"] == "gate":
            if data.get("action") == "passage":
                c["gate"]["passage_at"] = at
                c["gate"]["direction"] = data.get("direction")
                c["started_at"] = at
            elif data.get("action") == "alarm":
                c["gate"]["alarm"] = True
        elif ev["kind"] == "metal":
            c["wand"] = {
                "result": data.get("result"),
                "items": data.get("items") or [],
                "operator": data.get("operator"),
                "source": data.get("source"),
                "at": at,
            }
        elif ev["kind"] == "temperature":
            c["temperatures"].append(
                {
                    "celsius": data.get("celsius"),
                    "mode": data.get("mode", "body"),
                    "remeasure": bool(data.get("remeasure")),
                    "core_needed": bool(data.get("core_needed")),
                    "at": at,
                }
            )
    out = []
    for c in checks.values():
        start = _parse(c["started_at"])
        if any(abs((a - start).total_seconds()) <= ALARM_WINDOW_S for a in loose_alarms):
            c["gate"]["alarm"] = True  # an alarm just before the passage belongs to it
        results = [t for t in c["temperatures"] if not t["remeasure"]]
        core = [t for t in results if t["mode"] == "core"]
        deciding = (core or results or [None])[-1]
        c["celsius"] = deciding["celsius"] if deciding else None
        c["remeasure"] = bool(c["temperatures"]) and c["temperatures"][-1]["remeasure"]
        waiting = []
        if c["gate"]["alarm"] and c["wand"] is None:
            waiting.append("wand")
        if deciding is None:
            waiting.append("temperature")
        # a screening reading below the node's hypothermia threshold: the node waits for core
        c["core_needed"] = bool(deciding and deciding["core_needed"] and not core)
        if c["core_needed"]:
            waiting.append("core_temperature")
        c["waiting_for"] = waiting
        c["step"] = waiting[0] if waiting else "outcome"
        out.append(c)
    out.sort(key=lambda c: c["started_at"])
    return out


Reader = Annotated[Principal, require("desk", "supervisor")]


def _scope(who: Principal, site: str | None) -> tuple[str, list[str]]:
    """SQL condition on `site` for the caller: the one asked for, else the caller's sites (a
    site-scoped user sees only their sites; naming another one is refused by the auth layer)."""
    if site:
        return " AND site = ?", [site]
    clause, args = site_in("site", who.sites)
    return (f" AND {clause}", args) if clause else ("", [])


@router.get("/active")
def active(
    db: Db,
    who: Reader,
    site: str | None = None,
    window_min: Annotated[
        int, Query(ge=1, le=240, description="how far back to look, minutes")
    ] = 10,
) -> dict[str, Any]:
    """Each intake node with its checks in progress (oldest first) and its last finished
    check."""
    now = datetime.now(UTC)
    since = iso(now - timedelta(minutes=window_min))
    site_clause, site_args = _scope(who, site)
    events = _rows(
        db,
        "SELECT id, site, node, kind, ts, data FROM events WHERE kind IN (?,?,?) "
        f"AND received_at >= ?{site_clause} ORDER BY ts, seq",
        [*STEP_KINDS, since, *site_args],
    )
    by_node: dict[tuple[str, str], list[dict[str, Any]]] = {}
    ids: set[str] = set()
    for ev in events:
        ev["data"] = json.loads(ev["data"])
        by_node.setdefault((ev["site"], ev["node"]), []).append(ev)
        if ev["data"].get("check_id"):
            ids.add(ev["data"]["check_id"])
    finished: set[str] = set()
    if ids:
        marks = ",".join("?" * len(ids))
        finished = {
            r[0]
            for r in db.execute(
                f"SELECT check_id FROM checks WHERE check_id IN ({marks})", list(ids)
            ).fetchall()
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
        if n.pop("has_checks") or (n["site"], n["node"]) in by_node or _intake_devices(n)
    ]
    for n in nodes:
        n.pop("devices")
    known = {(n["site"], n["node"]) for n in nodes}
    for key in sorted(set(by_node) - known):  # events before the node's first status
        nodes.append(
            {
                "site": key[0],
                "node": key[1],
                "state": "unknown",
                "state_since": None,
                "last_seen": None,
            }
        )
    for n in nodes:
        n["open"] = derive_open_checks(by_node.get((n["site"], n["node"]), []), finished)
        last = _rows(
            db,
            "SELECT * FROM checks WHERE site=? AND node=? ORDER BY finished_at DESC LIMIT 1",
            [n["site"], n["node"]],
        )
        n["last"] = _with_people(db, [_check(last[0])])[0] if last else None
    return {"now": iso(now), "nodes": nodes}


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


@router.get("/checks")
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
