"""Bureau users: roles, scope (districts and/or stations), sessions, the audit trail.

Roles: `officer` sees, acknowledges and comments within their scope; `supervisor` the same
plus the statistics export (CSV/XLSX); `admin` the same (user administration is the
`stationkit hub user` command). A district officer's scope is their districts'
stations (`stations.district`); a user with neither list sees every station.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from gateway.auth.passwords import hash_password, verify_password
from gateway.auth.sessions import hash_id

ROLES = ("officer", "supervisor", "admin")


@dataclass(frozen=True)
class BureauUser:
    username: str
    role: str
    lang: str
    districts: tuple[str, ...] | None
    stations: tuple[str, ...] | None
    csrf: str = ""

    def scope_sql(self, column: str = "station") -> tuple[str, list[Any]]:
        """A WHERE fragment limiting rows to the user's stations ('TRUE' for everything)."""
        parts: list[str] = []
        args: list[Any] = []
        if self.stations is not None:
            parts.append(f"{column} = ANY(%s)")
            args.append(list(self.stations))
        if self.districts is not None:
            parts.append(f"{column} IN (SELECT station FROM stations WHERE district = ANY(%s))")
            args.append(list(self.districts))
        return ("(" + " OR ".join(parts) + ")" if parts else "TRUE"), args


def add_user(
    conn: Any,
    username: str,
    role: str,
    password: str,
    *,
    districts: list[str] | None = None,
    stations: list[str] | None = None,
    lang: str = "zh-CN",
) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ValueError("password must have at least 10 characters")
    conn.execute(
        "INSERT INTO users (username, role, password_hash, districts, stations, lang) "
        "VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (username) DO UPDATE SET role=EXCLUDED.role, "
        "password_hash=EXCLUDED.password_hash, districts=EXCLUDED.districts, "
        "stations=EXCLUDED.stations, lang=EXCLUDED.lang, disabled=false",
        (
            username,
            role,
            hash_password(password),
            Jsonb(districts) if districts is not None else None,
            Jsonb(stations) if stations is not None else None,
            lang,
        ),
    )
    conn.commit()


def login(conn: Any, username: str, password: str, hours: float) -> str | None:
    """A new session id for the cookie, or None (same cost whether or not the user exists)."""
    row = (
        conn.cursor(row_factory=tuple_row)
        .execute("SELECT password_hash FROM users WHERE username=%s AND NOT disabled", (username,))
        .fetchone()
    )
    if not verify_password(row[0] if row else None, password):
        audit(conn, username, "login_failed")
        return None
    sid = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO sessions (id_hash, username, csrf_token, expires_at) VALUES (%s,%s,%s,%s)",
        (
            hash_id(sid),
            username,
            secrets.token_urlsafe(24),
            datetime.now(UTC) + timedelta(hours=hours),
        ),
    )
    audit(conn, username, "login")
    return sid


def logout(conn: Any, sid: str) -> None:
    conn.execute("UPDATE sessions SET ended_at=now() WHERE id_hash=%s", (hash_id(sid),))
    conn.commit()


def session_user(conn: Any, sid: str) -> BureauUser | None:
    row = (
        conn.cursor(row_factory=tuple_row)
        .execute(
            "SELECT u.username, u.role, u.lang, u.districts, u.stations, s.csrf_token "
            "FROM sessions s JOIN users u USING (username) WHERE s.id_hash=%s "
            "AND s.ended_at IS NULL AND s.expires_at > now() AND NOT u.disabled",
            (hash_id(sid),),
        )
        .fetchone()
    )
    if row is None:
        return None
    return BureauUser(
        row[0],
        row[1],
        row[2],
        tuple(row[3]) if row[3] is not None else None,
        tuple(row[4]) if row[4] is not None else None,
        row[5],
    )


def audit(conn: Any, actor: str, action: str, target: str = "", detail: str = "") -> None:
    conn.execute(
        "INSERT INTO audit (actor, action, target, detail) VALUES (%s,%s,%s,%s)",
        (actor, action, target[:500], detail[:2000]),
    )
    conn.commit()
