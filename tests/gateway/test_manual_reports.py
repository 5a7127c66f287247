"""Staff file a report from the dashboard (POST /api/v1/manual-reports): a missing person opens
an incident whose deadlines count from when it happened; the bureau files nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.auth.tokens import create_token
from gateway.auth.users import create_user
from tests.security.auth_fixtures import make_site


def test_a_missing_person_report_opens_an_incident(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    client = site.client()
    desk = {"Authorization": f"Bearer {create_token(site.db, 'desk-a', 'desk')}"}
    bureau = {"Authorization": f"Bearer {create_token(site.db, 'bureau-z', 'bureau')}"}
    seen_at = datetime.now(UTC) - timedelta(minutes=10)
    body = {
        "site": "s1",
        "category": "missing_person",
        "description": "Mr Li (82, dementia) not in bed at the 02:00 round",
        "person": "Li Jianguo",
        "location": "room 3",
        "happened_at": seen_at.isoformat(),
    }
    assert client.post("/api/v1/manual-reports", json=body, headers=bureau).status_code == 403
    r = client.post("/api/v1/manual-reports", json=body, headers=desk)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["alert"]["rule"] == "missing_person" and got["alert"]["severity"] == "critical"
    incident = got["incident"]
    opened = datetime.fromisoformat(incident["opened_at"].replace("Z", "+00:00"))
    assert abs(opened - seen_at) < timedelta(seconds=1), "deadlines count from the event"
    phone_due = datetime.fromisoformat(incident["phone_due"].replace("Z", "+00:00"))
    assert phone_due - opened == timedelta(minutes=30)
    (data,) = site.db.execute("SELECT data FROM events WHERE id=?", (got["event_id"],)).fetchone()
    stored = json.loads(data)  # stored by the ingest writer's insert, like a node's event
    assert stored["reporter"] == "desk-a" and stored["person"] == "Li Jianguo"
    # a second, non-incident report: stored, no incident
    other = {"site": "s1", "category": "other", "description": "window broken in room 5"}
    r = client.post("/api/v1/manual-reports", json=other, headers=desk)
    assert r.status_code == 201 and r.json()["incident"] is None
    # bad input is refused, never a server error
    bad = {**body, "category": "alien"}
    assert client.post("/api/v1/manual-reports", json=bad, headers=desk).status_code == 422


def test_a_site_scoped_user_reports_for_its_own_sites_only(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    create_user(
        site.db, "wang-s1", "desk", "scoped-password-7", sites=["s1"], settings=site.settings
    )
    client = site.client()
    r = client.post("/auth/login", json={"username": "wang-s1", "password": "scoped-password-7"})
    csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    body = {"site": "s2", "category": "injury", "description": "fell on the stairs"}
    assert client.post("/api/v1/manual-reports", json=body, headers=csrf).status_code == 403
    body["site"] = "s1"
    assert client.post("/api/v1/manual-reports", json=body, headers=csrf).status_code == 201
