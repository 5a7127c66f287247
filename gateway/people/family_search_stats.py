"""Family-search and follow-up figures of the daily/monthly returns (gateway/reports/stats.py).

For a period [start, end) of a site (None: all):

- `family_search.opened`: cases opened in the period; `closed`: closed in it, also `by_found`
  (how identity was found: notice, dna, face_match, interview, other; `ended`: the person left
  care before identity was found);
- `family_search.overdue`: cases open at the end of the period (or now, if earlier) with a step
  past its deadline and not done by then, and `overdue_steps` by step (notice, dna_request,
  refresh);
- `visits.done`: follow-up visits recorded in the period; `visits.due`: visits falling due in
  it; `visits.overdue`: visits past due at the end of the period (or now) and not recorded by
  then.

Deadlines are those of gateway/people/family_search_deadlines.py with the default settings,
working days counted in the report's time zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlite_utils

from gateway.people.family_search import FamilySearch
from gateway.people.store import rows
from gateway.people.visits import Followups, visits_recorded
from gateway.store.times import iso, parse

Bump = Callable[[datetime, str, int], None]


def _site(sql: str, site: str | None, args: list[Any]) -> tuple[str, list[Any]]:
    if site is None:
        return sql, args
    return sql + " AND site=?", [*args, site]


def family_search_stats(
    db: sqlite_utils.Database,
    site: str | None,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: str,
    bump: Bump | None = None,
) -> dict[str, Any]:
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name='family_search_cases'").fetchone():
        return {"family_search": {}, "visits": {}}  # a database before m0710
    at = min(end, now)
    family = FamilySearch(tz_of=lambda _site: tz)
    followups = Followups(tz_of=lambda _site: tz)
    sql, args = _site("SELECT * FROM family_search_cases WHERE 1", site, [])
    opened = closed = overdue_cases = 0
    by_found: Counter[str] = Counter()
    overdue_steps: Counter[str] = Counter()
    for row in rows(db, sql, args):
        o, c = parse(row["opened_at"]), parse(row["closed_at"]) if row["closed_at"] else None
        if start <= o < end:
            opened += 1
            if bump:
                bump(o, "family_search_opened", 1)
        if c is not None and start <= c < end:
            closed += 1
            by_found[row["found_by"] or "ended"] += 1  # ended: the file closed, no identity
        if o >= at or (c is not None and c <= at):
            continue  # not open at the end of the period
        late = [
            s.name.split("-")[0]
            for s in family.steps(db, row, at)
            if s.due < at and (s.done_at is None or s.done_at > at)
        ]
        if late:
            overdue_cases += 1
            overdue_steps.update(late)
    done = due = overdue = 0
    vsql, vargs = _site("SELECT * FROM followup_schedules WHERE 1", site, [])
    for sched in rows(db, vsql, vargs):
        recorded = visits_recorded(db, sched["id"])
        for when in recorded.values():
            if start <= when < end:
                done += 1
                if bump:
                    bump(when, "visits_done", 1)
        for i, step in enumerate(followups._steps(db, sched), start=1):
            if start <= step.due < end:
                due += 1
            made = recorded.get(i)
            if step.due < at and (made is None or made > at):
                overdue += 1
    return {
        "family_search": {
            "opened": opened,
            "closed": closed,
            "by_found": dict(by_found),
            "overdue": overdue_cases,
            "overdue_steps": {
                k: overdue_steps.get(k, 0) for k in ("notice", "dna_request", "refresh")
            },
            "as_of": iso(at),
        },
        "visits": {"done": done, "due": due, "overdue": overdue, "as_of": iso(at)},
    }
