"""The family-search, register and visit routes through the real app: roles, site scope (a
supervisor of s1 neither sees nor touches s2's cases and people), records and their audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.auth.tokens import create_token
from gateway.auth.users import create_user
from gateway.people.models import PersonCreate
from gateway.people.store import create_person, set_status
from tests.security.auth_fixtures import make_site

PASSWORD = "scoped-password-1"


def test_cases_flags_and_visits_by_role_and_site(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    db = site.db
    came = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    p1 = create_person(db, PersonCreate(site="s1", came_by="police", came_at=came), "d")
    p2 = create_person(db, PersonCreate(site="s2", came_by="police", came_at=came), "d")
    named = create_person(
        db, PersonCreate(site="s1", came_by="self", came_at=came, names=["赵六"]), "d"
    )
    create_user(db, "li-s1", "supervisor", PASSWORD, sites=["s1"], settings=site.settings)
    client = site.client()
    r = client.post("/auth/login", json={"username": "li-s1", "password": PASSWORD})
    csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    admin = site.client()
    admin.headers["Authorization"] = f"Bearer {create_token(db, 'root', 'admin')}"
    desk = {"Authorization": f"Bearer {create_token(db, 'desk-a', 'desk')}"}
    bureau = {"Authorization": f"Bearer {create_token(db, 'bureau-z', 'bureau')}"}

    for pid in (p1.id, p2.id):
        assert admin.post("/api/v1/family-search", json={"person_id": pid}).status_code == 201
    assert admin.post("/api/v1/family-search", json={"person_id": p1.id}).status_code == 409
    assert (
        client.post("/api/v1/family-search", json={"person_id": p2.id}, headers=csrf).status_code
        == 404
    )

    cases = client.get("/api/v1/family-search").json()
    assert [c["person_id"] for c in cases] == [p1.id]  # s2's case is not listed
    [case] = cases
    notice = next(s for s in case["steps"] if s["name"] == "notice")
    assert notice["state"] == "overdue" and notice["left_s"] < -5 * 3600  # arrived 30 h ago
    assert case["overdue"] == ["notice"] and case["next_step"] == "notice"
    assert client.get("/api/v1/family-search", params={"site": "s2"}).status_code == 403
    s2_case = admin.get("/api/v1/family-search", params={"site": "s2"}).json()[0]["id"]
    assert client.get(f"/api/v1/family-search/{s2_case}").status_code == 404

    step = {"step": "notice", "channel": "全国救助寻亲网", "reference": "XQ-1"}
    r = client.post(f"/api/v1/family-search/{case['id']}/steps", json=step, headers=csrf)
    assert r.status_code == 200, r.text
    assert r.json()["records"][0]["channel"] == "全国救助寻亲网"
    assert "notice" not in r.json()["overdue"]
    r = client.post(f"/api/v1/family-search/{s2_case}/steps", json=step, headers=csrf)
    assert r.status_code == 404
    assert client.post(f"/api/v1/family-search/{case['id']}/steps", json={**step, "step": "x"},
                       headers=csrf).status_code == 422  # fmt: skip
    r = admin.post(f"/api/v1/family-search/{case['id']}/steps", headers=bureau, json=step)
    assert r.status_code == 403  # the bureau reads cases, does not work them
    assert admin.get("/api/v1/family-search", headers=bureau).status_code == 200
    closing = {"found_by": "dna", "handed_to": "女儿 王丽", "handed_relation": "daughter",
               "id_checked": True, "belongings_returned": True}  # fmt: skip
    r = admin.post(f"/api/v1/family-search/{case['id']}/close", json=closing, headers=desk)
    assert r.status_code == 403  # closing (the hand-over) is a supervisor's
    r = client.post(f"/api/v1/family-search/{case['id']}/close", json=closing, headers=csrf)
    assert r.status_code == 200 and r.json()["found_by"] == "dna" and r.json()["id_checked"]
    assert client.get("/api/v1/family-search").json() == []
    assert [c["id"] for c in client.get("/api/v1/family-search?state=closed").json()] == [
        case["id"]
    ]

    # the register: flag, list, clear (desk flags, a supervisor clears)
    flag = {"reasons": ["dementia", "elderly_alone"], "why": "lives alone, lost twice"}
    assert (
        admin.post(f"/api/v1/people/{named.id}/flags", json=flag, headers=desk).status_code == 201
    )
    assert (
        admin.post(f"/api/v1/people/{named.id}/flags", json=flag, headers=desk).status_code == 409
    )
    assert admin.post(f"/api/v1/people/{p2.id}/flags", json={**flag, "reasons": ["bogus"]},
                      headers=desk).status_code == 422  # fmt: skip
    assert client.post(f"/api/v1/people/{p2.id}/flags", json=flag, headers=csrf).status_code == 404
    assert [e["person_id"] for e in client.get("/api/v1/wander-register").json()] == [named.id]
    # visits: the flagged person goes home; the timer's scheduling gives 6 visits
    set_status(db, named.id, "returned_home", "sup", reason="family came")
    from gateway.people.visits import Followups

    Followups().schedule_returned(db, datetime.now(UTC))
    due = client.get("/api/v1/visits").json()
    assert [v["step"] for v in due] == [f"visit-{i}" for i in range(1, 7)]
    visit = {"visited_on": datetime.now(UTC).date().isoformat(), "method": "home",
             "outcome": "doing well with his son", "risk": "medium",
             "measures": "wristband"}  # fmt: skip
    r = client.post(f"/api/v1/people/{named.id}/visits", json=visit, headers=csrf)
    assert r.status_code == 201 and r.json()["seq"] == 1
    assert client.get("/api/v1/visits").json()[0]["step"] == "visit-2"
    done = client.get("/api/v1/visits", params={"include_done": "true"}).json()
    assert done[-1]["visit"]["risk"] == "medium"
    r = client.post(f"/api/v1/people/{named.id}/flags/clear", json={"reason": "moved away"},
                    headers=csrf)  # fmt: skip
    assert r.status_code == 200 and r.json()["cleared_by"] == "li-s1"
    assert client.get("/api/v1/wander-register").json() == []
    assert len(client.get(f"/api/v1/people/{named.id}/flags").json()) == 1  # history kept

    actions = {row[1] for row in site.audit_rows()}
    for expected in ("family_search.open", "family_search.notice", "family_search.close",
                     "wander.flag", "wander.clear", "followup.visit"):  # fmt: skip
        assert expected in actions, expected

    # the person file's timeline and export carry these records; erasure removes them
    tl = client.get(f"/api/v1/people/{named.id}/timeline", params={"reason": "follow-up"}).json()
    kinds = [e["kind"] for e in tl["entries"]]
    assert {"wander_flagged", "wander_cleared", "followup_visit"} <= set(kinds)
    tl1 = client.get(f"/api/v1/people/{p1.id}/timeline", params={"reason": "search"}).json()
    assert {"family_search_opened", "family_search_notice", "family_search_closed"} <= {
        e["kind"] for e in tl1["entries"]
    }
    out = client.get(f"/api/v1/people/{p1.id}/export", params={"reason": "subject access"}).json()
    assert out["family_search"]["cases"][0]["found_by"] == "dna"
    r = client.post(f"/api/v1/people/{p1.id}/erase", json={"reason": "opened in error"},
                    headers=csrf)  # fmt: skip
    assert r.status_code == 200, r.text
    assert db.execute("SELECT count(*) FROM family_search_cases WHERE person_id=?",
                      [p1.id]).fetchone()[0] == 0  # fmt: skip
    assert db.execute("SELECT count(*) FROM family_search_steps").fetchone()[0] == 0
