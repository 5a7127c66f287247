"""Browser sessions. The cookie holds 256 random bits; the table holds only their SHA-256, so a
copy of the database does not let anyone log in. A session ends at logout, after the idle
timeout, at the absolute timeout, and when the user's password changes or the user is disabled
(the lookup also re-reads the user, so role and disable take effect at the next request)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from gateway.auth.settings import AuthSettings
from gateway.store.times import iso, parse

COOKIE = "sk_session"
TOUCH_EVERY = timedelta(seconds=10)


@dataclass(frozen=True)
class Session:
    id_hash: str
    username: str
    role: str
    lang: str
    sites: tuple[str, ...] | None
    csrf_token: str


def hash_id(secret: str) -> str:
    """What is stored of a bearer secret (a session id, an API token): its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_session(
    db: sqlite_utils.Database,
    username: str,
    now: datetime,
    settings: AuthSettings,
    *,
    address: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, str]:
    """A new session; returns (session id for the cookie, csrf token)."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.session_absolute_hours)
    with db.atomic():
        # sessions past their absolute end for a week are of no use any more (logins and
        # logouts stay in the audit trail)
        db.execute("DELETE FROM sessions WHERE expires_at < ?", (iso(now - timedelta(days=7)),))
        db.execute(
            "INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at, "
            "last_seen, address, user_agent) VALUES (?,?,?,?,?,?,?,?)",
            (
                hash_id(session_id),
                username,
                csrf,
                iso(now),
                iso(expires),
                iso(now),
                address,
                (user_agent or "")[:200],
            ),
        )
    return session_id, csrf


def lookup_session(
    db: sqlite_utils.Database, session_id: str, now: datetime, settings: AuthSettings
) -> Session | None:
    """The live session for this cookie value, or None; touches last_seen."""
    if not session_id or len(session_id) > 128:
        return None
    id_hash = hash_id(session_id)
    row = db.execute(
        "SELECT s.username, u.role, u.lang, u.sites, s.csrf_token, s.expires_at, s.last_seen, "
        "u.disabled FROM sessions s JOIN users u ON u.username = s.username "
        "WHERE s.id_hash=? AND s.ended_at IS NULL",
        (id_hash,),
    ).fetchone()
    if row is None:
        return None
    username, role, lang, sites, csrf, expires_at, last_seen, disabled = row
    reason = None
    if disabled:
        reason = "disabled"
    elif now >= parse(expires_at):
        reason = "expired"
    elif now - parse(last_seen) >= timedelta(minutes=settings.session_idle_minutes):
        reason = "idle"
    # last_seen moves at most every TOUCH_EVERY: an open live stream re-checks its session
    # every second and must not make every check a database write
    if reason or now - parse(last_seen) >= TOUCH_EVERY:
        with db.atomic():
            if reason:
                db.execute(
                    "UPDATE sessions SET ended_at=?, end_reason=? WHERE id_hash=?",
                    (iso(now), reason, id_hash),
                )
            else:
                db.execute("UPDATE sessions SET last_seen=? WHERE id_hash=?", (iso(now), id_hash))
    if reason:
        return None
    site_list = json.loads(sites) if sites else None
    return Session(
        id_hash=id_hash,
        username=username,
        role=role,
        lang=lang,
        sites=tuple(site_list) if site_list is not None else None,
        csrf_token=csrf,
    )


def end_session(
    db: sqlite_utils.Database, session_id: str, now: datetime, reason: str
) -> str | None:
    """End the session with this cookie value; returns its username if it was live."""
    id_hash = hash_id(session_id)
    row = db.execute(
        "SELECT username FROM sessions WHERE id_hash=? AND ended_at IS NULL", (id_hash,)
    ).fetchone()
    if row is None:
        return None
    with db.atomic():
        db.execute(
            "UPDATE sessions SET ended_at=?, end_reason=? WHERE id_hash=?",
            (iso(now), reason, id_hash),
        )
    return str(row[0])
