"""Thermometer simulators: the device end of each serial protocol, and an in-process one.

The device simulators open their own port with `serial_for_url` (the device end of a
`VirtualNullModem`, or a real port) and behave like the modules: the GY-MCU90614 streams
frames at ~14 Hz, the Optris head answers ``01``/``02``, the Modbus module is a pymodbus
RTU server with the BODYTEMP-MB/1 register map. All share `Scene`: nobody there (the
sensor sees the wall at ambient) or a person with a given temperature.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import serial

from devices.thermo import bodytemp_map as bm
from devices.thermo import gy90614, optris
from devices.thermo.base import DeviceState, Measurement, OnMeasurement, OnState


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


class _SerialSim:
    def __init__(self, url: str, baudrate: int, scene: Scene | None) -> None:
        self.scene = scene or Scene()
        self.ser = serial.serial_for_url(url, baudrate=baudrate, timeout=0.01)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def person(self, celsius: float) -> None:
        self.scene.person_celsius = celsius

    def leave(self) -> None:
        self.scene.person_celsius = None

    def write_raw(self, raw: bytes) -> None:
        """Put bytes on the line (garbage injection)."""
        with self._lock, contextlib.suppress(serial.SerialException):
            self.ser.write(raw)

    def _run(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.ser.close()


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
            try:
                cmd = self.ser.read(3)
            except serial.SerialException:
                time.sleep(0.05)
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
        scene: Scene | None = None,
    ) -> None:
        self.address = address
        self.requests = 0
        super().__init__(url, baudrate, scene)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.ser.read(16)
            except serial.SerialException:
                time.sleep(0.05)
                continue
            for i, b in enumerate(data):
                if self.address is not None and (i == 0 or data[i - 1] != 0xB0 + self.address):
                    continue
                if b == optris.CMD_OBJECT:
                    self.requests += 1
                    self.write_raw(optris.encode_reply(self.scene.object_celsius()))
                elif b == optris.CMD_HEAD:
                    self.write_raw(optris.encode_reply(self.scene.ambient_celsius + 3.0))


class BodyTempModbusSimulator:
    """A pymodbus RTU server with the BODYTEMP-MB/1 map, on its own asyncio thread.

    `person(celsius)` completes a measurement (MEAS_SEQ + 1, status valid + present);
    `leave()` clears presence. The registers are filled on each read by the SimDevice
    action, from the current scene.
    """

    def __init__(
        self, url: str, *, unit: int = 1, baudrate: int = 9600, scene: Scene | None = None
    ) -> None:
        from pymodbus.server import ModbusSerialServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        from devices.thermo.drivers import quiet_pymodbus

        quiet_pymodbus()
        REGS = DataType.REGISTERS
        self.scene = scene or Scene()
        self.seq = 0
        self.distance_mm = 0
        self.reads = 0
        self._loop = asyncio.new_event_loop()
        device = SimDevice(
            id=unit,
            simdata=(
                [SimData(0, values=[False] * 16, datatype=DataType.BITS)],
                [SimData(0, values=[False] * 16, datatype=DataType.BITS)],
                [SimData(bm.HOLDING_START, values=list(bm.HOLDING_DEFAULTS), datatype=REGS)],
                [SimData(bm.INPUT_START, values=[0] * bm.INPUT_COUNT, datatype=REGS)],
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
        present = self.scene.person_celsius is not None
        obj = self.scene.object_celsius()
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
        if function_code == 4 and start_address == bm.INPUT_START:
            self.reads += 1
            registers[: bm.INPUT_COUNT] = self.registers()
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


class SimulatedThermometer:
    """An in-process `Thermometer` for the demo's simulate mode and for tests."""

    def __init__(self, id: str, ambient_celsius: float = 24.0) -> None:
        self.id = id
        self.ambient_celsius = ambient_celsius
        self.state: DeviceState = "unknown"
        self.error: str | None = None
        self._on_m: OnMeasurement | None = None
        self._on_s: OnState | None = None

    def start(self, on_measurement: OnMeasurement, on_state: OnState) -> None:
        self._on_m, self._on_s = on_measurement, on_state
        self._set("ok", None)

    def stop(self) -> None:
        self._on_m = None

    def _set(self, state: DeviceState, error: str | None) -> None:
        if state != self.state:
            self.state, self.error = state, error
            if self._on_s:
                self._on_s(state, error)

    # handles
    def person(self, celsius: float) -> None:
        if self._on_m and self.state == "ok":
            self._on_m(Measurement(celsius, "body", celsius, self.ambient_celsius))

    def leave(self) -> None:
        pass

    def unplug(self) -> None:
        self._set("fault", f"thermometer {self.id}: simulated unplug; check the cable")

    def replug(self) -> None:
        self._set("ok", None)
