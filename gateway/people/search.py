"""Searching person files: by name/alias and description text, status, site, arrival date;
newest first with keyset pagination on the ULID (`after` = the last id of the previous page).

Site scope: a caller sees the files of their sites' stations and of the people placed at their
foster homes (gateway/auth/tokens.Principal.sites)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from gateway.people.models import PersonPage, PersonSummary
from gateway.people.store import rows
from gateway.store.sql import site_in


def scope_sql(sites: tuple[str, ...] | None, alias: str = "p") -> tuple[str, list[str]]:
    """Condition: the file is at one of `sites`, or its person is placed at one of them."""
    clause, args = site_in(f"{alias}.site", sites)
    if not clause or clause == "0":
        return clause, args
    placed, placed_args = site_in("pl.site", sites)
    return (
        f"({clause} OR EXISTS (SELECT 1 FROM placements pl WHERE pl.person_id={alias}.id "
        f"AND pl.until_date IS NULL AND {placed}))",
        [*args, *placed_args],
    )


def _like(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_people(
    db: sqlite_utils.Database,
    *,
    sites: tuple[str, ...] | None,
    q: str | None = None,
    status: str | None = None,
    site: str | None = None,
    came_from: str | None = None,
    came_to: str | None = None,
    archived: bool = False,
    after: str | None = None,
    limit: int = 50,
) -> PersonPage:
    where: list[str] = []
    args: list[Any] = []
    clause, scope_args = scope_sql(sites)
    if clause:
        where.append(clause)
        args += scope_args
    if not archived:
        where.append("p.archived_at IS NULL")
    for word in (q or "").split()[:6]:  # every word must match (names, aliases, description)
        where.append("p.search_text LIKE ? ESCAPE '\\'")
        args.append(_like(word))
    for condition, value in (
        ("p.site = ?", site),
        ("p.status = ?", status),
        ("p.came_at >= ?", came_from),
        ("p.came_at < ?", came_to),
        ("p.id < ?", after),
    ):
        if value:
            where.append(condition)
            args.append(value)
    found = rows(
        db,
        "SELECT p.id, p.site, p.names, p.sex, p.age_min, p.age_max, p.status, p.status_since, "
        "p.came_at, p.portrait_id IS NOT NULL AS has_portrait FROM people p"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY p.id DESC LIMIT ?",
        [*args, limit + 1],
    )
    more = len(found) > limit
    items = [
        PersonSummary.model_validate(
            {**r, "names": json.loads(r["names"] or "[]"), "has_portrait": bool(r["has_portrait"])}
        )
        for r in found[:limit]
    ]
    return PersonPage(items=items, next=items[-1].id if more else None)
