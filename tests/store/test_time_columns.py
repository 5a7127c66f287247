"""Every time the gateway writes is in the store's one spelling (gateway/store/times.py): a
fresh database used through the API (logins, a lockout, a token, audited reads, a command, a
camera layout, a password change, a logout), then every time column of every table read."""

from __future__ import annotations

import re
from pathlib import Path

import sqlite_utils

from gateway.auth.users import set_password
from tests.security.auth_fixtures import PASSWORDS, make_site

STORE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LAYOUT = {"zones": [{"id": "beds", "polygon": [[0.1, 0.4], [0.9, 0.4], [0.9, 1.0]]}]}
WRITTEN_HERE = {
    ("_migrations", "applied_at"),
    ("users", "created_at"),
    ("users", "password_changed_at"),
    ("users", "last_login_at"),
    ("users", "locked_until"),
    ("sessions", "created_at"),
    ("sessions", "expires_at"),
    ("sessions", "last_seen"),
    ("sessions", "ended_at"),
    ("login_throttle", "first_at"),
    ("login_throttle", "locked_until"),
    ("api_tokens", "created_at"),
    ("api_tokens", "expires_at"),
    ("api_tokens", "last_used_at"),
    ("audit", "at"),
    ("commands", "sent_at"),
    ("camera_layouts", "updated_at"),
}
"""The columns this flow fills: the test fails if one stays empty (it would prove nothing)."""


def is_time_column(name: str) -> bool:
    return name in ("at", "ts", "last_seen") or name.endswith(("_at", "_until"))


def time_values(db: sqlite_utils.Database) -> dict[tuple[str, str], list[str]]:
    """Every non-NULL value of every TEXT time column, by (table, column)."""
    found: dict[tuple[str, str], list[str]] = {}
    for table in db.table_names():
        for column in db.table(table).columns:
            if column.type.upper() == "TEXT" and is_time_column(column.name):
                rows = db.execute(f'SELECT "{column.name}" FROM "{table}"')
                values = [r[0] for r in rows if r[0] is not None]
                if values:
                    found[(table, column.name)] = values
    return found


def test_every_time_written_through_the_api_is_in_the_store_spelling(tmp_path: Path) -> None:
    site = make_site(tmp_path, max_failures_user=2)
    site.app.state.context.publish = lambda topic, payload: None
    client = site.client()
    admin = {"X-CSRF-Token": site.login(client, "admin")["csrf_token"]}

    for _ in range(2):  # desk1 locked out: users.locked_until, login_throttle.locked_until
        r = client.post("/auth/login", json={"username": "desk1", "password": "wrong-password"})
        assert r.status_code == 401
    token = {"name": "desk-pc", "role": "desk", "expires_days": 30}
    r = client.post("/api/v1/tokens", json=token, headers=admin)
    assert r.status_code == 201, r.text
    bearer = {"Authorization": f"Bearer {r.json()['token']}"}
    command = {"action": "wand_result", "args": {"result": "clear"}}
    r = client.post("/api/v1/nodes/s1/desk-1/commands", json=command, headers=bearer)
    assert r.status_code == 202, r.text
    r = client.put("/api/v1/cameras/s1/cam-1/room-1/layout", json=LAYOUT, headers=admin)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/audit", params={"since": "2026-11-23T00:00:00Z"}).status_code == 200
    sup = site.client()
    site.login(sup, "supervisor")
    set_password(site.db, "supervisor1", PASSWORDS["supervisor"] + "-new", site.settings)
    assert client.post("/auth/logout", headers=admin).status_code == 200

    found = time_values(site.db)
    assert set(found) >= WRITTEN_HERE, WRITTEN_HERE - set(found)
    odd = [(k, v) for k, values in found.items() for v in values if not STORE.match(v)]
    assert odd == []
