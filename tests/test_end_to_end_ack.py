"""End-to-end acknowledgement on a real Mosquitto with the project's config: the node keeps
every event until the gateway says it is stored, whatever the broker acknowledged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.e2e import confirming_agent, stored_counts
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway

pytestmark = pytest.mark.integration

N = 50


def test_node_keeps_events_the_broker_acknowledged_until_the_gateway_stored_them(
    broker: Broker, tmp_path: Path
) -> None:
    db = tmp_path / "gw.db"
    with gateway(broker, db):
        pass  # the gateway's persistent session exists; now the gateway is down
    agent = confirming_agent(broker, "s1", "desk-1", tmp_path / "outbox.db")
    agent.start()
    try:
        wait_for(lambda: agent.bus.connected, 10, "node connected")
        for i in range(N):
            agent.emit("door", {"door": "front", "open": i % 2 == 0})
        wait_for(lambda: agent.publisher.acknowledged >= N, 10, "broker acknowledged all")
        time.sleep(1.0)
        # The broker has them all, the gateway none: the node must still hold every one.
        assert agent.outbox.depth == N
        assert agent.heartbeat().outbox == N  # the heartbeat reports the unconfirmed depth
        with gateway(broker, db) as (gw, _api):
            wait_for(lambda: agent.outbox.depth == 0, 20, "outbox drained by stored-acks")
            assert gw.subscriber.confirmed >= N
        assert agent.publisher.confirmed == N
    finally:
        agent.stop()
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
    agent.start()
    try:
        wait_for(lambda: agent.bus.connected, 10, "node connected")
        for i in range(N):
            agent.emit("door", {"door": "front", "open": i % 2 == 0})
        wait_for(lambda: agent.publisher.acknowledged >= N, 10, "broker acknowledged all")
        broker.kill()
        broker.start()
        with gateway(broker, db):
            wait_for(lambda: agent.outbox.depth == 0, 30, "outbox drained by stored-acks")
    finally:
        agent.stop()
    counts = stored_counts(db, "s1", "desk-1")
    assert counts.exactly_once(N), counts
