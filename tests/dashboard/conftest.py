"""Fixtures for the dashboard's browser tests: one Chromium per session, one real stack
(Mosquitto + gateway) per test module, logged-in pages on a given dashboard page."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from gateway.auth.tokens import create_token
from gateway.service import Gateway
from gateway.store.db import connect
from tests.support.browser import Pages, launch, screenshot
from tests.support.mosquitto import Broker, gateway_broker
from tests.support.stack import Api, gateway

# What the browser tests of other folders take from here: their conftest.py star-imports this
# module (pytest finds fixtures and hooks by name).
__all__ = ["browser", "open_dash", "pages", "pytest_runtest_makereport", "shot", "stack"]


@dataclass
class Stack:
    broker: Broker
    gw: Gateway
    api: Api
    db_path: Path

    @property
    def base(self) -> str:
        return self.api.base

    def token(self, role: str, name: str | None = None) -> str:
        """A bearer token for a new (or renewed) API user `name` with `role`."""
        db = connect(self.db_path)
        try:
            return create_token(db, name or f"{role}-user", role)
        finally:
            db.conn.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # package scope: Playwright's sync API keeps an event loop running in the main thread
    # while it lives; tests after this package may call asyncio.run()
    with launch() as b:
        yield b


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("dash")
    with gateway_broker(tmp / "mosquitto") as b, gateway(b, tmp / "gateway.db") as (gw, api):
        try:
            yield Stack(b, gw, api, tmp / "gateway.db")
        finally:
            gw.updates.close()  # end open SSE responses so the HTTP server can stop


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)  # for the fixtures' teardown
    return report


@pytest.fixture
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Pages]:
    p = Pages(browser)
    try:
        yield p
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:  # what the browser showed when it failed
            for i, ctx in enumerate(p.contexts):
                for j, page in enumerate(ctx.pages):
                    with contextlib.suppress(Exception):
                        screenshot(page, f"FAILED-{request.node.name}-{i}-{j}")
        p.close()


OpenDash = Callable[..., Page]


@pytest.fixture
def open_dash(stack: Stack, pages: Pages) -> OpenDash:
    """`open_dash(role="admin", page="desk", viewport=(1024, 600), lang="zh-CN", name=None,
    storage=None)`: a page logged in with a bearer token for `role` (API user `name`), on
    `#/<page>`, once the page module has mounted; `storage`: extra localStorage entries."""

    def open_(
        role: str = "admin",
        page: str = "desk",
        viewport: tuple[int, int] = (1024, 600),
        lang: str = "zh-CN",
        name: str | None = None,
        storage: dict[str, str] | None = None,
    ) -> Page:
        token = stack.token(role, name)
        init = {"sk_token": token, "sk_lang": lang, **(storage or {})}
        pg = pages.new(viewport, init_storage=init)
        pg.goto(f"{stack.base}/#/{page}")
        pg.wait_for_selector(f'section[data-page="{page}"][data-ready="1"]')
        return pg

    return open_


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    return screenshot
