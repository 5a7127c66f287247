"""Replay a recorded clip through one camera's real pipeline, on the clip's own clock.

The same analyser the node builds (`build_analyzer`, the same config and defaults) sees
the clip's frames at the camera's `analysis_fps`, timed by the clip's timestamps, not the
wall clock: a 10-minute recording replays in as long as the analysis takes. Each analysed
frame gives a `FrameLine`; each event the node would publish gives an `EventLine`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from devices.camera.analyzer import CameraAnalyzer
from devices.camera.detect import Detector
from devices.camera.errors import CameraError
from firmware_py.camera.config import CameraConfig
from firmware_py.camera.pipeline import analysis_frame, build_analyzer


@dataclass(frozen=True, slots=True)
class FrameLine:
    """One analysed frame: clip time, motion switch, someone moving, smoothed and raw head
    count, tamper."""

    t_s: float
    frame: int
    motion: bool
    motion_percent: float
    people: int | None
    people_raw: int
    detector_ran: bool
    tamper: list[str]
    moving: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": "frame",
            "t_s": round(self.t_s, 3),
            "frame": self.frame,
            "motion": self.motion,
            "moving": self.moving,
            "motion_percent": round(self.motion_percent, 2),
            "people": self.people,
            "people_raw": self.people_raw,
            "detector_ran": self.detector_ran,
            "tamper": self.tamper,
        }


@dataclass(frozen=True, slots=True)
class EventLine:
    """An event the node would publish (kind + its payload, as on the wire)."""

    t_s: float
    frame: int
    kind: str
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"type": "event", "t_s": round(self.t_s, 3), "frame": self.frame,
                "kind": self.kind, "data": self.data}  # fmt: skip


def clip_fps(cap: Any, path: Path) -> float:
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not 0 < fps <= 240:
        raise CameraError(f"{path}: the clip has no usable frame rate ({fps}); re-encode it")
    return fps


def replay(
    path: Path,
    cam: CameraConfig,
    *,
    detector: Detector | object | None = ...,
    analyzer: CameraAnalyzer | None = None,
) -> Iterator[FrameLine | EventLine]:
    """Yield frame and event lines for `path` analysed as camera `cam`.

    Frames are taken at `cam.analysis_fps` on the clip's clock (frame index ÷ clip fps),
    so a 25 fps clip analysed at 5 fps uses every 5th frame, as the node would.
    """
    if not path.is_file():
        raise CameraError(f"{path}: no such clip")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise CameraError(f"{path}: OpenCV cannot open it (codec missing?)")
    try:
        fps = clip_fps(cap, path)
        if analyzer is None:
            analyzer = build_analyzer(cam) if detector is ... else build_analyzer(cam, detector)
        step = 1.0 / cam.analysis_fps
        next_t = 0.0
        index = -1
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            index += 1
            t = index / fps
            if t + 1e-9 < next_t:
                continue
            next_t += step
            small = analysis_frame(frame, cam.analysis_width_px)
            a = analyzer.process(small, t)
            for f in a.findings:
                data = f.data.model_dump(mode="json", exclude_none=True)
                yield EventLine(t, index, f.kind, data)
            yield FrameLine(
                t,
                index,
                analyzer.switch.active,
                a.motion.fraction * 100,
                analyzer.people_count,
                len(a.people),
                a.detector_ran,
                [r for r, on in analyzer.tamper.active.items() if on],
                a.moving,
            )
    finally:
        cap.release()
