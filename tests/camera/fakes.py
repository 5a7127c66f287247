"""A `NodeContext` stand-in that validates and records what the camera app sends."""

from __future__ import annotations

import threading
import time
from typing import Any

from devices.contract import codec
from devices.contract.models import Envelope, Payload


class FakeContext:
    site = "home-7"
    node = "cam-node-1"

    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self.media: dict[str, list[bytes]] = {}
        self.live: list[tuple[str, bytes, float]] = []
        self.acks: list[tuple[str, object]] = []  # filled by tests that relay commands
        self._seq = 0
        self._lock = threading.Lock()

    def emit(self, kind: str, data: Payload | dict[str, Any], *, device: str | None = None):
        with self._lock:
            self._seq += 1
            env = codec.make_event(
                kind, site=self.site, node=self.node, seq=self._seq, data=data, device=device
            )
            codec.decode_event(codec.encode(env))  # what the gateway would accept
            self.events.append(env)
            return env

    def publish_media(self, event_id: str, payload: bytes) -> None:
        with self._lock:
            self.media.setdefault(event_id, []).append(payload)

    def publish_live(self, camera: str, jpeg: bytes) -> None:
        with self._lock:
            self.live.append((camera, jpeg, time.monotonic()))

    def of(self, kind: str) -> list[Envelope]:
        with self._lock:
            return [e for e in self.events if e.kind == kind]

    def wait_for(self, pred, timeout_s: float = 10.0):
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            with self._lock:
                for e in self.events:
                    if pred(e):
                        return e
            time.sleep(0.02)
        raise AssertionError(f"no matching event in {timeout_s} s; got {self.events}")
