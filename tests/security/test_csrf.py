"""CSRF: a cookie-authenticated POST/PUT/PATCH/DELETE needs the session's X-CSRF-Token; a bearer
token needs none (browsers never attach it by themselves)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.auth.tokens import create_token
from tests.security.auth_fixtures import AuthSite, make_site

CMD = "/api/v1/nodes/s1/desk-1/commands"
WAND = {"action": "wand_result", "args": {"result": "clear"}}


@pytest.fixture
def site(tmp_path: Path) -> AuthSite:
    s = make_site(tmp_path)
    s.app.state.context.publish = lambda topic, payload: s.sent.append((topic, payload))  # type: ignore[attr-defined]
    s.sent = []  # type: ignore[attr-defined]
    return s


def test_cookie_post_needs_the_right_csrf_token(site: AuthSite) -> None:
    c = site.client()
    csrf = site.login(c, "desk")["csrf_token"]
    assert c.post(CMD, json=WAND).status_code == 403
    assert c.post(CMD, json=WAND, headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    assert c.post(CMD, json=WAND, headers={"X-CSRF-Token": ""}).status_code == 403
    assert site.sent == []  # type: ignore[attr-defined]
    other = site.client()
    other_csrf = site.login(other, "supervisor")["csrf_token"]
    assert c.post(CMD, json=WAND, headers={"X-CSRF-Token": other_csrf}).status_code == 403
    r = c.post(CMD, json=WAND, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 202, r.text
    assert len(site.sent) == 1  # type: ignore[attr-defined]
    sent_by = site.db.execute("SELECT sent_by FROM commands").fetchone()[0]
    assert sent_by == "desk1"


def test_cookie_patch_and_logout_need_csrf(site: AuthSite) -> None:
    c = site.client()
    csrf = site.login(c, "desk")["csrf_token"]
    assert c.patch("/api/v1/me", json={"lang": "en"}).status_code == 403
    assert c.post("/auth/logout").status_code == 403
    assert c.get("/api/v1/me").status_code == 200  # still logged in
    assert c.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_cookie_get_needs_no_csrf(site: AuthSite) -> None:
    c = site.client()
    site.login(c, "desk")
    assert c.get("/api/v1/checks").status_code == 200


def test_bearer_post_needs_no_csrf(site: AuthSite) -> None:
    token = create_token(site.db, "desk-pc", "desk")
    r = site.client().post(CMD, json=WAND, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202, r.text


def test_bearer_wins_over_a_cookie(site: AuthSite) -> None:
    """A request with both a valid bearer token and a cookie is the token's (no CSRF needed:
    a cross-site page cannot add an Authorization header)."""
    c = site.client()
    site.login(c, "desk")
    token = create_token(site.db, "sup-tool", "supervisor")
    r = c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.json()["name"] == "sup-tool"
    assert c.get("/api/v1/me", headers={"Authorization": "Bearer sk_wrong"}).status_code == 401


def test_csrf_token_differs_per_session(site: AuthSite) -> None:
    a, b = site.client(), site.client()
    assert site.login(a, "desk")["csrf_token"] != site.login(b, "desk")["csrf_token"]
