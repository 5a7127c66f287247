"""The intake desk in a real stack: a pty/mock-pin desk (tests/intake/pty_desk.py) in a node
agent, a gateway on the test's Mosquitto, and a commander sending desk-page commands."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from devices.contract import codec, topics
from devices.contract.models import Ack, Command
from firmware_py.agent import NodeAgent
from tests.intake.pty_desk import PtyDesk
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import Api, gateway, node_agent

SITE, NODE = "fuling-station", "desk-1"


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


@contextmanager
def desk_stack(
    broker: Broker, tmp: Path, **overrides: Any
) -> Iterator[tuple[PtyDesk, Api, Commander, NodeAgent]]:
    """A pty/mock-pin desk in a node agent, a gateway, and a commander (the desk page)."""
    desk = PtyDesk(tmp, **overrides)
    app = desk.make_app()
    with gateway(broker, tmp / "gw.db") as (_gw, api):
        agent = node_agent(broker, SITE, NODE, tmp / "outbox.db", apps=[app])
        agent.start()
        send = Commander(broker)
        try:
            wait_for(lambda: agent.bus.connected, 10, "node connected")
            desk.ready()
            yield desk, api, send, agent
        finally:
            send.close()
            agent.stop()
            desk.close()
