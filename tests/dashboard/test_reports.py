"""Reports page against real statistics: an intake node's checks go through Mosquitto and the
gateway; the page shows today's numbers and bars, the monthly view has today's bar, and the
CSV and XLSX downloads hold the same figures."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from firmware_py.agent import NodeAgent
from tests.dashboard.conftest import OpenDash, Stack
from tests.dashboard.test_alerts import check, emit
from tests.support.net import wait_for
from tests.support.stack import node_agent

pytestmark = pytest.mark.broker
Shot = Callable[[Page, str], Path]
OUTCOMES = ["cleared", "cleared", "cleared", "fever_referral", "items_held"]


@pytest.fixture(scope="module")
def intake(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeAgent]:
    agent = node_agent(
        stack.broker, "station-1", "desk-1", tmp_path_factory.mktemp("intake") / "outbox.db"
    )
    agent.start()
    try:
        wait_for(lambda: agent.bus.connected, 10, "node connected")
        for outcome in OUTCOMES:
            emit(agent, "check", check(outcome, 38.2 if outcome == "fever_referral" else 36.5))
        wait_for(
            lambda: len(stack.api.get("/api/v1/checks")["items"]) == len(OUTCOMES), 10, "checks"
        )
        yield agent
    finally:
        agent.stop()


def _num(page: Page, key: str) -> str:
    return page.locator(f'[data-testid="num-{key}"] .v').inner_text()


def test_daily_and_monthly_numbers_charts_and_downloads(
    stack: Stack, intake: NodeAgent, open_dash: OpenDash, shot: Shot
) -> None:
    page = open_dash(role="bureau", page="reports", viewport=(1280, 800), name="bureau-sun")
    page.wait_for_selector('[data-testid="num-checks"]')
    assert _num(page, "checks") == "5"
    assert _num(page, "fevers") == "1"
    assert _num(page, "items_held") == "1"
    bars = page.locator('[data-testid="chart-outcomes"] rect').evaluate_all(
        "rs => rs.map(r => Number(r.dataset.value))"
    )
    assert sorted(bars, reverse=True)[:3] == [3, 1, 1] and sum(bars) == 5
    shot(page, "reports-daily")

    with page.expect_download() as dl:
        page.click('[data-testid="download-csv"]')
    text = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    assert dl.value.suggested_filename.endswith(".csv")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "5" in cells  # the checks total
    with page.expect_download() as dl:
        page.click('[data-testid="download-xlsx"]')
    data = Path(dl.value.path()).read_bytes()
    assert data[:2] == b"PK"
    assert any(n.startswith("xl/worksheets/") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())

    page.select_option('[data-testid="period"]', "monthly")
    page.wait_for_selector('[data-testid="chart-days"]')
    days = page.locator('[data-testid="chart-days"] rect').evaluate_all(
        "rs => rs.map(r => Number(r.dataset.value))"
    )
    assert sum(days) == 5 and max(days) == 5 and len(days) >= 28
    assert _num(page, "checks") == "5"
    page.locator('[data-testid="chart-days"]').scroll_into_view_if_needed()
    shot(page, "reports-monthly")
    assert page.errors == []  # type: ignore[attr-defined]


def test_desk_has_no_reports_page(stack: Stack, open_dash: OpenDash) -> None:
    page = open_dash(role="desk", page="alerts", name="desk-zhou")
    assert page.locator('[data-testid="nav-reports"]').count() == 0
    assert page.locator('[data-testid="nav-cameras"]').count() == 0
    assert page.locator('[data-testid="nav-audit"]').count() == 0
