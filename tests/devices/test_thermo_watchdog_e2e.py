"""A silent thermometer seen end to end: the intake node's GY-MCU90614 on a pseudo-terminal
goes quiet (adapter still plugged in), and within its configured watchdog the device is
"fault" on the node, in a fault event and in the gateway's nodes API — through a real
Mosquitto and gateway — then "ok" again when the module talks. Found by issue 12: the
device stayed "ok" and every arrival was recorded as "walked past?"."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devices.thermo.sim import GyModuleSimulator
from tests.intake.pty_desk import PtyDesk
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway, node_agent

pytestmark = pytest.mark.broker

SITE, NODE = "fuling-station", "desk-1"


def test_silent_thermometer_is_a_fault_in_the_gateway(broker: Broker, tmp_path: Path) -> None:
    desk = PtyDesk(tmp_path)
    timeout_s = desk.config.devices.thermometer.data_timeout_s  # type: ignore[union-attr]
    assert timeout_s == 3.0  # the GY default, as a site gets it
    app = desk.make_app()
    with gateway(broker, tmp_path / "gw.db") as (_gw, api):
        agent = node_agent(broker, SITE, NODE, tmp_path / "outbox.db", apps=[app], heartbeat_s=0.5)
        agent.start()
        try:
            wait_for(lambda: agent.bus.connected, 10, "node connected")
            desk.ready()

            def gateway_sees(state: str) -> bool:
                nodes = api.get("/api/v1/nodes")["items"]
                return any(n["devices"].get("thermo-1") == state for n in nodes)

            wait_for(lambda: gateway_sees("ok"), 10, "gateway sees thermo-1 ok")
            desk.thermo_sim.close()  # the module loses power; the adapter stays
            t0 = time.monotonic()
            wait_for(lambda: app.devices()["thermo-1"] == "fault", timeout_s + 2, "node fault")
            took = time.monotonic() - t0
            assert timeout_s - 0.2 <= took <= timeout_s + 0.5, took
            wait_for(lambda: gateway_sees("fault"), 10, "gateway sees thermo-1 fault")
            [fault] = api.all("/api/v1/events", node=NODE, kind="fault")
            error = fault["data"]["error"]
            assert fault["device"] == "thermo-1" and fault["data"]["state"] == "fault"
            assert desk.modem.host_path in error and "sends nothing for 3 s" in error, error
            assert "115200 baud" in error, error

            desk.thermo_sim = GyModuleSimulator(
                desk.modem.device_path, rate_hz=200, baudrate=115200
            )
            wait_for(lambda: gateway_sees("ok"), 10, "gateway sees thermo-1 ok again")
            states = [f["data"]["state"] for f in api.all("/api/v1/events", kind="fault")]
            assert sorted(states) == ["fault", "ok"]
            print(f"\nsilent thermometer: node fault after {took:.2f} s (watchdog {timeout_s} s)")
        finally:
            agent.stop()
            desk.close()
