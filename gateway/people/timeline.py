"""A person's timeline: checks, status changes, belongings and placements, oldest first.

Extension point: other modules add their own entries (family-search steps, visits,
incidents) with `register_source(fn)`, where `fn(db, person_id) -> list[TimelineEntry]`; it is
called for every timeline read. Register at import time of the module that owns the records,
and name that module in `SOURCE_MODULES` below so that the API imports it."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import sqlite_utils

from gateway.people.models import TimelineEntry
from gateway.people.store import person_rows, rows

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


def row_entry(
    r: dict[str, Any], at: str, kind: str, summary: str, data: dict[str, Any]
) -> TimelineEntry:
    """The entry about row `r` (`ref`: its id) at the time in its column `at`."""
    return TimelineEntry(at=r[at], kind=kind, summary=summary, ref=str(r["id"]), data=data)


@register_source
def _statuses(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    return [
        row_entry(
            r,
            "at",
            "status",
            f"{r['previous'] or '-'} → {r['status']}",
            {k: r[k] for k in ("status", "previous", "reason", "by", "check_id")},
        )
        for r in person_rows(db, "person_status", person_id)
    ]


@register_source
def _belongings(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    out = []
    for r in person_rows(db, "belongings", person_id):
        item = {"item": r["item"], "quantity": r["quantity"], "storage_place": r["storage_place"]}
        summary = f"{r['item']} ×{r['quantity']}"
        received = {**item, "by": r["received_by"]}
        out.append(row_entry(r, "received_at", "belonging_received", summary, received))
        if r["released_at"]:
            summary = f"{r['item']} → {r['released_to']}"
            released = {**item, "by": r["released_by"], "to": r["released_to"]}
            out.append(row_entry(r, "released_at", "belonging_released", summary, released))
    return out


@register_source
def _placements(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    out = []
    for r in person_rows(db, "placements", person_id):
        placed = {"site": r["site"], "from_date": r["from_date"], "by": r["placed_by"]}
        summary = f"{r['site']} from {r['from_date']}"
        out.append(row_entry(r, "placed_at", "placement", summary, placed))
        if r["ended_at"]:
            ended = {"site": r["site"], "until_date": r["until_date"], "by": r["ended_by"]}
            summary = f"{r['site']} until {r['until_date']}"
            out.append(row_entry(r, "ended_at", "placement_ended", summary, ended))
    return out


def timeline(db: sqlite_utils.Database, person_id: str) -> list[TimelineEntry]:
    _load_sources()
    entries = [e for source in _SOURCES for e in source(db, person_id)]
    entries.sort(key=lambda e: (e.at, e.kind))
    return entries
