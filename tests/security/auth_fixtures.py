"""Shared set-up for the login, CSRF and permission tests: a real SQLite file, users with
cheap argon2 parameters (tests stay fast; production defaults are checked separately), a
fake clock as the gateway context's `clock`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.auth.settings import AuthSettings
from gateway.auth.users import create_user
from gateway.store.db import open_store

FAST = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
PASSWORDS = {
    "desk": "desk-password-1",
    "supervisor": "super-password-2",
    "bureau": "bureau-password-3",
    "admin": "admin-password-4",
}


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 8, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class AuthSite:
    db_path: Path
    db: sqlite_utils.Database
    app: FastAPI
    clock: Clock
    settings: AuthSettings

    def client(self, base_url: str = "http://testserver") -> TestClient:
        return TestClient(self.app, base_url=base_url)

    def login(self, client: TestClient, role: str) -> dict[str, Any]:
        r = client.post("/auth/login", json={"username": f"{role}1", "password": PASSWORDS[role]})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def audit_rows(self, action: str | None = None) -> list[tuple[Any, ...]]:
        sql = "SELECT actor, action, target, detail FROM audit"
        if action:
            return list(self.db.execute(sql + " WHERE action=? ORDER BY id", (action,)))
        return list(self.db.execute(sql + " ORDER BY id"))


def make_site(tmp_path: Path, **settings: Any) -> AuthSite:
    db_path = tmp_path / "gw.db"
    db = open_store(db_path)
    auth = AuthSettings(**{**FAST, **settings})
    for role, password in PASSWORDS.items():
        create_user(db, f"{role}1", role, password, settings=auth)
    clock = Clock()
    app = create_app(GatewayContext(db_path, auth=auth, clock=clock))
    return AuthSite(db_path, db, app, clock, auth)
