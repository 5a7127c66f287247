"""Audit page: a user logs in through the dashboard's login form (and someone fails to); the
admin's audit page lists both logins, filters by action and user, and exports the selection
as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from gateway.auth.users import create_user
from gateway.store.db import connect
from tests.dashboard.conftest import OpenDash, Stack
from tests.support.browser import Pages

pytestmark = pytest.mark.broker
Shot = Callable[[Page, str], Path]
PASSWORD = "correct horse battery"


def _login(pages: Pages, stack: Stack, username: str, password: str) -> Page:
    page = pages.new((1024, 600))
    page.goto(f"{stack.base}/")
    page.fill('[data-testid="login-user"]', username)
    page.fill('[data-testid="login-pass"]', password)
    page.click('[data-testid="login-submit"]')
    return page


def test_audit_lists_logins_filters_and_exports(
    stack: Stack, pages: Pages, open_dash: OpenDash, shot: Shot
) -> None:
    db = connect(stack.db_path)
    try:
        create_user(db, "sup-liu", "supervisor", PASSWORD)
    finally:
        db.conn.close()
    bad = _login(pages, stack, "sup-liu", "wrong password!")
    bad.wait_for_selector('[data-testid="login-error"]:not(:empty)')
    good = _login(pages, stack, "sup-liu", PASSWORD)
    good.wait_for_selector('section[data-page][data-ready="1"]')

    page = open_dash(role="admin", page="audit", viewport=(1280, 800), name="admin-ma")
    rows = page.locator('[data-testid="audit-row"]')
    rows.first.wait_for()
    assert (
        page.locator('[data-testid="audit-row"][data-action="login"][data-actor="sup-liu"]').count()
        == 1
    )
    assert (
        page.locator(
            '[data-testid="audit-row"][data-action="login_failed"][data-actor="sup-liu"]'
        ).count()
        == 1
    )
    shot(page, "audit")

    page.fill('[data-testid="f-action"]', "login")
    page.click('[data-testid="apply"]')
    page.wait_for_function(
        "() => { const r = [...document.querySelectorAll('[data-testid=audit-row]')];"
        " return r.length > 0 && r.every(x => x.dataset.action === 'login'); }"
    )
    assert rows.count() == 1 and rows.first.get_attribute("data-actor") == "sup-liu"

    page.fill('[data-testid="f-action"]', "")
    page.fill('[data-testid="f-actor"]', "sup-liu")
    page.click('[data-testid="apply"]')
    page.wait_for_function(
        "() => { const r = [...document.querySelectorAll('[data-testid=audit-row]')];"
        " return r.length >= 2 && r.every(x => x.dataset.actor === 'sup-liu'); }"
    )
    with page.expect_download() as dl:
        page.click('[data-testid="export-csv"]')
    text = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert table and {r["actor"] for r in table} == {"sup-liu"}
    assert {"login", "login_failed"} <= {r["action"] for r in table}
    assert page.errors == []  # type: ignore[attr-defined]


def test_audit_page_is_admin_only(stack: Stack, open_dash: OpenDash) -> None:
    page = open_dash(role="supervisor", page="cameras", name="sup-gao")
    assert page.locator('[data-testid="nav-audit"]').count() == 0
    page.goto(f"{stack.base}/#/audit")
    page.wait_for_function("() => location.hash !== '#/audit'")  # sent to a page it may see
    page.wait_for_selector('section[data-page][data-ready="1"]')
    assert page.locator('section[data-page="audit"]').count() == 0


def test_the_date_filters_are_the_sites_wall_time_not_the_browsers(open_dash: OpenDash) -> None:
    page = open_dash(role="admin", page="audit", viewport=(1280, 800))
    browser_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    got = page.evaluate(
        """async () => {
            const { wallToIso: toIso } = await import('/static/time.js');
            return [toIso('2026-12-03T08:00', 'Asia/Shanghai'),
                    toIso('2026-07-01T08:00', 'Europe/Berlin'),
                    toIso('2026-03-29T02:30', 'Europe/Berlin')];
        }"""
    )
    # 08:00 at the station is 00:00 UTC whatever zone the browser is in (here: browser_zone)
    assert got[0] == "2026-12-03T00:00:00.000Z", browser_zone
    assert got[1] == "2026-07-01T06:00:00.000Z"  # summer time
    assert got[2] is not None  # a wall time that does not exist (spring forward) still filters
    label = page.get_by_test_id("f-since").locator("xpath=..").inner_text()
    assert "Asia/Shanghai" in label
