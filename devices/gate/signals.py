"""The desk's local signals: stack lamp (green/amber/red), buzzer, turnstile/door relay.

They tell the desk what to do without the gateway. `GpioDeskSignals` drives relay boards
through gpiozero (pin factory injected); `RecordingDeskSignals` is the simulator, with the
history as its test handle.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

LampColor = Literal["off", "green", "amber", "red"]
BuzzPattern = Literal["alert", "remeasure"]
PATTERNS: dict[str, tuple[float, ...]] = {
    "alert": (0.15, 0.1, 0.15, 0.1, 0.15),  # on, off, on… seconds
    "remeasure": (0.08,),
}


class DeskSignals(Protocol):
    def lamp(self, color: LampColor) -> None: ...

    def buzz(self, pattern: BuzzPattern) -> None: ...

    def release(self, pulse_s: float) -> None:
        """Pulse the turnstile/door relay to let one person through."""
        ...

    def close(self) -> None: ...


class RecordingDeskSignals:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.color: LampColor = "off"
        self.history: list[tuple[float, str, str]] = []
        self.releases = 0

    def lamp(self, color: LampColor) -> None:
        self.color = color
        self.history.append((self.clock(), "lamp", color))

    def buzz(self, pattern: BuzzPattern) -> None:
        self.history.append((self.clock(), "buzz", pattern))

    def release(self, pulse_s: float) -> None:
        self.releases += 1
        self.history.append((self.clock(), "release", f"{pulse_s:g}"))

    def close(self) -> None:
        pass


class GpioDeskSignals:
    """Lamp relays on three pins, a buzzer, a relay for the turnstile or door lock.

    `active_high=False` suits the common low-level-trigger relay boards. Pulses run on a
    short-lived thread so callers never wait.
    """

    def __init__(
        self,
        *,
        pin_factory: Any,
        green: int,
        amber: int,
        red: int,
        buzzer: int | None = None,
        relay: int | None = None,
        active_high: bool = True,
    ) -> None:
        from gpiozero import DigitalOutputDevice

        def out(pin: int) -> Any:
            return DigitalOutputDevice(
                pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
            )

        self._lamps = {"green": out(green), "amber": out(amber), "red": out(red)}
        self._buzzer = out(buzzer) if buzzer is not None else None
        self._relay = out(relay) if relay is not None else None
        self._locks: dict[int, threading.Lock] = {}

    def lamp(self, color: LampColor) -> None:
        for name, dev in self._lamps.items():
            dev.value = name == color

    def _pulses(self, dev: Any, pattern: tuple[float, ...]) -> None:
        lock = self._locks.setdefault(id(dev), threading.Lock())

        def run() -> None:
            with lock, contextlib.suppress(Exception):  # closed under us at shutdown
                for i, d in enumerate(pattern):
                    dev.value = i % 2 == 0
                    time.sleep(d)
                dev.value = False

        threading.Thread(target=run, daemon=True).start()

    def buzz(self, pattern: BuzzPattern) -> None:
        if self._buzzer is not None:
            self._pulses(self._buzzer, PATTERNS[pattern])

    def release(self, pulse_s: float) -> None:
        if self._relay is not None:
            self._pulses(self._relay, (pulse_s,))

    def close(self) -> None:
        for dev in (*self._lamps.values(), self._buzzer, self._relay):
            if dev is not None:
                dev.close()
