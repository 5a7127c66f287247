"""Fuzzing the gateway's input side with hypothesis: the codec on mutated valid envelopes, and
the whole ingest writer on arbitrary topic/payload batches. Whatever a node (or anyone with
broker credentials) sends, ingestion must neither raise nor stall: bad input is dead-lettered.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.contract import codec, topics
from devices.contract.errors import ContractError
from devices.contract.models import Heartbeat, Status
from firmware_py.sim import simulated_check
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store

pytestmark = pytest.mark.slow  # thousands of generated envelopes through the writer

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
    max_leaves=15,
)


def _valid_envelopes() -> list[dict[str, Any]]:
    rng = random.Random(5)
    made = [
        codec.make_event("check", site="s1", node="desk-1", seq=1, data=simulated_check(rng)),
        codec.make_event(
            "door", site="s1", node="desk-1", seq=2, data={"door": "main", "open": True}
        ),
        codec.make_event(
            "manual",
            site="s1",
            node="desk-1",
            seq=3,
            data={"category": "missing_person", "description": "room 3 empty at 02:10"},
        ),
    ]
    return [json.loads(codec.encode(e)) for e in made]


ENVELOPES = _valid_envelopes()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_envelope(draw: st.DrawFn) -> bytes:
    env = json.loads(json.dumps(draw(st.sampled_from(ENVELOPES))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(env)[1:]))
        parent = env
        for p in path[:-1]:
            parent = parent[p]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(JSON)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(JSON)
    return json.dumps(env, ensure_ascii=draw(st.booleans())).encode()


@settings(max_examples=400, deadline=None)
@given(mutated_envelope())
def test_mutated_envelopes_decode_or_are_rejected_with_a_reason(payload: bytes) -> None:
    try:
        event = codec.decode_event(payload)
    except ContractError as exc:
        assert exc.reason in {"bad_json", "bad_schema", "unknown_kind", "too_large"}
        return
    again = codec.decode_event(codec.encode(event))  # what we accept, we can store and resend
    assert again == event


TOPIC = st.one_of(
    st.sampled_from(
        [
            topics.event("s1", "desk-1", "check"),
            topics.event("s1", "desk-1", "door"),
            topics.status("s1", "desk-1"),
            topics.heartbeat("s1", "desk-1"),
            topics.ack("s1", "desk-1"),
            "stationkit/v1/s1/desk-1/event/#",
            "stationkit/v1/S1/desk-1/status",
        ]
    ),
    st.text(max_size=60).map(lambda t: "stationkit/v1/" + t),
)
PAYLOAD = st.one_of(
    mutated_envelope(),
    st.binary(max_size=300),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([json.dumps(e).encode() for e in ENVELOPES]),
)


def _batch_item(topic: str, payload: bytes) -> Incoming:
    return Incoming(topic, payload, datetime.now(UTC))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(TOPIC, PAYLOAD), min_size=1, max_size=8))
def test_ingest_never_raises_and_accounts_for_every_event(
    batch: list[tuple[str, bytes]],
) -> None:
    db = open_store(":memory:")
    writer = IngestWriter(db)
    writer.store_batch([_batch_item(t, p) for t, p in batch])
    (events,) = db.execute("SELECT count(*) FROM events").fetchone()
    (dead,) = db.execute("SELECT count(*) FROM deadletters").fetchone()
    assert events + dead <= len(batch)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


DEEP = b"[" * 5000 + b"]" * 5000


@pytest.mark.parametrize("model", [Status, Heartbeat])
def test_deeply_nested_json_is_rejected_not_raised(model: type[Any]) -> None:
    with pytest.raises(ContractError):
        codec.decode(model, DEEP)


def test_a_deeply_nested_heartbeat_does_not_stall_ingestion() -> None:
    db = open_store(":memory:")
    writer = IngestWriter(db)
    good = json.dumps(ENVELOPES[1]).encode()
    writer.store_batch(
        [
            _batch_item(topics.heartbeat("s1", "desk-1"), DEEP),
            _batch_item(topics.event("s1", "desk-1", "door"), good),
        ]
    )
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM deadletters").fetchone()[0] == 1


def test_an_unexpected_error_in_a_handler_dead_letters_that_message_only() -> None:
    db = open_store(":memory:")
    writer = IngestWriter(db)

    class BrokenMedia:
        def save(self, site: str, node: str, event_id: str, payload: bytes) -> None:
            raise ValueError("decoder bug")

        park = save

        def adopt(self, site: str, node: str, event_id: str) -> None:
            return None

    writer.media = BrokenMedia()
    good = json.dumps(ENVELOPES[1]).encode()
    writer.store_batch(
        [
            _batch_item(topics.media("s1", "desk-1", codec.new_id()), b"\xff\xd8jpeg"),
            _batch_item(topics.event("s1", "desk-1", "door"), good),
        ]
    )
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    reason, detail = db.execute("SELECT reason, detail FROM deadletters").fetchone()
    assert (reason, detail) == ("internal_error", "ValueError: decoder bug")
