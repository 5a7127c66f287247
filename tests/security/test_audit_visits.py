"""Audit rows that mean something (issue 14, finding 8): a page polled every few seconds is one
visit, not 12-31 rows a minute; a different record or filter, another caller, a change, or the
same read after the visit window each leave their own row."""

from __future__ import annotations

from pathlib import Path

from gateway.api.deps import VIEW_WINDOW_S
from tests.security.auth_fixtures import make_site


def test_polling_is_one_visit_and_changes_are_always_audited(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    desk, sup = site.client(), site.client()
    site.login(desk, "desk")
    csrf = site.login(sup, "supervisor")["csrf_token"]

    def reads(actor: str, path: str, query: str = "") -> int:
        rows = site.audit_rows("GET")
        return sum(1 for a, _, tgt, q in rows if (a, tgt, q) == (actor, path, query))

    for _ in range(20):  # the desk's page polling its checks
        assert desk.get("/api/v1/checks").status_code == 200
        site.clock.advance(seconds=3)
    assert reads("desk1", "/api/v1/checks") == 1
    assert desk.get("/api/v1/checks?limit=5").status_code == 200  # another filter: a new view
    assert sup.get("/api/v1/checks").status_code == 200  # another caller
    assert len([r for r in site.audit_rows("GET") if r[2] == "/api/v1/checks"]) == 3

    site.clock.advance(seconds=VIEW_WINDOW_S)
    assert desk.get("/api/v1/checks").status_code == 200  # a new visit after the window
    assert reads("desk1", "/api/v1/checks") == 2

    for _ in range(3):  # every change is audited, however often
        r = sup.patch("/api/v1/me", json={"lang": "en"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
    assert len(site.audit_rows("PATCH")) == 3
