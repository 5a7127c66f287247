"""People detection behind one small interface, run only where it is needed.

`Detector.detect(frame, regions)` returns person boxes in frame pixels. Implementations:

- `HogPersonDetector`: OpenCV's HOG + linear SVM people detector (full bodies, upright,
  about 100 px tall and more). Needs opencv-python-headless < 5 (OpenCV 5 dropped it).
- `FaceHeadDetector`: OpenCV's frontal-face Haar cascade, for close room cameras where
  people face the lens and their feet are out of view; each face becomes a person box.
- `CompositeDetector`: runs several and merges boxes that are the same person.

- `MoveNetDetector` (devices/camera/movenet.py, the default): MoveNet MultiPose through
  onnxruntime, one pass over the whole frame; finds seated people and people seen from behind.

`make_detector("movenet")` (devices/camera/detectors.py) falls back to HOG, with a warning,
where onnxruntime is absent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from devices.camera.errors import CameraError
from devices.camera.geometry import Box, area, intersection
from devices.camera.source import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Detection:
    box: Box
    score: float
    label: str = "person"


class Detector(Protocol):
    name: str

    def detect(self, frame: Image, regions: Sequence[Box] | None = None) -> list[Detection]:
        """Person boxes in `frame` pixels; only inside `regions` when given (None = all)."""
        ...


def suppress(dets: Sequence[Detection], overlap: float = 0.6) -> list[Detection]:
    """Greedy non-maximum suppression on intersection ÷ smaller area (nested boxes merge)."""
    kept: list[Detection] = []
    for d in sorted(dets, key=lambda d: -d.score):
        if all(
            intersection(d.box, k.box) < overlap * max(1, min(area(d.box), area(k.box)))
            for k in kept
        ):
            kept.append(d)
    return kept


def _grow_to(region: Box, min_w: int, min_h: int, width: int, height: int) -> Box:
    x1, y1, x2, y2 = region
    if x2 - x1 < min_w:
        c = (x1 + x2) // 2
        x1, x2 = max(0, c - min_w // 2), min(width, c + min_w // 2)
    if y2 - y1 < min_h:
        c = (y1 + y2) // 2
        y1, y2 = max(0, c - min_h // 2), min(height, c + min_h // 2)
    return (x1, y1, x2, y2)


class HogPersonDetector:
    """HOG people detector; `upscale` > 1 finds people smaller than the 64×128 window."""

    name = "hog"

    def __init__(
        self, *, upscale: float = 1.0, hit_threshold: float = 0.3, max_crop_px: int = 192
    ) -> None:
        if not hasattr(cv2, "HOGDescriptor_getDefaultPeopleDetector"):
            raise CameraError(
                "this OpenCV has no HOG people detector (OpenCV 5 removed it); install "
                "opencv-python-headless<5 or configure detector = 'faces' or 'none'"
            )
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.upscale = upscale
        self.hit_threshold = hit_threshold
        self.max_crop_px = max_crop_px
        """Crops taller than this are shrunk first: HOG's window is 128 px, a person filling
        a 400 px motion region needs no more than ~190 px, and the cost falls with area."""

    def detect(self, frame: Image, regions: Sequence[Box] | None = None) -> list[Detection]:
        h, w = frame.shape[:2]
        out: list[Detection] = []
        need_w, need_h = int(72 / self.upscale) + 1, int(136 / self.upscale) + 1
        for region in regions if regions is not None else [(0, 0, w, h)]:
            x1, y1, x2, y2 = _grow_to(region, need_w, need_h, w, h)
            crop = frame[y1:y2, x1:x2]
            scale = self.upscale
            if regions is not None and crop.shape[0] * scale > self.max_crop_px:
                scale = max(self.max_crop_px / crop.shape[0], 136 / crop.shape[0])
            if crop.shape[0] * scale < 128 or crop.shape[1] * scale < 64:
                continue
            if scale != 1.0:
                crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            rects, weights = self._hog.detectMultiScale(
                crop, hitThreshold=self.hit_threshold, winStride=(8, 8), padding=(8, 8), scale=1.05
            )
            k = 1.0 / scale
            for (rx, ry, rw, rh), wt in zip(rects, np.ravel(weights), strict=False):
                box = (
                    x1 + int(rx * k),
                    y1 + int(ry * k),
                    x1 + int((rx + rw) * k),
                    y1 + int((ry + rh) * k),
                )
                out.append(Detection(box, float(wt)))
        return suppress(out)


class FaceHeadDetector:
    """Frontal faces → person boxes (the body is extrapolated below the face).

    A "face" found on the body under another face (a print on a dress, a hand) is the same
    person and is dropped: one head per body column.
    """

    name = "faces"

    def __init__(self, *, min_face_px: int = 18, min_neighbors: int = 5) -> None:
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise CameraError(f"cannot load the face cascade {path}; reinstall OpenCV")
        self.min_face_px = min_face_px
        self.min_neighbors = min_neighbors

    def faces(self, frame: Image, regions: Sequence[Box] | None = None) -> list[Box]:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        h, w = grey.shape
        found: list[Box] = []
        for x1, y1, x2, y2 in regions if regions is not None else [(0, 0, w, h)]:
            crop = grey[y1:y2, x1:x2]
            if min(crop.shape[:2]) < self.min_face_px:
                continue
            rects = self._cascade.detectMultiScale(
                crop, 1.1, self.min_neighbors, minSize=(self.min_face_px, self.min_face_px)
            )
            found += [(x1 + x, y1 + y, x1 + x + fw, y1 + y + fh) for x, y, fw, fh in rects]
        found.sort(key=lambda b: b[1])
        heads: list[Box] = []
        for f in found:
            fcx = (f[0] + f[2]) / 2
            on_body = any(
                abs(fcx - (k[0] + k[2]) / 2) < (k[2] - k[0]) and f[1] >= k[3] for k in heads
            )
            overlapping = any(intersection(f, k) > 0.3 * min(area(f), area(k)) for k in heads)
            if not on_body and not overlapping:
                heads.append(f)
        return heads

    def detect(self, frame: Image, regions: Sequence[Box] | None = None) -> list[Detection]:
        h, w = frame.shape[:2]
        out = []
        for x1, y1, x2, y2 in self.faces(frame, regions):
            fw, fh = x2 - x1, y2 - y1
            body = (max(0, x1 - fw), max(0, y1 - fh // 4), min(w, x2 + fw), min(h, y1 + 7 * fh))
            out.append(Detection(body, 1.0))
        return out


class CompositeDetector:
    """Union of several detectors; boxes mostly inside each other count once."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = list(detectors)
        self.name = "+".join(d.name for d in self.detectors)

    def detect(self, frame: Image, regions: Sequence[Box] | None = None) -> list[Detection]:
        dets: list[Detection] = []
        for d in self.detectors:
            dets += d.detect(frame, regions)
        return suppress(dets)
