"""A whole simulated intake desk on real drivers: the gate and wand keys on MockFactory
pins, the thermometer (GY-MCU90614 protocol) on a pseudo-terminal null-modem whose host
end can be unplugged. Used by the 200-arrival tests (fake context and real broker)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from devices.gate.gpio import GpioGate, GpioGateDriver
from devices.serialio.virtual import VirtualNullModem
from devices.thermo.sim import GyModuleSimulator
from devices.wand.keys import GpioWandKeysDriver
from firmware_py.intake.app import IntakeApp
from firmware_py.intake.config import IntakeConfig
from firmware_py.intake.scenario import Arrival

PINS = {"alarm_pin": 17, "beam_a_pin": 27, "beam_b_pin": 22}


def desk_config(thermo_port: str, **overrides: object) -> IntakeConfig:
    return IntakeConfig.model_validate(
        {
            "operator": "desk-a",
            # compressed for 200 arrivals in a minute, yet each step several times longer than
            # a scheduling delay on a loaded 2-core CI machine (gate steps below: 30 ms, each
            # waiting until the driver saw it, so an alarm-to-passage gap can stretch)
            "alarm_window_s": 0.25,
            "temperature_timeout_s": 0.8,
            "wand_timeout_s": 0.8,
            "tick_s": 0.01,
            "lamp_hold_s": 0.1,
            "release_pulse_s": 0.01,
            "pin_factory": "mock",
            "devices": {
                "gate": {"kind": "gpio", **PINS, "ready_pin": None, "beam_stable_ms": 4},
                "thermometer": {"kind": "gy90614", "port": thermo_port, "baudrate": 115200},
                "wand": {"kind": "gpio", "clear_pin": 5, "metal_pin": 6},
                "signals": {
                    "kind": "gpio",
                    "green_pin": 16,
                    "amber_pin": 20,
                    "red_pin": 21,
                    "buzzer_pin": 12,
                    "relay_pin": 26,
                },
            },
            **overrides,
        }
    )


class PtyDesk:
    """Owns the pins, the null-modem and the device simulators; a `Stage` for `play`."""

    def __init__(self, tmp: Path, **overrides: object) -> None:
        self.factory = MockFactory()
        self.modem = VirtualNullModem(tmp / "stationkit-thermo", tmp / "thermo-device")
        self.thermo_sim = GyModuleSimulator(self.modem.device_path, rate_hz=200, baudrate=115200)
        self.config = desk_config(self.modem.host_path, **overrides)
        # 30 ms between beam changes (a person takes hundreds), and each change waits until the
        # driver has seen it: the driver polls its inputs on one ticker thread, and on a loaded
        # 2-core CI machine two steps were sometimes read in one poll (no direction, no
        # passage), losing arrivals from the count
        self.gate = GpioGateDriver(self.factory, **PINS, step_s=0.03)
        self.keys = GpioWandKeysDriver(self.factory, clear_pin=5, metal_pin=6)
        self.app: IntakeApp | None = None

    def make_app(self) -> IntakeApp:
        self.app = IntakeApp(self.config, pin_factory=self.factory)
        return self.app

    def ready(self) -> None:
        """Call after app.start(): quiet contacts (creating devices applies pull-ups)."""
        self.gate.idle()
        self.keys.idle()
        end = time.monotonic() + 5
        assert self.app is not None
        while time.monotonic() < end and set(self.app.devices().values()) != {"ok"}:
            time.sleep(0.01)
        assert set(self.app.devices().values()) == {"ok"}, self.app.devices()

    # -- Stage ------------------------------------------------------------------------------
    def walk(self, direction: str, alarm: bool) -> None:
        gate = self.app.gate if self.app else None
        if isinstance(gate, GpioGate):  # each step waits until the driver has seen it
            self.gate.walk(direction, alarm, seen=lambda: gate.sensed)
        else:
            self.gate.walk(direction, alarm)

    def person(self, celsius: float) -> None:
        assert self.app is not None and self.app.thermometer is not None
        thermo = self.app.thermometer
        n = thermo.measurements  # type: ignore[attr-defined]
        self.thermo_sim.person(celsius)
        end = time.monotonic() + 3
        while thermo.measurements == n and time.monotonic() < end:  # type: ignore[attr-defined]
            time.sleep(0.003)
        self.thermo_sim.leave()
        time.sleep(0.03)  # the sensor sees the wall again: the detector re-arms

    def key(self, result: str) -> None:
        self.keys.press(result, hold_s=0.05)  # type: ignore[arg-type]

    def unplug_thermometer(self) -> None:
        self.modem.unplug()

    def replug_thermometer(self) -> None:
        self.modem.replug()

    def releases(self) -> int:
        """Turnstile relay pulses so far (rising edges on the relay pin)."""
        states = [s.state for s in self.factory.pin(26).states]
        return sum(1 for a, b in itertools.pairwise(states) if b and not a)

    def lamp_is(self, color: str) -> bool:
        pin = {"green": 16, "amber": 20, "red": 21}[color]
        return bool(self.factory.pin(pin).state)

    def close(self) -> None:
        if self.app is not None:
            self.app.stop()
        self.thermo_sim.close()
        self.modem.close()
        self.factory.reset()


def wrong_outcomes(arrivals: list[Arrival], got: list[object]) -> list[tuple[object, ...]]:
    """(index, kind, got, expected) for each check whose outcome is not its arrival's."""
    return [
        (i, a.kind, g, a.expected)
        for i, (a, g) in enumerate(zip(arrivals, got, strict=True))
        if g != a.expected
    ]
