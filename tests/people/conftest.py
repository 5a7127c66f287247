"""A real gateway app on a real SQLite file, with checks as the ingest writer stores them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from fastapi.testclient import TestClient

from gateway.auth.tokens import create_token
from gateway.auth.users import create_user
from gateway.store.times import iso
from tests.dashboard.conftest import *  # noqa: F403  (its browser fixtures, by name)
from tests.security.auth_fixtures import FAST, AuthSite, make_site


def add_check(
    db: sqlite_utils.Database,
    check_id: str,
    *,
    site: str = "s1",
    outcome: str = "cleared",
    items: list[str] | None = None,
    at: datetime | None = None,
    celsius: float = 36.6,
) -> None:
    started = at or datetime.now(UTC) - timedelta(minutes=5)
    with db.atomic():
        db.table("checks").insert(
            {
                "check_id": check_id,
                "event_id": "e-" + check_id,
                "site": site,
                "node": "desk-1",
                "outcome": outcome,
                "started_at": iso(started),
                "finished_at": iso(started + timedelta(seconds=30)),
                "operator": "wang",
                "celsius": celsius,
                "gate_alarm": 0,
                "wand": None,
                "items_held": json.dumps(items or [], ensure_ascii=False),
                "data": "{}",
            }
        )


@dataclass
class PeopleSite:
    site: AuthSite
    client: TestClient

    @property
    def db(self) -> sqlite_utils.Database:
        return self.site.db

    def as_role(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(self.db, f'{role}-tok', role)}"}

    def scoped(self, name: str, role: str, sites: list[str]) -> tuple[TestClient, dict[str, str]]:
        from gateway.auth.settings import AuthSettings

        create_user(
            self.db, name, role, "scoped-password-9", sites=sites, settings=AuthSettings(**FAST)
        )
        c = self.site.client()
        r = c.post("/auth/login", json={"username": name, "password": "scoped-password-9"})
        assert r.status_code == 200, r.text
        return c, {"X-CSRF-Token": r.json()["csrf_token"]}

    def call(self, method: str, path: str, role: str = "supervisor", **kw: Any) -> Any:
        headers = {**self.as_role(role), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)


@pytest.fixture
def people_site(tmp_path: Path) -> Iterator[PeopleSite]:
    site = make_site(tmp_path)
    with site.client() as client:
        yield PeopleSite(site, client)
