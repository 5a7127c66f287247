"""The audit trail of logins and its API: filters, keyset pages, CSV export (itself audited)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.security.auth_fixtures import PASSWORDS, AuthSite, make_site


@pytest.fixture
def site(tmp_path: Path) -> AuthSite:
    return make_site(tmp_path)


def test_every_login_outcome_is_audited(site: AuthSite) -> None:
    c = site.client()
    c.post("/auth/login", json={"username": "desk1", "password": "wrong-password"})
    c.post("/auth/login", json={"username": "ghost", "password": "wrong-password"})
    csrf = site.login(c, "desk")["csrf_token"]
    c.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    rows = [(r[0], r[1]) for r in site.audit_rows() if r[1].startswith(("login", "logout"))]
    assert rows == [
        ("desk1", "login_failed"),
        ("ghost", "login_failed"),
        ("desk1", "login"),
        ("desk1", "logout"),
    ]
    for _actor, action, target, detail in site.audit_rows():
        if action.startswith("log"):
            assert target.startswith("/auth/") and json.loads(detail)["address"] == "testclient"
            assert PASSWORDS["desk"] not in detail and "wrong-password" not in detail


def test_audit_api_is_admin_only(site: AuthSite) -> None:
    for role in ("desk", "supervisor", "bureau"):
        c = site.client()
        site.login(c, role)
        assert c.get("/api/v1/audit").status_code == 403, role
        assert c.get("/api/v1/audit.csv").status_code == 403, role
    assert site.client().get("/api/v1/audit").status_code == 401


def test_filters_and_keyset_pages(site: AuthSite) -> None:
    c = site.client()
    for _ in range(3):
        c.post("/auth/login", json={"username": "bureau1", "password": "wrong-password"})
    site.clock.advance(hours=1)
    t_mid = site.clock.now
    site.login(c, "admin")
    r = c.get("/api/v1/audit", params={"actor": "bureau1", "action": "login_failed"})
    assert [i["actor"] for i in r.json()["items"]] == ["bureau1"] * 3
    # since/until on the fake clock (login rows carry the request's time)
    since = c.get("/api/v1/audit", params={"action": "login_failed", "since": t_mid.isoformat()})
    assert since.json()["items"] == []
    until = c.get("/api/v1/audit", params={"action": "login_failed", "until": t_mid.isoformat()})
    assert len(until.json()["items"]) == 3
    assert c.get("/api/v1/audit", params={"since": "2026-01-01T00:00:00"}).status_code == 422
    for _ in range(5):
        c.get("/api/v1/me")
    seen: list[int] = []
    before = None
    while True:
        params: dict[str, object] = {"limit": 3, **({"before": before} if before else {})}
        page = c.get("/api/v1/audit", params=params).json()
        seen += [i["id"] for i in page["items"]]
        before = page["next"]
        if before is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    total = site.db.execute("SELECT count(*) FROM audit WHERE id <= ?", (seen[0],)).fetchone()[0]
    assert len(seen) == total


def test_csv_export_is_audited_and_formula_safe(site: AuthSite) -> None:
    c = site.client()
    c.post("/auth/login", json={"username": "=HYPERLINK(1)", "password": "wrong-password"})
    site.login(c, "admin")
    r = c.get("/api/v1/audit.csv", params={"action": "login_failed"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["id", "at", "actor", "action", "target", "detail"]
    assert rows[1][2] == "'=HYPERLINK(1)" and rows[1][3] == "login_failed"
    exports = site.audit_rows("export")
    assert len(exports) == 1 and exports[0][0] == "admin1"
    detail = json.loads(exports[0][3])
    assert detail["rows"] == 1 and detail["filters"]["action"] == "login_failed"
    # the page-format export is audited too
    assert c.get("/api/v1/audit", params={"format": "csv"}).status_code == 200
    assert len(site.audit_rows("export")) == 2
