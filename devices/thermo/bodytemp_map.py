"""BODYTEMP-MB/1: the register map of the Modbus RTU body-temperature module, pure decoding.

RTU framing, CRC and retries are pymodbus's job (`modbus.py`); this module only gives the
registers a meaning. 9600 8N1, slave 1 by default. Input registers from 0x0000:

======  ===========  =================================================================
addr    name         encoding
======  ===========  =================================================================
0x0000  T_OBJECT     int16, °C × 100 (raw forehead/skin)
0x0001  T_AMBIENT    int16, °C × 100
0x0002  T_BODY       int16, °C × 100 (the module's body-mode estimate)
0x0003  STATUS       bit0 valid, bit1 target present, bit2 below range, bit3 above range,
                     bit4 distance out of range, bit5 ambient out of range, bit6 fault
0x0004  DISTANCE_MM  u16
0x0005  MEAS_SEQ     u16, +1 per completed measurement
======  ===========  =================================================================

Holding registers from 0x0100: EMISSIVITY (×1000), OFFSET (int16 °C×100),
FEVER_THRESHOLD (°C×100), LOW_THRESHOLD (°C×100).
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.serialio.errors import FrameError

INPUT_START = 0x0000
INPUT_COUNT = 6
HOLDING_START = 0x0100
HOLDING_DEFAULTS = (980, 0, 3730, 3400)

ST_VALID = 1 << 0
ST_PRESENT = 1 << 1
ST_BELOW = 1 << 2
ST_ABOVE = 1 << 3
ST_DISTANCE = 1 << 4
ST_AMBIENT = 1 << 5
ST_FAULT = 1 << 6


@dataclass(frozen=True, slots=True)
class BodyTempRegisters:
    object_celsius: float
    ambient_celsius: float
    body_celsius: float
    status: int
    distance_mm: int
    seq: int

    @property
    def valid(self) -> bool:
        return bool(self.status & ST_VALID) and not self.status & ST_FAULT

    @property
    def present(self) -> bool:
        return bool(self.status & ST_PRESENT)

    @property
    def fault(self) -> bool:
        return bool(self.status & ST_FAULT)


def _s16(v: int) -> int:
    return v - 0x10000 if v & 0x8000 else v


def decode_registers(regs: list[int] | tuple[int, ...]) -> BodyTempRegisters:
    if len(regs) != INPUT_COUNT:
        raise FrameError("short", f"{len(regs)} registers, the map has {INPUT_COUNT}")
    if any(not isinstance(r, int) or not 0 <= r <= 0xFFFF for r in regs):
        raise FrameError("bad_field", f"registers {list(regs)} are not all u16")
    to, ta, tb = (_s16(r) / 100 for r in regs[:3])
    if not -70 <= to <= 380 or not -40 <= ta <= 125 or not -70 <= tb <= 380:
        raise FrameError("bad_field", f"temperatures {to}/{ta}/{tb} °C are out of range")
    return BodyTempRegisters(to, ta, tb, regs[3], regs[4], regs[5])


def encode_registers(r: BodyTempRegisters) -> list[int]:
    return [
        round(r.object_celsius * 100) & 0xFFFF,
        round(r.ambient_celsius * 100) & 0xFFFF,
        round(r.body_celsius * 100) & 0xFFFF,
        r.status & 0xFFFF,
        r.distance_mm & 0xFFFF,
        r.seq & 0xFFFF,
    ]
