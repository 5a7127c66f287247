"""Every dashboard page mounts for an admin at the desk touchscreen's 1024x600 and at
1440x900, with a screenshot of each (test-artifacts/screenshots/, or docs/screenshots/ with
STATIONKIT_DOC_SCREENSHOTS=1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from firmware_py.intake.app import IntakeApp
from firmware_py.intake.config import IntakeConfig
from tests.dashboard.conftest import OpenDash, Stack
from tests.support.browser import open_page
from tests.support.net import wait_for
from tests.support.stack import node_agent

PAGES = (
    "desk",
    "people",
    "family",
    "faces",
    "nodes",
    "cameras",
    "alerts",
    "reports",
    "audit",
    "users",
)
MINE = ("desk", "nodes")


@pytest.fixture(scope="module")
def busy_desk(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApp]:
    """An intake node with two finished checks and one in progress."""
    app = IntakeApp(
        IntakeConfig(
            operator="zhang",
            alarm_window_s=0.1,
            temperature_timeout_s=300,
            wand_timeout_s=300,
            tick_s=0.05,
        )
    )
    agent = node_agent(
        stack.broker, "station-1", "desk-1", tmp_path_factory.mktemp("n") / "o.db", apps=[app]
    )
    agent.start()
    try:
        app.gate.walk("in")
        app.thermometer.person(36.4)
        app.gate.walk("in")
        app.thermometer.person(37.9)
        wait_for(lambda: len(stack.api.get("/api/v1/checks")["items"]) == 2, 10, "two checks")
        app.gate.walk("in", alarm=True)
        app.thermometer.person(36.8)
        wait_for(
            lambda: stack.api.get("/api/v1/events", kind="temperature")["items"].__len__() == 3,
            10,
            "third arrival",
        )
        yield app
    finally:
        agent.stop()


@pytest.mark.parametrize("viewport", [(1024, 600), (1440, 900)], ids=["1024x600", "1440x900"])
def test_every_page_mounts_and_is_photographed(
    busy_desk: IntakeApp, open_dash: OpenDash, shot: Any, viewport: tuple[int, int]
) -> None:
    page = open_dash("admin", "desk", viewport=viewport)
    page.get_by_test_id("step-wand").wait_for()
    for pid in PAGES:
        open_page(page, pid)
        page.wait_for_selector(f'section[data-page="{pid}"][data-ready="1"]')
        page.wait_for_timeout(300)  # let late data (images, counts) settle for the picture
        shot(page, f"{pid}-{viewport[0]}x{viewport[1]}")
        assert page.evaluate("window.__cspViolations") == [], pid
        if pid in MINE:
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0], pid
            assert not page.locator(f'section[data-page="{pid}"] .error').count(), pid
    assert page.errors == []  # type: ignore[attr-defined]


def test_english_screens(busy_desk: IntakeApp, open_dash: OpenDash, shot: Any) -> None:
    page = open_dash("admin", "desk", viewport=(1024, 600), lang="en")
    page.get_by_test_id("step-wand").wait_for()
    assert page.get_by_test_id("desk-today").locator("h2").inner_text() == "Checks of the day"
    assert page.get_by_test_id("today-row").count() == 2
    shot(page, "desk-1024x600-en")
    open_page(page, "nodes")
    page.wait_for_selector('section[data-page="nodes"][data-ready="1"]')
    shot(page, "nodes-1024x600-en")
