"""Failed-login throttling per key ("user:NAME" and "ip:ADDRESS"). After `max` failures within
the window the key is locked for `lockout_minutes`; unknown usernames are throttled exactly like
known ones, so a lock reveals nothing about which users exist."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

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


def record_failure(
    db: sqlite_utils.Database, key: str, limit: int, now: datetime, settings: AuthSettings
) -> tuple[int, str | None]:
    """Count one failure; returns (failures in the window, locked_until if this locked it)."""
    row = db.execute("SELECT failures, first_at FROM login_throttle WHERE key=?", (key,)).fetchone()
    window = timedelta(minutes=settings.failure_window_minutes)
    if row is None or not row[1] or now - datetime.fromisoformat(row[1]) >= window:
        failures, first_at = 1, now.isoformat()
    else:
        failures, first_at = int(row[0]) + 1, row[1]
    locked_until = None
    if failures >= limit:
        locked_until = (now + timedelta(minutes=settings.lockout_minutes)).isoformat()
    with db.conn:
        db.execute(
            "INSERT INTO login_throttle (key, failures, first_at, locked_until) VALUES (?,?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET failures=excluded.failures, "
            "first_at=excluded.first_at, locked_until=excluded.locked_until",
            (
                key,
                0 if locked_until else failures,
                None if locked_until else first_at,
                locked_until,
            ),
        )
    return failures, locked_until


def reset(db: sqlite_utils.Database, key: str) -> None:
    with db.conn:
        db.execute("DELETE FROM login_throttle WHERE key=?", (key,))
