"""A person's timeline: checks, status changes, belongings and placements, oldest first.

Extension point: other modules add their own entries (family-search steps, visits,
incidents) with `register_source(fn)`, where `fn(db, person_id) -> list[TimelineEntry]`; it is
called for every timeline read. Register at import time of the module that owns the records,
and name that module in `SOURCE_MODULES` below so that the API imports it."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable

import sqlite_utils

from gateway.people.models import TimelineEntry
from gateway.people.store import rows

Source = Callable[[sqlite_utils.Database, str], list[TimelineEntry]]
_SOURCES: list[Source] = []
# Modules that register timeline sources when imported (the family-search, visits and incident
# modules add themselves here).
SOURCE_MODULES: list[str] = []


def register_source(fn: Source) -> Source:
    """Add a timeline source (usable as a decorator)."""
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def _load_sources() -> None:
    for name in SOURCE_MODULES:
        importlib.import_module(name)


@register_source
def _checks(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=r["started_at"],
            kind="check",
            summary=f"check {r['outcome']}"
            + (f" {r['celsius']:.1f} °C" if r["celsius"] is not None else ""),
            ref=r["check_id"],
            data={
                "site": r["site"],
                "node": r["node"],
                "outcome": r["outcome"],
                "celsius": r["celsius"],
                "operator": r["operator"],
                "items_held": json.loads(r["items_held"] or "[]"),
                "how": r["how"],
            },
        )
        for r in rows(
            db,
            "SELECT c.check_id, c.site, c.node, c.outcome, c.started_at, c.celsius, c.operator, "
            "c.items_held, pc.how FROM person_checks pc JOIN checks c ON c.check_id = "
            "pc.check_id WHERE pc.person_id=?",
            [person_id],
        )
    ]


@register_source
def _statuses(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=r["at"],
            kind="status",
            summary=f"{r['previous'] or '-'} → {r['status']}",
            ref=str(r["id"]),
            data={k: r[k] for k in ("status", "previous", "reason", "by", "check_id")},
        )
        for r in rows(db, "SELECT * FROM person_status WHERE person_id=?", [person_id])
    ]


@register_source
def _belongings(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    out = []
    for r in rows(db, "SELECT * FROM belongings WHERE person_id=?", [person_id]):
        data = {"item": r["item"], "quantity": r["quantity"], "storage_place": r["storage_place"]}
        out.append(
            TimelineEntry(
                at=r["received_at"],
                kind="belonging_received",
                summary=f"{r['item']} ×{r['quantity']}",
                ref=str(r["id"]),
                data={**data, "by": r["received_by"]},
            )
        )
        if r["released_at"]:
            out.append(
                TimelineEntry(
                    at=r["released_at"],
                    kind="belonging_released",
                    summary=f"{r['item']} → {r['released_to']}",
                    ref=str(r["id"]),
                    data={**data, "by": r["released_by"], "to": r["released_to"]},
                )
            )
    return out


@register_source
def _placements(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    out = []
    for r in rows(db, "SELECT * FROM placements WHERE person_id=?", [person_id]):
        out.append(
            TimelineEntry(
                at=r["placed_at"],
                kind="placement",
                summary=f"{r['site']} from {r['from_date']}",
                ref=str(r["id"]),
                data={"site": r["site"], "from_date": r["from_date"], "by": r["placed_by"]},
            )
        )
        if r["ended_at"]:
            out.append(
                TimelineEntry(
                    at=r["ended_at"],
                    kind="placement_ended",
                    summary=f"{r['site']} until {r['until_date']}",
                    ref=str(r["id"]),
                    data={"site": r["site"], "until_date": r["until_date"], "by": r["ended_by"]},
                )
            )
    return out


def timeline(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    _load_sources()
    entries = [e for source in _SOURCES for e in source(db, person_id)]
    entries.sort(key=lambda e: (e.at, e.kind))
    return entries
