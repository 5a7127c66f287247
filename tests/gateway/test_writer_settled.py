"""What a committed batch settles for the end-to-end acknowledgement: a node's own events
(new or re-sent), never another node's event id, never a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from devices.contract import codec, topics
from devices.contract.models import Envelope
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store


def _msg(env: Envelope) -> Incoming:
    return Incoming(
        topics.event(env.site, env.node, env.kind), codec.encode(env), datetime.now(UTC)
    )


def _door(node: str, seq: int) -> Envelope:
    return codec.make_event(
        "door", site="s1", node=node, seq=seq, data={"door": "front", "open": True}
    )


def test_new_and_resent_events_are_settled_per_node(tmp_path: Path) -> None:
    writer = IngestWriter(open_store(tmp_path / "gw.db"))
    a1, a2, b1 = _door("desk-1", 1), _door("desk-1", 2), _door("desk-2", 1)
    assert writer.store_batch([_msg(a1), _msg(b1)]) == {
        ("s1", "desk-1"): [1],
        ("s1", "desk-2"): [1],
    }
    # a1 again (the node re-sent it: its stored-ack was lost) is settled again, with a2
    assert writer.store_batch([_msg(a1), _msg(a2)]) == {("s1", "desk-1"): [1, 2]}


def test_another_nodes_event_id_and_dead_letters_are_not_settled(tmp_path: Path) -> None:
    writer = IngestWriter(open_store(tmp_path / "gw.db"))
    real = _door("desk-1", 5)
    stolen = real.model_copy(update={"node": "desk-2", "seq": 9})  # desk-2 forges desk-1's id
    assert writer.store_batch([_msg(stolen)]) == {("s1", "desk-2"): [9]}
    # desk-1's real event now looks like a duplicate; it must not be confirmed to desk-1,
    # which keeps it (and re-sends it) instead of deleting an event the gateway never stored
    assert writer.store_batch([_msg(real)]) == {}
    bad = Incoming(topics.event("s1", "desk-1", "door"), b'{"v": 1, "seq": 6}', datetime.now(UTC))
    assert writer.store_batch([bad]) == {}
