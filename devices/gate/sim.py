"""Gate simulators: the device end of a GATE-ASCII/1 line, and an in-process `Gate`.

`GateAsciiSimulator` opens its own port with `serial_for_url` (the device end of a
`VirtualNullModem`, or a real port and null-modem cable to test a node) and behaves as the
protocol says: unsolicited ``PS``/``AL`` with 4-digit sequence numbers, repeated after
500 ms until acknowledged (3 times at most), heartbeats, ``FT`` faults, answers to
``WHO?``, ``AC?``, ``SE?``/``SE n`` and ``RC``.
"""

from __future__ import annotations

import logging
import time

import serial

from devices.base import OnState, ReportsState
from devices.gate import ascii as ga
from devices.gate.base import Direction, GateAlarm, GatePassage, OnGateEvent
from devices.serialio.device_sim import DeviceEndSim

log = logging.getLogger(__name__)


class GateAsciiSimulator(DeviceEndSim):
    def __init__(
        self,
        url: str,
        *,
        address: int = 1,
        heartbeat_s: float = 5.0,
        retransmit_s: float = 0.5,
        baudrate: int = 9600,
    ) -> None:
        self.address = address
        self.heartbeat_s = heartbeat_s
        self.retransmit_s = retransmit_s
        self.parser = ga.GateAsciiParser()
        self.seq = 0
        self.passages = self.alarms = self.mass_alarms = 0
        self.sensitivity = 100
        self.state = "R"
        self.acked: list[int] = []
        self.sent_frames = 0
        self._unacked: dict[int, tuple[bytes, float, int]] = {}
        self._t0 = time.monotonic()
        self._next_hb = 0.0
        super().__init__(url, baudrate=baudrate, read_timeout_s=0.02, name="gate-sim")

    def _send(self, msg: ga.GateMessage) -> bytes:
        raw = ga.encode_message(self.address, msg)
        self.write_raw(raw)
        return raw

    def write_raw(self, raw: bytes) -> None:
        """Put bytes on the line (also for injecting garbage)."""
        try:
            self.ser.write(raw)
            self.sent_frames += 1
        except serial.SerialException:
            pass

    def walk(
        self, direction: Direction = "in", alarm: bool = False, zones: int = 0x0C, level: int = 60
    ) -> int:
        with self._lock:
            self.seq = (self.seq + 1) % 10000
            seq = self.seq
            self.passages += 1
            msg: ga.GateMessage
            if alarm:
                self.alarms += 1
                msg = ga.Alarm(seq, direction, zones, level)
            else:
                msg = ga.Passage(seq, direction, 850)
            raw = self._send(msg)
            self._unacked[seq] = (raw, time.monotonic(), 0)
        return seq

    def fault(self, code: int = 4) -> None:
        with self._lock:
            self.state = "F"
            self._send(ga.Fault(code))

    def recover(self) -> None:
        with self._lock:
            self.state = "R"
            self._send(ga.Heartbeat(int(time.monotonic() - self._t0), "R"))

    def _handle(self, msg: ga.GateMessage) -> None:
        match msg:
            case ga.Ack(seq):
                self.acked.append(seq)
                self._unacked.pop(seq, None)
            case ga.Query("WHO"):
                self._send(ga.Who("StationKit,GATE-SIM,1.0"))
            case ga.Query("AC"):
                self._send(ga.Counters(self.passages, self.alarms, self.mass_alarms))
            case ga.Query("SE"):
                self._send(ga.Sensitivity(self.sensitivity))
            case ga.Sensitivity(v):
                self.sensitivity = v
                self._send(ga.Ok())
            case ga.ResetCounters():
                self.passages = self.alarms = self.mass_alarms = 0
                self._send(ga.Ok())
            case _:
                self._send(ga.Error(2))

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self._read(256)
            if data is None:
                continue
            now = time.monotonic()
            with self._lock:
                for f in self.parser.feed(data):
                    if f.addr in (self.address, ga.BROADCAST):
                        try:
                            self._handle(ga.parse_message(f))
                        except ga.FrameError:
                            self._send(ga.Error(2))
                for seq, (raw, sent, n) in list(self._unacked.items()):
                    if now - sent >= self.retransmit_s:
                        if n >= 3:
                            del self._unacked[seq]
                        else:
                            self.write_raw(raw)
                            self._unacked[seq] = (raw, now, n + 1)
                if now >= self._next_hb:
                    self._next_hb = now + self.heartbeat_s
                    self._send(ga.Heartbeat(int(now - self._t0), self.state))  # type: ignore[arg-type]


class SimulatedGate(ReportsState):
    """An in-process `Gate` for the demo's simulate mode and for tests."""

    family = "gate"
    _log = log

    def __init__(self, id: str) -> None:
        self.id = id
        self._on_event: OnGateEvent | None = None

    def start(self, on_event: OnGateEvent, on_state: OnState) -> None:
        self._on_event, self._on_state = on_event, on_state
        self._set("ok", None)

    def stop(self) -> None:
        self._on_event = None

    # test/simulation handles
    def walk(
        self, direction: Direction = "in", alarm: bool = False, zones: int = 0x0C, level: int = 60
    ) -> None:
        if self._on_event:
            if alarm:
                self._on_event(GatePassage(direction, 800, True, zones, level))
            else:
                self._on_event(GatePassage(direction, 800))

    def nuisance_alarm(self) -> None:
        if self._on_event:
            self._on_event(GateAlarm())

    def fault(self, error: str = "simulated gate fault") -> None:
        self._set("fault", error)

    def recover(self) -> None:
        self._set("ok", None)
