"""The face-search review flow in real Chromium against a real gateway: a supervisor records a
family's report with a dated photo, searches the person files with a reason, sees the query
photo beside the candidate (both fetched with the reason, so audited), marks it probable, is
refused as the confirmer of her own mark; a second supervisor finds it in the queue and confirms
it with other evidence. Another man's portrait is never offered."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from gateway.store.db import connect
from tests.dashboard.conftest import OpenDash, Stack
from tests.faces.conftest import MEDIA, photo

pytestmark = pytest.mark.broker
Shot = Callable[[Page, str], Path]


def _person(api: httpx.Client, desk: httpx.Client, names: list[str], portrait: str) -> str:
    came = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    r = api.post("/api/v1/people", json={"site": "station-1", "came_by": "police",
                                         "came_at": came, "sex": "male", "names": names,
                                         "legal_basis": "statutory_duty"})  # fmt: skip
    assert r.status_code == 201, r.text
    pid = str(r.json()["id"])
    r = desk.post(f"/api/v1/faces/portraits/{pid}",
                  json={"image_b64": base64.b64encode(photo(portrait)).decode()})  # fmt: skip
    assert r.status_code == 201, r.text
    return pid


def test_two_supervisors_review_and_confirm_a_match_in_the_browser(
    stack: Stack, open_dash: OpenDash, shot: Shot
) -> None:
    admin, desk = (
        httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {stack.token(r)}"})
        for r in ("admin", "desk")
    )
    found = _person(admin, desk, ["无名氏甲"], "obama.jpg")
    other = _person(admin, desk, ["无名氏乙"], "biden.jpg")

    page = open_dash(role="supervisor", page="faces", viewport=(1280, 800), name="sup-li")
    page.get_by_test_id("rep-new").click()
    form = {"site": "station-1", "names": "张三", "last_seen_where": "火车站",
            "reporter_name": "王女士", "reporter_relation": "妻子",
            "reporter_contact": "138 0000 0000", "id_checked_by": "sup-li"}  # fmt: skip
    for field, value in form.items():
        page.get_by_test_id(f"rep-{field}").fill(value)
    page.get_by_test_id("rep-consent-photos").check()
    page.get_by_test_id("rep-consent-contact").check()
    page.get_by_test_id("rep-save").click()
    row = page.get_by_test_id("face-report")
    expect(row).to_have_count(1)
    row.get_by_test_id("photo-file").set_input_files(str(MEDIA / "obama2.jpg"))
    row.get_by_test_id("photo-year").fill("2009")
    row.get_by_test_id("photo-add").click()
    expect(page.get_by_test_id("face-report").get_by_test_id("photos")).to_have_text("1")

    page.get_by_test_id("search-reason").fill("寻亲个案 张三")
    page.get_by_test_id("face-report").get_by_test_id("report-search").click()
    cand = page.locator(f'[data-testid="candidate"][data-id="{found}"]')
    expect(cand).to_be_visible()
    assert page.locator(f'[data-testid="candidate"][data-id="{other}"]').count() == 0
    expect(page.get_by_test_id("face-note")).to_contain_text("绝不等于身份认定")
    # the reviewer sees both faces: the family's photo and the file's portrait
    expect(page.locator('[data-testid="face-query"] img[data-loaded="1"]')).to_have_count(1)
    expect(cand.locator('img[data-loaded="1"]')).to_have_count(1)
    expect(cand.get_by_test_id("candidate-names")).to_have_text(" 无名氏甲")
    distance = float(re.search(r"\d\.\d{3}", cand.get_by_test_id("distance").inner_text())[0])  # type: ignore[index]
    assert distance < 0.5

    shot(page, "faces-review")
    cand.get_by_test_id("review-note").fill("耳形一致")
    cand.get_by_test_id("review-probable").click()
    expect(cand).to_have_attribute("data-state", "probable")
    expect(page.get_by_test_id("pending")).to_have_count(1)
    cand.get_by_test_id("confirm").click()  # her own mark: refused
    expect(page.locator(".toast").last).to_contain_text("second reviewer")
    expect(cand).to_have_attribute("data-state", "probable")

    other_page = open_dash(role="supervisor", page="faces", viewport=(1024, 600), name="sup-zhao")
    other_page.get_by_test_id("pending").get_by_role("link").click()
    cand2 = other_page.locator(f'[data-testid="candidate"][data-id="{found}"]')
    expect(cand2).to_have_attribute("data-state", "probable")
    cand2.get_by_test_id("confirm-evidence").select_option("family_recognition")
    cand2.get_by_test_id("confirm").click()
    expect(cand2).to_have_attribute("data-state", "confirmed")
    shot(other_page, "faces-confirmed")
    expect(other_page.get_by_test_id("pending")).to_have_count(0)

    db = connect(stack.db_path)
    try:
        acts = dict(db.execute(
            "SELECT action, group_concat(DISTINCT actor) FROM audit WHERE action LIKE 'faces.%' "
            "OR action = 'person.image_view' GROUP BY action").fetchall())  # fmt: skip
        (reason,) = db.execute("SELECT reason FROM face_searches").fetchone()
    finally:
        db.conn.close()
    assert reason == "寻亲个案 张三"
    assert acts["faces.search"] == "sup-li" and acts["faces.confirm"] == "sup-zhao"
    assert "sup-li" in acts["faces.report_photo_view"] and "sup-li" in acts["person.image_view"]
    assert set(acts["faces.search_view"].split(",")) == {"sup-li", "sup-zhao"}
    assert page.errors == [] and other_page.errors == []  # type: ignore[attr-defined]
