"""Thermometer simulators: the device end of each serial protocol, and an in-process one.

The device simulators open their own port with `serial_for_url` (the device end of a
`VirtualNullModem`, or a real port) and behave like the modules: the GY-MCU90614 streams
frames at ~14 Hz, the Optris head answers ``01``/``02`` (in the standard or the "hs"
scale), the Modbus module is a pymodbus RTU server with any `RegisterMap` (BODYTEMP-MB/1 by
default, or a pyrometer preset such as the Calex PyroUSB). All share `Scene`: nobody there (the
sensor sees the wall at ambient) or a person with a given temperature.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial

from devices.base import OnState, ReportsState
from devices.serialio.device_sim import DeviceEndSim
from devices.serialio.watchdog import DataWatchdog
from devices.thermo import bodytemp_map as bm
from devices.thermo import gy90614, optris
from devices.thermo import modbus_maps as mm
from devices.thermo.base import Measurement, OnMeasurement

log = logging.getLogger(__name__)


@dataclass
class Scene:
    ambient_celsius: float = 24.0
    person_celsius: float | None = None
    noise_celsius: float = 0.02
    seed: int = 1

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def object_celsius(self) -> float:
        base = self.ambient_celsius if self.person_celsius is None else self.person_celsius
        return round(base + self._rng.uniform(-self.noise_celsius, self.noise_celsius), 2)


class _SerialSim(DeviceEndSim):
    def __init__(self, url: str, baudrate: int, scene: Scene | None) -> None:
        self.scene = scene or Scene()
        super().__init__(url, baudrate=baudrate, read_timeout_s=0.01, name=type(self).__name__)

    def person(self, celsius: float) -> None:
        self.scene.person_celsius = celsius

    def leave(self) -> None:
        self.scene.person_celsius = None

    def write_raw(self, raw: bytes) -> None:
        """Put bytes on the line (garbage injection)."""
        with self._lock, contextlib.suppress(serial.SerialException):
            self.ser.write(raw)


class GyModuleSimulator(_SerialSim):
    """Streams ``5A 5A 45 04 …`` frames at `rate_hz` (the module's default is ~14 Hz)."""

    def __init__(
        self, url: str, *, rate_hz: float = 14.0, baudrate: int = 9600, scene: Scene | None = None
    ) -> None:
        self.rate_hz = rate_hz
        self.auto = True
        super().__init__(url, baudrate, scene)

    def frame(self) -> bytes:
        return gy90614.encode_frame(
            gy90614.GyFrame(self.scene.object_celsius(), self.scene.ambient_celsius)
        )

    def _run(self) -> None:
        next_t = time.monotonic()
        while not self._stop.is_set():
            cmd = self._read(3)
            if cmd is None:
                continue
            if cmd == gy90614.CMD_QUERY:
                self.write_raw(self.frame())
            elif cmd == gy90614.CMD_CONTINUOUS:
                self.auto = True
            if self.auto and time.monotonic() >= next_t:
                next_t += 1 / self.rate_hz
                next_t = max(next_t, time.monotonic() - 1)
                self.write_raw(self.frame())


class OptrisSimulator(_SerialSim):
    """Answers ``01`` (object) and ``02`` (head) with two bytes, like a CT head."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 115200,
        address: int | None = None,
        scale: optris.Scale = "standard",
        scene: Scene | None = None,
    ) -> None:
        self.address = address
        self.scale: optris.Scale = scale
        self.requests = 0
        super().__init__(url, baudrate, scene)

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self._read(16)
            if data is None:
                continue
            for i, b in enumerate(data):
                if self.address is not None and (i == 0 or data[i - 1] != 0xB0 + self.address):
                    continue
                if b == optris.CMD_OBJECT:
                    self.requests += 1
                    self.write_raw(optris.encode_reply(self.scene.object_celsius(), self.scale))
                elif b == optris.CMD_HEAD:
                    self.write_raw(optris.encode_reply(self.scene.ambient_celsius + 3.0))


class ModbusThermoSimulator:
    """A pymodbus RTU server playing a Modbus thermometer, on its own asyncio thread.

    With a measurement counter in the map (BODYTEMP-MB/1), `person(celsius)` completes a
    measurement (MEAS_SEQ + 1, status valid + present) and `leave()` clears presence; with
    none (a pyrometer preset) the object register simply follows the scene. The registers
    are filled on each read by the SimDevice action, from the current scene.
    """

    def __init__(
        self,
        url: str,
        *,
        unit: int = 1,
        baudrate: int = 9600,
        scene: Scene | None = None,
        register_map: mm.RegisterMap | None = None,
    ) -> None:
        from pymodbus.server import ModbusSerialServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        from devices.thermo.modbus import quiet_pymodbus

        quiet_pymodbus()
        REGS = DataType.REGISTERS
        self.map = register_map or mm.PRESETS[mm.DEFAULT_PRESET]
        self.scene = scene or Scene()
        self.seq = 0
        self.distance_mm = 0
        self.reads = 0
        self._loop = asyncio.new_event_loop()
        block = [SimData(self.map.start, values=[0] * self.map.count, datatype=REGS)]
        holding = (
            block
            if self.map.function == "holding"
            else [SimData(bm.HOLDING_START, values=list(bm.HOLDING_DEFAULTS), datatype=REGS)]
        )
        inputs = block if self.map.function == "input" else [SimData(0, values=[0], datatype=REGS)]
        device = SimDevice(
            id=unit,
            simdata=(
                [SimData(0, values=[False] * 16, datatype=DataType.BITS)],
                [SimData(0, values=[False] * 16, datatype=DataType.BITS)],
                holding,
                inputs,
            ),
            action=self._action,
        )
        self._make_server = lambda: ModbusSerialServer(
            device, port=url, baudrate=baudrate, timeout=0.1
        )
        self.server: Any = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="modbus-sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(5) or self._error is not None:
            raise RuntimeError(f"Modbus simulator could not open {url}: {self._error}")

    def person(self, celsius: float) -> None:
        self.scene.person_celsius = celsius
        self.distance_mm = 250
        self.seq = (self.seq + 1) & 0xFFFF

    def leave(self) -> None:
        self.scene.person_celsius = None
        self.distance_mm = 0

    def registers(self) -> list[int]:
        """The register block as the driver reads it (map.start, map.count registers)."""
        present = self.scene.person_celsius is not None
        obj = self.scene.object_celsius()
        if self.map.name == "bodytemp-mb1":
            return self._bodytemp(present, obj)
        if self.map.counts_measurements:
            status = self.map.status_required if present else 0
            sample = mm.ModbusSample(obj, self.scene.ambient_celsius, obj, True, status, self.seq)
        else:
            sample = mm.ModbusSample(obj, self.scene.ambient_celsius + 3.0, None, True, 0, None)
        values = mm.encode(self.map, sample)
        return [values.get(self.map.start + i, 0) for i in range(self.map.count)]

    def _bodytemp(self, present: bool, obj: float) -> list[int]:
        body = self.scene.person_celsius if present else obj
        status = (bm.ST_VALID | bm.ST_PRESENT) if present else bm.ST_VALID
        return bm.encode_registers(
            bm.BodyTempRegisters(
                round(obj - 2.0, 2) if present else obj,
                self.scene.ambient_celsius,
                body if body is not None else obj,
                status,
                self.distance_mm,
                self.seq,
            )
        )

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> None:
        fc = 4 if self.map.function == "input" else 3
        if function_code == fc and address == self.map.start and set_values is None:
            self.reads += 1
            at = self.map.start - start_address
            registers[at : at + self.map.count] = self.registers()
        return None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            try:
                self.server = self._make_server()  # pymodbus needs the running loop
                await self.server.serve_forever(background=True)
            except Exception as exc:
                self._error = exc
            self._ready.set()

        self._loop.run_until_complete(main())
        if self._error is None:
            self._loop.run_forever()

    def close(self) -> None:
        async def stop() -> None:
            await self.server.shutdown()

        if self._loop.is_running() and self.server is not None:
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


BodyTempModbusSimulator = ModbusThermoSimulator
"""The default map's simulator under its old name."""


class SimulatedThermometer(ReportsState):
    """An in-process `Thermometer` for the demo's simulate mode and for tests.

    It stands for a module that streams while plugged in; `mute()` makes it stop talking
    (power lost, adapter still present) and its `DataWatchdog` turns that into a fault after
    `data_timeout_s`, with the same message shape as the serial drivers; `unmute()` is the
    first frame again.
    """

    family = "thermometer"
    _log = log

    def __init__(
        self,
        id: str,
        ambient_celsius: float = 24.0,
        *,
        data_timeout_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = id
        self.ambient_celsius = ambient_celsius
        self.watchdog = DataWatchdog(data_timeout_s, clock)
        self._on_m: OnMeasurement | None = None
        self._muted = False
        self._timer: threading.Timer | None = None
        # held while the state changes too: the mute timer and unmute() must not interleave
        # (the timer's fault landing after unmute()'s "ok" left it faulty while it talked)
        self._lock = threading.RLock()

    def start(self, on_measurement: OnMeasurement, on_state: OnState) -> None:
        self._on_m, self._on_state = on_measurement, on_state
        self.watchdog.valid()
        self._set("ok", None)

    def stop(self) -> None:
        self._on_m = None
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            if not self._muted or self.watchdog.check() is None:
                return
            self._set(
                "fault",
                f"thermometer {self.id} (simulated) sends nothing for "
                f"{self.watchdog.timeout_s:g} s: check the module's power and baud rate",
            )

    # handles
    def person(self, celsius: float) -> None:
        if self._on_m and self.state == "ok":
            self._on_m(Measurement(celsius, "body", celsius, self.ambient_celsius))

    def leave(self) -> None:
        pass

    def mute(self) -> None:
        """The module stops sending (its last frame is now)."""
        with self._lock:
            self._muted = True
            self.watchdog.valid()
            self._timer = threading.Timer(self.watchdog.timeout_s, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def unmute(self) -> None:
        with self._lock:
            self._muted = False
            if self._timer is not None:
                self._timer.cancel()
            self.watchdog.valid()
            self._set("ok", None)

    def unplug(self) -> None:
        self._set("fault", f"thermometer {self.id}: simulated unplug; check the cable")

    def replug(self) -> None:
        self._set("ok", None)
