"""Read the station's records from its SQLite tables as uplink snapshots.

Versions come from the history tables: an alert's version is the id of its latest
`alert_history` row, an incident's the id of its latest `incident_history` row (the two
tables count apart; the hub orders each kind by its own version). Those ids only grow, and
every change the alert service makes (raise, acknowledge, assign, comment, resolve, escalate,
report, reminder, overdue, close) writes a history row, so a snapshot read later never carries
a smaller version than one read earlier. (A `repeated` alert only updates its count; the count
rides along with the next change or resend.)
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlite_utils

from devices.contract.models.uplink import (
    PORTRAIT_B64_MAX,
    AlertSnapshot,
    DailyReturn,
    HealthSummary,
    HistoryEntry,
    IncidentSnapshot,
    MissingPerson,
    NodeHealth,
)
from gateway.store.times import iso, parse

HISTORY_LINES = 200


def _rows(db: sqlite_utils.Database, sql: str, args: Any = ()) -> list[dict[str, Any]]:
    cur = db.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _history(rows: list[dict[str, Any]]) -> list[HistoryEntry]:
    rows = rows[-HISTORY_LINES:]
    return [
        HistoryEntry(
            at=parse(r["at"]),
            actor=r["actor"][:200],
            action=r["action"][:40],
            detail=(r["detail"] or None) and r["detail"][:2000],
        )
        for r in rows
    ]


def _with_history(
    db: sqlite_utils.Database, of: Literal["alert", "incident"], record_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The alert's or incident's row and its history rows, oldest first; None if unknown."""
    rows = _rows(db, f"SELECT * FROM {of}s WHERE id=?", (record_id,))
    if not rows:
        return None
    history = _rows(
        db,
        f"SELECT id, at, actor, action, detail FROM {of}_history WHERE {of}_id=? ORDER BY id",
        (record_id,),
    )
    return rows[0], history


def changed_since(
    db: sqlite_utils.Database, table: str, key: str, after: int, upto: int | None, limit: int
) -> tuple[list[str], int]:
    """Records (ids) with history rows in (after, upto], oldest change first, and the last
    history id covered. `limit` bounds the history rows read in one pass."""
    sql = f"SELECT id, {key} FROM {table} WHERE id > ?"
    args: list[Any] = [after]
    if upto is not None:
        sql += " AND id <= ?"
        args.append(upto)
    rows = db.execute(sql + " ORDER BY id LIMIT ?", [*args, limit]).fetchall()
    if not rows:
        return [], after
    seen: dict[str, None] = {}
    for _, record in rows:
        seen.setdefault(record, None)
    return list(seen), rows[-1][0]


def last_id_before(db: sqlite_utils.Database, table: str, after: int, cutoff: datetime) -> int:
    """The largest history id past `after` written at or before `cutoff` (`after` if none).
    Starting from `after` keeps this a short primary-key range scan, not a table scan."""
    row = db.execute(
        f"SELECT MAX(id) FROM {table} WHERE id > ? AND at <= ?", (after, iso(cutoff))
    ).fetchone()
    return int(row[0] or after)


def alert_snapshot(
    db: sqlite_utils.Database, station: str, alert_id: str, now: datetime
) -> AlertSnapshot | None:
    found = _with_history(db, "alert", alert_id)
    if found is None:
        return None
    a, hist = found
    inc = db.execute("SELECT id FROM incidents WHERE alert_id=?", (alert_id,)).fetchone()
    return AlertSnapshot(
        station=station,
        id=a["id"],
        version=hist[-1]["id"] if hist else 0,
        sent_at=now,
        rule=a["rule"],
        severity=a["severity"],
        node=a["node"],
        device=a["device"],
        subject=a["subject"],
        state=a["state"],
        first_at=parse(a["first_at"]),
        last_at=parse(a["last_at"]),
        count=max(1, a["count"] or 1),
        changed_at=parse(a["changed_at"]) if a["changed_at"] else None,
        changed_by=a["changed_by"],
        assignee=a["assignee"],
        incident_id=inc[0] if inc else None,
        history=_history(hist),
    )


def incident_snapshot(
    db: sqlite_utils.Database, station: str, incident_id: str, now: datetime
) -> IncidentSnapshot | None:
    found = _with_history(db, "incident", incident_id)
    if found is None:
        return None
    i, own = found
    overdue: list[Any] = []
    for k in ("phone", "written"):
        if i[f"{k}_reported_at"] is None and now > parse(i[f"{k}_due"]):
            overdue.append(k)
    return IncidentSnapshot(
        station=station,
        id=i["id"],
        version=own[-1]["id"] if own else 0,
        sent_at=now,
        alert_id=i["alert_id"],
        category=i["category"],
        node=i["node"],
        opened_at=parse(i["opened_at"]),
        phone_due=parse(i["phone_due"]),
        written_due=parse(i["written_due"]),
        phone_reported_at=parse(i["phone_reported_at"]) if i["phone_reported_at"] else None,
        phone_reported_by=i["phone_reported_by"],
        written_reported_at=(parse(i["written_reported_at"]) if i["written_reported_at"] else None),
        written_reported_by=i["written_reported_by"],
        summary=i["summary"],
        closed_at=parse(i["closed_at"]) if i["closed_at"] else None,
        overdue=overdue,
        history=_history(own),
        people=(
            missing_people(db, i)
            if i["category"] == "missing_person" and not i["closed_at"]
            else []
        ),
    )


PORTRAITS_B64_BUDGET = 600_000
"""Portrait bytes (base64) one incident snapshot may carry: NATS takes 1 MiB a message."""


def missing_people(db: sqlite_utils.Database, incident: dict[str, Any]) -> list[MissingPerson]:
    """The people an open missing-person incident names, as their files say *now* (an erased
    file is left out, an edited one sent as edited), with the current portrait while the
    snapshot's portrait budget lasts."""
    from gateway.people.missing import record
    from gateway.people.wander import portrait, summary

    listed = [p for p in json.loads(incident.get("people") or "[]") if isinstance(p, dict)]
    if not listed:
        return []
    seen = record(db, incident["id"])
    path_row = db.execute("PRAGMA database_list").fetchone()
    db_path = path_row[2] if path_row and path_row[2] else None
    budget = PORTRAITS_B64_BUDGET
    out: list[MissingPerson] = []
    for entry in listed[:5]:
        if entry.get("erased") or not entry.get("id"):
            continue
        person = summary(db, str(entry["id"]))
        if person is None:
            continue
        b64: str | None = None
        kind: str | None = None
        omitted: str | None = "no portrait on file"
        image = portrait(db_path, person) if person.get("portrait_id") else None
        if image is not None:
            encoded = base64.b64encode(image[0]).decode()
            if len(encoded) > min(PORTRAIT_B64_MAX, budget):
                omitted = f"portrait of {len(image[0])} bytes is larger than the link takes"
            else:
                b64, kind, omitted, budget = encoded, image[1], None, budget - len(encoded)
        elif person.get("portrait_id"):
            omitted = "portrait not readable at the station"
        conditions = "; ".join(
            str(person[k])
            for k in ("cond_mental", "cond_intellectual", "cond_communication", "medication")
            if person.get(k)
        )
        out.append(
            MissingPerson(
                person_id=person["id"],
                role=str(entry.get("role") or "named")[:20],
                names=[str(n)[:100] for n in person.get("names") or []][:10],
                sex=person.get("sex"),
                age=person.get("age"),
                height_cm=person.get("height_cm"),
                build=_cut(person.get("build"), 200),
                hair=_cut(person.get("hair"), 200),
                accent=_cut(person.get("accent"), 200),
                clothing=_cut(person.get("clothing"), 1000),
                marks=_cut(person.get("marks"), 2000),
                conditions=_cut(conditions, 2000),
                flags=[str(f)[:60] for f in person.get("flags") or []][:10],
                last_seen_at=parse(seen.last_seen_at) if seen.last_seen_at else None,
                last_seen_where=seen.last_seen_where,
                portrait_type=kind,
                portrait_b64=b64,
                portrait_omitted=omitted,
            )
        )
    return out


def _cut(text: Any, n: int) -> str | None:
    return str(text)[:n] if text else None


def daily_return(
    db: sqlite_utils.Database, station: str, day: date, tz: str, now: datetime
) -> DailyReturn:
    """Counts for one local day at `station` (the day's bounds in its time zone)."""
    zone = ZoneInfo(tz)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    lo, hi = iso(start), iso(start + timedelta(days=1))
    outcomes = _count_by(db, "checks", "outcome", "started_at", station, lo, hi)
    severities = _count_by(db, "alerts", "severity", "first_at", station, lo, hi)
    categories = _count_by(db, "incidents", "category", "opened_at", station, lo, hi)
    overdue = db.execute(
        "SELECT COUNT(*) FROM incidents WHERE site=? AND opened_at>=? AND opened_at<? AND ("
        "COALESCE(phone_reported_at, ?) > phone_due OR COALESCE(written_reported_at, ?) "
        "> written_due)",
        (station, lo, hi, iso(now), iso(now)),
    ).fetchone()[0]
    return DailyReturn(
        station=station,
        id=day.isoformat(),
        version=int(now.timestamp() * 1000),
        sent_at=now,
        day=day,
        tz=tz,
        checks=sum(outcomes.values()),
        checks_by_outcome=outcomes,
        alerts_by_severity=severities,
        incidents_by_category=categories,
        incidents_overdue=int(overdue),
    )


def _count_by(
    db: sqlite_utils.Database, table: str, key: str, at: str, station: str, lo: str, hi: str
) -> dict[Any, int]:
    """Rows of `table` at `station` with `at` in [lo, hi), counted by `key`."""
    return dict(
        db.execute(
            f"SELECT {key}, COUNT(*) FROM {table} WHERE site=? AND {at}>=? AND {at}<? "
            f"GROUP BY {key}",
            (station, lo, hi),
        ).fetchall()
    )


CAMERA_KINDS = ("camera", "tamper", "motion", "people", "line_cross")


def _cameras(db: sqlite_utils.Database, station: str, now: datetime) -> set[tuple[str, str]]:
    """(node, device) pairs that are cameras: a camera node emits its camera events with the
    camera id as the device. The last day is enough (a camera reports its state at start and
    on every change) and keeps the query on the (kind, ts) index."""
    marks = ",".join("?" * len(CAMERA_KINDS))
    rows = db.execute(
        f"SELECT DISTINCT node, device FROM events WHERE kind IN ({marks}) AND ts >= ? "
        "AND site = ? AND device IS NOT NULL",
        (*CAMERA_KINDS, iso(now - timedelta(days=1)), station),
    ).fetchall()
    return {(r[0], r[1]) for r in rows}


def health_summary(db: sqlite_utils.Database, station: str, now: datetime) -> HealthSummary:
    rows = _rows(
        db,
        "SELECT node, state, last_seen, devices FROM nodes WHERE site=? ORDER BY node",
        (station,),
    )
    nodes, cams_ok, cams = [], 0, 0
    cameras = _cameras(db, station, now)
    for r in rows:
        try:
            devices = {str(k): str(v) for k, v in json.loads(r["devices"] or "{}").items()}
        except (ValueError, AttributeError):
            devices = {}  # a damaged row must not stop the summary
        mine = [d for d in devices if (r["node"], d) in cameras]
        cams += len(mine)
        cams_ok += sum(1 for d in mine if devices[d] == "ok")
        nodes.append(
            NodeHealth(
                node=r["node"],
                state=r["state"],
                last_seen=parse(r["last_seen"]) if r["last_seen"] else None,
                devices=devices,
            )
        )
    seen = [n.last_seen for n in nodes if n.last_seen]
    return HealthSummary(
        station=station,
        id=station,
        version=int(now.timestamp() * 1000),
        sent_at=now,
        nodes_online=sum(1 for n in nodes if n.state == "online"),
        nodes_total=len(nodes),
        cameras_ok=cams_ok,
        cameras_total=cams,
        last_data_at=max(seen) if seen else None,
        nodes=nodes[:500],
    )


def stations(db: sqlite_utils.Database, configured: list[str]) -> list[str]:
    """Sites this gateway serves: configured ones plus any its nodes and alerts name."""
    found = {r[0] for r in db.execute("SELECT DISTINCT site FROM nodes").fetchall()}
    found |= {r[0] for r in db.execute("SELECT DISTINCT site FROM alerts").fetchall()}
    return sorted(set(configured) | found)
