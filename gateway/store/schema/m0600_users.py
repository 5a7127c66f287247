"""Dashboard users (argon2 password hashes), their sessions (only a hash of the session id is
stored), login throttling per username and per client address, and audit indexes."""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    create_table(
        db,
        "users",
        {
            "username": str,
            "role": str,  # desk/supervisor/bureau/admin
            "password_hash": str,  # argon2id, PHC string
            "disabled": int,
            "created_at": str,
            "password_changed_at": str,
            "failed_attempts": int,  # mirror of the username's login_throttle row, for admins
            "locked_until": str,
            "last_login_at": str,
            "lang": str,  # zh-CN or en
            "sites": str,  # JSON list of sites this user may see; NULL = all sites
        },
        pk="username",
        not_null={"role", "password_hash", "disabled", "created_at", "lang"},
        defaults={"disabled": 0, "failed_attempts": 0, "lang": "zh-CN"},
    )
    create_table(
        db,
        "sessions",
        {
            "id_hash": str,  # SHA-256 of the cookie value; the value itself is never stored
            "username": str,
            "csrf_token": str,
            "created_at": str,
            "expires_at": str,  # absolute end
            "last_seen": str,  # idle timeout counts from here
            "address": str,
            "user_agent": str,
            "ended_at": str,
            "end_reason": str,  # logout/password_changed/disabled/expired/replaced
        },
        pk="id_hash",
        not_null={"username", "csrf_token", "created_at", "expires_at", "last_seen"},
        indexes=[["username"]],
    )
    create_table(
        db,
        "login_throttle",
        {"key": str, "failures": int, "first_at": str, "locked_until": str},
        pk="key",
        not_null={"failures"},
    )
    db.table("audit").create_index(["actor", "id"])
    db.table("audit").create_index(["action", "id"])
