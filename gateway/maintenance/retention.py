"""Retention: delete records older than their configured period, except those under a legal
hold or referenced by an incident, and log every deletion (ids included) in `deletion_log`.

Deletion runs in small batches, each in its own short transaction, so the ingest writer is
never blocked for long. Ages are measured on the gateway's clock where the record has one
(`received_at`), since a node's clock may be wrong; checks use their `started_at`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

import sqlite_utils
from pydantic import BaseModel, ConfigDict, Field

from gateway.maintenance.holds import fill_held_events
from gateway.store.times import iso

log = logging.getLogger(__name__)

BATCH = 500


class RetentionPolicy(BaseModel):
    """How long each kind of record is kept (days). None keeps it forever."""

    model_config = ConfigDict(extra="forbid")

    events_days: float | None = Field(90, ge=35)
    """raw events; at least 35 days so that no node outbox (30 days) can redeliver an event the
    gateway has already forgotten"""
    checks_days: float | None = Field(365, ge=35)
    """intake check records (health data: keep no longer than needed)"""
    deadletters_days: float | None = Field(30, ge=1, description="rejected messages")
    media_days: float | None = Field(30, ge=1)
    """snapshots and clips (images of vulnerable people)"""
    audit_days: float | None = Field(None, ge=365)
    """audit trail (who saw what); default: kept forever"""
    people_archive_days: float | None = Field(365, ge=1)
    """person files closed (returned home, transferred, left, deceased) this long ago are
    archived (out of the default search; kept, readable by supervisors)"""
    portraits_returned_days: float | None = Field(90, ge=1)
    """portraits (with their history) of people returned home this long ago are deleted"""
    face_templates_days: float | None = Field(30, ge=1)
    """face templates of people whose family-search case closed this long ago are deleted (and
    at once those of files no longer kept); docs/faces.md"""


@dataclass(frozen=True, slots=True)
class _Target:
    table: str
    key: str
    time_column: str
    held_sql: str  # condition that keeps a row


_TARGETS = {
    "events": _Target(
        "events",
        "id",
        "received_at",
        "id IN (SELECT id FROM _held_events) OR "
        "EXISTS (SELECT 1 FROM _held_nodes h WHERE h.site=events.site AND h.node=events.node)",
    ),
    "checks": _Target(
        "checks",
        "check_id",
        "started_at",
        "event_id IN (SELECT id FROM _held_events) OR "
        "EXISTS (SELECT 1 FROM _held_nodes h WHERE h.site=checks.site AND h.node=checks.node) "
        # a check on a person file is part of the file: it goes when the file is erased
        "OR EXISTS (SELECT 1 FROM person_checks pc WHERE pc.check_id=checks.check_id)",
    ),
    "deadletters": _Target("deadletters", "id", "received_at", "0"),
    "audit": _Target("audit", "id", "at", "0"),
}


@dataclass
class RetentionReport:
    deleted: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)  # people_archived, portraits_deleted

    def summary(self) -> str:
        parts = [f"{t}: {n} deleted, {self.held.get(t, 0)} held" for t, n in self.deleted.items()]
        parts += [f"{k.replace('_', ' ')}: {n}" for k, n in self.people.items()]
        return "; ".join(parts) or "nothing to do"


def _log_deletion(
    db: sqlite_utils.Database,
    *,
    at: str,
    actor: str,
    table: str,
    reason: str,
    cutoff: str | None,
    rows: list[tuple[str, str]],
) -> None:
    times = sorted(t for _, t in rows if t)
    db.execute(
        "INSERT INTO deletion_log (at, actor, table_name, reason, cutoff, count, oldest, "
        "newest, ids) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            at,
            actor,
            table,
            reason,
            cutoff,
            len(rows),
            times[0] if times else None,
            times[-1] if times else None,
            json.dumps([k for k, _ in rows]),
        ),
    )


def _purge_table(
    db: sqlite_utils.Database, target: _Target, cutoff: str, at: str, actor: str
) -> tuple[int, int]:
    deleted = 0
    while True:
        with db.atomic():  # one short transaction per batch
            rows = db.execute(
                f"DELETE FROM [{target.table}] WHERE rowid IN ("
                f"  SELECT rowid FROM [{target.table}]"
                f"  WHERE {target.time_column} < ? AND NOT ({target.held_sql})"
                f"  ORDER BY {target.time_column} LIMIT {BATCH}"
                f") RETURNING {target.key}, {target.time_column}",
                (cutoff,),
            ).fetchall()
            if rows:
                _log_deletion(
                    db,
                    at=at,
                    actor=actor,
                    table=target.table,
                    reason="retention period",
                    cutoff=cutoff,
                    rows=[(str(k), str(t)) for k, t in rows],
                )
        deleted += len(rows)
        if len(rows) < BATCH:
            break
    (held,) = db.execute(
        f"SELECT count(*) FROM [{target.table}] WHERE {target.time_column} < ? "
        f"AND ({target.held_sql})",
        (cutoff,),
    ).fetchone()
    return deleted, int(held)


def apply_retention(
    db: sqlite_utils.Database,
    policy: RetentionPolicy,
    *,
    now: dt.datetime | None = None,
    actor: str = "retention",
) -> RetentionReport:
    """Delete what the policy says has expired; returns counts per table."""
    now = now or dt.datetime.now(dt.UTC)
    at = iso(now)
    report = RetentionReport()
    periods = {
        "events": policy.events_days,
        "checks": policy.checks_days,
        "deadletters": policy.deadletters_days,
        "audit": policy.audit_days,
    }
    fill_held_events(db)
    for name, days in periods.items():
        if days is None or name not in db.table_names():
            continue
        cutoff = iso(now - dt.timedelta(days=days))
        deleted, held = _purge_table(db, _TARGETS[name], cutoff, at, actor)
        report.deleted[name] = deleted
        report.held[name] = held
    if "people" in db.table_names():
        report.people = _people(db, policy, now, actor)
    if policy.face_templates_days is not None and "face_templates" in db.table_names():
        from gateway.faces.store import purge as purge_face_templates

        report.people["face_templates_deleted"] = purge_face_templates(
            db, policy.face_templates_days, now
        )
    if any(report.deleted.values()) or any(report.people.values()):
        with db.atomic():
            db.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
                (at, actor, "retention.delete", None, report.summary()),
            )
    log.info("retention: %s", report.summary())
    return report


def _people(
    db: sqlite_utils.Database, policy: RetentionPolicy, now: dt.datetime, actor: str
) -> dict[str, int]:
    """Person files (gateway/people/privacy.py): archive closed files, delete the portraits of
    people returned home; the image files are beside the database."""
    from gateway.people.images import ImageVault
    from gateway.people.privacy import apply_people_retention

    path = next(r[2] for r in db.execute("PRAGMA database_list").fetchall() if r[1] == "main")
    return apply_people_retention(
        db,
        ImageVault.beside(path),
        archive_days=policy.people_archive_days,
        portraits_days=policy.portraits_returned_days,
        now=now,
        actor=actor,
    )


def held_event_ids(db: sqlite_utils.Database) -> set[str]:
    """Every event id currently held (holds and incident evidence): for the media store."""
    fill_held_events(db)
    return {row[0] for row in db.execute("SELECT id FROM _held_events").fetchall()}


def log_media_deletion(
    db: sqlite_utils.Database, *, event_id: str, path: str, reason: str, actor: str = "retention"
) -> None:
    """Record one media deletion (a `MediaStore.on_delete` callback can call this)."""
    at = iso(dt.datetime.now(dt.UTC))
    with db.atomic():
        _log_deletion(
            db,
            at=at,
            actor=actor,
            table="media",
            reason=reason,
            cutoff=None,
            rows=[(f"{event_id}:{path}", "")],
        )
