"""Motion on a downscaled grey frame: running-average difference with contrast handling.

Close to Frigate's `ImprovedMotionDetector` (percentile contrast stretch, 3×3 blur, absdiff
against a float running average, threshold, dilate, contours) with two changes that our
users need:

- **Ghosts and stopped people fade fast.** A pixel that differs from the background but not
  from the previous analysed frame is stationary change (someone who stopped, or the place
  they left); it is blended in with `stationary_alpha`, so "motion" ends a couple of seconds
  after a person leaves instead of lingering for the life of a 0.01 average.
- **Whole-frame change is reported, not hidden.** When most of the frame changes at once
  (light switched, lens covered, camera turned) the detector recalibrates, reports
  `whole_frame=True` and no motion boxes; the analyser hands that to the tamper checks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from devices.camera.geometry import Box, fit_mask
from devices.camera.source import Image


class MotionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    frame_height_px: int = Field(120, ge=40, le=480, description="rows of the motion image")
    threshold: int = Field(25, ge=1, le=255, description="grey-level change that counts")
    contour_area_px: int = Field(12, ge=1, description="smallest blob, motion-image pixels")
    improve_contrast: bool = Field(True, description="percentile contrast stretch (dim scenes)")
    frame_alpha: float = Field(0.02, gt=0, le=1, description="background blend, quiet pixels")
    stationary_alpha: float = Field(0.15, gt=0, le=1)
    """background blend of changed-but-still pixels"""
    whole_frame_fraction: float = Field(0.6, gt=0.1, le=1)
    """changed fraction treated as a whole-frame change"""
    on_percent: float = Field(0.3, ge=0, le=100, description="changed area that is motion, %")
    on_frames: int = Field(2, ge=1, le=50, description="consecutive frames to switch on")
    off_delay_s: float = Field(3.0, ge=0, le=600, description="quiet time to switch off")


@dataclass(slots=True)
class MotionResult:
    boxes: list[Box] = field(default_factory=list)
    """Motion boxes in input-frame pixels."""
    fraction: float = 0.0
    """Moving pixels ÷ unmasked pixels (0–1)."""
    whole_frame: bool = False
    calibrating: bool = False


class MotionDetector:
    """Feed frames at the analysis rate (the blend factors are per frame)."""

    def __init__(self, settings: MotionSettings | None = None, mask: Image | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._mask_src = mask
        self._mask: Image | None = None
        self._bg: np.ndarray | None = None
        self._prev: Image | None = None
        self._ranges: deque[tuple[float, float]] = deque(maxlen=50)
        self._kernel = np.ones((3, 3), np.uint8)
        self._near = np.ones((5, 5), np.uint8)
        self._active_px = 1

    def reset(self) -> None:
        """Forget the background (next frame recalibrates)."""
        self._bg = None
        self._prev = None

    def _small(self, frame: Image) -> Image:
        h, w = frame.shape[:2]
        rows = self.settings.frame_height_px
        size = (max(1, round(w * rows / h)), rows)
        # Resize first, then grey, both with a cost that follows the small image (as
        # Frigate's nearest-neighbour resize of the luma plane): INTER_AREA and a
        # full-frame cvtColor cost 2.5x more at 1280x720 than at 640x360. The 3x3 blur
        # below smooths the aliasing that bilinear sampling leaves.
        small = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
        if small.ndim == 3:
            small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        if self._mask is None or self._mask.shape != small.shape:
            self._mask = fit_mask(self._mask_src, small.shape)
            self._active_px = max(1, int(np.count_nonzero(self._mask)))
        if self.settings.improve_contrast:
            lo, hi = np.percentile(small, (4, 96))
            self._ranges.append((float(lo), float(hi)))
            lo = sum(r[0] for r in self._ranges) / len(self._ranges)
            hi = sum(r[1] for r in self._ranges) / len(self._ranges)
            if hi - lo >= 8:
                stretched = (small.astype(np.float32) - lo) * (255.0 / (hi - lo))
                small = np.clip(stretched, 0, 255).astype(np.uint8)
        small = cv2.bitwise_and(small, self._mask)
        return cv2.GaussianBlur(small, (3, 3), 0)

    def detect(self, frame: Image) -> MotionResult:
        s = self.settings
        small = self._small(frame)
        assert self._mask is not None
        if self._bg is None or self._prev is None or self._bg.shape != small.shape:
            self._bg = small.astype(np.float32)
            self._prev = small
            return MotionResult(calibrating=True)
        bg8 = cv2.convertScaleAbs(self._bg)
        _, fg = cv2.threshold(cv2.absdiff(small, bg8), s.threshold, 255, cv2.THRESH_BINARY)
        fg = cv2.bitwise_and(fg, self._mask)
        changed = cv2.countNonZero(fg) / self._active_px
        if changed >= s.whole_frame_fraction:
            self._bg = small.astype(np.float32)
            self._prev = small
            return MotionResult(fraction=changed, whole_frame=True, calibrating=True)
        _, recent = cv2.threshold(cv2.absdiff(small, self._prev), s.threshold, 255, 0)
        recent = cv2.dilate(recent, self._near, iterations=2)
        moving = cv2.bitwise_and(fg, recent)
        fraction = cv2.countNonZero(moving) / self._active_px
        still = cv2.bitwise_and(fg, cv2.bitwise_not(recent))
        cv2.accumulateWeighted(small, self._bg, s.frame_alpha, cv2.bitwise_not(fg))
        cv2.accumulateWeighted(small, self._bg, s.stationary_alpha, still)
        self._prev = small
        boxes: list[Box] = []
        if fraction > 0:
            dilated = cv2.dilate(moving, self._kernel, iterations=1)
            contours, _ = cv2.findContours(dilated, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            fy = frame.shape[0] / small.shape[0]
            fx = frame.shape[1] / small.shape[1]
            for c in contours:
                if cv2.contourArea(c) > s.contour_area_px:
                    x, y, w, h = cv2.boundingRect(c)
                    boxes.append((int(x * fx), int(y * fy), int((x + w) * fx), int((y + h) * fy)))
        return MotionResult(boxes=boxes, fraction=fraction)


class MotionSwitch:
    """Motion on/off with hysteresis: on after `on_frames` busy frames, off after a quiet
    `off_delay_s`. `update` returns True/False on a transition, else None."""

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self.active = False
        self._busy = 0
        self._last_busy_s = -1e18

    def update(self, fraction: float, now_s: float) -> bool | None:
        busy = fraction * 100.0 >= self.settings.on_percent
        if busy:
            self._busy += 1
            self._last_busy_s = now_s
        else:
            self._busy = 0
        if not self.active and self._busy >= self.settings.on_frames:
            self.active = True
            return True
        if self.active and now_s - self._last_busy_s >= self.settings.off_delay_s:
            self.active = False
            return False
        return None
