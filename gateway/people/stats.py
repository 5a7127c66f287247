"""People figures for the daily and monthly returns (gateway/reports/stats.py):

- `admitted`: files whose arrival (`came_at`) is in the period;
- `departed`: status changes in the period to returned_home, transferred, left or deceased,
  by way (a person who comes back and leaves again counts each time);
- `belongings_held`: ledger items held at the end of the period (received before it ended,
  not released by then), and `belongings_held_departed`: those of them whose person's file
  was closed by then (items to return or hand over).
Sites: a file counts for its station (`people.site`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from gateway.people.models import CLOSED
from gateway.store.times import iso, parse

DEPARTURE_WAYS: tuple[str, ...] = ("returned_home", "transferred", "left", "deceased")


def people_stats(
    db: sqlite_utils.Database,
    site: str | None,
    start: datetime,
    end: datetime,
    bump: Callable[[datetime, str], None],
) -> dict[str, Any]:
    if "people" not in db.table_names():
        return {
            "admitted": 0,
            "departed": dict.fromkeys(DEPARTURE_WAYS, 0),
            "belongings_held": 0,
            "belongings_held_departed": 0,
        }
    # string prefilter with a day's margin (indexes), then exact comparison on parsed times
    lo, hi = iso(start - timedelta(days=1)), iso(end + timedelta(days=1))
    where_site = " AND p.site = ?" if site is not None else ""
    site_args = [site] if site is not None else []
    admitted = 0
    for (came_at,) in db.execute(
        f"SELECT p.came_at FROM people p WHERE p.came_at >= ? AND p.came_at < ?{where_site}",
        [lo, hi, *site_args],
    ).fetchall():
        at = parse(came_at)
        if start <= at < end:
            admitted += 1
            bump(at, "people_admitted")
    departed = dict.fromkeys(DEPARTURE_WAYS, 0)
    for status, when in db.execute(
        "SELECT s.status, s.at FROM person_status s JOIN people p ON p.id = s.person_id "
        f"WHERE s.at >= ? AND s.at < ? AND s.status IN ({','.join('?' * len(DEPARTURE_WAYS))})"
        f"{where_site}",
        [lo, hi, *DEPARTURE_WAYS, *site_args],
    ).fetchall():
        at = parse(when)
        if start <= at < end:
            departed[status] += 1
            bump(at, "people_departed")
    end_s = iso(end)
    held = held_departed = 0
    for person_id, count in db.execute(
        "SELECT b.person_id, count(*) FROM belongings b JOIN people p ON p.id = b.person_id "
        "WHERE b.received_at < ? AND (b.released_at IS NULL OR b.released_at >= ?)"
        f"{where_site} GROUP BY b.person_id",
        [end_s, end_s, *site_args],
    ).fetchall():
        held += count
        last = db.execute(
            "SELECT status FROM person_status WHERE person_id=? AND at < ? ORDER BY at DESC, "
            "id DESC LIMIT 1",
            [person_id, end_s],
        ).fetchone()
        if last and last[0] in CLOSED:
            held_departed += count
    return {
        "admitted": admitted,
        "departed": departed,
        "belongings_held": held,
        "belongings_held_departed": held_departed,
    }
