"""Failed-login throttling per key ("user:NAME" and "ip:ADDRESS"). After `max` failures within
the window the key is locked for `lockout_minutes`; unknown usernames are throttled exactly like
known ones, so a lock reveals nothing about which users exist."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import sqlite_utils

from gateway.auth.settings import AuthSettings


def retry_after(db: sqlite_utils.Database, keys: list[str], now: datetime) -> int | None:
    """Seconds until every key is unlocked, or None if none is locked."""
    wait = 0.0
    for key in keys:
        row = db.execute("SELECT locked_until FROM login_throttle WHERE key=?", (key,)).fetchone()
        if row and row[0]:
            left = (datetime.fromisoformat(row[0]) - now).total_seconds()
            wait = max(wait, left)
    return max(1, math.ceil(wait)) if wait > 0 else None


def _iso(t: datetime) -> str:
    """Fixed-width UTC text, so SQLite can compare times as strings."""
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def record_failure(
    db: sqlite_utils.Database, key: str, limit: int, now: datetime, settings: AuthSettings
) -> tuple[int, str | None]:
    """Count one failure; returns (failures in the window, locked_until if this locked it).

    One UPSERT increments the count, so concurrent failures are all counted."""
    window_start = _iso(now - timedelta(minutes=settings.failure_window_minutes))
    with db.atomic():
        row = db.execute(
            "INSERT INTO login_throttle (key, failures, first_at) VALUES (?, 1, ?) "
            "ON CONFLICT(key) DO UPDATE SET "
            "failures = CASE WHEN first_at IS NULL OR first_at <= ? THEN 1 ELSE failures + 1 END, "
            "first_at = CASE WHEN first_at IS NULL OR first_at <= ? THEN excluded.first_at "
            "ELSE first_at END "
            "RETURNING failures",
            (key, _iso(now), window_start, window_start),
        ).fetchone()
        failures = int(row[0])
        locked_until = None
        if failures >= limit:
            locked_until = _iso(now + timedelta(minutes=settings.lockout_minutes))
            db.execute(
                "UPDATE login_throttle SET failures=0, first_at=NULL, locked_until=? WHERE key=?",
                (locked_until, key),
            )
    return failures, locked_until


def reset(db: sqlite_utils.Database, key: str) -> None:
    with db.atomic():
        db.execute("DELETE FROM login_throttle WHERE key=?", (key,))
