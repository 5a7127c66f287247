"""Headless Chromium for the dashboard's browser tests, through Playwright's sync API.

Debian's own Chromium (`/usr/bin/chromium`) is used: no browser download, no network. Every
page opened through `Pages` records uncaught JavaScript errors (`page.errors`) so a test can
assert the page ran cleanly; contexts and the browser are closed on teardown even when a test
fails. Screenshots go to `test-artifacts/screenshots/` (git-ignored) and, with
STATIONKIT_DOC_SCREENSHOTS=1, also to `docs/screenshots/`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support import lanes

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("STATIONKIT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOC_SHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 10_000


@contextmanager
def launch() -> Iterator[Browser]:
    """A headless Chromium, closed (with Playwright's driver) when the block ends."""
    lanes.require("browser")
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (see run.sh)")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


class Pages:
    """Opens pages in fresh contexts (own cookies/localStorage) and closes them all."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []

    def new(
        self,
        viewport: tuple[int, int] = (1024, 600),
        init_storage: dict[str, str] | None = None,
        **kw: Any,
    ) -> Page:
        ctx = self.browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="zh-CN",
            timezone_id="UTC",  # the page must format times in the site's zone, not the browser's
            **kw,
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(ctx)
        if init_storage:
            # before any page script runs, once per context (a reload keeps later changes)
            script = "if (!sessionStorage.getItem('__sk_init')) {"
            for k, v in init_storage.items():
                script += f"localStorage.setItem({k!r}, {v!r});"
            script += "sessionStorage.setItem('__sk_init', '1');}"
            ctx.add_init_script(script)
        # Content-Security-Policy violations, for tests to assert none happened
        ctx.add_init_script(
            "window.__cspViolations = [];"
            "document.addEventListener('securitypolicyviolation', e => "
            "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors  # type: ignore[attr-defined]
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            with contextlib.suppress(Exception):  # the browser may already be gone
                ctx.close()
        self.contexts.clear()


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot of the viewport as `<name>.png`; also in docs/ when asked to."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("STATIONKIT_DOC_SCREENSHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        (DOC_SHOTS / f"{name}.png").write_bytes(path.read_bytes())
    return path


def open_page(page: Page, pid: str) -> None:
    """Go to dashboard page `pid` the way a user does: through the navigation bar, or through
    the ☰ menu when the bar is folded into it (phones, or more pages than the bar holds)."""
    if page.evaluate("document.getElementById('top').classList.contains('compact')"):
        page.get_by_test_id("menu").click()
    page.get_by_test_id(f"nav-{pid}").click()
    page.wait_for_selector(f'section[data-page="{pid}"][data-ready="1"]')
