"""One spelling of time in every table (issue 15, item 7): old rows rewritten to the store's
spelling, UTC with milliseconds and `Z` (`2026-11-23T02:00:00.000Z`, gateway/store/times.py).

Until this migration the columns in `COLUMNS` were written with `datetime.isoformat()`
(`2026-11-23T02:00:00.123456+00:00`) or with microseconds, while the rest of the store used the
store's spelling. Text comparison is time comparison only within one spelling (`…00.000Z` sorts
after `…00.123456+00:00`), so a mixed column gave wrong answers to `expires_at < ?` and to the
audit trail's `since`/`until`.

Any ISO-8601 date-time is rewritten: `+00:00` or another offset (converted to UTC), micro-
seconds (cut to milliseconds, as `iso` does), whole seconds, no zone (taken as UTC, as the
writers always meant). NULLs stay NULL. A value that is not a date-time (or a date alone) is
left as it is and counted in the log, for a person to look at. Rows already in the store's
spelling are not touched, so running it again changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlite_utils

from gateway.store.times import iso

log = logging.getLogger(__name__)

COLUMNS: dict[str, tuple[str, ...]] = {
    "_migrations": ("applied_at",),
    "users": ("created_at", "password_changed_at", "locked_until", "last_login_at"),
    "sessions": ("created_at", "expires_at", "last_seen", "ended_at"),
    "login_throttle": ("first_at", "locked_until"),
    "api_tokens": ("created_at", "expires_at", "last_used_at"),
    "audit": ("at",),
    "commands": ("sent_at",),
    "camera_layouts": ("updated_at",),
    "notify_outbox": ("created_at", "due_at", "delivered_at"),
    "notify_deliveries": ("at",),
}
"""The columns some writer filled with another spelling before this migration."""

STORE_GLOB = (
    "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z"
)
"""A value in the store's spelling, as an SQLite GLOB: these rows are skipped."""


def store_spelling(value: object) -> str | None:
    """`value` in the store's spelling, or None if it is not an ISO-8601 date-time. Never
    raises: SQLite calls it for every row, and one odd value must not stop the migration."""
    if not isinstance(value, str) or len(value) <= len("2026-11-23"):  # a date has no time
        return None
    try:
        at = datetime.fromisoformat(value)
        return iso(at if at.tzinfo else at.replace(tzinfo=UTC))
    except (ValueError, OverflowError):  # not a date-time; or year 1 or 9999 moved past UTC
        return None


def migrate(db: sqlite_utils.Database) -> None:
    db.conn.create_function("store_spelling", 1, store_spelling, deterministic=True)
    for table, columns in COLUMNS.items():
        for column in columns:
            _rewrite(db, table, column)


def _rewrite(db: sqlite_utils.Database, table: str, column: str) -> None:
    """Rewrite one column's rows that are not in the store's spelling; log what was left."""
    other = f"{column} IS NOT NULL AND {column} NOT GLOB ?"
    changed = db.execute(
        f"UPDATE {table} SET {column} = store_spelling({column}) "
        f"WHERE {other} AND store_spelling({column}) IS NOT NULL",
        (STORE_GLOB,),
    ).rowcount
    (left,) = db.execute(f"SELECT count(*) FROM {table} WHERE {other}", (STORE_GLOB,)).fetchone()
    if changed:
        log.info("%s.%s: %d times rewritten to the store's spelling", table, column, changed)
    if left:
        log.warning("%s.%s: %d values are not times, left as they are", table, column, left)
