"""`PolledInputs`: a device's debounced GPIO inputs and the one `Ticker` thread polling them.

Every input is a contact between a GPIO (internal pull-up) and ground, read through gpiozero
with the pin factory the driver was given, and filtered by our `DebouncedInput`. The gate
and the wand key box are built on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devices.gpio.debounce import DebouncedInput
from devices.gpio.ticker import Ticker


class PolledInputs:
    def __init__(
        self, pin_factory: Any, *, tick_s: float, name: str, clock: Callable[[], float]
    ) -> None:
        self.ticker = Ticker(tick_s, name=name)
        self.inputs: list[DebouncedInput] = []
        self._factory = pin_factory
        self._clock = clock

    def add(
        self,
        pin: int,
        stable_s: float,
        on_change: Callable[[bool, float], None],
        *,
        active_means: bool = True,
    ) -> DebouncedInput:
        """Watch `pin`; `on_change(value, since)` runs on the ticker thread."""
        from gpiozero import DigitalInputDevice

        dev = DigitalInputDevice(pin, pull_up=True, pin_factory=self._factory)
        inp = DebouncedInput(
            dev,
            stable_s=stable_s,
            clock=self._clock,
            active_means=active_means,
            on_change=on_change,
        )
        self.inputs.append(inp)
        self.ticker.add(inp.poll)
        return inp

    def start(self) -> None:
        self.ticker.start()

    def close(self) -> None:
        self.ticker.stop()
        for inp in self.inputs:
            inp.close()
        self.inputs.clear()
