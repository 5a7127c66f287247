"""Optris CT / CTlaser / CSmicro binary protocol (industrial IR pyrometers), pure functions.

Host → sensor one command byte, sensor → host two bytes, factory 115200 8N1::

    01  → hi lo   object temperature   T = (hi·256 + lo − 1000) / 10 °C
    02  → hi lo   head (ambient) temperature, same encoding

On RS-485 each command is prefixed with ``B0 + address`` (e.g. ``B5 01`` reads device 5).
The replies carry no framing or checksum, so the driver resynchronises by request/response:
it flushes the input before each command and takes the last two bytes received in the
reply window (`parse_reply`); anything before them is counted as garbage.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.serialio.errors import FrameError

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


def encode_reply(celsius: float) -> bytes:
    raw = round(celsius * 10) + 1000
    if not 0 <= raw <= 0xFFFF:
        raise FrameError("bad_field", f"{celsius} °C does not fit the Optris encoding")
    return raw.to_bytes(2, "big")


def decode_value(two: bytes, cmd: int = CMD_OBJECT) -> float:
    if len(two) != REPLY_BYTES:
        raise FrameError("short", f"{len(two)} reply bytes, need {REPLY_BYTES}")
    celsius = (int.from_bytes(two, "big") - 1000) / 10
    lo, hi = OBJECT_RANGE_C if cmd == CMD_OBJECT else HEAD_RANGE_C
    if not lo <= celsius <= hi:
        raise FrameError("bad_field", f"{celsius} °C is outside the sensor range {lo}…{hi}")
    return celsius


def parse_reply(window: bytes, cmd: int = CMD_OBJECT) -> OptrisReply:
    """Decode everything received after one command: the reply is its last two bytes."""
    if len(window) < REPLY_BYTES:
        raise FrameError("short", f"no reply ({len(window)} bytes): is the sensor connected?")
    return OptrisReply(decode_value(window[-REPLY_BYTES:], cmd), len(window) - REPLY_BYTES)
