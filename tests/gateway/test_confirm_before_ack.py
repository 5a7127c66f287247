"""The ingest subscriber hands a batch's stored-ack to paho before the batch's PUBACKs.

paho sends its packets in order, so a gateway killed between the two leaves the batch
unacknowledged and the broker redelivers it (stored once, confirmed again). In the other
order a kill there lost the confirmation for good: the node kept those events until its
re-send round 30 s later (a CI run of tests/test_gateway_crash.py waited for it in vain).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from devices.contract import codec, topics
from devices.contract.broker_url import BrokerUrl
from gateway.ingest.subscriber import GatewaySubscriber
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store


def test_the_stored_ack_goes_out_before_the_broker_acknowledgement(tmp_path: Path) -> None:
    writer = IngestWriter(open_store(tmp_path / "gw.db"))
    sub = GatewaySubscriber(BrokerUrl("127.0.0.1", 1, False), writer)  # never started
    sent: list[tuple[str, object]] = []
    sub.client.publish = lambda topic, payload, qos=0, retain=False: sent.append(  # type: ignore[method-assign,assignment]
        ("publish", topic)
    )
    sub.client.ack = lambda mid, qos: sent.append(("ack", mid))  # type: ignore[method-assign]
    env = codec.make_event(
        "door", site="s1", node="desk-1", seq=1, data={"door": "front", "open": True}
    )
    msg = Incoming(topics.event("s1", "desk-1", "door"), codec.encode(env), datetime.now(UTC))

    sub._commit([(msg, 7, 1)])

    assert sent == [("publish", topics.stored("s1", "desk-1")), ("ack", 7)]
