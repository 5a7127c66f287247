"""The data watchdog of every serial device, and the state log every device driver shares.

A USB adapter that is present proves nothing about the device behind it: a module without
power, a cut TX wire or a wrong baud rate leave the port open and the line silent or full
of bytes that never parse. `DataWatchdog` measures the time since the last *valid* frame
(or reply) and says why it expired: nothing arrived at all ("sends nothing": power, wiring)
or bytes arrived that never made a frame ("unreadable": baud rate, protocol). It is pure —
clock injected, no thread — so the driver's own read loop calls `check()` after each read,
as the serial gate does with its heartbeat timeout (`devices/gate/serial_gate.py`).

`log_transition` is the one place a device state change is written to the node log: once
per transition (fault, recovery), never per retry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Silence = Literal["nothing", "unreadable"]


@dataclass
class DataWatchdog:
    """No valid frame for `timeout_s` while the port is open → expired.

    `restart()` when the port (re)opens, `received(n)` for every chunk of bytes read,
    `valid()` for every frame that parsed; `check()` returns the kind of silence once the
    timeout has passed (and keeps returning it until `valid()` or `restart()`).
    """

    timeout_s: float
    clock: Callable[[], float] = time.monotonic
    last_valid_at: float = field(init=False)
    bytes_since_valid: int = field(init=False, default=0)
    valid_frames: int = field(init=False, default=0)
    expiries: int = field(init=False, default=0)
    """How many times the watchdog expired (a counter for status pages)."""
    _expired: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError(f"watchdog timeout {self.timeout_s} s must be positive")
        self.last_valid_at = self.clock()

    def restart(self) -> None:
        """The port was (re)opened: give the device `timeout_s` to speak."""
        self.last_valid_at = self.clock()
        self.bytes_since_valid = 0
        self._expired = False

    def received(self, n: int) -> None:
        self.bytes_since_valid += n

    def valid(self) -> bool:
        """A valid frame arrived; True if that ends an expiry (the device is back)."""
        was = self._expired
        self.last_valid_at = self.clock()
        self.bytes_since_valid = 0
        self.valid_frames += 1
        self._expired = False
        return was

    @property
    def expired(self) -> bool:
        return self._expired

    def check(self) -> Silence | None:
        """None while frames arrive in time; else why the line is silent."""
        if not self._expired and self.clock() - self.last_valid_at >= self.timeout_s:
            self._expired = True
            self.expiries += 1
        if not self._expired:
            return None
        return "unreadable" if self.bytes_since_valid else "nothing"
