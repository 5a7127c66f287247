"""Moves events from the durable outbox to the broker, in seq order, with a bounded window.

A single thread hands at most `window` unacknowledged events to the bus. paho re-sends those
itself after a reconnect (in order); after a process restart everything still on disk is
sent again from the lowest seq (the gateway drops the duplicates by event id).
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from firmware_py.bus import MessageBus
from firmware_py.outbox import Outbox

log = logging.getLogger(__name__)


class OutboxPublisher:
    def __init__(self, outbox: Outbox, bus: MessageBus, *, window: int = 100) -> None:
        self._outbox = outbox
        self._bus = bus
        self._window = window
        self._acked: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._inflight: dict[int, int] = {}  # paho mid -> seq
        self._last_handed = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
        self.beat = time.monotonic()  # last loop turn: the watchdog's proof of life
        self.published = 0
        self.acknowledged = 0
        bus.on_acked = self._on_acked

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(5)

    def wake(self) -> None:
        """New events are in the outbox (or the bus reconnected)."""
        self._wake.set()

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def _on_acked(self, mid: int) -> None:  # bus thread: must not block
        self._acked.put(mid)
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            self.beat = time.monotonic()
            try:
                self._settle_acks()
                if self._bus.connected:
                    self._fill_window()
            except Exception:  # disk trouble etc.: log, keep going, retry next round
                log.exception("outbox publisher round failed; retrying")
                self._stop.wait(1.0)

    def _settle_acks(self) -> None:
        seqs = []
        while True:
            try:
                mid = self._acked.get_nowait()
            except queue.Empty:
                break
            seq = self._inflight.pop(mid, None)
            if seq is not None:
                seqs.append(seq)
        if seqs:
            self._outbox.acknowledge(seqs)
            self.acknowledged += len(seqs)

    def _fill_window(self) -> None:
        room = self._window - len(self._inflight)
        if room <= 0:
            return
        for item in self._outbox.pending(self._last_handed, room):
            mid = self._bus.publish(item.topic, item.payload, qos=1)
            self._inflight[mid] = item.seq
            self._last_handed = item.seq
            self.published += 1
