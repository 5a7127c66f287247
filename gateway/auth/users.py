"""Dashboard users: create, change password, disable, list. Passwords are argon2 hashes;
changing a password or disabling a user ends all of the user's sessions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

import sqlite_utils

from gateway.auth.passwords import check_policy, hash_password
from gateway.auth.settings import AuthSettings
from gateway.auth.tokens import ROLES
from gateway.store.times import iso

Lang = Literal["zh-CN", "en"]
"""The dashboard's languages (a user's setting)."""
LANGS: tuple[str, ...] = get_args(Lang)


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    username: str
    role: str
    password_hash: str
    disabled: bool
    created_at: str
    lang: str
    sites: tuple[str, ...] | None
    failed_attempts: int
    locked_until: str | None
    last_login_at: str | None


_COLUMNS = (
    "username, role, password_hash, disabled, created_at, lang, sites, failed_attempts, "
    "locked_until, last_login_at"
)


def _user(row: tuple[object, ...]) -> User:
    sites = json.loads(str(row[6])) if row[6] else None
    return User(
        username=str(row[0]),
        role=str(row[1]),
        password_hash=str(row[2]),
        disabled=bool(row[3]),
        created_at=str(row[4]),
        lang=str(row[5]),
        sites=tuple(sites) if sites is not None else None,
        failed_attempts=int(row[7] or 0),  # type: ignore[call-overload]
        locked_until=str(row[8]) if row[8] else None,
        last_login_at=str(row[9]) if row[9] else None,
    )


def get_user(db: sqlite_utils.Database, username: str) -> User | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM users WHERE username=?", (username,)).fetchone()
    return _user(row) if row else None


def list_users(db: sqlite_utils.Database) -> list[User]:
    return [_user(r) for r in db.execute(f"SELECT {_COLUMNS} FROM users ORDER BY username")]


def _check_name(username: str) -> None:
    if (
        not username
        or len(username) > 64
        or not username.isprintable()
        or username != username.strip()
    ):
        raise UserError("username must be 1-64 printable characters without surrounding spaces")


def create_user(
    db: sqlite_utils.Database,
    username: str,
    role: str,
    password: str,
    *,
    lang: str = "zh-CN",
    sites: list[str] | None = None,
    settings: AuthSettings | None = None,
) -> User:
    _check_name(username)
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if lang not in LANGS:
        raise UserError(f"lang must be one of {', '.join(LANGS)}")
    check_policy(username, password)
    if get_user(db, username) is not None:
        raise UserError(f"user {username!r} exists")
    now = iso(datetime.now(UTC))
    hashed = hash_password(password, settings)  # slow by design: not while holding the store
    with db.atomic():
        db.execute(
            "INSERT INTO users (username, role, password_hash, disabled, created_at, "
            "password_changed_at, failed_attempts, lang, sites) VALUES (?,?,?,0,?,?,0,?,?)",
            (
                username,
                role,
                hashed,
                now,
                now,
                lang,
                json.dumps(sites) if sites is not None else None,
            ),
        )
    user = get_user(db, username)
    assert user is not None
    return user


def end_sessions(db: sqlite_utils.Database, username: str, reason: str) -> int:
    with db.atomic():
        cur = db.execute(
            "UPDATE sessions SET ended_at=?, end_reason=? WHERE username=? AND ended_at IS NULL",
            (iso(datetime.now(UTC)), reason, username),
        )
    return cur.rowcount


def set_password(
    db: sqlite_utils.Database, username: str, password: str, settings: AuthSettings | None = None
) -> None:
    if get_user(db, username) is None:
        raise UserError(f"no user {username!r}")
    check_policy(username, password)
    hashed = hash_password(password, settings)  # slow by design: not while holding the store
    with db.atomic():
        db.execute(
            "UPDATE users SET password_hash=?, password_changed_at=? WHERE username=?",
            (hashed, iso(datetime.now(UTC)), username),
        )
    end_sessions(db, username, "password_changed")


def set_disabled(db: sqlite_utils.Database, username: str, disabled: bool = True) -> None:
    if get_user(db, username) is None:
        raise UserError(f"no user {username!r}")
    with db.atomic():
        db.execute("UPDATE users SET disabled=? WHERE username=?", (int(disabled), username))
    if disabled:
        end_sessions(db, username, "disabled")


def set_sites(db: sqlite_utils.Database, username: str, sites: list[str] | None) -> None:
    """The sites a user may see (None: every site); their sessions end so the new scope
    applies at once."""
    if get_user(db, username) is None:
        raise UserError(f"no user {username!r}")
    if sites is not None and not sites:
        raise UserError("give at least one site, or none for every site")
    with db.atomic():
        db.execute(
            "UPDATE users SET sites=? WHERE username=?",
            (json.dumps(sorted(set(sites))) if sites is not None else None, username),
        )
    end_sessions(db, username, "scope_changed")


def set_lang(db: sqlite_utils.Database, username: str, lang: str) -> None:
    if lang not in LANGS:
        raise UserError(f"lang must be one of {', '.join(LANGS)}")
    with db.atomic():
        db.execute("UPDATE users SET lang=? WHERE username=?", (lang, username))
