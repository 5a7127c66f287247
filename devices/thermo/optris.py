"""Optris CT / CTlaser / CSmicro binary protocol (industrial IR pyrometers), pure functions.

Host → sensor one command byte, sensor → host two bytes, factory 115200 8N1::

    01  → hi lo   object temperature   T = (hi·256 + lo − 1000) / 10 °C
    02  → hi lo   head (ambient) temperature, same encoding

High-resolution "hs" heads (CSmicro 2Whs, CSlaser hs) answer ``01`` in hundredths instead:
T = (hi·256 + lo − 10000) / 100 °C (``30 3E`` → 23.50 °C, Optris CSmicro manual, digital
command set). The head temperature (``02``) keeps the tenths encoding on every model: the
manuals give the hs formula only for the object temperature. `Scale` names the two.

On RS-485 each command is prefixed with ``B0 + address`` (e.g. ``B5 01`` reads device 5).
The replies carry no framing or checksum, so the driver resynchronises by request/response:
it flushes the input before each command and takes the last two bytes received in the
reply window (`parse_reply`); anything before them is counted as garbage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from devices.serialio.errors import FrameError

Scale = Literal["standard", "hs"]
SCALES: dict[str, tuple[int, int]] = {"standard": (1000, 10), "hs": (10000, 100)}
"""scale → (offset, counts per °C): T = (raw − offset) / counts."""

CMD_OBJECT = 0x01
CMD_HEAD = 0x02
REPLY_BYTES = 2
# CT/CSmicro heads measure −50…975 °C; the head itself works −20…180 °C.
OBJECT_RANGE_C = (-50.0, 975.0)
HEAD_RANGE_C = (-40.0, 250.0)


@dataclass(frozen=True, slots=True)
class OptrisReply:
    celsius: float
    garbage_bytes: int = 0


def request(cmd: int, address: int | None = None) -> bytes:
    """Command bytes, with the RS-485 ``B0+addr`` prefix when `address` is given (1..15)."""
    if address is None:
        return bytes((cmd,))
    if not 1 <= address <= 15:
        raise FrameError("bad_field", f"RS-485 address {address} is not 1..15")
    return bytes((0xB0 + address, cmd))


def encode_reply(celsius: float, scale: Scale = "standard") -> bytes:
    offset, counts = SCALES[scale]
    raw = round(celsius * counts) + offset
    if not 0 <= raw <= 0xFFFF:
        raise FrameError("bad_field", f"{celsius} °C does not fit the Optris {scale} encoding")
    return raw.to_bytes(2, "big")


def raw_celsius(two: bytes, scale: Scale = "standard") -> float:
    """The temperature two reply bytes stand for in `scale`, range not checked."""
    offset, counts = SCALES[scale]
    return (int.from_bytes(two, "big") - offset) / counts


def decode_value(two: bytes, cmd: int = CMD_OBJECT, scale: Scale = "standard") -> float:
    if len(two) != REPLY_BYTES:
        raise FrameError("short", f"{len(two)} reply bytes, need {REPLY_BYTES}")
    celsius = raw_celsius(two, scale if cmd == CMD_OBJECT else "standard")
    lo, hi = OBJECT_RANGE_C if cmd == CMD_OBJECT else HEAD_RANGE_C
    if not lo <= celsius <= hi:
        raise FrameError(
            "out_of_range", f"{two.hex()} = {celsius} °C is outside the sensor range {lo}…{hi}"
        )
    return celsius


def parse_reply(window: bytes, cmd: int = CMD_OBJECT, scale: Scale = "standard") -> OptrisReply:
    """Decode everything received after one command: the reply is its last two bytes."""
    if len(window) < REPLY_BYTES:
        raise FrameError("short", f"no reply ({len(window)} bytes): is the sensor connected?")
    return OptrisReply(decode_value(window[-REPLY_BYTES:], cmd, scale), len(window) - REPLY_BYTES)


def other_scale_reading(two: bytes, scale: Scale) -> tuple[Scale, float] | None:
    """If an object reply out of range in `scale` is in range in the other scale, that one.

    A head set to the other resolution answers with plausible bytes that decode far out of
    range ("hs" 36.5 °C reads as 1265.0 °C in tenths); saying so beats blaming the cable.
    """
    other: Scale = "hs" if scale == "standard" else "standard"
    celsius = raw_celsius(two, other)
    lo, hi = OBJECT_RANGE_C
    return (other, celsius) if lo <= celsius <= hi else None
