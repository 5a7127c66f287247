"""Test harnesses: each pairs a driver with the simulator that plays the device for it.

`thermo_harness(kind)` and `gate_harness(kind)` give objects with the same handles whatever
the implementation, so one contract suite runs against all of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from gpiozero.pins.mock import MockFactory

from devices.gate.gpio import GpioGate, GpioGateDriver
from devices.gate.serial_gate import SerialGate
from devices.gate.sim import GateAsciiSimulator, SimulatedGate
from devices.serialio.virtual import VirtualNullModem
from devices.thermo.base import MeasurementDetector
from devices.thermo.drivers import Gy90614Thermometer, OptrisThermometer
from devices.thermo.modbus import ModbusThermometer
from devices.thermo.sim import (
    BodyTempModbusSimulator,
    GyModuleSimulator,
    OptrisSimulator,
    SimulatedThermometer,
)

THERMO_KINDS = ["gy90614", "optris", "modbus", "simulated"]
GATE_KINDS = ["gpio", "serial", "simulated"]


def wait_until(pred: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


class ScriptedLine:
    """A serial port as `ReconnectingPort.opener` returns it, whose incoming bytes the test
    feeds; `read` waits 5 ms when none are there, as a port's read timeout does."""

    def __init__(self) -> None:
        self.pending = b""
        self.lock = threading.Lock()

    def feed(self, data: bytes) -> None:
        with self.lock:
            self.pending += data

    def write(self, data: bytes) -> int:
        return len(data)

    def read(self, size: int = 1) -> bytes:
        with self.lock:
            out, self.pending = self.pending[:size], self.pending[size:]
        if not out:
            time.sleep(0.005)
        return out

    @property
    def in_waiting(self) -> int:
        return len(self.pending)

    def reset_input_buffer(self) -> None:
        self.pending = b""

    def close(self) -> None:
        pass


class Recorder:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self.states: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()

    def on_item(self, x: Any) -> None:
        with self.lock:
            self.items.append(x)

    def on_state(self, state: str, error: str | None) -> None:
        with self.lock:
            self.states.append((state, error))


class WrongBaudDevice:
    """A module at another baud rate, as the host sees it: a stream of bytes that never
    parse (framing garbage: 0x80/0xF8/0xFE, no header, no Modbus unit 1, no 2-byte reply)."""

    PATTERN = bytes.fromhex("80f8fe80f8fef880")

    def __init__(self, url: str) -> None:
        import serial

        self.ser = serial.serial_for_url(url, baudrate=9600, timeout=0.01)
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wrong-baud", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.ser.read(64)  # requests are lost in the wrong baud too
            self.ser.write(self.PATTERN)
            self.sent += len(self.PATTERN)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.ser.close()


class ThermoHarness:
    """`data_timeout_s` is the driver's watchdog; `silent=True` starts with the adapter
    present but no module behind it (the simulator starts with `unmute()`)."""

    def __init__(
        self,
        kind: str,
        tmp: Path,
        *,
        data_timeout_s: float = 3.0,
        silent: bool = False,
        optris_scale: str = "standard",
        sim_scale: str = "standard",
    ) -> None:
        self.kind = kind
        self.rec = Recorder()
        self.modem: VirtualNullModem | None = None
        self.sim: Any = None
        self.wrong: WrongBaudDevice | None = None
        # a site calibrated to offset 0.0 (uncalibrated readings would be mode="surface")
        det = MeasurementDetector(stable_samples=3, body_offset_celsius=0.0)
        timeout = {"data_timeout_s": data_timeout_s}
        self._make_sim: Callable[[], Any]
        if kind == "simulated":
            self.sim = SimulatedThermometer("thermo-1", **timeout)
            self.driver: Any = self.sim
        else:
            self.modem = VirtualNullModem(tmp / "stationkit-thermo", tmp / "thermo-device")
            url, dev = self.modem.host_path, self.modem.device_path
            fast = {"backoff_max_s": 0.4, **timeout}
            if kind == "gy90614":
                self._make_sim = lambda: GyModuleSimulator(dev, rate_hz=50)
                self.driver = Gy90614Thermometer("thermo-1", url=url, detector=det, **fast)
            elif kind == "optris":
                self._make_sim = lambda: OptrisSimulator(dev, scale=sim_scale)  # type: ignore[arg-type]
                self.driver = OptrisThermometer(
                    "thermo-1",
                    url=url,
                    detector=det,
                    poll_s=0.02,
                    scale=optris_scale,  # type: ignore[arg-type]
                    **fast,
                )
            else:
                self._make_sim = lambda: BodyTempModbusSimulator(dev)
                self.driver = ModbusThermometer("thermo-1", url=url, poll_s=0.03, **fast)
            if not silent:
                self.sim = self._make_sim()
        self.driver.start(self.rec.on_item, self.rec.on_state)

    @property
    def measurements(self) -> list[Any]:
        return list(self.rec.items)

    def person(self, celsius: float, hold_s: float = 0.4) -> None:
        n = len(self.rec.items)
        self.sim.person(celsius)
        wait_until(lambda: len(self.rec.items) > n, 3.0)
        time.sleep(hold_s if self.kind != "simulated" else 0)
        self.sim.leave()
        time.sleep(0.25 if self.kind != "simulated" else 0)

    def unplug(self) -> None:
        if self.modem is not None:
            self.modem.unplug()
        else:
            self.sim.unplug()

    def replug(self) -> None:
        if self.modem is not None:
            self.modem.replug()
        else:
            self.sim.replug()

    def mute(self) -> None:
        """The module stops talking (power lost); the adapter stays plugged in."""
        if self.kind == "simulated":
            self.sim.mute()
        elif self.sim is not None:
            self.sim.close()
            self.sim = None

    def unmute(self) -> None:
        """The module talks again (a fresh simulator on the device end)."""
        if self.kind == "simulated":
            self.sim.unmute()
            return
        if self.wrong is not None:
            self.wrong.close()
            self.wrong = None
        if self.sim is None:
            self.sim = self._make_sim()

    def wrong_baud(self) -> None:
        """The module is replaced by one at another baud rate (garbage on the line)."""
        assert self.modem is not None, "the in-process simulator has no line"
        self.mute()
        self.wrong = WrongBaudDevice(self.modem.device_path)

    def garbage(self, raw: bytes) -> None:
        assert self.modem is not None, "the in-process simulator has no line"
        self.modem.inject(raw)

    def close(self) -> None:
        self.driver.stop()
        if self.kind != "simulated" and self.sim is not None:
            self.sim.close()
        if self.wrong is not None:
            self.wrong.close()
        if self.modem is not None:
            self.modem.close()


class GateHarness:
    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind = kind
        self.rec = Recorder()
        self.modem: VirtualNullModem | None = None
        self.factory: MockFactory | None = None
        self.sim: Any
        if kind == "gpio":
            self.factory = MockFactory()
            pins = dict(alarm_pin=17, beam_a_pin=27, beam_b_pin=22, ready_pin=23)
            self.sim = GpioGateDriver(self.factory, **pins, step_s=0.04)
            self.driver: Any = GpioGate("gate-1", pin_factory=self.factory, **pins)
        elif kind == "serial":
            self.modem = VirtualNullModem(tmp / "stationkit-gate", tmp / "gate-device")
            self.sim = GateAsciiSimulator(self.modem.device_path, heartbeat_s=0.3)
            self.driver = SerialGate(
                "gate-1", url=self.modem.host_path, heartbeat_timeout_s=1.5, backoff_max_s=0.4
            )
        else:
            self.sim = SimulatedGate("gate-1")
            self.driver = self.sim
        self.driver.start(self.rec.on_item, self.rec.on_state)
        if kind == "gpio":
            self.sim.idle()  # after start: creating the devices applies the pull-ups

    @property
    def events(self) -> list[Any]:
        return list(self.rec.items)

    def walk(self, direction: str = "in", alarm: bool = False) -> None:
        self.sim.walk(direction, alarm)

    def fault(self) -> None:
        if self.kind == "gpio":
            self.sim.ready(False)
        else:
            self.sim.fault()

    def recover(self) -> None:
        if self.kind == "gpio":
            self.sim.ready(True)
        else:
            self.sim.recover()

    def close(self) -> None:
        self.driver.stop()
        if self.kind == "serial":
            self.sim.close()
        if self.modem is not None:
            self.modem.close()
        if self.factory is not None:
            self.factory.reset()


Harness = TypeVar("Harness", ThermoHarness, GateHarness)


@contextmanager
def running(h: Harness, timeout_s: float = 5.0) -> Iterator[Harness]:
    """`h` once its driver reports ok (within `timeout_s`); closed when the block ends."""
    try:
        assert wait_until(lambda: h.driver.state == "ok", timeout_s), f"{h.kind} never became ok"
        yield h
    finally:
        h.close()
