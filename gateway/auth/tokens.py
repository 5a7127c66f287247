"""API bearer tokens. The token is shown once; only its SHA-256 is stored (tokens are 256
random bits, so a fast hash is safe here; user passwords use argon2).

A token has a role, optionally an expiry and a site scope (like a site-scoped user: it sees
only those sites' records), and can be disabled; `stationkit token list|create|disable`
manage them. A disabled or expired token is refused at the next request, and an open live
stream using it ends within a second (gateway/api/routes/stream.py)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlite_utils

from gateway.auth.sessions import hash_id
from gateway.store.times import iso, parse

Role = Literal["desk", "supervisor", "bureau", "admin"]
ROLES: tuple[str, ...] = ("desk", "supervisor", "bureau", "admin")
TOKEN_PREFIX = "sk_"
SITE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token request that cannot be done; the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who is calling. kind "token" (API bearer token) or "session" (dashboard login)."""

    name: str
    role: str
    kind: str = "token"
    lang: str = "zh-CN"
    sites: tuple[str, ...] | None = None  # None: every site
    csrf_token: str | None = field(default=None, repr=False)

    def sees(self, site: str | None) -> bool:
        """May this caller see records of `site`? (site-less records: yes)"""
        return self.sites is None or site is None or site in self.sites


@dataclass(frozen=True)
class TokenInfo:
    """What `token list` shows: never the token or its hash."""

    name: str
    role: str
    created_at: str
    expires_at: str | None
    sites: tuple[str, ...] | None
    disabled: bool
    last_used_at: str | None

    def state(self, now: datetime) -> str:
        if self.disabled:
            return "disabled"
        if self.expires_at and parse(self.expires_at) <= now:
            return "expired"
        return "active"


def create_token(
    db: sqlite_utils.Database,
    name: str,
    role: str,
    *,
    expires_at: datetime | None = None,
    sites: list[str] | None = None,
) -> str:
    """A new token for `name` (replacing its old one); returns the token, shown only once."""
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}")
    if not name or len(name) > 64 or not name.isprintable():
        raise TokenError("token name must be 1-64 printable characters")
    if expires_at is not None and expires_at.tzinfo is None:
        raise TokenError("expiry needs a time zone")
    if sites is not None:
        bad = [s for s in sites if not SITE.match(s)]
        if bad or not sites:
            raise TokenError(f"sites must be site slugs (a-z, 0-9, -): {bad or 'none given'}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.atomic():
        db.execute(
            "INSERT INTO api_tokens (name, role, token_hash, created_at, disabled, expires_at, "
            "sites, last_used_at) VALUES (?,?,?,?,0,?,?,NULL) ON CONFLICT(name) DO UPDATE SET "
            "role=excluded.role, token_hash=excluded.token_hash, created_at=excluded.created_at, "
            "disabled=0, expires_at=excluded.expires_at, sites=excluded.sites, last_used_at=NULL",
            (
                name,
                role,
                hash_id(token),
                iso(datetime.now(UTC)),
                iso(expires_at) if expires_at else None,
                json.dumps(sorted(set(sites))) if sites is not None else None,
            ),
        )
    return token


def verify_token(
    db: sqlite_utils.Database, token: str, now: datetime | None = None
) -> Principal | None:
    """The caller of a live token; None if unknown, disabled or expired."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    now = now or datetime.now(UTC)
    row = db.execute(
        "SELECT name, role, expires_at, sites, last_used_at FROM api_tokens "
        "WHERE token_hash=? AND disabled=0",
        (hash_id(token),),
    ).fetchone()
    if row is None:
        return None
    name, role, expires_at, sites, last_used = row
    if expires_at and parse(expires_at) <= now:
        return None
    if last_used is None or now - parse(last_used) >= TOUCH_EVERY:
        with db.atomic():
            db.execute("UPDATE api_tokens SET last_used_at=? WHERE name=?", (iso(now), name))
    scope = tuple(json.loads(sites)) if sites else None
    return Principal(name, role, sites=scope)


def list_tokens(db: sqlite_utils.Database) -> list[TokenInfo]:
    rows = db.execute(
        "SELECT name, role, created_at, expires_at, sites, disabled, last_used_at "
        "FROM api_tokens ORDER BY name"
    ).fetchall()
    return [
        TokenInfo(
            name=r[0],
            role=r[1],
            created_at=r[2],
            expires_at=r[3],
            sites=tuple(json.loads(r[4])) if r[4] else None,
            disabled=bool(r[5]),
            last_used_at=r[6],
        )
        for r in rows
    ]


def set_token_disabled(db: sqlite_utils.Database, name: str, disabled: bool = True) -> None:
    with db.atomic():
        cur = db.execute("UPDATE api_tokens SET disabled=? WHERE name=?", (int(disabled), name))
    if cur.rowcount == 0:
        raise TokenError(f"no token named {name!r} (see `stationkit token list`)")
