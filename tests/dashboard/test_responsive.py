"""Every page at phone, desk and desktop sizes (issue 14, finding 2): at 390x844 the navigation
is a menu that reaches every page of the role, nothing is wider than the screen and logout is
on screen; at 1024x600 and 1920x1080 the navigation shows as a bar."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import OpenDash, Stack
from tests.support.stack import staff_report

pytestmark = pytest.mark.broker

FIRST = {"desk": "desk", "supervisor": "people", "bureau": "people", "admin": "desk"}


def _fits(page: Any) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


def _inside(page: Any, testid: str, width: int, height: int) -> None:
    box = page.get_by_test_id(testid).bounding_box()
    assert box is not None, testid
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (testid, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (testid, box)


@pytest.fixture(scope="module")
def content(stack: Stack) -> None:
    """Pages with rows in them: a long staff report (alert and incident) and a person file."""
    staff_report(stack.gw, stack.api, {
        "site": "station-1", "category": "missing_person", "person": "Wang Xiuying",
        "location": "the dormitory on the second floor, east wing, next to the laundry room",
        "description": "Resident Wang Xiuying (82, dementia) was not in her bed at the 02:00 "
                       "round; her coat and shoes are gone; the east door alarm sounded at "
                       "01:47 according to the night porter."})  # fmt: skip
    r = stack.api.client.post("/api/v1/people", json={
        "site": "station-1", "came_by": "outreach", "names": ["A very long alias for a person"],
        "sex": "female"})  # fmt: skip
    assert r.status_code == 201, r.text


@pytest.mark.usefixtures("content")
@pytest.mark.parametrize("role", ["supervisor", "desk", "bureau", "admin"])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_on_a_phone(open_dash: OpenDash, shot: Any, role: str, lang: str) -> None:
    page = open_dash(role=role, page=FIRST[role], viewport=(390, 844), lang=lang)
    links = page.locator("#nav a")
    ids = links.evaluate_all("els => els.map(e => e.dataset.page)")
    assert ids, role
    expect(page.get_by_test_id("menu")).to_be_visible()
    expect(links.first).to_be_hidden()  # behind the menu
    for pid in ids:
        page.get_by_test_id("menu").click()
        expect(page.get_by_test_id("menu")).to_have_attribute("aria-expanded", "true")
        link = page.get_by_test_id(f"nav-{pid}")
        expect(link).to_be_visible()
        _inside(page, f"nav-{pid}", 390, 844)
        if pid == ids[-1]:
            shot(page, f"phone-menu-{role}-{lang}")
        link.click()
        page.wait_for_selector(f'section[data-page="{pid}"][data-ready="1"]')
        expect(link).to_be_hidden()  # the menu closed
        scroll, inner = _fits(page)
        assert scroll <= inner, (role, lang, pid, scroll, inner)
        _inside(page, "logout", 390, 844)
        shot(page, f"phone-{pid}-{role}-{lang}")
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.usefixtures("content")
@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)])
def test_the_navigation_is_a_bar_on_larger_screens(
    open_dash: OpenDash, size: tuple[int, int]
) -> None:
    """Every page of the role is in sight: in the bar when all of them fit (always at
    1920x1080), else behind the menu (the admin's eleven pages at 1024x600): never scrolled out
    of a bar whose scrollbar nobody sees."""
    page = open_dash(role="admin", page="desk", viewport=size, lang="en")
    compact = page.evaluate("document.getElementById('top').classList.contains('compact')")
    if size[0] >= 1920:
        assert not compact
    ids = page.locator("#nav a").evaluate_all("els => els.map(e => e.dataset.page)")
    for pid in ids:
        if compact:
            page.get_by_test_id("menu").click()
        else:
            expect(page.get_by_test_id("menu")).to_be_hidden()
        link = page.get_by_test_id(f"nav-{pid}")
        expect(link).to_be_visible()
        _inside(page, f"nav-{pid}", size[0], size[1])
        nav = page.locator("#nav").bounding_box()
        box = link.bounding_box()
        assert nav and box and box["x"] + box["width"] <= nav["x"] + nav["width"] + 0.5, pid
        link.click()
        page.wait_for_selector(f'section[data-page="{pid}"][data-ready="1"]')
        scroll, inner = _fits(page)
        assert scroll <= inner, (size, pid, scroll, inner)
        _inside(page, "logout", size[0], size[1])
    assert page.errors == []  # type: ignore[attr-defined]
