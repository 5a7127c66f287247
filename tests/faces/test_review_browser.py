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
from PIL import Image
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
    case = admin.post("/api/v1/family-search", json={"person_id": found})
    assert case.status_code == 201, case.text

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
    # the photo was compared at once: the candidate waits in the queue, with the found man's
    # family-search deadline counting down
    waiting = page.get_by_test_id("to-review")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text(found)
    expect(waiting.get_by_test_id("queue-due")).to_have_attribute("data-step", "notice")
    expect(waiting.get_by_test_id("queue-due")).to_contain_text("剩余")

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
    expect(cand2.locator('img[data-loaded="1"]')).to_have_count(1)
    shot(other_page, "faces-confirmed")
    expect(other_page.get_by_test_id("pending")).to_have_count(0)

    db = connect(stack.db_path)
    try:
        acts = dict(db.execute(
            "SELECT action, group_concat(DISTINCT actor) FROM audit WHERE action LIKE 'faces.%' "
            "OR action = 'person.image_view' GROUP BY action").fetchall())  # fmt: skip
        (reason,) = db.execute("SELECT reason FROM face_searches WHERE actor='sup-li'").fetchone()
    finally:
        db.conn.close()
    assert reason == "寻亲个案 张三"
    assert set(acts["faces.search"].split(",")) == {"auto", "sup-li"}  # the photo, the search
    assert acts["faces.confirm"] == "sup-zhao"
    assert "sup-li" in acts["faces.report_photo_view"] and "sup-li" in acts["person.image_view"]
    assert set(acts["faces.search_view"].split(",")) == {"sup-li", "sup-zhao"}
    assert page.errors == [] and other_page.errors == []  # type: ignore[attr-defined]


def test_the_desk_is_told_why_a_portrait_was_refused_and_a_good_one_is_kept(
    stack: Stack, open_dash: OpenDash, tmp_path: Path
) -> None:
    admin = httpx.Client(
        base_url=stack.base, headers={"Authorization": f"Bearer {stack.token('admin')}"}
    )
    came = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = admin.post("/api/v1/people", json={"site": "station-1", "came_by": "outreach",
                                           "came_at": came, "sex": "male",
                                           "legal_basis": "statutory_duty"})  # fmt: skip
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    two = tmp_path / "two-people.png"  # two faces side by side: whose template would it be?
    with Image.open(MEDIA / "obama.jpg") as a, Image.open(MEDIA / "biden.jpg") as b:
        h = min(a.height, b.height)
        a, b = (im.convert("RGB").resize((im.width * h // im.height, h)) for im in (a, b))
        both = Image.new("RGB", (a.width + b.width, h))
        both.paste(a, (0, 0))
        both.paste(b, (a.width, 0))
        both.save(two)

    page = open_dash(role="desk", page="people", viewport=(1024, 600), name="desk-fang")
    page.goto(f"{stack.base}/#/people/{pid}")
    box = page.get_by_test_id("portrait")
    box.wait_for()
    box.get_by_test_id("portrait-file").set_input_files(str(two))
    refused = page.get_by_test_id("portrait-refused")
    expect(refused).to_be_visible()
    expect(refused).to_have_attribute("data-code", "many_faces")
    expect(refused).to_contain_text("照片中有 2 张人脸，只能有一人")
    assert box.locator("img").count() == 0

    page.get_by_test_id("portrait").get_by_test_id("portrait-file").set_input_files(
        str(MEDIA / "obama.jpg")
    )
    expect(page.get_by_test_id("portrait").locator("img")).to_have_count(1)
    expect(page.get_by_test_id("portrait-refused")).to_be_hidden()
    db = connect(stack.db_path)
    try:
        templates = db.execute(
            "SELECT count(*) FROM face_templates WHERE person_id=?", [pid]
        ).fetchone()[0]
    finally:
        db.conn.close()
    assert templates == 1
    assert page.errors == []  # type: ignore[attr-defined]
