"""The Users page (issue 14, finding 9): an admin adds a supervisor limited to one site, the
new user logs in and sees only that site's scope; a password reset ends their session;
disabling them refuses their next login; a token is shown once and can be disabled; every
change is in the audit trail and no password or token is."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from gateway.store.db import connect
from tests.dashboard.conftest import OpenDash, Stack

pytestmark = pytest.mark.broker
PASSWORD = "lamp post river 42"


def _login(stack: Stack, password: str) -> httpx.Response:
    return httpx.post(
        f"{stack.base}/auth/login", json={"username": "sup-liu", "password": password}
    )


def test_admin_manages_users_and_tokens(stack: Stack, open_dash: OpenDash, shot: Any) -> None:
    page = open_dash(role="admin", page="users", viewport=(1280, 800), name="admin-ma", lang="en")
    page.get_by_test_id("user-new").click()
    page.get_by_text("User name").wait_for()  # a visible label, not only a placeholder
    page.get_by_test_id("user-name").fill("sup-liu")
    page.get_by_test_id("user-role").select_option("supervisor")
    page.get_by_test_id("user-password").fill(PASSWORD)
    page.get_by_test_id("user-sites").fill("station-1")
    page.get_by_test_id("user-add").click()
    row = page.locator('[data-testid="user"][data-name="sup-liu"]')
    expect(row).to_contain_text("station-1")
    r = _login(stack, PASSWORD)
    assert r.status_code == 200 and r.json()["role"] == "supervisor"
    cookies = r.cookies
    me = httpx.get(f"{stack.base}/api/v1/me", cookies=cookies).json()
    assert me["sites"] == ["station-1"]

    row.get_by_test_id("reset-password").fill("a brand new password")
    row.get_by_test_id("reset").click()
    expect(page.locator(".toast").last).to_contain_text("New password set for sup-liu")
    assert httpx.get(f"{stack.base}/api/v1/me", cookies=cookies).status_code == 401  # ended
    assert _login(stack, PASSWORD).status_code == 401
    assert _login(stack, "a brand new password").status_code == 200

    row.get_by_test_id("disable").click()
    expect(page.locator('[data-testid="user"][data-name="sup-liu"]')).to_have_attribute(
        "data-disabled", "1"
    )
    assert _login(stack, "a brand new password").status_code == 401
    assert (
        page.locator('[data-testid="user"][data-name="admin-ma"] [data-testid="disable"]').count()
        == 0
    )

    page.get_by_text("Make an API token").click()
    page.get_by_test_id("token-name").fill("bureau-sync")
    page.get_by_test_id("token-role").select_option("bureau")
    page.get_by_test_id("token-add").click()
    token = page.get_by_test_id("token-value").inner_text()
    assert token.startswith("sk_")
    assert (
        httpx.get(f"{stack.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()[
            "role"
        ]
        == "bureau"
    )
    shot(page, "users-admin")
    trow = page.locator('[data-testid="token"][data-name="bureau-sync"]')
    trow.get_by_test_id("token-disable").click()
    expect(page.locator('[data-testid="token"][data-name="bureau-sync"]')).to_have_attribute(
        "data-state", "disabled"
    )
    assert (
        httpx.get(
            f"{stack.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )

    db = connect(stack.db_path)
    try:
        rows = db.execute(
            "SELECT action, target, detail FROM audit WHERE actor='admin-ma' "
            "AND (action LIKE 'user.%' OR action LIKE 'token.%') ORDER BY id"
        ).fetchall()
    finally:
        db.conn.close()
    actions = [(a, t) for a, t, _ in rows]
    assert actions == [("user.add", "sup-liu"), ("user.password_reset", "sup-liu"),
                       ("user.disable", "sup-liu"), ("token.create", "bureau-sync"),
                       ("token.disable", "bureau-sync")]  # fmt: skip
    everything = " ".join(str(d) for _, _, d in rows)
    assert PASSWORD not in everything and token not in everything
    assert page.errors == []  # type: ignore[attr-defined]
