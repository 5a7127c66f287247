"""A night exit of a wander-risk resident, in real Chromium against a real gateway and a camera
node publishing through Mosquitto: the incident names the flagged person placed at that foster
home (as "possible": cameras never identify anyone) with the portrait and description on the
alerts page, and the missing-person notice (寻人启事) PDF renders and carries the name and
description in its text layer (pdftotext) and as a picture (pdftoppm)."""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from devices.contract import codec, topics
from firmware_py.agent import NodeAgent
from gateway.people.visits import Followups
from gateway.store.db import connect
from tests.dashboard.conftest import OpenDash, Stack
from tests.support.net import wait_for
from tests.support.stack import node_agent

pytestmark = pytest.mark.broker
Shot = Callable[[Page, str], Path]


def png(width: int = 90, height: int = 120) -> bytes:
    """A real PNG (a face-coloured oval on grey), made without an imaging library."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for x in range(width):
            inside = ((x - width / 2) / (width * 0.35)) ** 2 + (
                (y - height / 2.3) / (height * 0.35)
            ) ** 2 < 1
            raw += bytes((230, 190, 160) if inside else (120, 120, 130))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )


def emit(agent: NodeAgent, kind: str, data: dict[str, Any]) -> str:
    made: list[str] = []

    def build(seq: int) -> tuple[str, str, bytes]:
        env = codec.make_event(kind, site=agent.site, node=agent.node, seq=seq, data=data)
        made.append(env.id)
        return env.id, topics.event(agent.site, agent.node, kind), codec.encode(env)

    agent.outbox.append(build)
    agent.publisher.wake()
    return made[0]


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base,
        headers={"Authorization": f"Bearer {stack.token('admin', 'sup-admin')}"},
    ) as client:
        yield client


def ok(r: httpx.Response) -> Any:
    assert r.status_code < 300, r.text
    return r.json()


def test_night_exit_of_a_flagged_person_names_them_with_portrait_and_prints_the_notice(
    stack: Stack, api: httpx.Client, open_dash: OpenDash, shot: Shot, tmp_path: Path
) -> None:
    person = ok(api.post("/api/v1/people", json={
        "site": "station-1", "came_by": "police", "names": ["王秀英"], "sex": "female",
        "age_min": 70, "age_max": 75, "height_cm": 152, "build": "瘦小 slight",
        "accent": "四川口音", "clothing": "蓝色棉袄 blue padded jacket",
        "marks": [{"kind": "疤痕 scar", "location": "左手背 back of left hand"}],
        "cond_mental": "阿尔茨海默病 early dementia", "legal_basis": "statutory_duty",
    }))  # fmt: skip
    pid = person["id"]
    portrait = png()
    ok(api.post(f"/api/v1/people/{pid}/images", params={"purpose": "portrait"}, content=portrait,
                headers={"Content-Type": "image/png"}))  # fmt: skip
    today = datetime.now(UTC).date().isoformat()
    ok(api.post(f"/api/v1/people/{pid}/placements", json={"site": "home-1", "from_date": today}))
    reasons = ["dementia", "repeated_wandering"]
    why = "found twice at the bus station"
    flag = ok(api.post(f"/api/v1/people/{pid}/flags", json={"reasons": reasons, "why": why}))
    assert flag["reasons"] == ["dementia", "repeated_wandering"]
    assert [e["person_id"] for e in ok(api.get("/api/v1/wander-register"))] == [pid]

    agent = node_agent(stack.broker, "home-1", "cam-node", tmp_path / "outbox.db")
    agent.start()
    try:
        wait_for(lambda: agent.bus.connected, 10, "camera node connected")
        emit(
            agent,
            "line_cross",
            {"camera": "room-2", "line": "door", "direction": "out", "night": True},
        )

        def incident() -> dict[str, Any] | None:
            items = ok(api.get("/api/v1/incidents"))["items"]
            return next((i for i in items if i["site"] == "home-1"), None)

        wait_for(lambda: incident() is not None, 15, "missing-person incident")
    finally:
        agent.stop()
    inc = incident()
    assert inc is not None and inc["category"] == "missing_person"
    [named] = inc["people"]
    assert named["id"] == pid and named["role"] == "possible" and named["names"] == ["王秀英"]
    assert named["flags"] == ["dementia", "repeated_wandering"] and named["height_cm"] == 152

    page = open_dash(role="supervisor", page="alerts", viewport=(1280, 900), name="sup-wu")
    row = page.locator(f'[data-testid="incident"][data-id="{inc["id"]}"]')
    person_el = row.locator(f'[data-testid="incident-person"][data-id="{pid}"]')
    person_el.wait_for()
    assert person_el.locator('[data-testid="person-name"]').inner_text() == "王秀英"
    assert "蓝色棉袄" in person_el.inner_text() and "152" in person_el.inner_text()
    img = person_el.locator('[data-testid="portrait"][data-loaded="1"]')
    img.wait_for()
    assert img.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [90, 120]
    shot(page, "alerts-missing-person-with-portrait")

    with page.expect_download() as dl:
        person_el.locator('[data-testid="notice-zh"]').click()
    pdf = tmp_path / "notice-zh.pdf"
    dl.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    for expected in ("寻人启事", "王秀英", "152 cm", "四川口音", "蓝色棉袄", "左手背", "home-1"):
        assert expected in text, (expected, text)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "notice")], check=True)
    [png_page] = sorted(tmp_path.glob("notice*.png"))
    assert png_page.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png_page.stat().st_size > 5000
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[2:]  # fmt: skip
    assert any(" 90 " in line and " 120 " in line for line in images), images  # the portrait

    # staff confirm who is missing: "possible" becomes "named" (live, through the stream)
    row.locator('[data-testid="name-input"]').fill("王秀英")
    row.locator('[data-testid="name-people"]').click()
    row.locator(f'[data-testid="incident-person"][data-id="{pid}"][data-role="named"]').wait_for()
    person_el = row.locator(f'[data-testid="incident-person"][data-id="{pid}"]')
    assert ok(api.get(f"/api/v1/incidents/{inc['id']}/people"))[0]["role"] == "named"

    # the written report's inputs, then the report itself (1-2 pages about this person)
    rec = row.locator('[data-testid="missing-record"]')
    rec.locator("summary").click()
    rec.locator('[data-testid="narrative"]').fill("夜间 02:10 查房发现王秀英不在床上。")
    rec.locator('[data-testid="last-seen-where"]').fill("home-1 2号房后门")
    rec.locator('[data-testid="narrative-save"]').click()
    wait_for(lambda: ok(api.get(f"/api/v1/incidents/{inc['id']}/missing"))["narrative"], 5, "saved")
    rec.locator('[data-testid="action-kind"]').select_option("police_called")
    rec.locator('[data-testid="action-note"]').fill("城关派出所 接警")
    rec.locator('[data-testid="action-add"]').click()
    rec.locator('[data-testid="actions"] li[data-kind="police_called"]').wait_for()
    report = ok(api.get(f"/api/v1/incidents/{inc['id']}/missing"))
    assert report["narrative"].startswith("夜间 02:10") and report["actions"][0]["by"] == "sup-wu"
    with page.expect_download() as dl:
        row.locator('[data-testid="report-pdf-zh"]').click()
    text = subprocess.run(["pdftotext", dl.value.path(), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    for expected in ("王秀英", "夜间 02:10 查房", "2号房后门", "城关派出所", "蓝色棉袄"):
        assert expected in text, (expected, text)
    shot(page, "alerts-missing-person-record")

    with page.expect_download() as dl:
        person_el.locator('[data-testid="notice-en"]').click()
    en = subprocess.run(["pdftotext", dl.value.path(), "-"], check=True, capture_output=True,
                        text=True).stdout  # fmt: skip
    assert "MISSING PERSON" in en and "王秀英" in en and "dementia" in en
    assert page.errors == []  # type: ignore[attr-defined]


def test_family_page_counts_down_and_records_a_notice(
    stack: Stack, api: httpx.Client, open_dash: OpenDash, shot: Shot
) -> None:
    came = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    person = ok(api.post("/api/v1/people", json={"site": "station-1", "came_by": "outreach",
                                                 "came_at": came, "sex": "male"}))  # fmt: skip
    case = ok(api.post("/api/v1/family-search", json={"person_id": person["id"]}))
    page = open_dash(role="supervisor", page="family", viewport=(1280, 800), name="sup-he")
    row = page.locator(f'[data-testid="case"][data-id="{case["id"]}"]')
    row.wait_for()
    notice = row.locator('[data-testid="step"][data-step="notice"]')
    assert notice.get_attribute("data-state") == "overdue"
    assert "已逾期" in notice.inner_text()  # 30 h after entry: 6 h overdue
    dna = row.locator('[data-testid="step"][data-step="dna_request"]')
    assert dna.get_attribute("data-state") in ("open", "due_soon") and "剩余" in dna.inner_text()
    shot(page, "family-cases")
    row.locator('[data-testid="step-kind"]').select_option("notice")
    row.locator('[data-testid="step-channel"]').fill("全国救助寻亲网")
    row.locator('[data-testid="step-ref"]').fill("XQ-2026-1203-07")
    row.locator('[data-testid="step-record"]').click()
    page.wait_for_selector(
        f'[data-testid="case"][data-id="{case["id"]}"] [data-step="notice"][data-state="done"]'
    )
    [rec] = ok(api.get(f"/api/v1/family-search/{case['id']}"))["records"]
    assert rec["channel"] == "全国救助寻亲网" and rec["recorded_by"] == "sup-he"
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_step_typed_on_one_case_survives_recording_another(
    stack: Stack, api: httpx.Client, open_dash: OpenDash
) -> None:
    came = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    cases = []
    for sex in ("male", "female"):
        person = ok(api.post("/api/v1/people", json={"site": "station-1", "came_by": "outreach",
                                                     "came_at": came, "sex": sex}))  # fmt: skip
        cases.append(ok(api.post("/api/v1/family-search", json={"person_id": person["id"]})))
    page = open_dash(role="supervisor", page="family", viewport=(1280, 800), name="sup-he")
    first, second = (page.locator(f'[data-testid="case"][data-id="{c["id"]}"]') for c in cases)
    second.wait_for()
    half_typed = second.locator('[data-testid="step-channel"]')
    half_typed.fill("四川日报")
    typed_in = half_typed.element_handle()
    # the first case's notice is recorded meanwhile: the page draws every case again
    first.locator('[data-testid="step-channel"]').fill("全国救助寻亲网")
    first.locator('[data-testid="step-record"]').click()
    page.wait_for_function("el => !el.isConnected", arg=typed_in, timeout=10_000)
    expect(half_typed).to_have_value("四川日报")
    expect(first.locator('[data-testid="step-channel"]')).to_have_value("")  # recorded
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_follow_up_visit_is_recorded_on_the_family_page(
    stack: Stack, api: httpx.Client, open_dash: OpenDash, shot: Shot
) -> None:
    new = {"site": "station-1", "came_by": "police", "names": ["陈桂兰"], "sex": "female"}
    person = ok(api.post("/api/v1/people", json=new))
    pid = person["id"]
    ok(api.post(f"/api/v1/people/{pid}/flags", json={"reasons": ["elderly_alone"], "why": "alone"}))
    ok(api.post(f"/api/v1/people/{pid}/status", json={"status": "returned_home", "reason": "son"}))
    db = connect(stack.db_path)  # what the gateway's deadline timer does every 30 s
    try:
        assert len(Followups().schedule_returned(db, datetime.now(UTC))) == 1
    finally:
        db.conn.close()
    page = open_dash(role="desk", page="family", viewport=(1280, 800), name="desk-fang")
    row = page.locator(f'[data-testid="visit"][data-person="{pid}"]')
    row.wait_for()
    assert row.get_attribute("data-step") == "visit-1"
    row.locator('[data-testid="visit-method"]').select_option("phone")
    row.locator('[data-testid="visit-risk"]').select_option("medium")
    row.locator('[data-testid="visit-outcome"]').fill("与儿子同住，状态稳定")
    shot(page, "family-visit")
    row.locator('[data-testid="visit-record"]').click()
    page.wait_for_selector(f'[data-testid="visit"][data-person="{pid}"][data-step="visit-2"]')
    done = ok(api.get("/api/v1/visits", params={"person": pid, "include_done": "true"}))
    visit = next(v["visit"] for v in done if v["step"] == "visit-1")
    assert visit["method"] == "phone" and visit["risk"] == "medium"
    assert visit["recorded_by"] == "desk-fang"
    assert page.errors == []  # type: ignore[attr-defined]
