"""The vocabulary every device family shares: a device's health and how it reports a change.

`DeviceState` is the wire contract's (a node's status and heartbeat carry it per device);
drivers and simulators of every family (gate, thermometer, wand keys, cameras) report through
an `OnState` callback with a message a desk worker can act on when the state is "fault".
"""

from __future__ import annotations

from collections.abc import Callable

from devices.contract.models.common import DeviceState

OnState = Callable[[DeviceState, str | None], None]
"""Called with the new state and, for a fault, what to check ("thermometer on /dev/ttyUSB0…")."""

__all__ = ["DeviceState", "OnState"]
