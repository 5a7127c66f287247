"""GATE-ASCII/1: the walk-through gate's serial event protocol (docs/devices/gate-ascii.md).

Frame: ``STX ADDR BODY ETX BCC`` — ADDR two hex digits (``00`` broadcast, ``01``–``FE``),
BODY printable ASCII: a 2–3 letter mnemonic, then ``?`` (a query) or a space and
comma-separated fields; BCC two hex digits, the XOR of every byte from ADDR to ETX
inclusive. STX and ETX never occur inside a frame, so a parser always resynchronises on
the next STX.

Pure functions over bytes: `encode_frame`/`decode_frame` for one frame, `GateAsciiParser`
for a byte stream, `parse_message`/`encode_message` between frames and typed messages.
Nothing here raises anything but `FrameError`; the stream parser counts errors instead.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from devices.serialio.checksums import xor8
from devices.serialio.errors import FrameError

STX, ETX = 0x02, 0x03
MAX_FRAME_BYTES = 128
BROADCAST = 0
_BODY = re.compile(r"^([A-Z]{2,3})(\?|(?: (.*))?)$")
_HEX = b"0123456789ABCDEF"

Direction = Literal["in", "out", "unknown"]
_DIR_CODES: dict[str, Direction] = {"I": "in", "O": "out", "U": "unknown"}
_DIR_LETTERS = {v: k for k, v in _DIR_CODES.items()}
FAULT_CODES = {
    1: "IR beam blocked",
    2: "speed violation",
    3: "tamper",
    4: "coil fault",
    5: "mains/battery",
}
ERROR_CODES = {1: "bad BCC", 2: "unknown mnemonic", 3: "out of range", 4: "not allowed in local"}


@dataclass(frozen=True, slots=True)
class GateFrame:
    addr: int
    mnemonic: str
    query: bool = False
    fields: tuple[str, ...] = ()


# -- typed messages (gate → host) -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Passage:
    seq: int
    direction: Direction
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Alarm:
    seq: int
    direction: Direction
    zone_mask: int
    level: int


@dataclass(frozen=True, slots=True)
class Fault:
    code: int

    @property
    def text(self) -> str:
        return FAULT_CODES.get(self.code, f"fault code {self.code}")


@dataclass(frozen=True, slots=True)
class Heartbeat:
    uptime_s: int
    state: Literal["R", "A", "F"]


@dataclass(frozen=True, slots=True)
class Counters:
    passages: int
    alarms: int
    mass_alarms: int


@dataclass(frozen=True, slots=True)
class Who:
    text: str


@dataclass(frozen=True, slots=True)
class Ok:
    pass


@dataclass(frozen=True, slots=True)
class Error:
    code: int


# -- typed messages (host → gate) -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Ack:
    seq: int


@dataclass(frozen=True, slots=True)
class Query:
    mnemonic: Literal["WHO", "AC", "SE"]


@dataclass(frozen=True, slots=True)
class ResetCounters:
    pass


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """``SE n``: from the host, set the sensitivity; from the gate, the answer to ``SE?``."""

    value: int


GateMessage = (
    Passage
    | Alarm
    | Fault
    | Heartbeat
    | Counters
    | Who
    | Ok
    | Error
    | Ack
    | Query
    | ResetCounters
    | Sensitivity
)


# -- frames --------------------------------------------------------------------------------------
def _hex2(value: int) -> bytes:
    return bytes((_HEX[value >> 4], _HEX[value & 0xF]))


def encode_frame(frame: GateFrame) -> bytes:
    if not 0 <= frame.addr <= 0xFE:
        raise FrameError("bad_field", f"address {frame.addr} is not 0..254")
    body = frame.mnemonic + ("?" if frame.query else "")
    if frame.fields:
        body += " " + ",".join(frame.fields)
    if not _BODY.match(body) or not body.isascii() or not body.isprintable():
        raise FrameError("bad_field", f"body {body!r} is not a GATE-ASCII/1 body")
    inner = _hex2(frame.addr) + body.encode() + bytes((ETX,))
    out = bytes((STX,)) + inner + _hex2(xor8(inner))
    if len(out) > MAX_FRAME_BYTES:
        raise FrameError("too_long", f"{len(out)} bytes is over {MAX_FRAME_BYTES}")
    return out


def _unhex(two: bytes, what: str) -> int:
    try:
        if len(two) != 2 or any(c not in _HEX for c in two):
            raise ValueError
        return int(two, 16)
    except ValueError:
        raise FrameError("bad_field", f"{what} {two!r} is not two upper-case hex digits") from None


def decode_frame(raw: bytes) -> GateFrame:
    """Decode exactly one frame (STX … BCC)."""
    if len(raw) > MAX_FRAME_BYTES:
        raise FrameError("too_long", f"{len(raw)} bytes is over {MAX_FRAME_BYTES}")
    if len(raw) < 7 or raw[0] != STX or raw[-3] != ETX:
        raise FrameError("short", f"{raw!r} is not STX ADDR BODY ETX BCC")
    inner = raw[1:-2]
    bcc = _unhex(raw[-2:], "BCC")
    if xor8(inner) != bcc:
        raise FrameError("checksum", f"BCC {bcc:02X} but the frame XORs to {xor8(inner):02X}")
    addr = _unhex(inner[:2], "address")
    try:
        body = inner[2:-1].decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("bad_field", "body is not ASCII") from None
    m = _BODY.match(body)
    if m is None or not body.isprintable():
        raise FrameError("bad_field", f"body {body!r} is not MNEMONIC[?| fields]")
    mnemonic, tail, fields = m.group(1), m.group(2), m.group(3)
    return GateFrame(
        addr=addr,
        mnemonic=mnemonic,
        query=tail == "?",
        fields=tuple(fields.split(",")) if fields else (),
    )


class GateAsciiParser:
    """Stream parser: `feed(bytes)` returns the frames completed by those bytes.

    Never raises. Bad frames are counted in `errors` by reason (``checksum`` …) and the
    parser hunts for the next STX. Call `timeout()` when the line has been silent longer
    than an inter-character gap allows (the driver does it after an empty read), so a frame
    cut off by a disconnect does not swallow the start of the next one.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._in_frame = False
        self._bcc_left = 0
        self.errors: Counter[str] = Counter()
        self.frames = 0
        self.skipped_bytes = 0

    def reset(self) -> None:
        self._buf.clear()
        self._in_frame = False
        self._bcc_left = 0

    def timeout(self) -> None:
        if self._in_frame:
            self.errors["truncated"] += 1
            self.reset()

    def feed(self, data: bytes) -> list[GateFrame]:
        out: list[GateFrame] = []
        buf = self._buf
        for b in data:
            if b == STX:
                if self._in_frame:
                    self.errors["truncated"] += 1
                buf.clear()
                buf.append(b)
                self._in_frame, self._bcc_left = True, 0
                continue
            if not self._in_frame:
                self.skipped_bytes += 1
                continue
            buf.append(b)
            if self._bcc_left:
                self._bcc_left -= 1
                if self._bcc_left == 0:
                    self._in_frame = False
                    try:
                        out.append(decode_frame(bytes(buf)))
                        self.frames += 1
                    except FrameError as exc:
                        self.errors[exc.reason] += 1
                    buf.clear()
            elif b == ETX:
                self._bcc_left = 2
            elif len(buf) >= MAX_FRAME_BYTES - 2:
                self.errors["too_long"] += 1
                self.reset()
        return out


# -- messages ------------------------------------------------------------------------------------
def _int(text: str, what: str, lo: int, hi: int, base: int = 10) -> int:
    try:
        if not text or not text.isascii() or not text.isalnum():
            raise ValueError
        v = int(text, base)
    except ValueError:
        raise FrameError("bad_field", f"{what} {text!r} is not a number") from None
    if not lo <= v <= hi:
        raise FrameError("bad_field", f"{what} {v} is not in {lo}..{hi}")
    return v


def _dir(text: str) -> Direction:
    if text not in _DIR_CODES:
        raise FrameError("bad_field", f"direction {text!r} is not I, O or U")
    return _DIR_CODES[text]


def _arity(f: GateFrame, n: int) -> tuple[str, ...]:
    if len(f.fields) != n or f.query:
        raise FrameError("bad_field", f"{f.mnemonic} needs {n} fields, got {list(f.fields)}")
    return f.fields


def parse_message(f: GateFrame) -> GateMessage:
    """Typed message of a frame; FrameError("bad_field"/"unknown") if it makes no sense."""
    m = f.mnemonic
    if m == "PS":
        s, d, ms = _arity(f, 3)
        return Passage(_int(s, "seq", 0, 9999), _dir(d), _int(ms, "duration", 0, 600_000))
    if m == "AL":
        s, d, z, lv = _arity(f, 4)
        return Alarm(
            _int(s, "seq", 0, 9999),
            _dir(d),
            _int(z, "zones", 0, 2**36 - 1, 16),
            _int(lv, "level", 0, 99),
        )
    if m == "FT":
        (c,) = _arity(f, 1)
        return Fault(_int(c, "fault code", 0, 99))
    if m == "HB":
        up, st = _arity(f, 2)
        if st not in ("R", "A", "F"):
            raise FrameError("bad_field", f"heartbeat state {st!r} is not R, A or F")
        return Heartbeat(_int(up, "uptime", 0, 2**32), st)  # type: ignore[arg-type]
    if m == "AC" and not f.query:
        p, ta, ma = _arity(f, 3)
        return Counters(
            _int(p, "passages", 0, 2**32), _int(ta, "alarms", 0, 2**32), _int(ma, "mass", 0, 2**32)
        )
    if m == "SE" and not f.query:
        (v,) = _arity(f, 1)
        return Sensitivity(_int(v, "sensitivity", 0, 200))
    if m == "WHO" and not f.query:
        return Who(",".join(f.fields))
    if m == "OK":
        return Ok()
    if m == "ER":
        (c,) = _arity(f, 1)
        return Error(_int(c, "error code", 0, 99))
    if m == "AK":
        (s,) = _arity(f, 1)
        return Ack(_int(s, "seq", 0, 9999))
    if m in ("WHO", "AC", "SE") and f.query and not f.fields:
        return Query(m)  # type: ignore[arg-type]
    if m == "RC" and not f.fields:
        return ResetCounters()
    raise FrameError("unknown", f"mnemonic {m!r}{'?' if f.query else ''} is not GATE-ASCII/1")


def encode_message(addr: int, msg: GateMessage) -> bytes:
    def fr(m: str, *fields: str, query: bool = False) -> bytes:
        return encode_frame(GateFrame(addr, m, query, tuple(fields)))

    match msg:
        case Passage(seq, d, ms):
            return fr("PS", f"{seq:04d}", _DIR_LETTERS[d], str(ms))
        case Alarm(seq, d, zones, level):
            return fr("AL", f"{seq:04d}", _DIR_LETTERS[d], f"{zones:05X}", f"{level:02d}")
        case Fault(code):
            return fr("FT", f"{code:02d}")
        case Heartbeat(up, st):
            return fr("HB", str(up), st)
        case Counters(p, ta, ma):
            return fr("AC", str(p), str(ta), str(ma))
        case Sensitivity(v):
            return fr("SE", str(v))
        case Who(text):
            return fr("WHO", *text.split(","))
        case Ok():
            return fr("OK")
        case Error(code):
            return fr("ER", f"{code:02d}")
        case Ack(seq):
            return fr("AK", f"{seq:04d}")
        case Query(m):
            return fr(m, query=True)
        case ResetCounters():
            return fr("RC")
    raise FrameError("unknown", f"cannot encode {msg!r}")
