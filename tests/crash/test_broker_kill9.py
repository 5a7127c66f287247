"""The broker SIGKILLed three times while the gateway is down and events keep coming: every
event still reaches the gateway's database exactly once (counted by id and by seq).

Mosquitto saves its queue only every `autosave_interval` (30 s in the shipped config), so
each kill here throws away everything it had acknowledged since its last save; before the
end-to-end acknowledgement the node had already deleted those events (found: 370 of 1,316
lost). Now the node keeps each one until the gateway's stored-ack and sends it again after
reconnecting to the restarted broker.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.support.e2e import confirming_agent, stored_counts
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway

pytestmark = pytest.mark.broker

EVENTS = 1200
KILLS = 3
SEED = 11


def test_three_broker_kills_while_the_gateway_is_down_lose_and_duplicate_nothing(
    broker: Broker, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    db = tmp_path / "gw.db"
    with gateway(broker, db):
        pass  # the gateway's persistent session exists; the gateway is down from here on
    broker.restart()  # SIGTERM saves that session, as a broker running for a while has
    agent = confirming_agent(broker, "s1", "desk-1", tmp_path / "outbox.db")
    kill_after = sorted(rng.sample(range(150, EVENTS - 150), KILLS))
    started = time.monotonic()
    agent.start()
    try:
        wait_for(lambda: agent.bus.connected, 10, "node connected")
        for i in range(1, EVENTS + 1):
            agent.emit("door", {"door": "front", "open": i % 2 == 0})
            if i % 50 == 0:
                time.sleep(0.05)  # ~1,000 events/s: traffic flows between the kills
            if kill_after and i == kill_after[0]:
                kill_after.pop(0)
                # the broker has acknowledged most of them: the old node deleted those now
                wait_for(lambda n=i: agent.publisher.acknowledged >= n - 100, 10, "PUBACKs")
                broker.kill()
                broker.start()
        wait_for(lambda: agent.publisher.acknowledged >= EVENTS, 30, "broker has them all")
        held = agent.outbox.depth
        with gateway(broker, db) as (gw, _api):
            back = time.monotonic()
            wait_for(lambda: agent.outbox.depth == 0, 90, "outbox drained by stored-acks")
            drained_s = time.monotonic() - back
            duplicates = gw.metrics.duplicates._value.get()
    finally:
        agent.stop()
    counts = stored_counts(db, "s1", "desk-1")
    rounds = getattr(agent.publisher, "resend_rounds", 0)  # (absent before v1.1)
    report = (
        f"{EVENTS} events, {KILLS} broker SIGKILLs with the gateway down; node held {held} "
        f"until the gateway was back; stored {counts.rows} rows / {counts.ids} ids; "
        f"{duplicates:.0f} re-sends absorbed; {rounds} re-send rounds; "
        f"drained {drained_s:.1f} s after the gateway came back; "
        f"{time.monotonic() - started:.1f} s in all"
    )
    print(report)
    assert held == EVENTS, report  # nothing confirmed while the gateway was away
    assert counts.exactly_once(EVENTS), report
