"""Failed-login throttling per key ("user:NAME" and "ip:ADDRESS"). After `max` failures within
the window the key is locked for `lockout_minutes`; unknown usernames are throttled exactly like
known ones, so a lock reveals nothing about which users exist."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlite_utils

from gateway.auth.settings import AuthSettings
from gateway.store.times import iso, parse


def retry_after(db: sqlite_utils.Database, keys: list[str], now: datetime) -> int | None:
    """Seconds until every key is unlocked, or None if none is locked."""
    wait = 0.0
    for key in keys:
        row = db.execute("SELECT locked_until FROM login_throttle WHERE key=?", (key,)).fetchone()
        if row and row[0]:
            left = (parse(row[0]) - now).total_seconds()
            wait = max(wait, left)
    return max(1, math.ceil(wait)) if wait > 0 else None


def reserve(
    db: sqlite_utils.Database, keys: list[tuple[str, int]], now: datetime, settings: AuthSettings
) -> dict[str, int] | None:
    """Count this attempt on every key *before* the password is checked, in one transaction;
    returns each key's count including it, or None (nothing counted) if any key is past its
    limit already. Checking the lock before the hash and counting after it let 40 concurrent
    guesses get 18 password checks against a limit of 5; now at most `limit` attempts per key
    are ever in flight. A success gives its reservation back (`release`)."""
    window_start = iso(now - timedelta(minutes=settings.failure_window_minutes))
    counts: dict[str, int] = {}
    try:
        with db.atomic():
            _count_all(db, keys, counts, now, window_start)
    except _OverLimit:
        return None  # rolled back: none of this attempt's counts stay
    return counts


class _OverLimit(Exception):
    pass


def _count_all(
    db: sqlite_utils.Database,
    keys: list[tuple[str, int]],
    counts: dict[str, int],
    now: datetime,
    window_start: str,
) -> None:
    for key, limit in keys:
        row = db.execute(
            "INSERT INTO login_throttle (key, failures, first_at) VALUES (?, 1, ?) "
            "ON CONFLICT(key) DO UPDATE SET "
            "failures = CASE WHEN first_at IS NULL OR first_at <= ? THEN 1 "
            "ELSE failures + 1 END, "
            "first_at = CASE WHEN first_at IS NULL OR first_at <= ? THEN excluded.first_at "
            "ELSE first_at END "
            "RETURNING failures, locked_until",
            (key, iso(now), window_start, window_start),
        ).fetchone()
        counts[key] = int(row[0])
        locked = row[1] is not None and row[1] > iso(now)  # locked while this one waited
        if locked or counts[key] > limit:
            raise _OverLimit


def lock(db: sqlite_utils.Database, key: str, now: datetime, settings: AuthSettings) -> str:
    """Lock `key` for `lockout_minutes` (its count starts again); returns the end."""
    locked_until = iso(now + timedelta(minutes=settings.lockout_minutes))
    with db.atomic():
        db.execute(
            "UPDATE login_throttle SET failures=0, first_at=NULL, locked_until=? WHERE key=?",
            (locked_until, key),
        )
    return locked_until


def release(db: sqlite_utils.Database, key: str) -> None:
    """Give back one reserved attempt (it succeeded or was never checked)."""
    with db.atomic():
        db.execute("UPDATE login_throttle SET failures = max(failures - 1, 0) WHERE key=?", (key,))


def reset(db: sqlite_utils.Database, key: str) -> None:
    with db.atomic():
        db.execute("DELETE FROM login_throttle WHERE key=?", (key,))
