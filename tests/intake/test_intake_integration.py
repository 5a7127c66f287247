"""The issue's end-to-end run: a simulated intake node — real drivers on MockFactory pins
and a pseudo-terminal thermometer line — plays 200 scripted arrivals (fevers, gate alarms
with and without wand results, walk-pasts, re-measures, hypothermia, refusals, outbound
passages, an unplug/replug mid-check) through the node agent and a real Mosquitto into
the gateway, which must end with exactly the expected 200 checks and outcomes. Dashboard
actions travel as `cmd` messages and are acknowledged, as from the desk page."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from firmware_py.intake.scenario import play, script
from tests.intake.pty_desk import wrong_outcomes
from tests.intake.stack import NODE, desk_stack
from tests.support.mosquitto import Broker
from tests.support.net import wait_for

pytestmark = pytest.mark.broker

N = 200


@pytest.mark.timeout(300)  # 200 arrivals: about 70 s alone, twice that on a busy CI machine
def test_200_arrivals_reach_the_gateway_with_the_expected_outcomes(
    broker: Broker, tmp_path: Path
) -> None:
    arrivals = script(2026, N, unplug_at=N // 2)
    with desk_stack(broker, tmp_path) as (desk, api, send, agent):
        t0 = time.monotonic()
        for a in arrivals:
            play(a, desk, desk.app, send=send)
        played_s = time.monotonic() - t0
        wait_for(lambda: agent.outbox.depth == 0, 15, "outbox drained")
        wait_for(lambda: len(api.all("/api/v1/checks", node=NODE)) >= N, 30, f"{N} checks stored")
        checks = sorted(api.all("/api/v1/checks", node=NODE), key=lambda c: c["started_at"])
        assert len(checks) == N
        got = [c["outcome"] for c in checks]
        diff = wrong_outcomes(arrivals, got)
        assert not diff, diff[:10]
        assert len({c["check_id"] for c in checks}) == N
        for a, c in zip(arrivals, checks, strict=True):
            if a.kind == "alarm_metal":
                assert c["items_held"] == list(a.items)
            if a.kind in ("alarm_clear", "alarm_metal", "alarm_no_wand"):
                assert c["gate_alarm"] in (True, 1)
        # the unplug mid-check was seen by the gateway as a fault and a recovery
        faults = api.all("/api/v1/events", node=NODE, kind="fault")
        assert sorted(f["data"]["state"] for f in faults) == ["fault", "ok"]
        # outbound passages were recorded as gate events but made no check
        gate_events = api.all("/api/v1/events", node=NODE, kind="gate")
        outbound = [g for g in gate_events if g["data"].get("direction") == "out"]
        assert len(outbound) == sum(a.outbound_before for a in arrivals)
        nodes = api.get("/api/v1/nodes")["items"]
        assert [(n["node"], n["lost"]) for n in nodes] == [(NODE, 0)]
        print(
            f"\n{N} arrivals in {played_s:.1f} s; outcomes {dict(Counter(got))}",
        )
