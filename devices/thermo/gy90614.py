"""GY-MCU90614 / GY-MCU90615 UART stream (MLX90614 + STM32 module), pure parser + encoder.

Module → host, 9600 8N1 (115200 selectable), ~14 frames/s in auto-output mode::

    5A 5A 45 04 TOh TOl TAh TAl SUM   [+ optional sensor-id byte on some builds]

TO (object) and TA (ambient) are signed 16-bit big-endian, °C × 100; SUM is the low 8 bits
of the sum of the first 8 bytes. Host → module commands are ``A5 cmd sum8``.

The parser hunts for ``5A 5A 45 04``, checks the sum and the physical range (object
−70…327.67 °C, the int16 ×100 limit; ambient −40…125 °C), and on any mismatch advances
one byte, so the trailing id byte and line noise are skipped. A sum8 cannot rule out
every false frame in random noise (1 in 256 candidates): the property tests show the
parser always locks onto good frames again by the next frame after garbage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from devices.serialio.checksums import sum8
from devices.serialio.errors import FrameError

HEADER = b"\x5a\x5a"
TYPE_TEMPERATURE = 0x45
FRAME_BYTES = 9
OBJECT_RANGE_C = (-70.0, 327.67)  # MLX90614 reads to 380 °C; int16 ×100 stops here
AMBIENT_RANGE_C = (-40.0, 125.0)

CMD_CONTINUOUS = bytes.fromhex("A545EA")
CMD_QUERY = bytes.fromhex("A515BA")
CMD_BAUD_9600 = bytes.fromhex("A5AE53")
CMD_BAUD_115200 = bytes.fromhex("A5AF54")


@dataclass(frozen=True, slots=True)
class GyFrame:
    object_celsius: float
    ambient_celsius: float


def command(cmd: int) -> bytes:
    """Host → module command ``A5 cmd sum8``."""
    return bytes((0xA5, cmd, (0xA5 + cmd) & 0xFF))


def _to_raw(celsius: float) -> int:
    raw = round(celsius * 100)
    if not -32768 <= raw <= 32767:
        raise FrameError("bad_field", f"{celsius} °C does not fit the ×100 int16 field")
    return raw & 0xFFFF


def encode_frame(frame: GyFrame) -> bytes:
    body = HEADER + bytes((TYPE_TEMPERATURE, 4))
    body += _to_raw(frame.object_celsius).to_bytes(2, "big")
    body += _to_raw(frame.ambient_celsius).to_bytes(2, "big")
    return body + bytes((sum8(body),))


def decode_frame(raw: bytes) -> GyFrame:
    """Decode exactly one 9-byte frame."""
    if len(raw) != FRAME_BYTES:
        raise FrameError("short", f"{len(raw)} bytes, a GY frame is {FRAME_BYTES}")
    if raw[:2] != HEADER or raw[2] != TYPE_TEMPERATURE or raw[3] != 4:
        raise FrameError("bad_field", f"header {raw[:4].hex(' ')} is not 5a 5a 45 04")
    if sum8(raw[:8]) != raw[8]:
        raise FrameError("checksum", f"sum {raw[8]:02x}, frame sums to {sum8(raw[:8]):02x}")
    to = int.from_bytes(raw[4:6], "big", signed=True) / 100
    ta = int.from_bytes(raw[6:8], "big", signed=True) / 100
    if not OBJECT_RANGE_C[0] <= to <= OBJECT_RANGE_C[1]:
        raise FrameError("bad_field", f"object {to} °C is outside the sensor range")
    if not AMBIENT_RANGE_C[0] <= ta <= AMBIENT_RANGE_C[1]:
        raise FrameError("bad_field", f"ambient {ta} °C is outside the sensor range")
    return GyFrame(to, ta)


class GyParser:
    """Stream parser; never raises. `errors` counts rejected candidates by reason."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.errors: Counter[str] = Counter()
        self.frames = 0
        self.skipped_bytes = 0

    def reset(self) -> None:
        self._buf.clear()

    def timeout(self) -> None:
        """The line went quiet: a partial frame will not be completed."""
        if self._buf:
            self.skipped_bytes += len(self._buf)
            self._buf.clear()

    def feed(self, data: bytes) -> list[GyFrame]:
        buf = self._buf
        buf += data
        out: list[GyFrame] = []
        i = 0
        n = len(buf)
        while True:
            j = buf.find(HEADER, i)
            if j < 0:
                # keep a trailing 5A: it may be the first half of the next header
                keep = n - 1 if n and buf[-1] == 0x5A else n
                self.skipped_bytes += keep - i if keep > i else 0
                i = max(i, keep)
                break
            self.skipped_bytes += j - i
            i = j
            if n - i < FRAME_BYTES:
                # wait for more, unless what we have already cannot be a temperature frame
                if (n - i > 2 and buf[i + 2] != TYPE_TEMPERATURE) or (
                    n - i > 3 and buf[i + 3] != 4
                ):
                    self.skipped_bytes += 1
                    i += 1
                    continue
                break
            try:
                out.append(decode_frame(bytes(buf[i : i + FRAME_BYTES])))
            except FrameError as exc:
                if exc.reason != "bad_field" or buf[i + 2] == TYPE_TEMPERATURE:
                    self.errors[exc.reason] += 1
                self.skipped_bytes += 1
                i += 1
                continue
            self.frames += 1
            i += FRAME_BYTES
        del buf[:i]
        return out
