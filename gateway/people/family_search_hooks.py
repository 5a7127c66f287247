"""The family-search, register and follow-up records in the person file's timeline, its
subject-access export and its erasure (the extension points of gateway/people/timeline.py and
gateway/people/privacy.py). Imported by the routes and the gateway wiring, so it is registered
wherever the person file is served."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from gateway.people.models import TimelineEntry
from gateway.people.privacy import ERASE_HOOKS, EXPORT_SOURCES
from gateway.people.store import rows
from gateway.people.timeline import register_source, row_entry
from gateway.store.times import iso

_TABLES = ("family_search_cases", "wander_flags", "followup_schedules")


def _ready(db: sqlite_utils.Database) -> bool:
    return (
        db.execute("SELECT 1 FROM sqlite_master WHERE name='family_search_cases'").fetchone()
        is not None
    )


@register_source
def family_search_timeline(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    if not _ready(db):
        return []
    out: list[TimelineEntry] = []
    for c in rows(db, "SELECT * FROM family_search_cases WHERE person_id=?", [person_id]):
        opened = f"family search opened by {c['opened_by']}"
        out.append(row_entry(c, "opened_at", "family_search_opened", opened, {}))
        for s in rows(db, "SELECT * FROM family_search_steps WHERE case_id=?", [c["id"]]):
            out.append(
                TimelineEntry(
                    at=s["at"],
                    kind=f"family_search_{s['step']}",
                    summary=f"{s['step']}: {s['channel'] or ''} {s['reference'] or ''}".strip(),
                    ref=c["id"],
                    data={"by": s["recorded_by"], "note": s["note"]},
                )
            )
        if c["closed_at"]:
            found = f"identity found by {c['found_by']}; handed to {c['handed_to']}"
            handover = {
                "id_checked": bool(c["id_checked"]),
                "belongings_returned": bool(c["belongings_returned"]),
            }
            out.append(row_entry(c, "closed_at", "family_search_closed", found, handover))
    for f in rows(db, "SELECT * FROM wander_flags WHERE person_id=?", [person_id]):
        flagged = f"wander risk: {', '.join(json.loads(f['reasons']))}"
        why = {"by": f["flagged_by"], "why": f["why"]}
        out.append(row_entry(f, "flagged_at", "wander_flagged", flagged, why))
        if f["cleared_at"]:
            cleared = f"wander flag cleared: {f['cleared_reason']}"
            out.append(
                row_entry(f, "cleared_at", "wander_cleared", cleared, {"by": f["cleared_by"]})
            )
    for v in rows(db, "SELECT * FROM followup_visits WHERE person_id=?", [person_id]):
        visit = f"visit {v['seq']} ({v['method']}): risk {v['risk']}"
        out.append(row_entry(v, "recorded_at", "followup_visit", visit, {"outcome": v["outcome"]}))
    return out


def export_family_search(db: sqlite_utils.Database, person_id: str) -> dict[str, Any]:
    if not _ready(db):
        return {}
    cases = rows(db, "SELECT * FROM family_search_cases WHERE person_id=?", [person_id])
    return {
        "cases": cases,
        "steps": [
            s
            for c in cases
            for s in rows(db, "SELECT * FROM family_search_steps WHERE case_id=?", [c["id"]])
        ],
        "wander_flags": rows(db, "SELECT * FROM wander_flags WHERE person_id=?", [person_id]),
        "followup_schedules": rows(
            db, "SELECT * FROM followup_schedules WHERE person_id=?", [person_id]
        ),
        "followup_visits": rows(db, "SELECT * FROM followup_visits WHERE person_id=?", [person_id]),
    }


def erase_family_search(db: sqlite_utils.Database, person_id: str) -> int:
    """Inside the erasure's transaction: the person's cases, steps, flags, visits, and their
    description in missing-person incidents (replaced by {"id", "erased": true})."""
    if not _ready(db):
        return 0
    n = db.execute(
        "DELETE FROM family_search_steps WHERE case_id IN "
        "(SELECT id FROM family_search_cases WHERE person_id=?)",
        [person_id],
    ).rowcount
    n += db.execute("DELETE FROM followup_visits WHERE person_id=?", [person_id]).rowcount
    for table in _TABLES:
        n += db.execute(f"DELETE FROM {table} WHERE person_id=?", [person_id]).rowcount
    like = f'%"{person_id}"%'
    for inc_id, people in db.execute(
        "SELECT id, people FROM incidents WHERE people LIKE ?", [like]
    ).fetchall():
        kept = [
            {"id": p["id"], "erased": True}
            if isinstance(p, dict) and p.get("id") == person_id
            else p
            for p in json.loads(people or "[]")
        ]
        db.execute("UPDATE incidents SET people=? WHERE id=?", [json.dumps(kept), inc_id])
        # A history row: the incident changed, so the bureau's hub gets a snapshot without
        # the erased description and portrait (gateway/uplink).
        db.execute(
            "INSERT INTO incident_history (incident_id, at, actor, action, detail) "
            "VALUES (?,?,?,?,?)",
            (inc_id, iso(datetime.now(UTC)), "privacy", "person_erased", None),
        )
        n += 1
    return n


EXPORT_SOURCES["family_search"] = export_family_search
if erase_family_search not in ERASE_HOOKS:
    ERASE_HOOKS.append(erase_family_search)
