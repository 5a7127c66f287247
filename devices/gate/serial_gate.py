"""`SerialGate`: a gate speaking GATE-ASCII/1 over RS-232/RS-485 (docs/devices/gate-ascii.md).

One reader thread: read with timeout → `GateAsciiParser` → typed messages. Every ``PS``
and ``AL`` is acknowledged (``AK seq``) and de-duplicated by sequence number, because the
gate repeats an unacknowledged event after 500 ms. The gate is faulty while the port is
(unplugged adapter: `ReconnectingPort` reopens with backoff), while the gate reports a
fault (``FT``, or ``HB`` state ``F``), or when no heartbeat came for `heartbeat_timeout_s`.
The state is worked out once per frame from all three, so a gate back from silence that
reports a fault goes straight from one fault to the other (announced again: its message now
says what to check), never through a false "ok".
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from devices.base import DeviceState, OnState, ReportsState
from devices.gate import ascii as ga
from devices.gate.base import GatePassage, OnGateEvent
from devices.serialio.errors import FrameError
from devices.serialio.port import PortState, ReconnectingPort

log = logging.getLogger(__name__)

FaultCause = Literal["port", "silent", "gate"] | None
"""Why the gate is faulty: its adapter, no heartbeat, or the gate's own report."""


class SerialGate(ReportsState):
    family = "gate"
    _log = log

    def __init__(
        self,
        id: str,
        *,
        url: str,
        address: int = 1,
        baudrate: int = 9600,
        heartbeat_timeout_s: float = 16.0,
        backoff_max_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = id
        self.address = address
        self.counters: ga.Counters | None = None
        self.who: str | None = None
        self.duplicates = 0
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.clock = clock
        self.parser = ga.GateAsciiParser()
        self.port = ReconnectingPort(
            url,
            name=f"gate {id}",
            baudrate=baudrate,
            backoff_max_s=backoff_max_s,
            clock=clock,
            on_state=self._port_state,
        )
        self._gate_fault: str | None = None
        """What the gate itself last reported wrong (``FT``, ``HB …,F``)."""
        self._silent = False
        """No frame for `heartbeat_timeout_s` while the port is open."""
        self._cause: FaultCause = None
        self.errors = 0
        """Unexpected errors in the reader loop (it logs each and goes on)."""
        self._seen: deque[tuple[str, int]] = deque(maxlen=64)
        self._last_rx = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_event: OnGateEvent | None = None

    # -- state ---------------------------------------------------------------------------------
    def _port_state(self, state: PortState, error: str | None) -> None:
        if state == "ok":
            self._last_rx = self.clock()
            self.parser.reset()
        self._update()

    def _update(self) -> None:
        state: DeviceState
        cause: FaultCause = None
        error: str | None = None
        if self.port.state == "fault":
            state, error, cause = "fault", self.port.error, "port"
        elif self._silent:
            state, cause = "fault", "silent"
            error = (
                f"gate {self.id}: no heartbeat for {self.heartbeat_timeout_s:g} s on "
                f"{self.port.url}; check the gate's power and the RS-485 wiring"
            )
        elif self._gate_fault is not None:
            state, error, cause = "fault", self._gate_fault, "gate"
        else:
            state = "ok" if self.port.state == "ok" else "unknown"
        if state != self.state or cause != self._cause:
            # a new cause is news even in "fault": the desk must check something else now
            self._cause = cause
            self._announce(state, error)
        else:
            self.error = error  # same state and cause, fresher detail: status only

    # -- loop ----------------------------------------------------------------------------------
    def start(self, on_event: OnGateEvent, on_state: OnState) -> None:
        self._on_event, self._on_state = on_event, on_state
        self._thread = threading.Thread(target=self._run, name=f"gate-{self.id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self.port.close()

    def request_counters(self) -> bool:
        return self.port.write(ga.encode_message(self.address, ga.Query("AC")))

    def _run(self) -> None:
        if self.port.write(ga.encode_message(self.address, ga.Query("WHO"))):
            self._last_rx = self.clock()
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # a bug or a callback's error must not end the gate's reader
                self.errors += 1
                log.exception("gate %s: unexpected error in the reader", self.id)
                self._stop.wait(0.1)

    def _step(self) -> None:
        data = self.port.read()
        if not data:
            self.parser.timeout()
        for frame in self.parser.feed(data):
            self._frame(frame)
        if (
            self.port.state == "ok"
            and not self._silent
            and self.clock() - self._last_rx > self.heartbeat_timeout_s
        ):
            self._silent = True
            self._update()

    def _frame(self, frame: ga.GateFrame) -> None:
        if frame.addr not in (self.address, ga.BROADCAST):
            return
        try:
            msg = ga.parse_message(frame)
        except FrameError as exc:
            self.parser.errors[exc.reason] += 1
            return
        self._last_rx = self.clock()
        self._silent = False  # whatever it says, the gate talks again
        match msg:
            case ga.Fault():
                self._gate_fault = f"gate {self.id} reports: {msg.text}"
            case ga.Heartbeat(_, "F"):
                self._gate_fault = self._gate_fault or f"gate {self.id} reports a fault"
            case ga.Heartbeat():
                self._gate_fault = None
        self._update()  # once, before the frame's events: the state they happen in
        match msg:
            case ga.Passage(seq, direction, ms):
                if self._ack_new("PS", seq):
                    self._emit(GatePassage(direction, ms))
            case ga.Alarm(seq, direction, zones, level):
                if self._ack_new("AL", seq):
                    self._emit(GatePassage(direction, None, True, zones, level))
            case ga.Counters():
                self.counters = msg
            case ga.Who(text):
                self.who = text
            case _:
                pass

    def _ack_new(self, kind: str, seq: int) -> bool:
        self.port.write(ga.encode_message(self.address, ga.Ack(seq)))
        if (kind, seq) in self._seen:
            self.duplicates += 1
            return False
        self._seen.append((kind, seq))
        return True

    def _emit(self, ev: GatePassage) -> None:
        if self._on_event:
            self._on_event(ev)
