"""Legal holds: records under a hold are never deleted by retention, however old.

A hold names one event or a whole node ("site/node", e.g. a foster home under investigation).
Incident evidence needs no hold: every event referenced from a table called ``incidents``,
``incident_events`` or ``alerts`` with an ``event_id`` column (the alerts module's records) is kept
as long as that record exists, and so is every event of an incident's site from
`EVIDENCE_BEFORE` before to `EVIDENCE_AFTER` after the incident opened (what the written report
shows). Alert and incident records themselves are never touched by retention.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import sqlite_utils

from gateway.store.times import iso

Scope = Literal["event", "node"]
INCIDENT_TABLES = ("incidents", "incident_events", "alerts")
EVIDENCE_BEFORE = dt.timedelta(minutes=30)
EVIDENCE_AFTER = dt.timedelta(minutes=60)


class HoldError(ValueError):
    """A hold request that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    scope: Scope
    target: str
    reason: str
    placed_by: str
    placed_at: str


def _now() -> str:
    return iso(dt.datetime.now(dt.UTC))


def place_hold(
    db: sqlite_utils.Database, scope: Scope, target: str, *, reason: str, actor: str
) -> int:
    """Place a hold and record it in the audit trail; returns the hold's id."""
    if scope not in ("event", "node"):
        raise HoldError(f"scope {scope!r} must be event or node")
    if scope == "node" and target.count("/") != 1:
        raise HoldError(f"a node hold names 'site/node', not {target!r}")
    if not reason.strip() or not actor.strip():
        raise HoldError("a hold needs a reason and who placed it")
    at = _now()
    with db.atomic():
        cur = db.execute(
            "INSERT INTO legal_holds (scope, target, reason, placed_by, placed_at) "
            "VALUES (?,?,?,?,?)",
            (scope, target, reason, actor, at),
        )
        db.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
            (at, actor, "legal_hold.place", f"{scope}:{target}", reason),
        )
    return int(cur.lastrowid or 0)


def release_hold(db: sqlite_utils.Database, hold_id: int, *, actor: str) -> None:
    at = _now()
    with db.atomic():
        cur = db.execute(
            "UPDATE legal_holds SET released_by=?, released_at=? "
            "WHERE id=? AND released_at IS NULL",
            (actor, at, hold_id),
        )
        if cur.rowcount != 1:
            raise HoldError(f"no active hold with id {hold_id}")
        db.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
            (at, actor, "legal_hold.release", str(hold_id), None),
        )


def active_holds(db: sqlite_utils.Database) -> list[Hold]:
    rows = db.execute(
        "SELECT id, scope, target, reason, placed_by, placed_at FROM legal_holds "
        "WHERE released_at IS NULL ORDER BY id"
    ).fetchall()
    return [Hold(*row) for row in rows]


def incident_tables(db: sqlite_utils.Database) -> list[str]:
    """Tables whose `event_id` column names incident evidence."""
    names = set(db.table_names())
    return [
        name
        for name in INCIDENT_TABLES
        if name in names and "event_id" in {c.name for c in db.table(name).columns}
    ]


def fill_held_events(db: sqlite_utils.Database) -> None:
    """(Re)fill TEMP tables `_held_events(id)` and `_held_nodes(site, node)` for retention."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS _held_events (id TEXT PRIMARY KEY)")
    db.execute("CREATE TEMP TABLE IF NOT EXISTS _held_nodes (site TEXT, node TEXT)")
    db.execute("DELETE FROM _held_events")
    db.execute("DELETE FROM _held_nodes")
    db.execute(
        "INSERT OR IGNORE INTO _held_events SELECT target FROM legal_holds "
        "WHERE scope='event' AND released_at IS NULL"
    )
    for (site_node,) in db.execute(
        "SELECT target FROM legal_holds WHERE scope='node' AND released_at IS NULL"
    ).fetchall():
        site, node = site_node.split("/", 1)
        db.execute("INSERT INTO _held_nodes VALUES (?, ?)", (site, node))
    for table in incident_tables(db):
        # any event an incident references is evidence: held while the incident exists
        db.execute(
            f"INSERT OR IGNORE INTO _held_events SELECT event_id FROM [{table}] "
            "WHERE event_id IS NOT NULL"
        )
    if "incidents" in db.table_names() and {"site", "opened_at"} <= {
        c.name for c in db.table("incidents").columns
    }:
        for site, opened in db.execute("SELECT site, opened_at FROM incidents").fetchall():
            at = dt.datetime.fromisoformat(opened.replace("Z", "+00:00"))
            db.execute(
                "INSERT OR IGNORE INTO _held_events SELECT id FROM events "
                "WHERE site=? AND ts >= ? AND ts <= ?",
                (site, iso(at - EVIDENCE_BEFORE), iso(at + EVIDENCE_AFTER)),
            )
