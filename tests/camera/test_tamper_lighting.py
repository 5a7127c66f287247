"""Tamper that survives lighting: dimming and brightening are not faults; a half-covered
lens is; a restarted node compares with the reference it kept on disk (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from devices.camera.analyzer import AnalyzerSettings, CameraAnalyzer
from devices.camera.synthetic import SyntheticSource
from devices.camera.tamper import TamperDetector
from tests.camera.scenes import FPS, feed, two_walkers


def _scene() -> SyntheticSource:
    return two_walkers(second_from_s=24)


def _lit(frame: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(frame.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _gain(kind: str, factor: float, t: float) -> float:
    """Lighting over time: 1 until 15 s, then a step to `factor` or a 10 s ramp to it."""
    if t < 15.0:
        return 1.0
    if kind == "step":
        return factor
    return 1.0 + (factor - 1.0) * min(1.0, (t - 15.0) / 10.0)


@pytest.mark.parametrize("factor", [0.3, 1.5])
@pytest.mark.parametrize("kind", ["step", "ramp"])
def test_dimming_and_brightening_raise_no_tamper(kind, factor):
    src = _scene()
    analyzer = CameraAnalyzer("cam", AnalyzerSettings(detector="none"), frame_size=(320, 240))
    raised = []
    for n in range(int(50 * FPS)):
        t = n / FPS
        frame = _lit(src.read(), _gain(kind, factor, t))
        raised += [f.data for f in analyzer.process(frame, t).findings if f.kind == "tamper"]
    assert raised == []
    assert analyzer.tamper.last is not None  # the checks did run on every frame


def test_dimming_a_real_clip_is_not_defocus(one_by_one):
    det = TamperDetector()
    raised = []
    for k, frame in enumerate(one_by_one[:300]):
        t = k / FPS
        raised += det.update(_lit(frame, 0.3 if t >= 20 else 1.0), t)
    assert raised == []


def test_sixty_percent_covered_is_covered():
    src = _scene()
    det = TamperDetector()
    raised = []
    for n in range(int(40 * FPS)):
        t = n / FPS
        frame = src.read()
        if t >= 20:
            frame = frame.copy()
            frame[:, : int(0.6 * frame.shape[1])] = (38, 36, 40)  # a hand, 60 % of the view
        raised += [(t, c.reason, c.active) for c in det.update(frame, t)]
    assert [(r, a) for _, r, a in raised] == [("covered", True)]
    assert 20 < raised[0][0] <= 30


def test_restart_with_a_moved_camera_raises_moved(tmp_path):
    path = tmp_path / "cam.tamper.npz"
    src = _scene()
    feed(TamperDetector(reference_path=path), src, 10)
    assert path.is_file()  # the learnt view was kept
    src.move(0.12, 0.05)  # turned while the node was down

    def run(det: TamperDetector) -> list[tuple[str, bool]]:
        return [
            (c.reason, c.active)
            for n in range(int(15 * FPS))
            for c in det.update(src.read(), 100 + n / FPS)
        ]

    assert run(TamperDetector(reference_path=path)) == [("moved", True)]
    # without the kept reference a restart would adopt the moved view: nothing raised
    assert run(TamperDetector()) == []


def test_reset_reference_forgets_the_kept_view(tmp_path):
    path = tmp_path / "cam.tamper.npz"
    src = _scene()
    det = TamperDetector(reference_path=path)
    feed(det, src, 10)
    det.reset_reference()
    assert not path.exists()


def test_unreadable_reference_file_is_relearnt(tmp_path):
    path = tmp_path / "cam.tamper.npz"
    path.write_bytes(b"not a numpy file")
    src = _scene()
    det = TamperDetector(reference_path=path)
    assert feed(det, src, 10) == [] and not det.learning
    assert path.stat().st_size > 100  # replaced by the new reference
