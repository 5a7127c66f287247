"""A user limited to some sites sees and acts on those sites only, even when a request names
no site: lists are narrowed, and records of other sites are answered 404 (not 403, which
would confirm they exist)."""

from __future__ import annotations

from pathlib import Path

from gateway.auth.users import create_user
from tests.security.auth_fixtures import make_site

PASSWORD = "scoped-password-9"
NOW = "2026-11-23T01:00:00.000Z"


def _seed(db) -> None:  # type: ignore[no-untyped-def]
    for site in ("s1", "s2"):
        db.execute("INSERT INTO nodes (site, node, state) VALUES (?, 'desk-1', 'online')", (site,))
        db.execute(
            "INSERT INTO checks (check_id, event_id, site, node, outcome, started_at, data) "
            "VALUES (?,?,?,?,?,?,'{}')",
            (f"c-{site}", f"e-{site}", site, "desk-1", "cleared", "2026-11-23T01:00:00.000Z"),
        )
        db.execute(
            "INSERT INTO alerts (id, rule, severity, site, node, first_at, last_at, count, "
            "state) VALUES (?,?,?,?,?,?,?,1,'active')",
            (f"A-{site}", "fever_referral", "major", site, "desk-1", NOW, NOW),
        )


def test_a_site_scoped_supervisor_sees_and_acts_on_its_own_site_only(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    create_user(site.db, "li-s1", "supervisor", PASSWORD, sites=["s1"], settings=site.settings)
    _seed(site.db)
    client = site.client()
    r = client.post("/auth/login", json={"username": "li-s1", "password": PASSWORD})
    assert r.status_code == 200
    csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    for path in ("/api/v1/nodes", "/api/v1/checks", "/api/v1/alerts"):
        items = client.get(path).json()["items"]
        assert items and {i["site"] for i in items} == {"s1"}, path
    assert client.get("/api/v1/checks/c-s1").status_code == 200
    assert client.get("/api/v1/checks/c-s2").status_code == 404
    assert client.get("/api/v1/alerts/A-s2").status_code == 404
    assert client.get("/api/v1/alerts/A-s2/deliveries").status_code == 404
    assert client.get("/api/v1/alerts/A-s1/deliveries").status_code == 200
    assert client.post("/api/v1/alerts/A-s2/ack", headers=csrf).status_code == 404
    assert client.post("/api/v1/alerts/A-s1/ack", headers=csrf).status_code == 200
    assert client.get("/api/v1/nodes", params={"site": "s2"}).status_code == 403
    day = {"date": "2026-11-23"}
    assert client.get("/api/v1/reports/daily", params=day).status_code == 403  # all sites
    assert client.get("/api/v1/reports/daily", params={**day, "site": "s1"}).status_code == 200
    # an unscoped user still sees both
    admin = site.client()
    site.login(admin, "admin")
    assert {i["site"] for i in admin.get("/api/v1/alerts").json()["items"]} == {"s1", "s2"}
