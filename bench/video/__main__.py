"""Benchmark of the camera analytics, snapshots, live view and node memory.

    python -m bench.video            # full run (about 1–2 minutes)
    python -m bench.video --quick    # shorter runs, for a smoke check

Everything runs on one core (`cv2.setNumThreads(1)`), on synthetic scenes (seeded), with a
naive full-resolution frame-difference detector measured on the same frames as baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from bench.common import cpu_model
from devices.camera.analyzer import AnalyzerSettings, CameraAnalyzer
from devices.camera.media import encode_jpeg
from devices.camera.synthetic import SyntheticSource, Walker

SIZES = {"640x480": (640, 480), "1280x720": (1280, 720)}


def frames_for(size: tuple[int, int], motion: bool, n: int) -> list[np.ndarray]:
    w, h = size
    walkers = (
        [Walker((0.05, 0.9), (0.95, 0.85), 0, n / 5), Walker((0.9, 0.7), (0.2, 0.95), 0, n / 5)]
        if motion
        else []
    )
    src = SyntheticSource(width=w, height=h, fps=5, seed=11, walkers=walkers)
    src.open()
    return [src.read() for _ in range(n)]


class NaiveDiff:
    """Baseline: grey, full-resolution absdiff with the previous frame, threshold, contours."""

    def __init__(self) -> None:
        self.prev: np.ndarray | None = None

    def process(self, frame: np.ndarray, _t: float) -> int:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        grey = cv2.GaussianBlur(grey, (21, 21), 0)
        if self.prev is None:
            self.prev = grey
            return 0
        delta = cv2.absdiff(self.prev, grey)
        self.prev = grey
        _, th = cv2.threshold(delta, 25, 255, cv2.THRESH_BINARY)
        th = cv2.dilate(th, None, iterations=2)
        contours, _ = cv2.findContours(th, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        return len(contours)


def clip_frames(size: tuple[int, int], n: int) -> list[np.ndarray]:
    """Frames 500–(500+2n) of the one-by-one clip in tests/data/media (a person walks in and
    stands), every 2nd frame (5 fps), resized to `size`. Empty if the clip is absent."""
    path = Path(__file__).resolve().parents[2] / "tests/data/media"
    cap = cv2.VideoCapture(str(path / "one-by-one-person-detection.mp4"))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 500)
    out = []
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            break
        ok, _ = cap.read()
        out.append(cv2.resize(f, size, interpolation=cv2.INTER_AREA))
    return out


def per_frame_ms(make: Callable[[], object], frames: list[np.ndarray]) -> float:
    """Median ms per frame of `make().process(frame, t)` over `frames` (after 10 warm-up)."""
    proc = make()
    times = []
    for k, f in enumerate(frames):
        t0 = time.perf_counter()
        proc.process(f, k / 5)  # type: ignore[attr-defined]
        if k >= 10:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def analyzer(detector: str) -> Callable[[], CameraAnalyzer]:
    return lambda: CameraAnalyzer("bench", AnalyzerSettings(detector=detector))


def cameras_per_core(frames: list[np.ndarray], n_cams: int, seconds: float, detector: str) -> float:
    """Frames/s one thread sustains round-robin over `n_cams` analysers (each with its own
    state, same frames); returns cameras that fit at 5 fps."""
    ans = [analyzer(detector)() for _ in range(n_cams)]
    done, k = 0, 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        f = frames[k % len(frames)]
        for a in ans:
            a.process(f, k / 5)
            done += 1
        k += 1
    fps = done / (time.perf_counter() - t0)
    return fps / 5.0


def jpeg_ms(frame: np.ndarray, quality: int, width: int | None, n: int = 40) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        data = encode_jpeg(frame, quality, width)
        times.append((time.perf_counter() - t0) * 1000)
        size = len(data)
    return statistics.median(times), size


# -- live view latency -----------------------------------------------------------------------
class StampedSource(SyntheticSource):
    """Writes the frame number into 16 black/white blocks and remembers when it was read."""

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.read_at: dict[int, float] = {}
        self.n = 0

    def read(self) -> np.ndarray:
        frame = super().read()
        self.n += 1
        block = self.width // 20
        for bit in range(16):
            v = 255 if (self.n >> bit) & 1 else 0
            frame[0:block, bit * block : (bit + 1) * block] = v
        self.read_at[self.n] = time.monotonic()
        return frame


def stamp_of(jpeg: bytes, width_src: int) -> int:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    k = img.shape[1] / width_src
    block = width_src // 20
    n = 0
    for bit in range(16):
        y, x = int(block * k / 2), int((bit + 0.5) * block * k)
        if img[y, x] > 128:
            n |= 1 << bit
    return n


def live_latency(seconds: float) -> dict[str, float]:
    import httpx
    import uvicorn
    from fastapi import FastAPI

    from devices.contract.codec import new_id
    from devices.contract.models import Command
    from firmware_py.camera.app import CameraApp
    from firmware_py.camera.config import CameraNodeConfig
    from gateway.api.context import GatewayContext
    from gateway.api.routes.live import router
    from gateway.live.relay import LiveRelay, Viewer
    from tests.support.mjpeg import mjpeg_parts
    from tests.support.net import free_port

    class Ctx:
        site, node = "bench-site", "bench-node"

        def emit(self, kind, data, *, device=None):  # type: ignore[no-untyped-def]
            from devices.contract import codec

            return codec.make_event(kind, site=self.site, node=self.node, seq=1, data=data)

        def publish_media(self, event_id: str, payload: bytes) -> None:
            pass

        def publish_live(self, camera: str, jpeg: bytes) -> None:
            relay.on_frame(self.site, self.node, camera, jpeg)

    cfg = CameraNodeConfig.model_validate(
        {"cameras": [{"id": "cam", "source": {"kind": "synthetic"}}]}
    )
    src = StampedSource(name="cam", width=640, height=480, fps=15, realtime=True)
    node = CameraApp(cfg, sources={"cam": src})

    def publish_cmd(site: str, n: str, action: str, args: dict) -> None:  # type: ignore[type-arg]
        node.handle_command(Command(id=new_id(), action=action, args=args, ts=datetime.now(UTC)))

    relay = LiveRelay(publish_cmd, live_args={"width_px": 640, "fps": 10, "quality": 70})
    app = FastAPI()
    app.include_router(router)
    app.state.context = GatewayContext(
        Path(tempfile.mkdtemp()) / "gw.db",
        live_relay=relay,
        live_authorise=lambda req, s, n, c: Viewer("bench"),
    )
    sock_port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=sock_port, log_level="warning")
    )
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.02)
    node.start(Ctx())
    lat: list[float] = []
    try:
        url = f"http://127.0.0.1:{sock_port}/live/bench-site/bench-node/cam.mjpg"
        with httpx.Client(timeout=10) as client, client.stream("GET", url) as resp:
            t_end = time.monotonic() + seconds
            for jpeg in mjpeg_parts(resp):
                got = time.monotonic()
                n = stamp_of(jpeg, 640)
                if n in src.read_at:
                    lat.append((got - src.read_at[n]) * 1000)
                if got > t_end:
                    break
    finally:
        node.stop()
        server.should_exit = True
        th.join(5)
    lat = lat[5:]  # skip start-up
    q = statistics.quantiles(lat, n=20)
    return {
        "frames": len(lat),
        "p50_ms": statistics.median(lat),
        "p95_ms": q[18],
        "max_ms": max(lat),
    }


# -- node memory (in a fresh process) --------------------------------------------------------
def memory_child(n_cams: int, seconds: float) -> None:
    import psutil

    from firmware_py.camera.app import CameraApp
    from firmware_py.camera.config import CameraNodeConfig

    proc = psutil.Process()
    base = proc.memory_info().rss
    cams = [
        {
            "id": f"cam-{i}",
            "source": {"kind": "synthetic", "seed": i, "fps": 10, "walk_every_s": 4},
            "analysis": {"detector": "hog"},
        }
        for i in range(n_cams)
    ]
    cfg = CameraNodeConfig.model_validate({"cameras": cams})

    class Ctx:
        site, node = "m", "m"
        events = 0

        def emit(self, kind, data, *, device=None):  # type: ignore[no-untyped-def]
            from devices.contract import codec

            self.events += 1
            return codec.make_event(kind, site="m", node="m", seq=self.events, data=data)

        def publish_media(self, event_id: str, payload: bytes) -> None:
            pass

        def publish_live(self, camera: str, jpeg: bytes) -> None:
            pass

    app = CameraApp(cfg)
    ctx = Ctx()
    cpu0 = proc.cpu_times()
    app.start(ctx)
    t0 = time.monotonic()
    peak = 0
    while time.monotonic() - t0 < seconds:
        time.sleep(0.5)
        peak = max(peak, proc.memory_info().rss)
    cpu1 = proc.cpu_times()
    analysed = app.analysed
    app.stop()
    wall = time.monotonic() - t0
    print(
        json.dumps(
            {
                "cameras": n_cams,
                "rss_start_mb": base / 2**20,
                "rss_peak_mb": peak / 2**20,
                "analysed_fps": analysed / wall,
                "cpu_percent_of_one_core": 100
                * (cpu1.user + cpu1.system - cpu0.user - cpu0.system)
                / wall,
                "events": ctx.events,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="shorter runs")
    ap.add_argument("--memory-child", nargs=2, type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    if args.memory_child:
        memory_child(int(args.memory_child[0]), args.memory_child[1])
        return
    n = 60 if args.quick else 150
    secs = 3.0 if args.quick else 8.0
    started = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"# bench.video — {started} — {cpu_model()}, {os.cpu_count()} CPUs")
    print(f"# Python {platform.python_version()}, OpenCV {cv2.__version__}, cv2 threads 1")
    print()
    print("## Per-frame analysis time (median ms; one core)")
    print(
        "| frame | scene | naive full-res diff (baseline) | analyser, no detector "
        "| analyser + HOG (motion-gated) | baseline ÷ analyser |"
    )
    print("|---|---|---|---|---|---|")
    results = {}
    for name, size in SIZES.items():
        for motion in (False, True, "clip"):
            frames = clip_frames(size, n) if motion == "clip" else frames_for(size, bool(motion), n)
            if not frames:
                continue
            base = per_frame_ms(NaiveDiff, frames)
            ours = per_frame_ms(analyzer("none"), frames)
            hog = per_frame_ms(analyzer("hog"), frames)
            results[(name, motion)] = frames
            scene = {False: "synthetic, empty", True: "synthetic, 2 walkers", "clip": "real clip"}[
                motion
            ]
            print(
                f"| {name} | {scene} | {base:.2f} | {ours:.2f} | {hog:.2f} | {base / ours:.1f}× |"
            )
    print()
    print("## Cameras one core sustains at 5 fps (640×480, motion in every camera, round-robin)")
    print("| scene | cameras in the loop | detector | naive baseline | ours |")
    print("|---|---|---|---|---|")
    for scene, key in (
        ("synthetic, 2 walkers", ("640x480", True)),
        ("real clip", ("640x480", "clip")),
    ):
        frames = results.get(key, [])
        if not frames:
            continue
        naive = 1000 / per_frame_ms(NaiveDiff, frames) / 5
        for n_cams in (1, 8):
            for det in ("none", "hog", "hog+faces"):
                ours = cameras_per_core(frames, n_cams, secs, det)
                print(f"| {scene} | {n_cams} | {det} | {naive:.1f} | {ours:.1f} |")
    print()
    print("## JPEG snapshot cost (median ms, bytes)")
    print("| source | encoded at | quality | ms | bytes |")
    print("|---|---|---|---|---|")
    for name in SIZES:
        f = results[(name, True)][30]
        for width, q in ((None, 80), (640, 80), (320, 70)):
            ms, size = jpeg_ms(f, q, width)
            label = name if width is None else f"{width} px wide"
            print(f"| {name} | {label} | {q} | {ms:.2f} | {size} |")
    print()
    print("## Live view latency, capture → HTTP viewer (loopback, 640×480 at 10 fps)")
    lat = live_latency(5.0 if args.quick else 15.0)
    print("| frames | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    print(f"| {lat['frames']} | {lat['p50_ms']:.1f} | {lat['p95_ms']:.1f} | {lat['max_ms']:.1f} |")
    print()
    print("## Node memory and CPU (fresh process, synthetic 640×480 cameras at 10 fps, HOG)")
    print("| cameras | RSS at start MB | peak RSS MB | analysed frames/s | CPU % of one core |")
    print("|---|---|---|---|---|")
    for n_cams in (1, 8):
        out = subprocess.run(
            [sys.executable, "-m", "bench.video", "--memory-child", str(n_cams), str(secs)],
            capture_output=True,
            text=True,
            check=True,
        )
        m = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {n_cams} | {m['rss_start_mb']:.0f} | {m['rss_peak_mb']:.0f} | "
            f"{m['analysed_fps']:.1f} | {m['cpu_percent_of_one_core']:.0f} |"
        )


if __name__ == "__main__":
    main()
