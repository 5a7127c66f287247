"""Tamper and image-health checks: covered/black, defocused, moved, frozen.

Each check is a measure over a small grey frame compared with a threshold or with a
baseline learnt from the camera's own healthy frames, and a `Persist` gate so that a
person walking past the lens does not raise an alarm:

- **covered**: the frame is nearly uniform (grey-level standard deviation under
  `covered_std`) or black (mean under `dark_mean`) — hand, cloth, tape, paint, lens cap —
  or at least `covered_fraction` of the reference's textured blocks have gone flat
  (a block's contrast under a quarter of what the rest of the view kept: a hand over half
  the lens; a global dimming lowers every block alike and covers nothing).
- **defocused**: sharpness under `defocus_ratio` × the learnt baseline — focus ring
  turned, lens smeared or fogged. Sharpness is the variance of the Laplacian divided by
  the grey-level variance, so it does not change when the lights dim or the camera's
  auto-exposure brightens the view (both scale the two alike).
- **moved**: phase correlation against a reference shows a shift over `moved_shift`
  (fraction of the frame diagonal), or the scene no longer correlates with the reference
  (`moved_similarity`) — camera knocked or turned away.
- **frozen**: frames keep arriving but are (almost) bit-identical — hung encoder, frozen
  RTSP stream. Masked areas (an overlay clock) are ignored.

Frigate and motionEye recalibrate such changes away; here they raise `tamper` events.
The reference view can be kept in a file (`reference_path`), so a node restarted while its
camera is turned away compares with the view it learnt before, instead of adopting the
tampered one.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from devices.camera.gate import Persist
from devices.camera.geometry import fit_mask
from devices.camera.source import Image

_FW, _FH, _BX, _BY = 128, 96, 8, 6  # feature image and its block grid (16 × 16 blocks)
_MIN_BLOCK_ENERGY = 16 * 16 * 4.0**2  # block std ≥ 4 grey levels counts as textured
_MIN_PEAK = 0.15  # phase-correlation response needed to trust a shift

log = logging.getLogger(__name__)

Reason = Literal["covered", "defocused", "moved", "frozen"]
REASONS: tuple[Reason, ...] = ("covered", "defocused", "moved", "frozen")


class TamperSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="run the tamper checks")
    width_px: int = Field(256, ge=64, le=1280, description="width of the measuring image")
    covered_std: float = Field(10.0, ge=0, le=128, description="grey std below which: covered")
    dark_mean: float = Field(18.0, ge=0, le=255, description="mean grey below which: black")
    covered_fraction: float = Field(0.5, gt=0, le=1)
    """share of the reference's textured blocks gone flat that is: covered"""
    defocus_ratio: float = Field(0.35, gt=0, lt=1)
    """sharpness ÷ baseline below which: defocused"""
    moved_shift: float = Field(0.04, gt=0, lt=1)
    """shift vs reference, fraction of the diagonal: moved"""
    moved_similarity: float = Field(0.35, ge=0, le=1)
    """share of textured blocks still matching the reference below which: moved"""
    frozen_changed_fraction: float = Field(1e-5, ge=0, lt=1)
    """share of changed pixels below which a frame repeats"""
    learn_s: float = Field(3.0, ge=0.5, le=600, description="time to learn the baselines")
    covered_after_s: float = Field(3.0, ge=0, le=600, description="covered this long: raise")
    defocused_after_s: float = Field(4.0, ge=0, le=600, description="blurred this long: raise")
    moved_after_s: float = Field(4.0, ge=0, le=600, description="moved this long: raise")
    frozen_after_s: float = Field(5.0, ge=0, le=600, description="frozen this long: raise")
    clear_after_s: float = Field(3.0, ge=0, le=600, description="healthy this long: clear")


@dataclass(frozen=True, slots=True)
class TamperChange:
    reason: Reason
    active: bool
    score: float


@dataclass(slots=True)
class TamperMeasures:
    mean: float
    std: float
    sharpness: float
    shift: float
    similarity: float
    changed: float


class TamperDetector:
    """Feed every analysed frame with its time; get raised/cleared changes back."""

    def __init__(
        self,
        settings: TamperSettings | None = None,
        mask: Image | None = None,
        *,
        reference_path: Path | None = None,
    ) -> None:
        self.s = settings or TamperSettings()
        self.reference_path = reference_path
        self._ref_blocks: np.ndarray | None = None
        self._saved_s = -1e18
        self._mask_src = mask
        self._mask: Image | None = None
        self._gates: dict[Reason, Persist] = {
            "covered": Persist(self.s.covered_after_s, self.s.clear_after_s),
            "defocused": Persist(self.s.defocused_after_s, self.s.clear_after_s),
            "moved": Persist(self.s.moved_after_s, self.s.clear_after_s),
            "frozen": Persist(self.s.frozen_after_s, self.s.clear_after_s),
        }
        self._t0: float | None = None
        self._sharp: deque[float] = deque(maxlen=120)
        self._sharp_last_s = -1e18
        self._ref: np.ndarray | None = None
        self._window: np.ndarray | None = None
        self._prev: Image | None = None
        self.last: TamperMeasures | None = None
        self._load()

    # -- the reference view on disk ------------------------------------------------------
    def _load(self) -> None:
        path = self.reference_path
        if path is None or not path.is_file():
            return
        try:
            with np.load(path) as data:
                ref = data["features"].astype(np.float32)
                blocks = data["blocks"].astype(np.float32)
                sharp = [float(v) for v in data["sharpness"]]
        except (OSError, KeyError, ValueError) as exc:
            log.warning("tamper reference %s unreadable (%s); learning a new one", path, exc)
            return
        if ref.shape != (_FH, _FW) or blocks.shape != (_BY, _BX) or not sharp:
            log.warning("tamper reference %s has the wrong shape; learning a new one", path)
            return
        self._ref, self._ref_blocks = ref, blocks
        self._window = cv2.createHanningWindow((_FW, _FH), cv2.CV_32F)
        self._sharp.extend(sharp)

    def _save(self, now_s: float) -> None:
        path = self.reference_path
        if path is None or self._ref is None or self._ref_blocks is None:
            return
        self._saved_s = now_s
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp.npz")
            np.savez(
                tmp,
                features=self._ref,
                blocks=self._ref_blocks,
                sharpness=np.asarray(self._sharp, np.float32),
            )
            os.replace(tmp, path)  # atomic: a crash mid-write leaves the old reference
        except OSError as exc:
            log.warning("tamper reference %s not saved: %s", path, exc)

    @property
    def active(self) -> dict[Reason, bool]:
        return {r: g.active for r, g in self._gates.items()}

    @property
    def learning(self) -> bool:
        return self._ref is None

    def reset_reference(self) -> None:
        """Accept the current view as normal (after a camera was deliberately re-aimed)."""
        self._ref = None
        self._ref_blocks = None
        self._t0 = None
        self._sharp.clear()
        if self.reference_path is not None:
            self.reference_path.unlink(missing_ok=True)
        for g in self._gates.values():
            g.reset()

    def _grey(self, frame: Image) -> Image:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        h, w = grey.shape
        size = (self.s.width_px, max(16, round(h * self.s.width_px / w)))
        small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        if self._mask is None or self._mask.shape != small.shape:
            self._mask = fit_mask(self._mask_src, small.shape)
        return small

    def _features(self, grey: Image) -> np.ndarray:
        """Low-pass float image (128 × 96) used for shift and similarity."""
        small = cv2.resize(grey, (_FW, _FH), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(small.astype(np.float32), (3, 3), 0)

    def _block_std(self, grey: Image) -> np.ndarray:
        """Grey-level std of each block of the 8 × 6 grid."""
        small = cv2.resize(grey, (_FW, _FH), interpolation=cv2.INTER_AREA).astype(np.float32)
        b = small.reshape(_BY, _FH // _BY, _BX, _FW // _BX).swapaxes(1, 2)
        return np.asarray(b.std(axis=(2, 3)), np.float32)

    def _flat_share(self, blocks: np.ndarray) -> float:
        """Share of the reference's textured blocks that went flat, relative to the rest.

        Relative, so that dimming (every block loses contrast alike) is not covering: a
        block is flat when its contrast ratio to the reference is under a quarter of the
        ratio most blocks kept (the 80th percentile).
        """
        if self._ref_blocks is None:
            return 0.0
        textured = self._ref_blocks >= 4.0
        if textured.sum() < 4:
            return 0.0
        ratio = blocks[textured] / self._ref_blocks[textured]
        kept = float(np.percentile(ratio, 80))
        return float((ratio < 0.25 * kept).mean()) if kept > 0 else 0.0

    def _similarity(self, feats: np.ndarray) -> float:
        """Share of the reference's textured blocks that still match (block NCC > 0.5).

        A person in front of part of the scene spoils a few blocks; a camera that was
        turned spoils nearly all of them.
        """
        assert self._ref is not None
        ref = self._ref.reshape(_BY, _FH // _BY, _BX, _FW // _BX).swapaxes(1, 2)
        cur = feats.reshape(_BY, _FH // _BY, _BX, _FW // _BX).swapaxes(1, 2)
        ref = ref - ref.mean(axis=(2, 3), keepdims=True)
        cur = cur - cur.mean(axis=(2, 3), keepdims=True)
        rr = (ref**2).sum(axis=(2, 3))
        cc = (cur**2).sum(axis=(2, 3))
        ncc = (ref * cur).sum(axis=(2, 3)) / np.sqrt(rr * cc + 1e-6)
        textured = rr > _MIN_BLOCK_ENERGY
        if not textured.any():
            return 1.0
        return float((ncc[textured] > 0.5).mean())

    def update(self, frame: Image, now_s: float, *, quiet: bool = False) -> list[TamperChange]:
        """Check one frame. `quiet` (no motion in the frame) lets references follow slow
        lighting drift."""
        if not self.s.enabled:
            return []
        grey = self._grey(frame)
        assert self._mask is not None
        mean, std = cv2.meanStdDev(grey, mask=self._mask)
        mean_v, std_v = float(mean[0][0]), float(std[0][0])
        # contrast-normalised: dimming or auto-exposure scales numerator and denominator alike
        sharpness = float(cv2.Laplacian(grey, cv2.CV_32F).var()) / max(std_v * std_v, 1.0)
        blocks = self._block_std(grey)
        if self._prev is not None and self._prev.shape == grey.shape:
            diff = cv2.bitwise_and(cv2.absdiff(grey, self._prev), self._mask)
            changed = cv2.countNonZero(cv2.threshold(diff, 1, 255, 0)[1]) / diff.size
        else:
            changed = 1.0
        self._prev = grey
        flat = self._flat_share(blocks)
        covered = (
            std_v < self.s.covered_std
            or mean_v < self.s.dark_mean
            or flat >= self.s.covered_fraction
        )
        frozen = not covered and changed <= self.s.frozen_changed_fraction
        feats = self._features(grey)
        if self._t0 is None:
            self._t0 = now_s
        shift, similarity = 0.0, 1.0
        # a reference read from disk needs no learning: the view now is what is checked
        learning = self._ref is None and now_s - self._t0 < self.s.learn_s
        if not covered:
            if learning or self._ref is None:
                self._sharp.append(sharpness)
                if not learning:
                    self._ref = feats
                    self._ref_blocks = blocks
                    self._window = cv2.createHanningWindow(feats.shape[::-1], cv2.CV_32F)
                    self._save(now_s)
            else:
                (dx, dy), response = cv2.phaseCorrelate(
                    self._ref.copy(), feats.copy(), self._window
                )  # OpenCV 4.x windows its inputs in place: pass copies
                if response >= _MIN_PEAK:  # a weak peak is no evidence of a shift
                    shift = float(np.hypot(dx, dy) / np.hypot(_FW, _FH))
                similarity = self._similarity(feats)
        baseline = float(np.median(self._sharp)) if self._sharp else 0.0
        defocused = (
            not covered
            and not frozen
            and self._ref is not None
            and sharpness < self.s.defocus_ratio * baseline
        )
        moved = (
            not covered
            and not frozen
            and not defocused
            and self._ref is not None
            and (shift >= self.s.moved_shift or similarity < self.s.moved_similarity)
        )
        healthy = not (covered or defocused or moved or frozen)
        if healthy and quiet and self._ref is not None and not any(self.active.values()):
            # follow slow lighting drift; sharpness baseline gets a sample every 5 s
            self._ref = 0.95 * self._ref + 0.05 * feats
            if self._ref_blocks is not None:
                self._ref_blocks = 0.95 * self._ref_blocks + 0.05 * blocks
            if now_s - self._sharp_last_s >= 5.0:
                self._sharp.append(sharpness)
                self._sharp_last_s = now_s
            if now_s - self._saved_s >= 300.0:
                self._save(now_s)
        self.last = TamperMeasures(mean_v, std_v, sharpness, shift, similarity, changed)
        scores: dict[Reason, float] = {
            "covered": std_v if flat < self.s.covered_fraction else flat,
            "defocused": sharpness / baseline if baseline else 0.0,
            "moved": shift if shift >= self.s.moved_shift else similarity,
            "frozen": changed,
        }
        conds: dict[Reason, bool] = {
            "covered": covered,
            "defocused": defocused,
            "moved": moved,
            "frozen": frozen,
        }
        out: list[TamperChange] = []
        for reason in REASONS:
            change = self._gates[reason].update(conds[reason], now_s)
            if change is not None:
                out.append(TamperChange(reason, change, round(scores[reason], 4)))
        return out
