"""Cost of the camera pipeline with the default detector (issue 18), one core.

    python -m bench.video.cost            # about a minute
    python -m bench.video.cost --quick

1. The motion step on 640×360 and 1280×720 frames, interleaved in one run (median ms).
2. Cameras one core sustains at 640×480, 5 fps, each camera doing what the node does per
   analysed frame: `analysis_frame` + `CameraAnalyzer.process` (MoveNet on its cadence:
   whole frame on motion every 0.5 s, every 5 s on a quiet view) + the pre-roll JPEG.
   Frames: 60 s of the one-by-one clip from frame 500 (people walk in, stand at a table,
   walk out; the room is empty in between), each camera starting at its own offset, so the
   detector runs at its motion, stationary and still cadences in the clip's proportions.
3. RSS of a camera node process with one camera (`CameraApp`, synthetic source, MoveNet).
With `--no-heap-trim`, the node's analysis loop does not call malloc_trim (as before
firmware_py/camera/heap.py).
The machine's load average is printed with the figures: it is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import cv2

from bench.video.__main__ import clip_frames, frames_for
from bench.video.memory import SIMULATOR, node_rss
from devices.camera.analyzer import AnalyzerSettings, CameraAnalyzer
from devices.camera.media import encode_jpeg
from devices.camera.motion import MotionDetector
from devices.camera.movenet import shared_movenet
from firmware_py.camera.pipeline import analysis_frame


def motion_ratio(n: int) -> dict[str, float]:
    small = frames_for((640, 360), True, n)
    large = frames_for((1280, 720), True, n)
    det_s, det_l = MotionDetector(), MotionDetector()
    ts: list[float] = []
    tl: list[float] = []
    for a, b in zip(small, large, strict=True):
        t0 = time.perf_counter()
        det_s.detect(a)
        t1 = time.perf_counter()
        det_l.detect(b)
        t2 = time.perf_counter()
        ts.append(t1 - t0)
        tl.append(t2 - t1)
    ms_s, ms_l = statistics.median(ts) * 1e3, statistics.median(tl) * 1e3
    return {"640x360_ms": ms_s, "1280x720_ms": ms_l, "ratio": ms_l / ms_s}


def cameras_per_core(n_cams: int, seconds: float, input_px: int) -> dict[str, float]:
    frames = clip_frames((640, 480), 300)  # clip frames 500-1100: 60 s
    det = shared_movenet(input_px)
    settings = AnalyzerSettings(detector_input_px=input_px)
    ans = [
        CameraAnalyzer(f"c{i}", settings, detector=det, frame_size=(640, 480))
        for i in range(n_cams)
    ]
    done = runs = 0
    k = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for i, a in enumerate(ans):
            # each camera starts at its own point of the clip, so the cameras together see
            # the clip's mix of walking, standing and empty room, not all the same second
            f = frames[(k + i * len(frames) // n_cams) % len(frames)]
            small = analysis_frame(f, 640)
            runs += a.process(small, k / 5).detector_ran
            encode_jpeg(small, 70, 480)  # the pre-roll ring's JPEG (clips: width 480, q 70)
            done += 1
        k += 1
    wall = time.perf_counter() - t0
    return {
        "cameras_in_loop": n_cams,
        "frames_per_s": done / wall,
        "cameras_at_5fps": done / wall / 5.0,
        "detector_runs_per_camera_frame": runs / max(1, done),
    }


def movenet_ms(n: int, input_px: int) -> float:
    """Median time of one MoveNet pass on a 640×480 clip frame."""
    det = shared_movenet(input_px)
    frames = clip_frames((640, 480), n)
    times = []
    for f in frames:
        t0 = time.perf_counter()
        det.detect(f)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--input-px", type=int, default=384, help="MoveNet input, long side")
    ap.add_argument(
        "--no-heap-trim",
        action="store_true",
        help="node RSS without the analysis loop's malloc_trim (as before heap.py)",
    )
    args = ap.parse_args()
    cv2.setNumThreads(1)
    secs = 10.0 if args.quick else 30.0
    print(f"# load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    print("motion step:", json.dumps(motion_ratio(40 if args.quick else 120)))
    n = 10 if args.quick else 30
    print(f"MoveNet pass at {args.input_px} px, median ms:", round(movenet_ms(n, args.input_px), 1))
    print("cameras per core:", json.dumps(cameras_per_core(16, secs, args.input_px)))
    rss = node_rss(
        "movenet", SIMULATOR, 8.0 if args.quick else 15.0, heap_trim=not args.no_heap_trim
    )
    print("node RSS, one camera:", json.dumps(rss))
    print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
