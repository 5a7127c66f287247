"""Exit line in a crowd: a walker passing a fidgeting bystander at the line (issue 18).

Motion merges the two into one blob that keeps the bystander's track; tracks built from
detected people keep them apart. The detector here is an oracle over the simulator's own
figures (the simulator ships in the product; the oracle implements `Detector`), so the test
is about tracking, not about the model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from devices.camera.analyzer import AnalyzerSettings, CameraAnalyzer
from devices.camera.detect import Detection
from devices.camera.geometry import Box
from devices.camera.lines import Tripwire
from devices.camera.synthetic import SyntheticSource, Walker

W, H, FPS = 320, 240, 5.0
EXIT = Tripwire("front-door", (0.5, 0.55), (0.5, 1.0), in_side="right")


def _bystander(seconds: float) -> list[Walker]:
    """Someone standing just left of the line, shifting from foot to foot."""
    steps = []
    for k in range(int(seconds / 0.8)):
        a, b = (0.42, 0.8), (0.45, 0.8)
        steps.append(Walker(a if k % 2 else b, b if k % 2 else a, k * 0.8, 0.79))
    return steps


WALKER = Walker((0.1, 0.86), (0.9, 0.84), 6.0, 6.0, colour=(60, 30, 30))


class Oracle:
    name = "oracle"
    full_frame = True

    def __init__(self, walkers: Sequence[Walker]) -> None:
        self.walkers = list(walkers)
        self.t_s = 0.0

    def detect(self, frame: np.ndarray, regions: Sequence[Box] | None = None) -> list[Detection]:
        out = []
        for wk in self.walkers:
            feet = wk.feet_at(self.t_s)
            if feet is None:
                continue
            fx, fy = int(feet[0] * W), int(feet[1] * H)
            ph = int(wk.height * H)
            pw = max(4, ph // 3)
            out.append(Detection((fx - pw // 2, fy - ph - pw // 2, fx + pw // 2, fy), 0.9))
        # the bystander's steps overlap in time at their joins: one person, one box
        out.sort(key=lambda d: d.box)
        kept: list[Detection] = []
        for d in out:
            if not kept or abs(d.box[0] - kept[-1].box[0]) > 8:
                kept.append(d)
        return kept


def _crossings(track_source: str) -> list[str]:
    walkers = [*_bystander(20.0), WALKER]
    src = SyntheticSource(width=W, height=H, fps=FPS, seed=5, walkers=walkers)
    src.open()
    oracle = Oracle(walkers)
    settings = AnalyzerSettings(detector="none", track_source=track_source)  # type: ignore[arg-type]
    an = CameraAnalyzer(
        "hall",
        settings,
        lines=[EXIT],
        frame_size=(W, H),
        detector=oracle if track_source == "detector" else None,
    )
    found = []
    for n in range(int(20 * FPS)):
        oracle.t_s = n / FPS
        for f in an.process(src.read(), n / FPS).findings:
            if f.kind == "line_cross":
                found.append(f.data.direction)  # type: ignore[attr-defined]
    return found


def test_a_walker_passing_a_bystander_is_counted_once_from_detections():
    assert _crossings("detector") == ["in"]


def test_motion_blobs_lose_that_crossing():
    assert _crossings("motion") != ["in"]
