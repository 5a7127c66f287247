"""`ModbusThermometer`: any Modbus RTU thermometer, polled through pymodbus.

RTU framing, CRC and the request/response cycle are pymodbus's (the only module here that
imports it); which registers mean what is a `RegisterMap` (`modbus_maps.py`: our
BODYTEMP-MB/1 by default, presets for published maps, or a custom map from the config).
pymodbus flushes stale input before each request, so line noise costs at most one poll.

Devices with a measurement counter report a reading when the counter moves and the status
says valid; the others feed the object temperature to a `MeasurementDetector` like the
stream thermometers. A port that cannot be opened is a fault at once (retried with backoff);
a port that opens but yields no valid reply for `data_timeout_s` is a fault through the
data watchdog (no power, wrong baud, parity or unit address, or the wrong register map).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from devices.backoff import Backoff
from devices.serialio.errors import FrameError, PortError
from devices.serialio.port import port_fault
from devices.serialio.watchdog import Silence
from devices.thermo import modbus_maps as mm
from devices.thermo.base import Measurement, MeasurementDetector
from devices.thermo.drivers import _Threaded

log = logging.getLogger(__name__)

MODBUS_DATA_TIMEOUT_S = 3.0
"""Polled every 200 ms with a 300 ms reply timeout: 3 s is six or more lost polls."""


def quiet_pymodbus() -> None:
    """pymodbus logs every failed connect with a frame dump; we report faults ourselves."""
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


class ModbusThermometer(_Threaded):
    def __init__(
        self,
        id: str,
        *,
        url: str,
        baudrate: int = 9600,
        parity: str = "N",
        unit: int = 1,
        register_map: mm.RegisterMap | None = None,
        detector: MeasurementDetector | None = None,
        poll_s: float = 0.2,
        timeout_s: float = 0.3,
        data_timeout_s: float = MODBUS_DATA_TIMEOUT_S,
        backoff_min_s: float = 0.2,
        backoff_max_s: float = 5.0,
        client_factory: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(id, data_timeout_s=data_timeout_s, clock=clock)
        self.url = url
        self.baudrate = baudrate
        self.parity = parity
        self.unit = unit
        self.map = register_map or mm.PRESETS[mm.DEFAULT_PRESET]
        self.detector = detector or MeasurementDetector()
        self.poll_s = poll_s
        self.backoff = Backoff(backoff_min_s, backoff_max_s)
        self.last_problem: str | None = None
        self.last_reason: str | None = None
        self._last_seq: int | None = None
        self._port_down = False
        quiet_pymodbus()
        if client_factory is None:
            from pymodbus.client import ModbusSerialClient

            client_factory = ModbusSerialClient
        self.client = client_factory(
            port=url,
            baudrate=baudrate,
            parity=parity,
            timeout=timeout_s,
            retries=0,
            reconnect_delay=0,
        )

    def _read(self) -> list[int]:
        from pymodbus.exceptions import ModbusException

        if not self.client.connected and not self.client.connect():
            raise PortError("cannot open the port")
        read = (
            self.client.read_input_registers
            if self.map.function == "input"
            else self.client.read_holding_registers
        )
        try:
            rr = read(self.map.start, count=self.map.count, device_id=self.unit)
        except (ModbusException, OSError) as exc:
            self.client.close()
            raise ConnectionError(str(exc) or type(exc).__name__) from None
        if rr.isError():
            raise FrameError("exception", f"the device answers with Modbus exception {rr}")
        return list(rr.registers)

    def _silence_message(self, why: Silence) -> str:
        where = f"thermometer {self.id} on {self.url}"
        t = self.watchdog.timeout_s
        fc = "FC 04" if self.map.function == "input" else "FC 03"
        regmap = f"{self.map.name}: {fc} at {self.map.start:#06x}, {self.map.count} registers"
        line = f"baud {self.baudrate}, parity {self.parity}, unit address {self.unit}"
        problem = self.last_problem or ""
        if self.last_reason in ("exception", "out_of_range", "short", "bad_field"):
            # it talks, so power and line settings are right: the map is not
            return (
                f"{where} answers but not as expected ({problem}); "
                f"check the register map ({regmap})"
            )
        if not problem or "No response" in problem:
            return f"{where} does not answer for {t:g} s: check the module's power and {line}"
        return (
            f"{where} sends no valid Modbus reply for {t:g} s ({problem}); check {line} "
            f"and the wiring (A/B swapped?)"
        )

    def step(self) -> None:
        try:
            regs = self._read()
        except PortError as exc:
            self.errors["no_port"] += 1
            self._port_down = True
            where = f"thermometer {self.id} on {self.url}"
            self._set("fault", port_fault(where, str(exc), self.backoff), "port")
            self._stop.wait(self.backoff.next_delay())
            return
        except (ConnectionError, FrameError) as exc:
            self.last_reason = getattr(exc, "reason", "no_reply")
            self.errors[self.last_reason] += 1
            self.last_problem = str(exc)
            self._opened()
            self._watch(True)
            self._stop.wait(self.poll_s)
            return
        self._opened()
        try:
            sample = mm.decode(self.map, regs)
        except FrameError as exc:
            self.last_reason = exc.reason
            self.errors[exc.reason] += 1
            self.last_problem = str(exc)
            self._watch(True)
            self._stop.wait(self.poll_s)
            return
        self.last_problem = self.last_reason = None
        self._valid()
        self._take(sample)
        self._stop.wait(self.poll_s)

    def _opened(self) -> None:
        """The port opened (again): the watchdog counts from now."""
        self.backoff.reset()
        if self._port_down:
            self._port_down = False
            self.watchdog.restart()

    def _take(self, s: mm.ModbusSample) -> None:
        if self.map.counts_measurements:
            moved = self._last_seq is not None and s.seq != self._last_seq
            self._last_seq = s.seq
            if not s.valid:
                self.errors["sensor_invalid"] += 1
            if moved and s.valid:
                self._report(self._counted(s))
            return
        if not s.valid:
            # measurement error or out of range: no sample; re-arm as if the person left,
            # so a reading that never stabilised cannot hold the detector
            self.errors["sensor_invalid"] += 1
            self.detector.absent()
            return
        self._report(self.detector.feed(s.object_celsius, s.ambient_celsius))

    def _counted(self, s: mm.ModbusSample) -> Measurement:
        if s.body_celsius is not None:
            return Measurement(s.body_celsius, "body", s.object_celsius, s.ambient_celsius)
        offset = self.detector.body_offset_celsius
        if offset is None:
            return Measurement(s.object_celsius, "surface", s.object_celsius, s.ambient_celsius)
        body = round(s.object_celsius + offset, 2)
        return Measurement(body, "body", s.object_celsius, s.ambient_celsius)

    def _close(self) -> None:
        self.client.close()
