"""Where a camera node's memory goes (issue 18: RSS with one camera ≤ 100 MB).

    python -m bench.video.memory            # about three minutes
    python -m bench.video.memory --quick

1. Stages, each in a fresh process: RSS after importing numpy, OpenCV, pydantic, paho, the
   camera node's own code, onnxruntime; after building the MoveNet session; after ten
   passes on frames of the one-by-one clip; after `malloc_trim`.
2. A node with one camera (`CameraApp`, the same code as `stationkit camera`), side by side:
   no detector vs MoveNet, the simulator vs the clip as its source, and glibc's mmap
   threshold left dynamic (the default) vs fixed at 1 MiB (`MALLOC_MMAP_THRESHOLD_`, so
   onnxruntime's large activations go back to the system when freed while the 0.9 MB
   frame buffers stay on the heap). Peak and median RSS over the second half of the run.

The figures go in docs/benchmarks/video.md; the machine's load is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "tests" / "data" / "media" / "one-by-one-person-detection.mp4"

STAGES = f"""
import ctypes, json, psutil
p = psutil.Process(); out = {{}}
def mark(name): out[name] = round(p.memory_info().rss / 2**20, 1)
mark("python")
import numpy as np; mark("numpy")
import cv2; mark("opencv")
import pydantic; mark("pydantic")
import paho.mqtt.client; mark("paho")
import firmware_py.camera.app; mark("camera node code")
import onnxruntime; mark("onnxruntime")
from devices.camera.movenet import MoveNetDetector
det = MoveNetDetector(); mark("MoveNet session")
cap = cv2.VideoCapture({str(CLIP)!r}); frames = []
while len(frames) < 10:
    ok, f = cap.read()
    if not ok: break
    frames.append(cv2.resize(f, (640, 480)))
cap.release()
for f in frames: det.detect(f)
mark("10 passes")
ctypes.CDLL("libc.so.6").malloc_trim(0); mark("malloc_trim")
print(json.dumps(out))
"""

NODE = """
import json, sys, time, psutil
from firmware_py.camera.app import CameraApp
from firmware_py.camera.config import CameraNodeConfig
from firmware_py.doubles import RecordingContext
detector, source, seconds = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
if sys.argv[4] == "no-trim":  # as before firmware_py/camera/heap.py
    import firmware_py.camera.app as camera_app
    camera_app.trim_heap = lambda: False
cfg = CameraNodeConfig.model_validate(
    {"cameras": [{"id": "cam-0", "source": source, "analysis": {"detector": detector}}]})
class Ctx(RecordingContext):  # the node's events are kept; its media go out as on the wire
    def publish_media(self, event_id, payload): pass
    def publish_live(self, camera, jpeg): pass
p = psutil.Process(); app = CameraApp(cfg); app.start(Ctx()); t0 = time.monotonic(); seen = []
while time.monotonic() - t0 < seconds:
    time.sleep(0.25); seen.append(p.memory_info().rss / 2**20)
app.stop()
late = sorted(seen[len(seen) // 2:])
print(json.dumps({"peak_mb": round(max(seen), 1), "median_mb": round(late[len(late) // 2], 1),
                  "analysed": app.analysed}))
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, float]:
    environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=environ
    )
    if out.returncode != 0:
        raise SystemExit(f"measurement failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


SIMULATOR = {"kind": "synthetic", "seed": 1, "fps": 10, "walk_every_s": 4}
CLIP_SOURCE = {"kind": "file", "path": str(CLIP), "loop": True, "realtime": True}


def node_rss(
    detector: str,
    source: dict[str, object],
    seconds: float,
    *,
    mmap_threshold: int | None = None,
    heap_trim: bool = True,
) -> dict[str, float]:
    """Peak and median (second half) RSS of a fresh node process with one camera."""
    env = {"MALLOC_MMAP_THRESHOLD_": str(mmap_threshold)} if mmap_threshold else {}
    trim = "trim" if heap_trim else "no-trim"
    return _run(NODE, detector, json.dumps(source), str(seconds), trim, env=env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="8 s per node run instead of 20 s")
    args = ap.parse_args()
    seconds = 8.0 if args.quick else 20.0
    print(f"# load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    print("| stage | RSS MiB |\n|---|---|")
    for stage, mb in _run(STAGES).items():
        print(f"| {stage} | {mb} |")
    print("\n| detector | source | mmap threshold | peak MiB | median MiB | frames |")
    print("|---|---|---|---|---|---|")
    for detector in ("none", "movenet"):
        for name, source in (("simulator", SIMULATOR), ("clip", CLIP_SOURCE)):
            for threshold in (None, 2**20):
                m = node_rss(detector, source, seconds, mmap_threshold=threshold)
                print(
                    f"| {detector} | {name} | {'1 MiB' if threshold else 'dynamic'} | "
                    f"{m['peak_mb']} | {m['median_mb']} | {m['analysed']} |"
                )
    print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
