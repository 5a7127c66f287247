"""The shipped test doubles (firmware_py/doubles.py) behave as the real seams do, and the
agent's intake progress (contract v1.2) seen through them: retained, coalesced, sent again on
reconnect, and never blocking the app."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.contract import codec, topics
from devices.contract.errors import ContractError
from devices.contract.models import CheckProgress, IntakeProgress
from firmware_py.agent import NodeAgent
from firmware_py.doubles import MemoryBus, RecordingContext
from firmware_py.outbox import Outbox
from tests.support.net import wait_for


def test_the_memory_bus_matches_filters_keeps_retained_and_acks_only_online() -> None:
    bus = MemoryBus()
    got: list[tuple[str, bytes]] = []
    acked: list[int] = []
    bus.on_acked = acked.append
    bus.start()
    bus.subscribe("stationkit/v1/+/desk-1/#", lambda t, p: got.append((t, p)))
    bus.publish("stationkit/v1/s1/desk-1/event/gate", b"1", qos=1)
    bus.publish("stationkit/v1/s1/desk-2/event/gate", b"2", qos=1)  # another node: not ours
    bus.publish("stationkit/v1/s1/desk-9/status", b"on", qos=1, retain=True)
    assert got == [("stationkit/v1/s1/desk-1/event/gate", b"1")] and acked == [1, 2, 3]
    late: list[str] = []
    bus.subscribe("stationkit/v1/s1/+/status", lambda t, p: late.append(p.decode()))
    assert late == ["on"]  # the retained message reaches a later subscriber
    bus.go_offline()
    mid = bus.publish("stationkit/v1/s1/desk-1/event/gate", b"3", qos=1)
    assert mid == 4 and acked == [1, 2, 3] and [m.payload for m in bus.undelivered] == [b"3"]
    assert len(got) == 1  # nothing delivered while offline


def test_the_recording_context_refuses_what_the_gateway_would_refuse() -> None:
    ctx = RecordingContext("s1", "desk-1", media=False)
    ctx.emit("temperature", {"celsius": 36.6})
    with pytest.raises(ContractError):
        ctx.emit("temperature", {"celsius": 36.6, "mode": "rectal"})  # no such mode
    with pytest.raises(ContractError):
        ctx.emit("no_such_kind", {})
    assert [d.celsius for d in ctx.data_of("temperature")] == [36.6]
    with pytest.raises(AssertionError):
        ctx.publish_media("01JD3K9Z8Y7X6W5V4T3S2R1Q0A", b"jpeg")


def _progress(n: int) -> IntakeProgress:
    checks = [
        CheckProgress(check_id=f"01JD3K9Z8Y7X6W5V4T3S2R1Q{i:02d}", started_at=datetime.now(UTC))
        for i in range(n)
    ]
    return IntakeProgress(at=datetime.now(UTC), open=checks)


def test_progress_is_retained_coalesced_and_sent_again_on_reconnect(tmp_path: Path) -> None:
    bus = MemoryBus()
    agent = NodeAgent(site="s1", node="desk-1", bus=bus, outbox=Outbox(tmp_path / "o.db"))
    topic = topics.progress("s1", "desk-1")
    agent.start()
    try:
        t0 = time.monotonic()
        for n in range(1, 6):  # a burst of steps
            agent.publish_progress(_progress(n))
        assert time.monotonic() - t0 < 0.05, "handing over progress never waits for the bus"
        wait_for(lambda: bus.retained.get(topic) is not None, 5, "progress sent")
        wait_for(
            lambda: len(codec.decode(IntakeProgress, bus.retained[topic]).open) == 5,
            5,
            "the newest progress retained",
        )
        assert len(bus.on(topic)) <= 3, "a burst is coalesced, not sent step by step"
        assert all(m.retain and m.qos == 1 for m in bus.on(topic))
        bus.go_offline()
        agent.publish_progress(_progress(2))  # while offline: kept, not lost
        time.sleep(0.6)  # more than the coalescing period: the thread has taken it
        bus.go_online()
        assert len(codec.decode(IntakeProgress, bus.retained[topic]).open) == 2
    finally:
        agent.stop()


class SlowEventsBus(MemoryBus):
    """Events take 0.3 s to go out (a busy outbox thread, a slow link); the rest does not."""

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> int:
        if "/event/" in topic:
            time.sleep(0.3)
        return super().publish(topic, payload, qos=qos, retain=retain)


def test_progress_follows_the_events_stored_before_it(tmp_path: Path) -> None:
    """A check's outcome goes out before the progress that no longer lists the check, so the
    desk never sees the check gone and its outcome not yet there (the broker keeps one
    connection's order)."""
    bus = SlowEventsBus()
    agent = NodeAgent(site="s1", node="desk-1", bus=bus, outbox=Outbox(tmp_path / "o.db"))
    topic = topics.progress("s1", "desk-1")
    agent.start()
    try:
        for n in range(1, 4):
            agent.emit("temperature", {"celsius": 36.6})
            agent.publish_progress(_progress(0))
            wait_for(lambda n=n: len(bus.on(topic)) >= n, 5, f"progress {n}")
            kinds = [m.topic.rsplit("/", 1)[-1] for m in bus.published]
            nth = [i for i, k in enumerate(kinds) if k == "progress"][n - 1]
            assert kinds[:nth].count("temperature") >= n, "a progress went out before its event"
    finally:
        agent.stop()
