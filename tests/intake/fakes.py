"""A `NodeContext` stand-in that validates (as the gateway would) and records events."""

from __future__ import annotations

import threading
import time
from typing import Any

from devices.contract import codec
from devices.contract.models import Envelope, Payload


class FakeContext:
    site = "fuling-station"
    node = "desk-1"

    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self._seq = 0
        self._lock = threading.Lock()

    def emit(self, kind: str, data: Payload | dict[str, Any], *, device: str | None = None):
        with self._lock:
            self._seq += 1
            env = codec.make_event(
                kind, site=self.site, node=self.node, seq=self._seq, data=data, device=device
            )
            codec.decode_event(codec.encode(env))
            self.events.append(env)
            return env

    def publish_media(self, event_id: str, payload: bytes) -> None:
        raise AssertionError("the intake node sends no media")

    def publish_live(self, camera: str, jpeg: bytes) -> None:
        raise AssertionError("the intake node sends no live view")

    def of(self, kind: str) -> list[Any]:
        with self._lock:
            return [e.data for e in self.events if e.kind == kind]

    def wait_for(self, kind: str, n: int, timeout_s: float = 10.0) -> list[Any]:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            got = self.of(kind)
            if len(got) >= n:
                return got
            time.sleep(0.01)
        raise AssertionError(f"{len(self.of(kind))} {kind} events after {timeout_s} s, want {n}")
