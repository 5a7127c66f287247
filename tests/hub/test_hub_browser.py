"""The bureau's incident inbox in real Chromium: log in, incidents of every station sorted by
deadline, live countdowns, overdue in red, re-sort, acknowledge, switch language."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from gateway.hub import store
from gateway.hub.api import create_hub_app
from gateway.hub.config import HubSettings
from gateway.hub.portraits import PortraitKey
from gateway.hub.users import add_user
from gateway.hub.worker import WorkerStats, apply_batch
from tests.hub.test_hub_missing_people import person
from tests.hub.test_hub_store_api import batch
from tests.support.browser import Pages, launch, screenshot
from tests.support.net import free_port, wait_port
from tests.support.postgres import Postgres
from tests.support.uplink import alert_snapshot, incident_snapshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def hub(pg: Postgres, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    key = PortraitKey(tmp_path / "portrait.key")
    conn = store.connect(pg.dsn)
    store.migrate(conn)
    now = datetime.now(UTC)
    msgs: list[Any] = []
    for site, iid, minutes_ago in (("s1", "i-new", 2), ("s2", "i-late", 40), ("s3", "i-mid", 20)):
        opened = now - timedelta(minutes=minutes_ago)
        people = [person()] if iid == "i-late" else []
        msgs += [
            incident_snapshot(site, iid, 1, opened, now, people=people),
            alert_snapshot(site, f"a-{iid}", 1, opened, sent_at=now, incident_id=iid),
        ]
    apply_batch(conn, batch(*msgs), WorkerStats("t"), key)
    add_user(conn, "officer-li", "officer", "correct horse battery")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_hub_app(HubSettings(postgres=pg.dsn, portrait_key_file=key.path)),
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_port(port)
    try:
        yield f"http://127.0.0.1:{port}", conn
    finally:
        server.should_exit = True
        thread.join(10)
        conn.close()


@contextmanager
def hub_page(base: str) -> Iterator[Page]:
    """The hub's login page in a fresh browser; at the end, no page error, no CSP violation."""
    with launch() as browser:
        pages = Pages(browser)
        try:
            page = pages.new()
            page.goto(f"{base}/hub/")
            yield page
            assert page.errors == []  # type: ignore[attr-defined]
            assert page.evaluate("window.__cspViolations") == []
        finally:
            pages.close()


def log_in(page: Page, password: str = "correct horse battery") -> None:
    page.fill("[data-testid=login] input[name=username]", "officer-li")
    page.fill("[data-testid=login] input[name=password]", password)
    page.click("[data-testid=login] button")


def test_incident_inbox_counts_down_shows_overdue_and_acknowledges(hub: tuple[str, Any]) -> None:
    base, conn = hub
    with hub_page(base) as page:
        log_in(page, "wrong password!")
        page.wait_for_selector("[data-testid=login-error]:has-text('错误')")
        log_in(page)
        rows = page.locator("[data-testid=incidents] tr[data-id]")
        rows.first.wait_for()
        # by deadline: the overdue one first, the newest last
        assert rows.evaluate_all("rs => rs.map(r => r.dataset.id)") == [
            "i-late",
            "i-mid",
            "i-new",
        ]
        late = page.locator("tr[data-id=i-late]")
        assert "overdue" in (late.get_attribute("class") or "")
        cd = late.locator(".countdown").first
        assert cd.inner_text().startswith("已超时 +10:")
        color = cd.evaluate("el => getComputedStyle(el).color")
        assert color == "rgb(176, 0, 32)", color
        new_phone = page.locator("tr[data-id=i-new] .countdown").first
        first = new_phone.inner_text()
        assert first.startswith("27:") or first.startswith("28:"), first
        time.sleep(2.1)
        assert new_phone.inner_text() != first, "the countdown is live"
        screenshot(page, "hub-incidents")

        page.click("[data-testid=sort-opened]")
        expect(rows.first).to_have_attribute("data-id", "i-new")
        page.click("tr[data-id=i-mid] [data-testid=ack]")
        page.wait_for_selector("tr[data-id=i-mid] :text('已发送至站点')")
        assert conn.execute("SELECT station, alert_id, kind, by_user FROM downlink").fetchall() == [
            ("s3", "a-i-mid", "acknowledge", "officer-li")
        ]

        page.select_option("[data-testid=lang]", "en")
        page.wait_for_selector("[data-testid=sort-deadline]:has-text('By deadline')")
        assert (
            page.locator("tr[data-id=i-late] .countdown").first.inner_text().startswith("OVERDUE +")
        )
        page.click("[data-testid=nav-incidents]")
    views = conn.execute(
        "SELECT count(*) FROM audit WHERE actor='officer-li' AND action='view'"
    ).fetchone()[0]
    assert views >= 2, "every view is audited"
    conn.commit()


def test_the_incident_page_shows_who_is_missing_with_the_portrait(hub: tuple[str, Any]) -> None:
    base, conn = hub
    with hub_page(base) as page:
        log_in(page)
        link = page.locator("tr[data-id=i-late] [data-testid=incident-link]")
        expect(link).to_have_text("走失 (1)")
        link.click()
        who = page.locator("[data-testid=missing-person][data-person=p-1]")
        expect(who).to_contain_text("李建国")
        expect(who.locator("[data-field=clothing]")).to_have_text("灰色夹克")
        expect(who.locator("[data-field=height]")).to_have_text("165")
        expect(page.get_by_test_id("privacy-note")).to_contain_text("事件结束后自动删除")
        img = who.get_by_test_id("portrait")
        expect(img).to_be_visible()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=portrait]').naturalWidth === 40"
        )
        screenshot(page, "hub-incident-person")
        page.select_option("[data-testid=lang]", "en")
        expect(page.get_by_test_id("privacy-note")).to_contain_text("deleted when the incident")
    seen = conn.execute(
        "SELECT action, target FROM audit WHERE actor='officer-li' AND action LIKE 'view_%' "
        "ORDER BY id"
    ).fetchall()
    assert ("view_incident", "s2/i-late") in seen and ("view_portrait", "s2/i-late/p-1") in seen
    conn.commit()
