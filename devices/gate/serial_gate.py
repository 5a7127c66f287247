"""`SerialGate`: a gate speaking GATE-ASCII/1 over RS-232/RS-485 (docs/devices/gate-ascii.md).

One reader thread: read with timeout → `GateAsciiParser` → typed messages. Every ``PS``
and ``AL`` is acknowledged (``AK seq``) and de-duplicated by sequence number, because the
gate repeats an unacknowledged event after 500 ms. The gate is faulty while the port is
(unplugged adapter: `ReconnectingPort` reopens with backoff), while the gate reports a
fault (``FT``, or ``HB`` state ``F``), or when no heartbeat came for `heartbeat_timeout_s`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from devices.base import DeviceState, OnState, ReportsState
from devices.gate import ascii as ga
from devices.gate.base import GatePassage, OnGateEvent
from devices.serialio.errors import FrameError
from devices.serialio.port import PortState, ReconnectingPort

log = logging.getLogger(__name__)


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
        if self.port.state == "fault":
            state: DeviceState = "fault"
            error = self.port.error
        elif self._gate_fault is not None:
            state, error = "fault", self._gate_fault
        elif self.port.state == "ok":
            state, error = "ok", None
        else:
            state, error = "unknown", None
        if state != self.state:
            self._set(state, error)
        else:
            self.error = error  # same state, fresher detail: status only

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
            data = self.port.read()
            if not data:
                self.parser.timeout()
            for frame in self.parser.feed(data):
                self._frame(frame)
            if (
                self.port.state == "ok"
                and self.clock() - self._last_rx > self.heartbeat_timeout_s
                and self._gate_fault is None
            ):
                self._gate_fault = (
                    f"gate {self.id}: no heartbeat for {self.heartbeat_timeout_s:g} s on "
                    f"{self.port.url}; check the gate's power and the RS-485 wiring"
                )
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
        if self._gate_fault and self._gate_fault.endswith("RS-485 wiring"):
            self._gate_fault = None  # heartbeat watchdog: the gate talks again
            self._update()
        match msg:
            case ga.Passage(seq, direction, ms):
                if self._ack_new("PS", seq):
                    self._emit(GatePassage(direction, ms))
            case ga.Alarm(seq, direction, zones, level):
                if self._ack_new("AL", seq):
                    self._emit(GatePassage(direction, None, True, zones, level))
            case ga.Fault():
                self._gate_fault = f"gate {self.id} reports: {msg.text}"
                self._update()
            case ga.Heartbeat(_, st):
                if st == "F":
                    self._gate_fault = self._gate_fault or f"gate {self.id} reports a fault"
                else:
                    self._gate_fault = None
                self._update()
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
