"""The nodes page in a real browser: a node's online state, devices and faults update live,
and a node going offline shows without a reload; read-only for every role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from firmware_py.intake.app import IntakeApp
from firmware_py.intake.config import IntakeConfig
from tests.dashboard.conftest import OpenDash, Stack
from tests.support.net import wait_for
from tests.support.stack import node_agent


def test_node_fault_and_going_offline_show_live(
    stack: Stack, open_dash: OpenDash, tmp_path: Path, shot: Any
) -> None:
    app = IntakeApp(IntakeConfig(operator="n"))
    agent = node_agent(stack.broker, "st-n", "desk-9", tmp_path / "o.db", apps=[app], heartbeat_s=1)
    agent.start()
    stopped = False
    try:
        wait_for(
            lambda: any(
                n["node"] == "desk-9" and n["devices"]
                for n in stack.api.get("/api/v1/nodes")["items"]
            ),
            10,
            "node with devices",
        )
        page = open_dash("bureau", "nodes", viewport=(1440, 900))
        row = page.locator('[data-testid="node-row"][data-node="st-n/desk-9"]')
        expect(row).to_have_attribute("data-state", "online")
        expect(row.get_by_test_id("node-state")).to_have_text("在线")
        expect(row.locator('[data-device="thermo-1"]')).to_have_attribute("data-device-state", "ok")
        expect(page.locator("button.btn.big")).to_have_count(0)  # read-only
        app.thermometer.unplug()  # type: ignore[attr-defined]
        gate = row.locator('[data-device="thermo-1"]')
        expect(gate).to_have_attribute("data-device-state", "fault", timeout=4000)
        expect(page.get_by_test_id("nodes-faults")).to_contain_text("1")
        shot(page, "nodes-fault-1440x900")
        app.thermometer.replug()  # type: ignore[attr-defined]
        expect(gate).to_have_attribute("data-device-state", "ok", timeout=4000)
        agent.stop()
        stopped = True
        expect(row).to_have_attribute("data-state", "offline", timeout=5000)
        expect(row.get_by_test_id("node-state")).to_have_text("离线")
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        if not stopped:
            agent.stop()
