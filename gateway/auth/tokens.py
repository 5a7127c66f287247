"""API bearer tokens. The token is shown once; only its SHA-256 is stored (tokens are 256
random bits, so a fast hash is safe here; user passwords use argon2)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import sqlite_utils

Role = Literal["desk", "supervisor", "bureau", "admin"]
ROLES: tuple[str, ...] = ("desk", "supervisor", "bureau", "admin")
TOKEN_PREFIX = "sk_"


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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: sqlite_utils.Database, name: str, role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.atomic():
        db.execute(
            "INSERT INTO api_tokens (name, role, token_hash, created_at, disabled) "
            "VALUES (?,?,?,?,0) ON CONFLICT(name) DO UPDATE SET role=excluded.role, "
            "token_hash=excluded.token_hash, created_at=excluded.created_at, disabled=0",
            (name, role, _hash(token), datetime.now(UTC).isoformat()),
        )
    return token


def verify_token(db: sqlite_utils.Database, token: str) -> Principal | None:
    row = db.execute(
        "SELECT name, role FROM api_tokens WHERE token_hash=? AND disabled=0", (_hash(token),)
    ).fetchone()
    return Principal(row[0], row[1]) if row else None
