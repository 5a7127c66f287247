"""`WandKeys` interface, the GPIO key box (`GpioWandKeys`) and the simulator.

Wiring: two momentary keys (CLEAR green, METAL FOUND red) and an optional holster
micro-switch, each between a GPIO (internal pull-up) and ground, through an opto board on
long cables. A key press is reported once, when it has been held `key_stable_s` (default
30 ms, our own debounce); the holster switch is normally closed while the wand rests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from devices.base import Device, DeviceState, OnState
from devices.gpio.inputs import PolledInputs

WandResult = Literal["clear", "metal_found"]


@dataclass(frozen=True, slots=True)
class WandKey:
    result: WandResult


@dataclass(frozen=True, slots=True)
class Holster:
    lifted: bool


WandEvent = WandKey | Holster
OnWandEvent = Callable[[WandEvent], None]


WandKeys = Device[WandEvent]
"""The wand key box or its simulator: reports key presses and the holster switch."""


class GpioWandKeys:
    def __init__(
        self,
        id: str,
        *,
        pin_factory: Any,
        clear_pin: int,
        metal_pin: int,
        holster_pin: int | None = None,
        key_stable_s: float = 0.030,
        tick_s: float = 0.005,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = id
        self.state: DeviceState = "unknown"
        self.error: str | None = None
        self._pins = (clear_pin, metal_pin, holster_pin)
        self._stable_s = key_stable_s
        self._inputs = PolledInputs(pin_factory, tick_s=tick_s, name=f"wand-{id}", clock=clock)
        self._on_event: OnWandEvent | None = None

    def start(self, on_event: OnWandEvent, on_state: OnState) -> None:
        self._on_event = on_event
        clear_pin, metal_pin, holster_pin = self._pins
        add, stable_s = self._inputs.add, self._stable_s
        add(clear_pin, stable_s, lambda down, _t: self._key("clear", down))
        add(metal_pin, stable_s, lambda down, _t: self._key("metal_found", down))
        if holster_pin is not None:
            # closed (active) while the wand rests in the holster
            add(holster_pin, stable_s, lambda resting, _t: self._emit(Holster(lifted=not resting)))
        self.state = "ok"
        on_state("ok", None)
        self._inputs.start()

    def _key(self, result: WandResult, down: bool) -> None:
        if down:
            self._emit(WandKey(result))

    def _emit(self, ev: WandEvent) -> None:
        if self._on_event:
            self._on_event(ev)

    def stop(self) -> None:
        self._inputs.close()


class SimulatedWandKeys:
    """In-process `WandKeys`: `press(result)`, `holster(lifted)` are the test handles."""

    def __init__(self, id: str) -> None:
        self.id = id
        self.state: DeviceState = "unknown"
        self.error: str | None = None
        self._on_event: OnWandEvent | None = None

    def start(self, on_event: OnWandEvent, on_state: OnState) -> None:
        self._on_event = on_event
        self.state = "ok"
        on_state("ok", None)

    def stop(self) -> None:
        self._on_event = None

    def press(self, result: WandResult) -> None:
        if self._on_event:
            self._on_event(WandKey(result))

    def holster(self, lifted: bool) -> None:
        if self._on_event:
            self._on_event(Holster(lifted))


class GpioWandKeysDriver:
    """Presses the keys of a `GpioWandKeys` on MockFactory pins, with contact bounce."""

    def __init__(self, factory: Any, *, clear_pin: int, metal_pin: int) -> None:
        self.f = factory
        self.pins = {"clear": clear_pin, "metal_found": metal_pin}

    def idle(self) -> None:
        for pin in self.pins.values():
            self.f.pin(pin).drive_high()

    def press(self, result: WandResult, hold_s: float = 0.08) -> None:
        p = self.f.pin(self.pins[result])
        for _ in range(3):  # bounce
            p.drive_low()
            time.sleep(0.002)
            p.drive_high()
            time.sleep(0.001)
        p.drive_low()
        time.sleep(hold_s)
        p.drive_high()
