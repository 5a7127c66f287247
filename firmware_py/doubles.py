"""In-memory stand-ins for the node's two seams, shipped with the product so simulators,
integrators and the tests use the same ones: `MemoryBus` (a `MessageBus` without a broker)
and `RecordingContext` (a `NodeContext` that checks and keeps what an app sends).

Both hold to the contract the real ones do: `MemoryBus` matches topic filters as MQTT does
(paho's own matcher), keeps retained messages, acknowledges QoS 1 publications only while
connected; `RecordingContext` refuses an event the gateway would refuse.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paho.mqtt.client import topic_matches_sub

from devices.contract import codec
from devices.contract.models import Envelope, Event, Payload
from firmware_py.bus import MessageHandler


@dataclass(frozen=True)
class Published:
    topic: str
    payload: bytes
    qos: int
    retain: bool


class MemoryBus:
    """A broker and a connection in one object. Publications while connected reach the
    matching subscribers at once (on the publishing thread) and, QoS 1, are acknowledged
    through `on_acked`; while offline they are kept in `published` with `delivered=False`
    semantics: not delivered, never acknowledged (the outbox must keep its events)."""

    def __init__(self, *, connected: bool = True) -> None:
        self.on_connect: Callable[[], None] | None = None
        self.on_disconnect: Callable[[str], None] | None = None
        self.on_acked: Callable[[int], None] | None = None
        self.published: list[Published] = []  # everything the node published, in order
        self.undelivered: list[Published] = []  # published while offline
        self.retained: dict[str, bytes] = {}
        self._online = connected
        self._started = False
        self._subs: dict[str, tuple[MessageHandler, int]] = {}
        self._mid = 0
        self._lock = threading.RLock()

    @property
    def connected(self) -> bool:
        return self._started and self._online

    def start(self) -> None:
        self._started = True
        if self._online and self.on_connect:
            self.on_connect()

    def close(self) -> None:
        self._started = False

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> int:
        with self._lock:
            self._mid += 1
            mid = self._mid
            message = Published(topic, payload, qos, retain)
            self.published.append(message)
            if not self.connected:
                self.undelivered.append(message)
                return mid
            if retain:
                if payload:
                    self.retained[topic] = payload
                else:
                    self.retained.pop(topic, None)  # an empty retained message clears it
            handlers = [h for f, (h, _q) in self._subs.items() if topic_matches_sub(f, topic)]
        for handler in handlers:
            handler(topic, payload)
        if qos > 0 and self.on_acked:
            self.on_acked(mid)
        return mid

    def subscribe(self, topic: str, handler: MessageHandler, qos: int = 1) -> None:
        with self._lock:
            self._subs[topic] = (handler, qos)
            kept = [(t, p) for t, p in self.retained.items() if topic_matches_sub(topic, t)]
        for t, p in kept:
            handler(t, p)

    # -- the test's or the simulation's side -----------------------------------------------
    def deliver(self, topic: str, payload: bytes) -> None:
        """A message from elsewhere (a command from the gateway) to the matching handlers."""
        with self._lock:
            handlers = [h for f, (h, _q) in self._subs.items() if topic_matches_sub(f, topic)]
        for handler in handlers:
            handler(topic, payload)

    def go_offline(self, reason: str = "connection lost") -> None:
        self._online = False
        if self.on_disconnect:
            self.on_disconnect(reason)

    def go_online(self) -> None:
        self._online = True
        if self._started and self.on_connect:
            self.on_connect()

    def on(self, topic_filter: str) -> list[Published]:
        """What was published on topics matching `topic_filter`, in order."""
        with self._lock:
            return [m for m in self.published if topic_matches_sub(topic_filter, m.topic)]


class RecordingContext:
    """A `NodeContext` for an app on its own: each event is numbered, checked exactly as
    the gateway decodes it (an invalid one raises), and kept; media and live frames too
    (or refused, for an app that must not send them)."""

    def __init__(self, site: str = "site-1", node: str = "node-1", *, media: bool = True) -> None:
        self.site, self.node = site, node
        self.events: list[Event] = []  # as the gateway decodes them
        self.media: dict[str, list[bytes]] = {}
        self.live: list[tuple[str, bytes, float]] = []
        self._allow_media = media
        self._seq = 0
        self._lock = threading.Lock()

    # -- NodeContext ---------------------------------------------------------------------------
    def emit(
        self, kind: str, data: Payload | dict[str, Any], *, device: str | None = None
    ) -> Envelope:
        with self._lock:
            self._seq += 1
            env = codec.make_event(
                kind, site=self.site, node=self.node, seq=self._seq, data=data, device=device
            )
            self.events.append(codec.decode_event(codec.encode(env)))  # as the gateway would
            return env

    def publish_media(self, event_id: str, payload: bytes) -> None:
        if not self._allow_media:
            raise AssertionError(f"{self.node} sends no media")
        with self._lock:
            self.media.setdefault(event_id, []).append(payload)

    def publish_live(self, camera: str, jpeg: bytes) -> None:
        if not self._allow_media:
            raise AssertionError(f"{self.node} sends no live view")
        with self._lock:
            self.live.append((camera, jpeg, time.monotonic()))

    # -- what was sent ---------------------------------------------------------------------
    def envelopes(self, kind: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.kind == kind]

    def data_of(self, kind: str) -> list[Any]:
        """The payloads of the `kind` events, in order."""
        return [e.data for e in self.envelopes(kind)]

    def wait_for_event(self, pred: Callable[[Envelope], bool], timeout_s: float = 10.0) -> Envelope:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            with self._lock:
                for e in self.events:
                    if pred(e):
                        return e
            time.sleep(0.02)
        raise AssertionError(f"no matching event in {timeout_s} s; got {self.events}")

    def wait_for_media(self, event_id: str, n: int = 1, timeout_s: float = 10.0) -> list[bytes]:
        """All media of `event_id` once there are at least `n` (an app sends them after the
        event, often from another thread)."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            with self._lock:
                got = list(self.media.get(event_id, []))
            if len(got) >= n:
                return got
            time.sleep(0.01)
        raise AssertionError(f"{len(got)} media of {event_id} after {timeout_s} s, want {n}")

    def wait_for_data(self, kind: str, n: int, timeout_s: float = 10.0) -> list[Any]:
        """The payloads of the first `n` or more `kind` events, once there are that many."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            got = self.data_of(kind)
            if len(got) >= n:
                return got
            time.sleep(0.01)
        raise AssertionError(
            f"{len(self.data_of(kind))} {kind} events after {timeout_s} s, want {n}"
        )
