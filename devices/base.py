"""The vocabulary every device family shares: a device's health and how it reports a change.

`DeviceState` is the wire contract's (a node's status and heartbeat carry it per device);
drivers and simulators of every family (gate, thermometer, wand keys, cameras) report through
an `OnState` callback with a message a desk worker can act on when the state is "fault".
`Device[E]` is the interface of a family whose devices report events of type `E` (a gate its
passages and alarms, a thermometer its measurements, the wand keys their presses).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol, TypeVar

from devices.contract.models.common import DeviceState

OnState = Callable[[DeviceState, str | None], None]
"""Called with the new state and, for a fault, what to check ("thermometer on /dev/ttyUSB0…")."""

E = TypeVar("E", covariant=True)


class Device(Protocol[E]):
    """What every driver and simulator of a family offers; `E` is what it reports."""

    id: str
    state: DeviceState
    error: str | None

    def start(self, on_event: Callable[[E], None], on_state: OnState) -> None:
        """Begin reporting; callbacks run on the driver's own thread and must be quick."""
        ...

    def stop(self) -> None: ...


def log_transition(
    logger: logging.Logger, device: str, before: str, state: str, error: str | None
) -> None:
    """Write one device state change to the node log (call only when the state changed)."""
    if state == "fault":
        logger.warning("%s: fault: %s", device, error or "no detail")
    elif before == "fault":
        logger.info("%s: recovered (%s)", device, state)
    else:
        logger.debug("%s: %s", device, state)


class ReportsState:
    """A device's health as every driver and simulator keeps it: `state`, the fault's
    `error`, and `_set`, which logs a change and tells the `OnState` callback given at start."""

    id: str
    family: str = "device"  # "gate", "thermometer": how the log names it
    state: DeviceState = "unknown"
    error: str | None = None
    _on_state: OnState | None = None
    _log = logging.getLogger("devices")

    def _set(self, state: DeviceState, error: str | None) -> None:
        if state != self.state:
            self._announce(state, error)

    def _announce(self, state: DeviceState, error: str | None) -> None:
        """Log the change to `state` and tell the callback, whether or not the state differs
        (a driver also announces a fault whose cause changed)."""
        log_transition(self._log, f"{self.family} {self.id}", self.state, state, error)
        self.state, self.error = state, error
        if self._on_state:
            self._on_state(state, error)


__all__ = ["Device", "DeviceState", "OnState", "ReportsState", "log_transition"]
