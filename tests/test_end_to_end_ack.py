"""End-to-end acknowledgement on a real Mosquitto with the project's config: the node keeps
every event until the gateway says it is stored, whatever the broker acknowledged."""

from __future__ import annotations

import json
import threading
import time
from contextlib import closing
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from firmware_py.agent import NodeAgent
from tests.support.e2e import confirming_agent, stored_counts
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import connected, gateway

pytestmark = pytest.mark.broker

N = 50


def emit_doors(agent: NodeAgent, door: str) -> None:
    """N door events, open and closed by turns."""
    for i in range(N):
        agent.emit("door", {"door": door, "open": i % 2 == 0})


def resending_agent(broker: Broker, tmp_path: Path, resend_max_s: float) -> NodeAgent:
    """Re-sends unconfirmed events 10 a round, from 1 s (backing off up to `resend_max_s`);
    its outbox is in fault after 2 s without a confirmation."""
    return confirming_agent(
        broker,
        "s1",
        "desk-1",
        tmp_path / "outbox.db",
        resend_after_s=1,
        resend_max_s=resend_max_s,
        resend_batch=10,
        unconfirmed_fault_s=2,
    )


def test_node_keeps_events_the_broker_acknowledged_until_the_gateway_stored_them(
    broker: Broker, tmp_path: Path
) -> None:
    db = tmp_path / "gw.db"
    with gateway(broker, db):
        pass  # the gateway's persistent session exists; now the gateway is down
    agent = confirming_agent(broker, "s1", "desk-1", tmp_path / "outbox.db")
    with connected(agent):
        emit_doors(agent, "front")
        wait_for(lambda: agent.publisher.acknowledged >= N, 10, "broker acknowledged all")
        time.sleep(1.0)
        # The broker has them all, the gateway none: the node must still hold every one.
        assert agent.outbox.depth == N
        assert agent.heartbeat().outbox == N  # the heartbeat reports the unconfirmed depth
        with gateway(broker, db) as (gw, _api):
            wait_for(lambda: agent.outbox.depth == 0, 20, "outbox drained by stored-acks")
            assert gw.subscriber.confirmed >= N
        assert agent.publisher.confirmed == N
    counts = stored_counts(db, "s1", "desk-1")
    assert counts.exactly_once(N), counts


def test_events_the_broker_lost_are_sent_again_and_stored_once(
    broker: Broker, tmp_path: Path
) -> None:
    """Broker killed (no save) while the gateway is away: its queue is gone; the node's
    reconnect re-send puts the events back and the gateway stores each once."""
    db = tmp_path / "gw.db"
    with gateway(broker, db):
        pass
    broker.restart()  # saves the gateway's session, as any broker running for a while has
    agent = confirming_agent(broker, "s1", "desk-1", tmp_path / "outbox.db")
    with connected(agent):
        emit_doors(agent, "front")
        wait_for(lambda: agent.publisher.acknowledged >= N, 10, "broker acknowledged all")
        broker.kill()
        broker.start()
        with gateway(broker, db):
            wait_for(lambda: agent.outbox.depth == 0, 30, "outbox drained by stored-acks")
    counts = stored_counts(db, "s1", "desk-1")
    assert counts.exactly_once(N), counts


class OldGateway:
    """A v1.0 gateway as far as a node can tell: reads every event, never sends a stored-ack."""

    def __init__(self, broker: Broker) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()
        user = "old-gateway"
        password = broker.users.get(user) or broker.add_user(user)
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=user)
        self.c.username_pw_set(user, password)
        self.c.on_message = self._on_message
        self.c.connect("127.0.0.1", broker.port)
        self.c.subscribe("stationkit/v1/+/+/event/+", qos=1)
        self.c.loop_start()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.ids.append(json.loads(msg.payload)["id"])

    def distinct(self) -> int:
        with self.lock:
            return len(set(self.ids))

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def test_with_a_gateway_that_never_confirms_new_events_flow_and_the_node_reports_a_fault(
    broker: Broker, tmp_path: Path
) -> None:
    agent = resending_agent(broker, tmp_path, resend_max_s=1)
    with closing(OldGateway(broker)) as old, connected(agent):
        emit_doors(agent, "front")
        wait_for(lambda: old.distinct() == N, 10, "old gateway got the first events")
        time.sleep(2.5)  # re-send rounds run (10 events each) and find no confirmation
        assert agent.publisher.resend_rounds >= 2
        emit_doors(agent, "back")
        # new events are not held back behind the unconfirmed ones
        wait_for(lambda: old.distinct() == 2 * N, 10, "old gateway got the new events")
        assert agent.outbox.depth == 2 * N  # all kept: nobody said they are stored
        assert agent.devices()["outbox"] == "fault"  # and the node says so
        with old.lock:  # re-sends are bounded by the round size
            assert len(old.ids) <= 2 * N + 10 * (agent.publisher.resend_rounds + 1)


def test_broker_confirmation_mode_for_old_gateways_deletes_on_puback(
    broker: Broker, tmp_path: Path
) -> None:
    agent = confirming_agent(broker, "s1", "desk-1", tmp_path / "outbox.db", confirm="broker")
    with closing(OldGateway(broker)) as old, connected(agent):
        emit_doors(agent, "front")
        wait_for(lambda: agent.outbox.depth == 0, 10, "outbox emptied by PUBACKs")
        wait_for(lambda: old.distinct() == N, 10, "old gateway got them")
        assert "outbox" not in agent.devices()


def test_a_full_outbox_that_nobody_confirms_keeps_its_fault_and_its_backoff(
    broker: Broker, tmp_path: Path
) -> None:
    """The bounds dropping the oldest events move the outbox's head, but that is no progress."""
    agent = resending_agent(broker, tmp_path, resend_max_s=60)
    agent.outbox.max_events = 20
    with closing(OldGateway(broker)), connected(agent):
        deadline = time.monotonic() + 4.5
        while time.monotonic() < deadline:  # a steady trickle: each event drops the oldest
            agent.emit("door", {"door": "front", "open": True})
            time.sleep(0.05)
        assert agent.outbox.depth == 20 and agent.outbox.dropped > 0
        assert agent.devices()["outbox"] == "fault"
        # backoff 1, 2, 4 s ...: at most three rounds in 4.5 s (a reset each drop: ~4)
        assert 1 <= agent.publisher.resend_rounds <= 3, agent.publisher.resend_rounds
