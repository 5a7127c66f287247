"""Alerts and incidents page against the real alert flow: a node's events go through Mosquitto,
the gateway's ingest and alert engine to the page. The desk acknowledges an alert from the
inbox (the state changes in the API), a new alert appears live (SSE), the bureau acks only incident
buttons, and a supervisor sees the incident deadlines counting down (the phone report overdue
in red), records the phone report and downloads the incident report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devices.contract import codec, topics
from firmware_py.agent import NodeAgent
from tests.dashboard.conftest import OpenDash, Stack
from tests.support.net import wait_for
from tests.support.stack import node_agent

pytestmark = pytest.mark.broker
Shot = Callable[[Page, str], Path]


def emit(agent: NodeAgent, kind: str, data: dict[str, Any], ts: datetime | None = None) -> str:
    """Send an event through the node's outbox, optionally dated in the past."""
    made: list[str] = []

    def build(seq: int) -> tuple[str, str, bytes]:
        env = codec.make_event(kind, site=agent.site, node=agent.node, seq=seq, data=data, ts=ts)
        made.append(env.id)
        return env.id, topics.event(agent.site, agent.node, kind), codec.encode(env)

    agent.outbox.append(build)
    agent.publisher.wake()
    return made[0]


def check(outcome: str, celsius: float = 36.6) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "check_id": codec.new_id(),
        "outcome": outcome,
        "started_at": (now - timedelta(seconds=40)).isoformat(),
        "finished_at": now.isoformat(),
        "celsius": celsius,
        "items_held": ["knife"] if outcome == "items_held" else [],
    }


def alerts(stack: Stack, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = stack.api.get("/api/v1/alerts", state="all", **params)["items"]
    return items


@pytest.fixture(scope="module")
def station(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeAgent]:
    """An intake node that reports a fever and staff who report, 35 minutes late, a missing
    resident."""
    tmp = tmp_path_factory.mktemp("station")
    agent = node_agent(stack.broker, "station-1", "desk-1", tmp / "outbox.db")
    agent.start()
    try:
        wait_for(lambda: agent.bus.connected, 10, "node connected")
        emit(agent, "check", check("fever_referral", 38.4), None)
        # staff reports come from the dashboard's route; a node may not send them (issue 13)
        r = stack.api.client.post(
            "/api/v1/manual-reports",
            json={
                "site": "station-1",
                "category": "missing_person",
                "description": "Resident Z. not in room 3 at roll call",
                "happened_at": (datetime.now(UTC) - timedelta(minutes=35)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        wait_for(lambda: len(alerts(stack)) >= 2, 15, "fever and missing-person alerts")
        wait_for(lambda: stack.api.get("/api/v1/incidents")["items"], 10, "incident opened")
        yield agent
    finally:
        agent.stop()


def _row(stack: Stack, page: Page, rule: str) -> Any:
    [alert] = [a for a in alerts(stack) if a["rule"] == rule]
    return page.locator(f'[data-testid="alert"][data-id="{alert["id"]}"]')


def test_desk_acknowledges_from_inbox_and_sees_new_alerts_live(
    stack: Stack, station: NodeAgent, open_dash: OpenDash, shot: Shot
) -> None:
    page = open_dash(role="desk", page="alerts", name="desk-li")
    fever = _row(stack, page, "fever_referral")
    fever.wait_for()
    assert fever.get_attribute("data-state") == "active"
    assert page.locator('[data-testid="incident-list"]').count() == 0  # desk: no incidents
    # critical first: the missing person is above the fever
    severities = page.locator('[data-testid="alert"]').evaluate_all(
        "rows => rows.map(r => r.dataset.severity)"
    )
    order = ["critical", "major", "minor", "warning", "info"]
    assert severities == sorted(severities, key=order.index) and len(severities) == 2
    shot(page, "alerts-desk")
    fever.locator('[data-testid="ack"]').click()
    page.wait_for_selector(
        f'[data-testid="alert"][data-id="{fever.get_attribute("data-id")}"]'
        '[data-state="acknowledged"]'
    )
    [api_alert] = [a for a in alerts(stack) if a["rule"] == "fever_referral"]
    assert api_alert["state"] == "acknowledged" and api_alert["changed_by"] == "desk-li"
    # the detail shows the history; a comment is saved with who wrote it
    fever.locator(".al-main").click()
    page.fill('[data-testid="comment-text"]', "家属已通知 family told")
    page.click('[data-testid="comment"]')
    page.wait_for_selector('[data-testid="history"] li:has-text("家属已通知 family told")')
    history = stack.api.get(f"/api/v1/alerts/{api_alert['id']}")["history"]
    assert any(h["actor"] == "desk-li" and "family told" in (h["detail"] or "") for h in history)
    # a new alert arrives through the live stream, without a reload
    page.wait_for_selector('#live[data-state="open"]')
    emit(station, "check", check("items_held"))
    wait_for(lambda: any(a["rule"] == "items_held" for a in alerts(stack)), 10, "new alert")
    _row(stack, page, "items_held").wait_for()
    assert page.locator('[data-testid="alert"]').count() == 3
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_comment_being_typed_survives_an_update_of_the_alert(
    stack: Stack, station: NodeAgent, open_dash: OpenDash
) -> None:
    page = open_dash(role="supervisor", page="alerts", name="sup-zhao")
    fever = _row(stack, page, "fever_referral")
    fever.locator(".al-main").click()
    field = page.get_by_test_id("comment-text")
    field.fill("正在联系家属 calling the family")
    typed_in = field.element_handle()
    # someone else writes on the same alert meanwhile: the detail is drawn again
    alert_id = fever.get_attribute("data-id")
    r = stack.api.client.post(f"/api/v1/alerts/{alert_id}/comment", json={"text": "seen"})
    assert r.status_code == 200, r.text
    page.wait_for_function("el => !el.isConnected", arg=typed_in, timeout=10_000)
    expect(field).to_have_value("正在联系家属 calling the family")
    expect(field).to_be_focused()
    page.get_by_test_id("comment").click()
    page.wait_for_selector('[data-testid="history"] li:has-text("calling the family")')
    expect(field).to_have_value("")  # sent: the draft is gone
    assert page.errors == []  # type: ignore[attr-defined]


def test_bureau_reads_without_action_buttons(
    stack: Stack, station: NodeAgent, open_dash: OpenDash
) -> None:
    page = open_dash(role="bureau", page="alerts", name="bureau-zhao", lang="en")
    page.locator('[data-testid="alert"]').first.wait_for()
    assert "Missing person" in page.locator('[data-testid="incident"]').first.inner_text()
    assert "Phone report (30 min)" in page.locator('[data-testid="incident-list"]').inner_text()
    # the bureau acknowledges incident alerts only, and resolves nothing
    assert page.locator('[data-testid="resolve"]').count() == 0
    assert (
        page.locator('[data-testid="alert"]:not([data-incident]) [data-testid="ack"]').count() == 0
    )
    assert page.locator('[data-testid="alert"][data-incident] [data-testid="ack"]').count() >= 1
    assert page.locator('[data-testid="incident"]').count() >= 1
    assert page.locator('[data-testid="record-phone"]').count() == 0  # bureau records nothing


def test_supervisor_incident_countdowns_report_and_download(
    stack: Stack, station: NodeAgent, open_dash: OpenDash, shot: Shot
) -> None:
    page = open_dash(role="supervisor", page="alerts", viewport=(1280, 800), name="sup-chen")
    incident = page.locator('[data-testid="incident"]').first
    phone = incident.locator('[data-testid="phone-countdown"]')
    written = incident.locator('[data-testid="written-countdown"]')
    # opened 35 min ago: the phone report (30 min) is overdue, the written one (60 min) is not
    assert phone.get_attribute("data-overdue") == "1"
    assert "inc-deadline overdue" in (phone.get_attribute("class") or "")
    assert written.get_attribute("data-overdue") == ""
    first = written.locator(".inc-clock").inner_text()
    page.wait_for_function(  # it counts down
        "(first) => document.querySelector("
        "'[data-testid=written-countdown] .inc-clock').textContent !== first",
        arg=first,
        timeout=3000,
    )
    assert "剩余" in first and "已超时" in phone.inner_text()
    shot(page, "alerts-incidents")
    incident.locator('[data-testid="phone-to"]').fill("区民政局 王科长")
    incident.locator('[data-testid="phone-note"]').fill("reported by phone")
    incident.locator('[data-testid="record-phone"]').click()
    page.wait_for_selector('[data-testid="phone-countdown"][data-done="1"]')
    [inc] = stack.api.get("/api/v1/incidents")["items"]
    assert inc["phone_reported_by"] == "sup-chen" and inc["phone_reported_to"] == "区民政局 王科长"
    with page.expect_download() as dl:
        incident.locator('[data-testid="report-pdf-zh"]').click()
    path = dl.value.path()
    assert path is not None and Path(path).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as dl:
        incident.locator('[data-testid="report-html-en"]').click()
    assert b"<html" in Path(dl.value.path()).read_bytes()[:2000].lower()
    assert page.errors == []  # type: ignore[attr-defined]


def test_staff_report_an_injury_and_an_incident_opens(
    stack: Stack, station: NodeAgent, open_dash: OpenDash, shot: Shot
) -> None:
    page = open_dash(role="supervisor", page="alerts", viewport=(1280, 800), name="sup-zhou")
    page.click('[data-testid="report-open"]')
    page.select_option('[data-testid="report-site"]', "station-1")
    page.select_option('[data-testid="report-category"]', "injury")
    page.fill('[data-testid="report-person"]', "张大爷 Zhang")
    page.fill('[data-testid="report-description"]', "slipped in the shower, cut on the forehead")
    shot(page, "alerts-report-form")
    page.click('[data-testid="report-submit"]')
    page.wait_for_selector('[data-testid="report-form"]', state="detached")
    wait_for(
        lambda: any(i["category"] == "injury" for i in stack.api.get("/api/v1/incidents")["items"]),
        10,
        "injury incident",
    )
    page.wait_for_selector('[data-testid="incident"]:has-text("受伤")')
    [alert] = [a for a in alerts(stack) if a["rule"] == "injury"]
    assert alert["severity"] == "critical" and alert["incident_id"]
    # the supervisor assigns it, then resolves it, from the page
    row = page.locator(f'[data-testid="alert"][data-id="{alert["id"]}"]')
    row.locator(".al-main").click()
    page.fill('[data-testid="assignee"]', "护士 Nurse Liu")
    page.click('[data-testid="assign"]')
    page.wait_for_selector('[data-testid="history"] li:has-text("护士 Nurse Liu")')
    row.locator('[data-testid="resolve"]').click()
    wait_for(
        lambda: stack.api.get(f"/api/v1/alerts/{alert['id']}")["state"] == "resolved",
        10,
        "resolved",
    )
    done = stack.api.get(f"/api/v1/alerts/{alert['id']}")
    assert done["assignee"] == "护士 Nurse Liu" and done["changed_by"] == "sup-zhou"
    actions = [h["action"] for h in done["history"]]
    assert actions[0] == "raised" and actions[-2:] == ["assigned", "resolved"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_overdue_incident_leads_and_a_report_counts_from_when_it_happened(
    stack: Stack, station: NodeAgent, open_dash: OpenDash, shot: Shot
) -> None:
    """Issue 14, findings 4 and 5: newer incidents are filed after the overdue one, yet the
    overdue one is first on the 1024x600 screen; the alert and the incident show what the
    reporter typed; the form's "when it happened" (20 minutes ago) sets the deadlines."""

    def file(minutes: int, category: str, text: str) -> None:
        at = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
        body = {"site": "station-1", "category": category, "description": text,
                "location": "二楼走廊", "happened_at": at}  # fmt: skip
        r = stack.api.client.post("/api/v1/manual-reports", json=body)
        assert r.status_code == 201, r.text

    file(45, "disaster", "锅炉房漏水，已疏散")  # phone report 15 minutes overdue
    file(3, "injury", "摔倒 3")  # filed later, due later
    file(1, "injury", "摔倒 1")
    page = open_dash(role="supervisor", page="alerts", name="sup-order", viewport=(1024, 600))
    rows = page.locator('[data-testid="incident"]')
    rows.first.wait_for()
    open_ = stack.api.get("/api/v1/incidents", open="true")["items"]
    nearest = min(open_, key=lambda i: i["next_due"])
    assert nearest["overdue"] and open_[0]["id"] == nearest["id"]  # the API's order too
    assert rows.first.get_attribute("data-id") == nearest["id"]
    box = rows.first.bounding_box()
    assert box is not None and box["y"] < 600  # on the first screen, not below the fold
    assert rows.first.get_by_test_id("staff-report").inner_text().strip() != ""
    injury = page.locator('[data-testid="incident"]', has_text="摔倒 3").first
    assert "二楼走廊" in injury.get_by_test_id("staff-report").inner_text()
    shot(page, "alerts-incidents-by-deadline-1024x600")

    # the report form: it happened 20 minutes ago (site time), so 10 minutes are left to phone
    page.get_by_test_id("report-open").click()
    page.get_by_test_id("report-category").select_option("violence")
    page.get_by_test_id("report-description").fill("走廊冲突，已分开")
    happened = page.evaluate(
        """async () => {
            const { isoToWall } = await import('/static/time.js');
            return isoToWall(new Date(Date.now() - 20 * 60000), 'Asia/Shanghai');
        }"""
    )
    page.get_by_test_id("report-happened").fill(happened)
    page.get_by_test_id("report-submit").click()

    def violence() -> list[dict[str, Any]]:
        items = stack.api.get("/api/v1/incidents")["items"]
        return [i for i in items if i["category"] == "violence"]

    wait_for(violence, 10, "violence incident")
    [inc] = violence()
    opened = datetime.fromisoformat(inc["opened_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - opened) - timedelta(minutes=20)) < timedelta(minutes=1)
    due = datetime.fromisoformat(inc["phone_due"].replace("Z", "+00:00"))
    assert due - opened == timedelta(minutes=30)
    assert inc["report"]["description"] == "走廊冲突，已分开"
    assert page.errors == []  # type: ignore[attr-defined]
