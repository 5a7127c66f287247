"""What any thermometer driver reports, and how samples become one measurement per person.

Stream devices (GY-MCU90614 at ~14 Hz, a polled Optris head) report the object temperature
continuously: the wall or the air when nobody is there. `MeasurementDetector` (pure) turns
that into one `Measurement` per person: the object must rise above `presence_celsius`,
then `stable_samples` consecutive samples must agree within `stable_spread_celsius`; the
detector re-arms only when the object falls back below presence (the person left).
Devices with their own body mode and measurement counter (the Modbus module) report a
measurement whenever the counter moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from devices.base import Device


@dataclass(frozen=True, slots=True)
class Measurement:
    celsius: float
    """The screening value: the body estimate (device's, or object + configured offset)."""
    mode: Literal["body", "surface"] = "body"
    object_celsius: float | None = None
    ambient_celsius: float | None = None


OnMeasurement = Callable[[Measurement], None]


Thermometer = Device[Measurement]
"""A thermometer driver or simulator: reports one `Measurement` per person."""


@dataclass
class MeasurementDetector:
    presence_celsius: float = 30.0
    stable_samples: int = 3
    stable_spread_celsius: float = 0.2
    body_offset_celsius: float | None = None
    """Added to the object temperature to estimate body temperature, once calibrated at the
    site against a clinical thermometer. None (the default) reports the raw object value as
    mode="surface": forehead skin reads 1–3 °C below axillary and by an amount that depends
    on the room, so an uncalibrated value must not be labelled "body"."""
    _window: list[float] = field(default_factory=list)
    _armed: bool = True

    def absent(self) -> None:
        """No usable sample (the device flags the reading invalid): re-arm as if nobody."""
        self._window.clear()
        self._armed = True

    def feed(
        self, object_celsius: float, ambient_celsius: float | None = None
    ) -> Measurement | None:
        if object_celsius < self.presence_celsius - 0.5:  # hysteresis: person gone
            self._window.clear()
            self._armed = True
            return None
        if not self._armed or object_celsius < self.presence_celsius:
            return None
        self._window.append(object_celsius)
        self._window = self._window[-self.stable_samples :]
        if len(self._window) < self.stable_samples:
            return None
        if max(self._window) - min(self._window) > self.stable_spread_celsius:
            return None
        self._armed = False
        value = round(sum(self._window) / len(self._window), 2)
        self._window.clear()
        if self.body_offset_celsius is None:
            return Measurement(value, "surface", value, ambient_celsius)
        body = round(value + self.body_offset_celsius, 2)
        return Measurement(body, "body", value, ambient_celsius)
