"""`make_detector(kind)`: the person detector a camera's config names, built from the
implementations (`devices/camera/detect.py` for HOG and faces, `devices/camera/movenet.py`
for MoveNet). Kept apart from both so the implementations need not know each other."""

from __future__ import annotations

import logging

from devices.camera.detect import (
    CompositeDetector,
    Detector,
    FaceHeadDetector,
    HogPersonDetector,
)
from devices.camera.errors import CameraError

log = logging.getLogger(__name__)


def make_detector(kind: str, *, input_px: int = 384) -> Detector | None:
    """'movenet', 'hog', 'faces', 'hog+faces' or 'none'; `input_px`: MoveNet's input, long
    side."""
    parts = [p for p in kind.split("+") if p and p != "none"]
    made: list[Detector] = []
    for p in parts:
        if p == "movenet":
            from devices.camera.movenet import shared_movenet

            try:
                made.append(shared_movenet(input_px))
            except CameraError as exc:
                # A node installed without onnxruntime keeps counting, worse, rather than
                # refusing to start; the log says why and what to install.
                log.warning("%s; falling back to the HOG detector", exc)
                made.append(HogPersonDetector())
        elif p == "hog":
            made.append(HogPersonDetector())
        elif p == "faces":
            made.append(FaceHeadDetector())
        else:
            raise CameraError(
                f"unknown detector {p!r}: use 'movenet', 'hog', 'faces', 'hog+faces' or 'none'"
            )
    if not made:
        return None
    return made[0] if len(made) == 1 else CompositeDetector(made)
