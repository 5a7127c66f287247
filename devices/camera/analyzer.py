"""`CameraAnalyzer`: one camera's analytics, frame by frame, as a pure-ish object.

`process(frame, now_s)` runs motion → (gated) people detection → tracking → zones, lines
and counts → tamper checks, and returns `Finding`s: the `data` of the events to emit,
with whether a snapshot and a clip should go with them. No threads, no IO: the camera
node app (firmware_py/camera/app.py) calls it at the analysis rate and publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from devices.camera.detect import Detection, Detector
from devices.camera.detectors import make_detector
from devices.camera.geometry import Box, Point, area, expand, intersection, polygon_mask
from devices.camera.lines import LineCounter, Tripwire
from devices.camera.motion import MotionDetector, MotionResult, MotionSettings, MotionSwitch
from devices.camera.source import Image
from devices.camera.tamper import TamperDetector, TamperSettings
from devices.camera.tracking import CentroidTracker, Track, merge_boxes
from devices.camera.zones import CountSmoother, Zone, occupancy, zones_with_motion
from devices.contract.models.base import Payload
from devices.contract.models.camera import LineCrossData, MotionData, PeopleData, TamperData


class AnalyzerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    motion: MotionSettings = Field(default_factory=MotionSettings, description="motion tuning")
    tamper: TamperSettings = Field(default_factory=TamperSettings, description="tamper tuning")
    detector: str = Field("movenet", pattern=r"^(none|movenet|hog|faces|hog\+faces|faces\+hog)$")
    """person detector: movenet (MoveNet MultiPose through onnxruntime; seated, standing, from
    behind; falls back to hog without onnxruntime), hog (upright full bodies only), faces
    (close room cameras facing the lens), hog+faces, none"""
    detector_input_px: int = Field(384, ge=128, le=1024, multiple_of=32)
    """MoveNet input, long side in pixels: 384 (about 60 ms a pass on one x86 core here); 320
    or 288 cost ~25 % / ~38 % less, for more cameras per core"""
    detect_interval_s: float = Field(0.5, ge=0, le=60)
    """least time between detector runs while there is motion"""
    full_detect_interval_s: float = Field(5.0, ge=0, le=3600)
    """detector run on a quiet view, for still people"""
    line_detect_interval_s: float = Field(0.2, ge=0, le=60)
    """least time between detector runs while there is motion on a camera with exit lines
    tracked from detections (a walker must overlap their last box)"""
    stationary_detect_interval_s: float = Field(2.0, ge=0, le=600)
    """least time between detector runs while the only motion lies on people already counted
    (Frigate's stationary interval)"""
    still_misses: int = Field(3, ge=0, le=100)
    """detector passes that may miss a person whose box stays still before they stop being
    counted"""
    count_window_s: float = Field(1.5, ge=0, le=60)
    """head count = the most frequent count over this window"""
    count_hold_s: float = Field(1.0, ge=0, le=600)
    """a new head count must stay the most frequent this long before it is sent (hysteresis: no
    flicker storms)"""
    track_source: Literal["auto", "motion", "detector"] = "auto"
    """what line crossing tracks: detected people, motion blobs, or auto (detected people when
    a detector runs, else motion blobs)"""
    track_max_dist: float = Field(0.15, gt=0, le=1)
    """largest step of a track per frame, fraction of diagonal"""
    track_min_area: float = Field(0.003, ge=0, le=1)
    """smallest blob that is tracked, fraction of the frame"""


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Literal["motion", "people", "line_cross", "tamper"]
    data: Payload
    snapshot: bool = True
    clip: bool = False


@dataclass(slots=True)
class Analysis:
    motion: MotionResult
    people: list[Detection] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    detector_ran: bool = False
    moving: bool = False
    """Someone moving in this frame: busy motion (`on_percent`) not all of it on people
    already counted (a seated resident's hands, someone swaying at a table move pixels
    but nobody walks). With no detector: busy motion."""


class CameraAnalyzer:
    def __init__(
        self,
        camera: str,
        settings: AnalyzerSettings | None = None,
        *,
        zones: Sequence[Zone] = (),
        lines: Sequence[Tripwire] = (),
        masks: Sequence[Sequence[Point]] = (),
        detector: Detector | None = None,
        frame_size: tuple[int, int] = (640, 480),
        reference_path: Path | None = None,
    ) -> None:
        self.camera = camera
        self.s = settings or AnalyzerSettings()
        self.zones = list(zones)
        self.detector = (
            detector
            if detector is not None
            else make_detector(self.s.detector, input_px=self.s.detector_input_px)
        )
        w, h = frame_size
        mask = polygon_mask(masks, w, h) if masks else None
        self.motion = MotionDetector(self.s.motion, mask)
        self.switch = MotionSwitch(self.s.motion)
        self.tamper = TamperDetector(self.s.tamper, mask, reference_path=reference_path)
        self.lines = LineCounter(lines, w, h)
        self._size = (w, h)
        self.tracker = self._new_tracker(w, h)
        self._persons: list[_Person] = []
        self._last_detect_s = -1e18
        self._last_full_s = -1e18
        window, hold = self.s.count_window_s, self.s.count_hold_s
        self._count = CountSmoother(window, hold)
        self._zone_counts = {z.id: CountSmoother(window, hold) for z in self.zones}

    def _new_tracker(self, w: int, h: int) -> CentroidTracker:
        diag = (w * w + h * h) ** 0.5
        return CentroidTracker(
            self.s.track_max_dist * diag, min_area_px=int(self.s.track_min_area * w * h)
        )

    @property
    def people_count(self) -> int | None:
        """Smoothed head count of the whole view (None until the detector has run)."""
        return self._count.stable

    def zone_count(self, zone: str) -> int | None:
        sm = self._zone_counts.get(zone)
        return sm.stable if sm is not None else None

    def _detect(self, frame: Image, motion: MotionResult, now_s: float) -> bool:
        """Run the detector when due; returns whether it ran.

        Due as Frigate schedules it: while there is motion, at most every
        `detect_interval_s`; on a quiet view every `full_detect_interval_s`, so still
        people keep being confirmed and the CPU stays bounded.
        """
        if self.detector is None:
            return False
        h, w = frame.shape[:2]
        full_due = now_s - self._last_full_s >= self.s.full_detect_interval_s
        interval = self.s.detect_interval_s
        if self.lines.lines and self._track_source() == "detector":
            # at 0.5 s a walker moves more than a body width: tracks would break at the line
            interval = min(interval, self.s.line_detect_interval_s)
        # Motion only on people already counted (a seated resident's hands, someone at a
        # table) is rechecked at the slower stationary interval, as Frigate rechecks its
        # stationary objects; new motion elsewhere, or a camera with exit lines, at once.
        if interval == self.s.detect_interval_s and self._on_known_people(motion, w, h):
            interval = max(interval, self.s.stationary_detect_interval_s)
        moving_due = bool(motion.boxes) and now_s - self._last_detect_s >= interval
        whole = getattr(self.detector, "full_frame", False)
        if full_due or (moving_due and whole):
            dets = self.detector.detect(frame)
            self._persons = self._carry_still(dets, motion.boxes, now_s)
            self._last_full_s = self._last_detect_s = now_s
            return True
        if moving_due:
            regions = [expand(b, 0.3, w, h) for b in merge_boxes(motion.boxes, w // 30)]
            regions += [expand(p.det.box, 0.2, w, h) for p in self._persons]
            regions = merge_boxes(regions, 0)
            dets = self.detector.detect(frame, regions)
            keep = [
                p
                for p in self._persons
                if not any(_inside(p.det.box, r) for r in regions)
                and now_s - p.seen_s < 2 * max(self.s.full_detect_interval_s, 1.0)
            ]
            self._persons = keep + [_Person(d, now_s) for d in dets]
            self._last_detect_s = now_s
            return True
        return False

    def _on_known_people(self, motion: MotionResult, w: int, h: int) -> bool:
        """All of this frame's motion lies on people already counted (boxes grown 10 %)."""
        if not motion.boxes or not self._persons:
            return False
        known = [expand(p.det.box, 0.1, w, h) for p in self._persons]
        return all(any(_contains(k, m) for k in known) for m in motion.boxes)

    def _track_source(self) -> Literal["motion", "detector"]:
        if self.s.track_source == "auto":
            return "motion" if self.detector is None else "detector"
        return self.s.track_source

    def _carry_still(
        self, dets: Sequence[Detection], motion_boxes: Sequence[Box], now_s: float
    ) -> list[_Person]:
        """This pass's people, plus the still people it missed.

        A person found before and not found now stays counted while nothing moves in their
        box, for up to `still_misses` passes (a seated resident the model loses for a frame
        is still in the room); one who moved is gone at once (they walked out).
        """
        out = [_Person(d, now_s) for d in dets]
        for p in self._persons:
            if any(iou(p.det.box, d.box) >= 0.3 for d in dets):
                continue
            moved = any(
                intersection(p.det.box, m) > 0.05 * max(1, area(p.det.box)) for m in motion_boxes
            )
            if not moved and p.misses < self.s.still_misses:
                out.append(_Person(p.det, p.seen_s, p.misses + 1))
        return out

    def process(self, frame: Image, now_s: float, *, night: bool = False) -> Analysis:
        h, w = frame.shape[:2]
        if (w, h) != self._size:
            self._size = (w, h)
            self.lines.resize(w, h)
            self.tracker = self._new_tracker(w, h)
        motion = self.motion.detect(frame)
        out = Analysis(motion)
        cam = self.camera
        for change in self.tamper.update(frame, now_s, quiet=motion.fraction == 0):
            tdata = TamperData(
                camera=cam,
                reason=change.reason,
                active=change.active,
                score=change.score,
                snapshot=True,
            )
            out.findings.append(Finding("tamper", tdata, True, change.active))
        tampered = any(self.tamper.active.values())
        if not motion.whole_frame and not motion.calibrating and not tampered:
            switched = self.switch.update(motion.fraction, now_s)
        elif self.switch.active and tampered:
            switched = self.switch.update(0.0, now_s)
        else:
            switched = None
        if switched is not None:
            mdata = MotionData(
                camera=cam,
                active=switched,
                area_percent=round(min(100.0, motion.fraction * 100), 2),
                zones=zones_with_motion(self.zones, motion.boxes, w, h),
                snapshot=switched,
            )
            out.findings.append(Finding("motion", mdata, switched))
        if tampered:
            return out
        busy = motion.fraction * 100.0 >= self.s.motion.on_percent and not motion.whole_frame
        # judged against the people known before this pass: a walker has left their last box
        out.moving = busy and not self._on_known_people(motion, w, h)
        out.detector_ran = self._detect(frame, motion, now_s)
        out.people = [p.det for p in self._persons]
        if self.detector is not None:
            stable = self._count.update(len(out.people), now_s)
            if stable is not None:
                out.findings.append(
                    Finding("people", PeopleData(camera=cam, count=stable, snapshot=True))
                )
            per_zone = occupancy(self.zones, [d.box for d in out.people], w, h)
            for zid, n in per_zone.items():
                zs = self._zone_counts[zid].update(n, now_s)
                if zs is not None:
                    pdata = PeopleData(camera=cam, count=zs, zone=zid, snapshot=True)
                    out.findings.append(Finding("people", pdata))
        if self.lines.lines:
            if self._track_source() == "motion":
                out.tracks = self.tracker.update(merge_boxes(motion.boxes, max(4, w // 40)), now_s)
            elif out.detector_ran:
                # only this pass's detections: a carried still person has not moved
                fresh = [p.det.box for p in self._persons if p.misses == 0]
                out.tracks = self.tracker.update(fresh, now_s)
            for c in self.lines.update(out.tracks):
                ldata = LineCrossData(
                    camera=cam, line=c.line, direction=c.direction, night=night, snapshot=True
                )
                out.findings.append(Finding("line_cross", ldata, True, True))
            self.lines.forget(self.tracker.tracks)
        return out


@dataclass(slots=True)
class _Person:
    det: Detection
    seen_s: float
    misses: int = 0


def iou(a: Box, b: Box) -> float:
    inter = intersection(a, b)
    return inter / max(1, area(a) + area(b) - inter)


def _contains(outer: Box, inner: Box) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def _inside(box: Box, region: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]
