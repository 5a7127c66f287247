"""The intake desk page in a real browser against a real gateway, Mosquitto and intake node:
an arrival appears live step by step, the operator's buttons reach the node as commands, the
node's ack and the check's outcome show, and the day's checks can be searched."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from firmware_py.agent import NodeAgent
from firmware_py.intake.app import IntakeApp
from firmware_py.intake.config import IntakeConfig
from gateway.store.db import connect
from tests.dashboard.conftest import OpenDash, Stack
from tests.support.net import wait_for
from tests.support.stack import node_agent

SITE = "st-desk"
TIMING = dict(alarm_window_s=0.2, temperature_timeout_s=120, wand_timeout_s=120, tick_s=0.05)


class Desk:
    def __init__(self, stack: Stack, node: str, tmp: Path) -> None:
        self.stack = stack
        self.node = node
        self.app = IntakeApp(IntakeConfig(operator="node-operator", **TIMING))  # type: ignore[arg-type]
        self.agent: NodeAgent = node_agent(
            stack.broker, SITE, node, tmp / f"{node}.db", apps=[self.app], heartbeat_s=1
        )

    def __enter__(self) -> Desk:
        self.agent.start()
        wait_for(
            lambda: (r := self.row()) and r["state"] == "online" and r["devices"],
            10,
            "node online with its devices",
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.agent.stop()

    def row(self) -> dict[str, Any] | None:
        rows = [n for n in self.stack.api.get("/api/v1/nodes")["items"] if n["node"] == self.node]
        return rows[0] if rows else None

    def checks(self) -> list[dict[str, Any]]:
        return self.stack.api.get("/api/v1/checks", site=SITE, node=self.node)["items"]

    def the_check(self) -> dict[str, Any]:
        """The one check the gateway stored from this desk, once it is there."""
        wait_for(lambda: self.checks(), 10, "check stored")
        [check] = self.checks()
        return check


@pytest.fixture
def desk(stack: Stack, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Desk]:
    with Desk(stack, request.param if hasattr(request, "param") else "desk-1", tmp_path) as d:
        yield d


def _open(open_dash: OpenDash, desk: Desk, **kw: Any) -> Any:
    return open_dash(
        "desk", "desk", name="li-desk", storage={"sk_desk_node": f"{SITE}/{desk.node}"}, **kw
    )


def _arrive(desk: Desk, celsius: float, alarm: bool = False) -> None:
    """A person walks in through the gate (its alarm going off if `alarm`) and is measured."""
    desk.app.gate.walk("in", alarm=alarm)
    desk.app.thermometer.person(celsius)


def _enter_core(page: Any, celsius: str) -> None:
    """The operator types a core temperature and sends it."""
    page.get_by_test_id("core-input").fill(celsius)
    page.get_by_test_id("core-submit").click()


@pytest.mark.parametrize("desk", ["desk-1"], indirect=True)
def test_arrival_shows_live_and_items_held_reach_the_node(
    stack: Stack, desk: Desk, open_dash: OpenDash, shot: Any
) -> None:
    page = _open(open_dash, desk)
    expect(page.get_by_test_id("desk-idle")).to_be_visible()
    _arrive(desk, 36.6, alarm=True)
    # live over SSE, no reload: gate alarm, temperature taken, wand needed
    expect(page.get_by_test_id("step-gate")).to_have_attribute("data-status", "bad")
    expect(page.get_by_test_id("step-temperature")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("step-temperature")).to_contain_text("36.6")
    expect(page.get_by_test_id("step-wand")).to_have_attribute("data-status", "active")
    expect(page.get_by_test_id("step-outcome")).to_have_attribute("data-status", "pending")
    shot(page, "desk-check-1024x600")

    page.get_by_test_id("wand-metal").click()
    page.locator('[data-item="knife"]').click()
    page.get_by_test_id("item-other").fill("铁棍")
    shot(page, "desk-items-1024x600")
    page.get_by_test_id("items-confirm").click()
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
    expect(page.get_by_test_id("ack")).to_contain_text("节点已确认")
    expect(page.get_by_test_id("last-result")).to_have_attribute("data-outcome", "items_held")
    expect(page.get_by_test_id("step-wand")).to_contain_text("刀具")
    row = page.locator('[data-testid="today-row"][data-outcome="items_held"]')
    expect(row).to_have_count(1)
    shot(page, "desk-result-1024x600")

    # the node really decided it from the operator's input
    check = desk.the_check()
    assert check["outcome"] == "items_held"
    assert check["items_held"] == ["刀具", "铁棍"]
    assert check["gate_alarm"] == 1 and check["wand"] == "metal_found"
    [metal] = stack.api.get("/api/v1/events", site=SITE, node=desk.node, kind="metal")["items"]
    assert metal["data"]["source"] == "dashboard" and metal["data"]["operator"] == "li-desk"

    # the day's checks: search by item, and a search that finds nothing
    search = page.get_by_test_id("desk-search")
    search.fill("铁棍")
    expect(page.get_by_test_id("today-row")).to_have_count(1)
    search.fill("no-such-thing")
    expect(page.get_by_test_id("today-empty")).to_be_visible()
    search.fill("")
    expect(row).to_have_count(1)
    row.click()
    expect(page.locator(".check-detail")).to_contain_text(check["check_id"])
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("desk", ["desk-2"], indirect=True)
def test_low_reading_prompts_for_core_temperature_then_admit(
    stack: Stack, desk: Desk, open_dash: OpenDash, shot: Any
) -> None:
    page = _open(open_dash, desk, lang="en")
    _arrive(desk, 33.1)  # too low to be a result: re-measure
    expect(page.get_by_test_id("step-temperature")).to_have_attribute("data-status", "active")
    expect(page.get_by_test_id("core-entry")).to_contain_text("below 34")
    expect(page.get_by_test_id("step-wand")).to_have_attribute("data-status", "skip")
    shot(page, "desk-remeasure-1024x600")
    _enter_core(page, "36.2")
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
    expect(page.get_by_test_id("last-result")).to_have_attribute("data-outcome", "cleared")
    check = desk.the_check()
    assert check["outcome"] == "cleared" and check["celsius"] == 36.2
    assert [t["mode"] for t in check["data"]["temperatures"]] == ["body", "core"]
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("desk", ["desk-7"], indirect=True)
def test_a_cold_screening_asks_for_a_core_temperature_and_admit_is_refused(
    stack: Stack, desk: Desk, open_dash: OpenDash, shot: Any
) -> None:
    page = _open(open_dash, desk, lang="en")
    _arrive(desk, 34.8)  # a result, but too cold to clear on screening
    temp = page.get_by_test_id("step-temperature")
    expect(temp).to_have_attribute("data-status", "active")
    expect(temp).to_contain_text("core temperature needed")
    expect(page.get_by_test_id("core-entry")).to_contain_text("below 35")
    expect(page.get_by_test_id("step-outcome")).to_have_attribute("data-status", "pending")
    shot(page, "desk-core-needed-1024x600")
    # no "admit" or "items held" while the node waits for a core temperature (it would refuse)
    expect(page.get_by_test_id("outcome-admit")).to_have_count(0)
    expect(page.get_by_test_id("outcome-held")).to_have_count(0)
    expect(page.get_by_test_id("outcome-refuse")).to_be_visible()
    _enter_core(page, "34.8")
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
    expect(page.get_by_test_id("last-result")).to_have_attribute(
        "data-outcome", "hypothermia_referral"
    )
    check = desk.the_check()
    assert check["outcome"] == "hypothermia_referral" and check["wand"] is None
    assert stack.api.get("/api/v1/events", site=SITE, node=desk.node, kind="metal")["items"] == []
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("desk", "opens", "field", "typed", "sends", "outcome"),
    [
        ("desk-8", None, "core-input", "34.6", "core-submit", "hypothermia_referral"),
        ("desk-9", "outcome-refuse", "refuse-note", "拒绝 declined", "refuse-confirm", "refused"),
    ],
    indirect=["desk"],
)
def test_what_the_operator_types_survives_a_live_update_of_the_card(
    stack: Stack,
    desk: Desk,
    open_dash: OpenDash,
    opens: str | None,
    field: str,
    typed: str,
    sends: str,
    outcome: str,
) -> None:
    page = _open(open_dash, desk, lang="en")
    _arrive(desk, 34.8)  # too cold to clear: the card asks for a core temperature
    expect(page.get_by_test_id("core-entry")).to_contain_text("below 35")
    if opens:
        page.get_by_test_id(opens).click()
    box = page.get_by_test_id(field)
    box.fill(typed)
    typed_in = box.element_handle()
    # the node's word changes while the operator types: the card is drawn again
    desk.app.thermometer.person(34.9)
    page.wait_for_function("el => !el.isConnected", arg=typed_in, timeout=10_000)
    expect(box).to_have_value(typed)
    expect(box).to_be_focused()
    page.get_by_test_id(sends).click()
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
    check = desk.the_check()
    assert check["outcome"] == outcome
    assert typed in json.dumps(check, ensure_ascii=False)
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("desk", ["desk-3"], indirect=True)
def test_a_refused_command_shows_the_nodes_reason_then_refusal_with_a_note(
    stack: Stack, desk: Desk, open_dash: OpenDash
) -> None:
    page = _open(open_dash, desk)
    desk.app.gate.walk("in")
    expect(page.get_by_test_id("step-temperature")).to_have_attribute("data-status", "active")

    # the first command names a check the node does not have: the node refuses it
    def wrong_check(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["args"]["check_id"] = "no-such-check"
        route.continue_(post_data=json.dumps(body))

    commands = f"**/api/v1/nodes/{SITE}/{desk.node}/commands"
    page.route(commands, wrong_check)
    page.get_by_test_id("outcome-refuse").click()
    page.get_by_test_id("refuse-confirm").click()
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "error")
    expect(page.get_by_test_id("ack")).to_contain_text("no-such-check")
    expect(page.get_by_test_id("step-temperature")).to_have_attribute("data-status", "active")
    page.unroute(commands)

    page.get_by_test_id("outcome-refuse").click()
    page.get_by_test_id("refuse-note").fill("拒绝检查")
    page.get_by_test_id("refuse-confirm").click()
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
    expect(page.get_by_test_id("last-result")).to_have_attribute("data-outcome", "refused")
    check = desk.the_check()
    assert check["outcome"] == "refused" and check["data"]["note"] == "拒绝检查"
    refused = [c for c in _commands(stack, desk.node) if c[0] == "outcome" and c[1] == 0]
    assert len(refused) == 1 and "no-such-check" in refused[0][2]

    before = desk.app.signals.releases  # type: ignore[attr-defined]
    page.get_by_test_id("release-gate").click()
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
    assert desk.app.signals.releases == before + 1  # type: ignore[attr-defined]
    assert page.errors == []  # type: ignore[attr-defined]


def _box(page: Any, testid: str) -> dict[str, float]:
    """The element's box; retried because a live update may re-render it meanwhile."""
    for _ in range(20):
        box = page.get_by_test_id(testid).bounding_box()
        if box is not None:
            return dict(box)
        page.wait_for_timeout(50)
    raise AssertionError(f"{testid} not on the page")


def _commands(stack: Stack, node: str) -> list[tuple[str, int | None, str | None]]:
    db = connect(stack.db_path)
    try:
        return [
            (r[0], r[1], r[2])
            for r in db.execute(
                "SELECT action, ok, error FROM commands WHERE site=? AND node=? ORDER BY sent_at",
                (SITE, node),
            ).fetchall()
        ]
    finally:
        db.conn.close()


def test_desk_buttons_fit_the_1024x600_touchscreen_in_both_languages(
    stack: Stack, tmp_path: Path, open_dash: OpenDash
) -> None:
    buttons = ("wand-clear", "wand-metal", "core-submit", "outcome-refuse")
    with contextlib.ExitStack() as others, Desk(stack, "desk-4", tmp_path) as desk:
        # a large station: eight more intake nodes, whose tabs must not push the card down
        for n in range(8):
            others.enter_context(Desk(stack, f"gate-{n}", tmp_path))
        page = _open(open_dash, desk)
        expect(page.locator('[role="tablist"] [data-node]')).to_have_count(
            len(stack.api.get("/api/v1/desk/active")["nodes"])
        )
        _arrive(desk, 33.0, alarm=True)  # the most crowded card: wand + core entry + outcome
        for lang in ("zh-CN", "en"):
            page.get_by_test_id("lang").select_option(lang)
            page.wait_for_selector('section[data-page="desk"][data-ready="1"]')
            expect(page.get_by_test_id("step-temperature")).to_contain_text("33.0")
            expect(page.get_by_test_id("core-entry")).to_have_class(re.compile("prompt"))
            for testid in buttons:
                # fully on screen (the assertion retries across the page's re-renders)
                expect(page.get_by_test_id(testid)).to_be_in_viewport(ratio=1)
                box = _box(page, testid)
                assert box["x"] >= 0 and box["x"] + box["width"] <= 1024, (lang, testid)
                assert box["y"] >= 0 and box["y"] + box["height"] <= 600, (lang, testid, box)
                assert box["height"] >= 48, (lang, testid, box)  # touch target
            release = _box(page, "release-gate")
            assert release["height"] >= 44 and release["width"] >= 44, (lang, release)
            # the outcome buttons only when they apply: not while a temperature is missing
            expect(page.get_by_test_id("outcome-admit")).to_have_count(0)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1024, lang
        # Enter in the core field records it
        page.get_by_test_id("core-input").fill("36.4")
        page.get_by_test_id("core-input").press("Enter")
        expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
        expect(page.get_by_test_id("step-temperature")).to_contain_text("36.4")
        # a double tap sends one command: the second tap comes while the first is on its way
        page.evaluate(
            "() => { const b = document.querySelector('[data-testid=wand-clear]');"
            " b.click(); b.click(); }"
        )
        expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
        expect(page.get_by_test_id("last-result")).to_have_attribute("data-outcome", "cleared")
        sent = [c[0] for c in _commands(stack, desk.node)]
        assert sent == ["core_temperature", "wand_result"]
        expect(page.get_by_test_id("desk-offline")).to_have_count(0)
    # the node has stopped: the card says so at once
    expect(page.get_by_test_id("desk-node-state")).to_have_text("Offline")
    expect(page.get_by_test_id("desk-offline")).to_contain_text("desk keypad")


@pytest.mark.parametrize("desk", ["desk-5"], indirect=True)
def test_each_arrival_starts_a_clean_card_and_a_fever_is_never_admitted(
    stack: Stack, desk: Desk, open_dash: OpenDash, shot: Any
) -> None:
    page = _open(open_dash, desk)
    _arrive(desk, 36.6, alarm=True)
    expect(page.get_by_test_id("step-wand")).to_have_attribute("data-status", "active")
    page.get_by_test_id("wand-clear").click()
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "ok")
    expect(page.get_by_test_id("ack")).to_contain_text("未发现金属")
    expect(page.get_by_test_id("last-result")).to_have_attribute("data-outcome", "cleared")

    # the next person: nothing of the previous one on the card
    desk.app.gate.walk("in", alarm=True)
    expect(page.get_by_test_id("step-wand")).to_have_attribute("data-status", "active")
    expect(page.get_by_test_id("ack")).to_have_attribute("data-ack", "none")
    expect(page.get_by_test_id("ack")).to_have_text("")
    expect(page.get_by_test_id("last-result")).to_have_count(0)

    # a fever while the wand is still to do: "items held" applies, "admit" never does
    desk.app.thermometer.person(38.6)
    expect(page.get_by_test_id("fever-note")).to_contain_text("38.6")
    expect(page.get_by_test_id("outcome-held")).to_be_visible()
    expect(page.get_by_test_id("outcome-admit")).to_have_count(0)
    shot(page, "desk-fever-1024x600")
    page.get_by_test_id("wand-clear").click()
    expect(page.get_by_test_id("last-result")).to_have_attribute("data-outcome", "fever_referral")

    # the check's detail reads in Chinese: no raw "in", "body", "fever_referral"
    wait_for(lambda: len(desk.checks()) == 2, 10, "both checks stored")
    row = page.locator('[data-testid="today-row"][data-outcome="fever_referral"]')
    row.click()
    timeline = page.get_by_test_id("check-timeline").inner_text()
    assert "进站" in timeline and "筛查体温" in timeline and "发热" in timeline, timeline
    for raw in ("fever_referral", " in\n", "body", "clear"):
        assert raw not in timeline + "\n", (raw, timeline)
    assert page.errors == []  # type: ignore[attr-defined]
