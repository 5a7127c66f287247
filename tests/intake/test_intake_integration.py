"""The issue's end-to-end run: a simulated intake node — real drivers on MockFactory pins
and a pseudo-terminal thermometer line — plays 200 scripted arrivals (fevers, gate alarms
with and without wand results, walk-pasts, re-measures, hypothermia, refusals, outbound
passages, an unplug/replug mid-check) through the node agent and a real Mosquitto into
the gateway, which must end with exactly the expected 200 checks and outcomes. Dashboard
actions travel as `cmd` messages and are acknowledged, as from the desk page."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from devices.contract import codec, topics
from devices.contract.models import Ack, Command
from firmware_py.intake.scenario import play, script
from tests.intake.pty_desk import PtyDesk
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway, node_agent

pytestmark = pytest.mark.broker

SITE, NODE, N = "fuling-station", "desk-1", 200


class Commander:
    """Sends commands to the node as the gateway does and waits for each ack."""

    def __init__(self, broker: Broker) -> None:
        self.acks: dict[str, Ack] = {}
        self.cv = threading.Condition()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="desk-page-test")
        # Its own account: the broker binds client ids to usernames, so a second connection
        # as `gateway` would take the running gateway's session and they would kick each other.
        password = broker.users.get("desk-page") or broker.add_user("desk-page")
        self.c.username_pw_set("desk-page", password)
        self.c.on_message = self._on_message
        self.c.connect("127.0.0.1", broker.port)
        self.c.subscribe(topics.ack(SITE, NODE), qos=1)
        self.c.loop_start()

    def _on_message(self, _c, _u, msg) -> None:
        ack = codec.decode(Ack, msg.payload)
        with self.cv:
            self.acks[ack.id] = ack
            self.cv.notify_all()

    def __call__(self, cmd: Command) -> tuple[bool, str | None]:
        self.c.publish(topics.cmd(SITE, NODE), codec.encode(cmd), qos=1)
        with self.cv:
            assert self.cv.wait_for(lambda: cmd.id in self.acks, 5), f"no ack for {cmd.action}"
            ack = self.acks[cmd.id]
        return ack.ok, ack.error

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


@pytest.mark.timeout(300)  # 200 arrivals: about 70 s alone, twice that on a busy CI machine
def test_200_arrivals_reach_the_gateway_with_the_expected_outcomes(
    broker: Broker, tmp_path: Path
) -> None:
    desk = PtyDesk(tmp_path)
    app = desk.make_app()
    arrivals = script(2026, N, unplug_at=N // 2)
    with gateway(broker, tmp_path / "gw.db") as (_gw, api):
        agent = node_agent(broker, SITE, NODE, tmp_path / "outbox.db", apps=[app])
        agent.start()
        send = Commander(broker)
        try:
            wait_for(lambda: agent.bus.connected, 10, "node connected")
            desk.ready()
            t0 = time.monotonic()
            for a in arrivals:
                play(a, desk, app, send=send)
            played_s = time.monotonic() - t0
            wait_for(lambda: agent.outbox.depth == 0, 15, "outbox drained")
            wait_for(
                lambda: len(api.all("/api/v1/checks", node=NODE)) >= N, 30, f"{N} checks stored"
            )
            checks = sorted(api.all("/api/v1/checks", node=NODE), key=lambda c: c["started_at"])
            assert len(checks) == N
            got = [c["outcome"] for c in checks]
            want = [a.expected for a in arrivals]
            diff = [
                (i, arrivals[i].kind, g, w)
                for i, (g, w) in enumerate(zip(got, want, strict=True))
                if g != w
            ]
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
        finally:
            send.close()
            agent.stop()
            desk.close()
