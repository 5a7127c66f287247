"""Serial parser throughput and intake-node CPU per check.

    python -m bench.serial [--seconds 1.0] [--arrivals 40]

For each protocol: frames parsed per second (stream fed in 64-byte chunks, as reads
deliver them), the device's maximum frame rate on its line at its baud rate (10 bits per
byte on the wire, plus the request and silent gaps for request/response protocols), and
the ratio (target ≥ 100×). Baseline, same run: a Python loop that only touches each byte
of the same stream (the cost floor of any per-byte parser in Python).

CPU per check: (a) the pure check state machine plus contract validation and JSON
encoding of every event; (b) the whole simulated desk — real drivers on mock pins and a
pseudo-terminal thermometer line, device simulators in the same process — per check, and
its idle CPU with nobody arriving.
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import machine
from devices.contract import codec
from devices.gate import ascii as ga
from devices.thermo import bodytemp_map as bm
from devices.thermo import gy90614, optris


def rate(fn: Callable[[], int], seconds: float) -> float:
    """Units per second of `fn` (returns units done per call), over about `seconds`."""
    fn()  # warm up
    n, t0 = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        n += fn()
    return n / elapsed


def chunks(data: bytes, size: int = 64) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def touch_rate(stream: list[bytes], frames: int, seconds: float) -> float:
    def run() -> int:
        acc = 0
        for c in stream:
            for b in c:
                acc ^= b
        return frames

    return rate(run, seconds)


def figures(
    run: Callable[[], int],
    stream: list[bytes],
    frames: int,
    seconds: float,
    *,
    baud: int,
    frame_bytes: float,
    line_bytes: float = 0,
) -> dict[str, float]:
    """A protocol's row: frames a second `run` parses, the most its line carries (10 bits a
    byte at `baud`; `line_bytes` more a frame for a request and silent gaps), and the
    byte-touch baseline over the same `stream` of `frames` frames."""
    return {
        "parsed": rate(run, seconds),
        "line": baud / 10 / (frame_bytes + line_bytes),
        "baseline": touch_rate(stream, frames, seconds),
        "bytes": frame_bytes,
        "baud": baud,
    }


def bench_gate(seconds: float) -> dict[str, float]:
    rng = random.Random(1)
    msgs: list[ga.GateMessage] = []
    for i in range(1000):
        r = rng.random()
        if r < 0.6:
            msgs.append(ga.Passage(i % 10000, "in", rng.randint(500, 1500)))
        elif r < 0.8:
            msgs.append(ga.Alarm(i % 10000, "in", rng.randint(1, 0xFFF), rng.randint(1, 99)))
        else:
            msgs.append(ga.Heartbeat(i * 5, "R"))
    raw = b"".join(ga.encode_message(1, m) for m in msgs)
    stream = chunks(raw)

    def run() -> int:
        p = ga.GateAsciiParser()
        n = 0
        for c in stream:
            for f in p.feed(c):
                ga.parse_message(f)
                n += 1
        return n

    return figures(run, stream, len(msgs), seconds, baud=9600, frame_bytes=len(raw) / len(msgs))


def bench_gy(seconds: float) -> dict[str, float]:
    rng = random.Random(2)
    frames = [
        gy90614.encode_frame(gy90614.GyFrame(round(rng.uniform(24, 38), 2), 24.0))
        for _ in range(2000)
    ]
    raw = b"".join(frames)
    stream = chunks(raw)

    def run() -> int:
        p = gy90614.GyParser()
        return sum(len(p.feed(c)) for c in stream)

    return figures(run, stream, len(frames), seconds, baud=9600, frame_bytes=9)


def bench_optris(seconds: float) -> dict[str, float]:
    replies = [optris.encode_reply(v / 10) for v in range(300, 400)]

    def run() -> int:
        for r in replies:
            optris.parse_reply(r)
        return len(replies)

    # one transaction = 1 request byte + 2 reply bytes at 115200 baud
    return figures(run, replies, len(replies), seconds, baud=115200, frame_bytes=3)


def bench_modbus(seconds: float) -> dict[str, float]:
    from pymodbus.framer import FramerRTU
    from pymodbus.pdu import DecodePDU

    framer = FramerRTU(DecodePDU(False))  # client side: decodes responses
    regs = bm.encode_registers(bm.BodyTempRegisters(34.52, 25.1, 36.8, 3, 250, 7))
    pdu = bytes([4, 12]) + b"".join(r.to_bytes(2, "big") for r in regs)
    frame = framer.encode(pdu, 1, 0)
    frames = [frame] * 200

    def run() -> int:
        for f in frames:
            _, resp = framer.handleFrame(f, 1, 0)
            bm.decode_registers(resp.registers)  # type: ignore[union-attr]
        return len(frames)

    # request 8 B + response 17 B + two 3.5-character silent gaps, at 9600 baud
    return figures(
        run, frames, len(frames), seconds, baud=9600, frame_bytes=len(frame), line_bytes=8 + 7
    )


def bench_machine(n: int) -> float:
    """CPU µs per check for the state machine + validation + JSON of every event."""
    from firmware_py.intake import machine as m

    counter = itertools.count()
    mach = m.CheckMachine(m.Policy(alarm_window_s=0.5), new_id=lambda: f"BENCH{next(counter):021d}")
    t = datetime(2026, 12, 1, tzinfo=UTC)
    seq = itertools.count(1)
    t0 = time.process_time()
    for i in range(n):
        at = t + timedelta(seconds=10 * i)
        effects = mach.handle(m.Passage(at, "in", "gate-1", alarm=i % 5 == 0))
        effects += mach.handle(m.Reading(at + timedelta(seconds=3), 36.6, device="thermo-1"))
        if i % 5 == 0:
            effects += mach.handle(m.WandEntry(at + timedelta(seconds=8), "clear"))
        effects += mach.handle(m.Tick(at + timedelta(seconds=9)))
        for e in effects:
            if isinstance(e, m.Emit):
                codec.encode(
                    codec.make_event(
                        e.kind, site="s", node="n", seq=next(seq), data=e.data, device=e.device
                    )
                )
    return (time.process_time() - t0) / n * 1e6


def bench_desk(arrivals: int, idle_s: float) -> tuple[float, float, float]:
    """(CPU ms per check, idle CPU %, wall s per arrival) of the whole simulated desk."""
    from firmware_py.doubles import RecordingContext
    from firmware_py.intake.scenario import play, script
    from tests.intake.pty_desk import PtyDesk

    with tempfile.TemporaryDirectory() as tmp:
        desk = PtyDesk(Path(tmp))
        app = desk.make_app()
        app.start(RecordingContext("bench", "desk-1", media=False))
        try:
            desk.ready()
            c0, w0 = time.process_time(), time.perf_counter()
            time.sleep(idle_s)
            idle = (time.process_time() - c0) / (time.perf_counter() - w0) * 100
            plan = [
                a
                for a in script(5, arrivals * 2)
                if a.kind in ("normal", "fever", "alarm_clear", "alarm_metal")
            ][:arrivals]
            c0, w0 = time.process_time(), time.perf_counter()
            for a in plan:
                play(a, desk, app)
            cpu = time.process_time() - c0
            wall = time.perf_counter() - w0
        finally:
            desk.close()
    return cpu / len(plan) * 1000, idle, wall / len(plan)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="time per parser measurement")
    ap.add_argument("--arrivals", type=int, default=40, help="arrivals for the desk CPU run")
    args = ap.parse_args()
    print(machine())
    print()
    print(f"{'protocol':<28}{'frames/s':>12}{'line max/s':>12}{'ratio':>9}{'byte-touch/s':>14}")
    for name, fn in [
        ("GATE-ASCII/1 (9600 8N1)", bench_gate),
        ("GY-MCU90614 (9600 8N1)", bench_gy),
        ("Optris CT (115200 8N1)", bench_optris),
        ("Modbus RTU BODYTEMP (9600)", bench_modbus),
    ]:
        r = fn(args.seconds)
        print(
            f"{name:<28}{r['parsed']:>12,.0f}{r['line']:>12,.1f}{r['parsed'] / r['line']:>8,.0f}×"
            f"{r['baseline']:>14,.0f}"
        )
    print()
    us = bench_machine(2000)
    print(f"check state machine + event validation/JSON: {us:,.0f} µs CPU per check")
    ms, idle, wall = bench_desk(args.arrivals, 3.0)
    print(
        f"whole simulated desk (drivers + simulators, one process): {ms:,.1f} ms CPU per check, "
        f"{wall:.2f} s wall per arrival; idle {idle:.1f} % of one core"
    )


if __name__ == "__main__":
    main()
