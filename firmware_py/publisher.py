"""Moves events from the durable outbox to the broker, in seq order, and deletes each one only
when it is confirmed.

Confirmation (docs/mqtt.md "End-to-end acknowledgement"):
- `confirm="gateway"` (default): the gateway's stored-ack on `{site}/{node}/stored` names the
  seqs now in its database; only those leave the outbox. The broker's PUBACK is flow control
  only: at most `window` events wait for one.
- `confirm="broker"`: for a gateway older than contract v1.1, the PUBACK deletes the event (a
  broker that crashes before saving its queue loses what it acknowledged).

Re-sending (gateway mode). An event the broker acknowledged may still never reach the gateway
(a broker killed between two saves of its queue). So the publisher starts a re-send round
from the lowest seq still on disk:
- after every reconnect to the broker (it may be a broker that lost its queue), and
- when the oldest waiting event has not moved for `resend_after_s` (doubling up to
  `resend_max_s` while it stays put: a gateway that is down, or rejects that one event).
A round re-sends at most `resend_batch` events until the gateway confirms one of them, so a
gateway that is away does not fill the broker's queue with duplicates; new events keep
flowing meanwhile (so a gateway older than v1.1, which never confirms, still gets them). The
first confirmation lifts the limit and the round goes on through everything unconfirmed in
seq order, before any newer event; the gateway stores each event id once. paho itself also
re-sends its own window of broker-unacknowledged messages after a reconnect, ahead of all.

After a process restart everything on disk is sent again from the lowest seq.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from firmware_py.bus import MessageBus
from firmware_py.config import ConfirmBy, OutboxConfig
from firmware_py.outbox import Outbox

log = logging.getLogger(__name__)


class OutboxPublisher:
    def __init__(
        self,
        outbox: Outbox,
        bus: MessageBus,
        settings: OutboxConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        settings = settings or OutboxConfig()
        self._outbox = outbox
        self._bus = bus
        self._window = settings.window
        self.confirm_by: ConfirmBy = settings.confirm
        self._resend_after = settings.resend_after_s
        self._resend_max = max(settings.resend_max_s, settings.resend_after_s)
        self._resend_batch = settings.resend_batch
        self._clock = clock
        self._acked: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._stored: queue.SimpleQueue[list[tuple[int, int]]] = queue.SimpleQueue()
        self._inflight: dict[int, int] = {}  # paho mid -> seq
        self._fresh = 0  # highest seq sent at least once by this process
        self._round: int | None = None  # re-send round: last seq re-sent; None: no round
        self._probe: int | None = None  # events the round may still send; None: any
        self._resend_wait = self._resend_after
        self._head: int | None = None  # lowest seq waiting, when last looked at
        self._head_since = clock()  # when a confirmation last moved the head
        self._round_since = self._head_since  # ... or, if later, when the last round began
        self._reconnected = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
        self.beat = time.monotonic()  # last loop turn: the watchdog's proof of life
        self.published = 0
        self.acknowledged = 0  # broker PUBACKs
        self.confirmed = 0  # events deleted on the gateway's stored-ack
        self.resend_rounds = 0
        bus.on_acked = self._on_acked

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(5)

    @property
    def sent_upto(self) -> int:
        """The highest seq this process has handed to the bus at least once."""
        return self._fresh

    def wake(self) -> None:
        """New events are in the outbox."""
        self._wake.set()

    def reconnected(self) -> None:
        """The bus (re)connected: the broker may have lost what it had acknowledged."""
        self._reconnected = True
        self._wake.set()

    def on_stored(self, ranges: list[tuple[int, int]]) -> None:  # bus thread: must not block
        """The gateway's stored-ack: these seq ranges are in its database."""
        self._stored.put(ranges)
        self._wake.set()

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def unconfirmed_for_s(self) -> float:
        """How long the oldest waiting event has been waiting for the gateway (0 if none)."""
        if self.confirm_by != "gateway" or self._head is None:
            return 0.0
        return max(0.0, self._clock() - self._head_since)

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
                if self.confirm_by == "gateway":
                    self._settle_stored()
                    self._maybe_resend()
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
            self.acknowledged += len(seqs)
            if self.confirm_by == "broker":
                self._outbox.acknowledge(seqs)

    def _settle_stored(self) -> None:
        ranges: list[tuple[int, int]] = []
        while True:
            try:
                ranges += self._stored.get_nowait()
            except queue.Empty:
                break
        removed = self._outbox.confirm(sorted(ranges)) if ranges else 0
        if removed:
            self.confirmed += removed
            self._probe = None  # the gateway is there: send freely again
        head = self._outbox.lowest_seq()
        if head == self._head:
            return
        # The oldest event moved on. Only a confirmation (or a first event after an empty
        # outbox) is progress: the bounds dropping the oldest with a gateway that never
        # confirms must not reset the re-send backoff nor hide the fault.
        if removed or self._head is None or head is None:
            self._head_since = self._round_since = self._clock()
            self._resend_wait = self._resend_after
        self._head = head

    def _maybe_resend(self) -> None:
        now = self._clock()
        handed = self._head is not None and self._head <= self._fresh
        if self._reconnected:
            self._reconnected = False
            if self._head is not None:
                self._start_round("reconnected", now)
        elif handed and now - self._round_since >= self._resend_wait:
            self._start_round(f"nothing confirmed for {self._resend_wait:.0f} s", now)
            self._resend_wait = min(2 * self._resend_wait, self._resend_max)

    def _start_round(self, why: str, now: float) -> None:
        log.info(
            "re-sending unconfirmed events from seq %s (%s; at most %d until one is confirmed)",
            self._head,
            why,
            self._resend_batch,
        )
        self._round = 0
        self._probe = self._resend_batch
        self._round_since = now
        self.resend_rounds += 1

    def _fill_window(self) -> None:
        room = self._window - len(self._inflight)
        if self._round is not None and room > 0:  # re-sends first: they are the oldest
            budget = room if self._probe is None else min(room, self._probe)
            if budget > 0:
                items = self._outbox.pending(self._round, budget)
                resend = [item for item in items if item.seq <= self._fresh]
                for item in resend:
                    self._send(item.seq, item.topic, item.payload)
                    self._round = item.seq
                room -= len(resend)
                if self._probe is not None:
                    self._probe -= len(resend)
                if len(resend) < budget or self._round >= self._fresh:
                    self._round = None  # went through everything unconfirmed
            if self._round is not None and self._probe is None:
                return  # the round goes on at full speed; fresh events after it, in order
        if room > 0:
            for item in self._outbox.pending(self._fresh, room):
                self._send(item.seq, item.topic, item.payload)
                self._fresh = item.seq

    def _send(self, seq: int, topic: str, payload: bytes) -> None:
        mid = self._bus.publish(topic, payload, qos=1)
        self._inflight[mid] = seq
        self.published += 1
