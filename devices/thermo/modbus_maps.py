"""Register maps of Modbus RTU thermometers: where the temperatures are, in which units.

Every Modbus IR thermometer puts its readings at its own addresses and scale, so the driver
reads one contiguous block described by a `RegisterMap` and `decode` turns it into a
`ModbusSample`. Presets exist only for maps published by the maker (source in `source`,
also listed in docs/devices/thermometers.md); anything else is a custom map in the node's
config. Pure: no IO, no pymodbus.

Two kinds of device:

* with a measurement counter (`seq_register`, our BODYTEMP-MB/1): the module decides when a
  person was measured; the driver reports a reading when the counter moves.
* without (industrial pyrometers such as the Calex PyroUSB): the object temperature is a
  stream like the GY-MCU90614's, and the driver's `MeasurementDetector` finds the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from devices.serialio.errors import FrameError
from devices.thermo import bodytemp_map as bm

Function = Literal["input", "holding"]
MAX_BLOCK = 125
"""Registers one Modbus read may return (the spec's limit for FC 03/04)."""


@dataclass(frozen=True, slots=True)
class RegisterMap:
    name: str
    function: Function
    """input = FC 04 (read input registers), holding = FC 03 (read holding registers)."""
    object_register: int
    celsius_per_count: float
    """0.01 for °C × 100, 0.1 for tenths of °C."""
    ambient_register: int | None = None
    body_register: int | None = None
    """The device's own body-temperature estimate (needs `seq_register`)."""
    status_register: int | None = None
    status_required: int = 0
    """Bits that must all be set for a sample to count (e.g. valid + present)."""
    status_invalid: int = 0
    """Bits of which any makes the sample void (measurement error, out of range)."""
    seq_register: int | None = None
    signed: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        regs = self.registers
        if any(not 0 <= r <= 0xFFFF for r in regs):
            raise ValueError(f"register map {self.name}: addresses must be 0..65535")
        if max(regs) - min(regs) + 1 > MAX_BLOCK:
            raise ValueError(
                f"register map {self.name}: registers {min(regs):#06x}..{max(regs):#06x} span "
                f"more than the {MAX_BLOCK} one Modbus read can return"
            )
        if self.body_register is not None and self.seq_register is None:
            raise ValueError(
                f"register map {self.name}: a body register needs a measurement counter "
                "(seq_register) to tell when a person was measured"
            )
        if self.celsius_per_count <= 0:
            raise ValueError(f"register map {self.name}: celsius_per_count must be positive")

    @property
    def registers(self) -> list[int]:
        optional = (self.ambient_register, self.body_register, self.status_register)
        return [self.object_register, *(r for r in (*optional, self.seq_register) if r is not None)]

    @property
    def start(self) -> int:
        return min(self.registers)

    @property
    def count(self) -> int:
        return max(self.registers) - self.start + 1

    @property
    def counts_measurements(self) -> bool:
        return self.seq_register is not None


@dataclass(frozen=True, slots=True)
class ModbusSample:
    object_celsius: float
    ambient_celsius: float | None
    body_celsius: float | None
    valid: bool
    status: int | None
    seq: int | None


def _calex(name: str, filtered: int, source: str) -> RegisterMap:
    """A Calex pyrometer: the filtered object temperature at `filtered`, the sensor (head)
    temperature two registers up, the status word three up (bit0 measurement error, bit1/2
    sensor temperature low/high, bit3/4 object temperature low/high); tenths of °C. The
    unfiltered temperature between them lies inside the block and is not used."""
    return RegisterMap(
        name,
        "holding",
        object_register=filtered,
        ambient_register=filtered + 2,
        status_register=filtered + 3,
        celsius_per_count=0.1,
        status_invalid=0b11111,
        source=source,
    )


PRESETS: dict[str, RegisterMap] = {
    "bodytemp-mb1": RegisterMap(
        "bodytemp-mb1",
        "input",
        object_register=0x0000,
        ambient_register=0x0001,
        body_register=0x0002,
        status_register=0x0003,
        seq_register=0x0005,
        celsius_per_count=0.01,
        status_required=bm.ST_VALID | bm.ST_PRESENT,
        status_invalid=bm.ST_FAULT,
        source="StationKit's own reference module (devices/thermo/bodytemp_map.py)",
    ),
    # Calex PyroUSB Operator's Guide, "Modbus over serial line", pp. 11-12: FC 03/04,
    # 0x12 filtered, 0x14 sensor (head) temperature, 0x15 status.
    "calex-pyrousb": _calex(
        "calex-pyrousb",
        0x12,
        "Calex PyroUSB Series Operator's Guide, Modbus address list pp. 11-12",
    ),
    # Calex PyroMiniBus (PMB) Operator's Manual, "List of Modbus registers", p. 7: the same
    # family one block lower — 0x0E filtered, 0x10 sensor temperature, 0x11 status.
    "calex-pyrominibus": _calex(
        "calex-pyrominibus",
        0x0E,
        "Calex PyroMiniBus (PMB21) Operator's Manual, list of Modbus registers p. 7",
    ),
}
DEFAULT_PRESET = "bodytemp-mb1"


def _value(raw: int, m: RegisterMap) -> float:
    if m.signed and raw & 0x8000:
        raw -= 0x10000
    # round away binary noise: 365 × 0.1 must read 36.5, not 36.500000000000004
    return round(raw * m.celsius_per_count, 4)


def decode(m: RegisterMap, regs: list[int] | tuple[int, ...]) -> ModbusSample:
    """The block read at `m.start` (`m.count` registers) as one sample; FrameError if not."""
    if len(regs) != m.count:
        raise FrameError("short", f"{len(regs)} registers, the {m.name} map reads {m.count}")
    if any(not isinstance(r, int) or not 0 <= r <= 0xFFFF for r in regs):
        raise FrameError("bad_field", f"registers {list(regs)} are not all u16")

    def at(addr: int | None) -> int | None:
        return None if addr is None else regs[addr - m.start]

    def temp(addr: int | None) -> float | None:
        raw = at(addr)
        return None if raw is None else _value(raw, m)

    obj = _value(regs[m.object_register - m.start], m)
    status = at(m.status_register)
    valid = status is None or (
        status & m.status_required == m.status_required and not status & m.status_invalid
    )
    sample = ModbusSample(
        obj, temp(m.ambient_register), temp(m.body_register), valid, status, at(m.seq_register)
    )
    for name, v in (("object", obj), ("body", sample.body_celsius)):
        if v is not None and valid and not -70 <= v <= 1000:
            raise FrameError("out_of_range", f"{name} {v} °C: is celsius_per_count right?")
    return sample


def encode(m: RegisterMap, sample: ModbusSample) -> dict[int, int]:
    """Register address → value for `sample` (the simulators' side of `decode`)."""

    def raw(celsius: float) -> int:
        return round(celsius / m.celsius_per_count) & 0xFFFF

    out = {m.object_register: raw(sample.object_celsius)}
    for addr, v in (
        (m.ambient_register, sample.ambient_celsius),
        (m.body_register, sample.body_celsius),
    ):
        if addr is not None and v is not None:
            out[addr] = raw(v)
    if m.status_register is not None:
        out[m.status_register] = (sample.status or 0) & 0xFFFF
    if m.seq_register is not None:
        out[m.seq_register] = (sample.seq or 0) & 0xFFFF
    return out
