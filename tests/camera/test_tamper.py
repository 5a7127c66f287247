"""Tamper checks: each fault raised within 10 s of simulated time, none on normal clips."""

from __future__ import annotations

import numpy as np
import pytest

from devices.camera.analyzer import AnalyzerSettings, CameraAnalyzer
from devices.camera.synthetic import SyntheticSource
from devices.camera.tamper import TamperDetector
from tests.camera.scenes import FPS, two_walkers

FAULT_AT_S = 20.0


def _faulty(fault: str) -> tuple[SyntheticSource, callable]:
    """The scene (opened) and what makes `fault` happen to its camera."""
    src = two_walkers(second_from_s=14)
    actions = {
        "covered": src.cover,
        "defocused": lambda: src.defocus(5.0),
        "moved": lambda: src.move(0.12, 0.05),
        "frozen": src.freeze,
    }
    return src, actions[fault]


@pytest.mark.parametrize("fault", ["covered", "defocused", "moved", "frozen"])
def test_fault_raised_within_10_s_and_only_that_fault(fault):
    src, act = _faulty(fault)
    analyzer = CameraAnalyzer("cam-1", AnalyzerSettings(detector="none"), frame_size=(320, 240))
    raised: dict[str, float] = {}
    for n in range(int(40 * FPS)):
        t = n / FPS
        if t == FAULT_AT_S:
            act()
        for f in analyzer.process(src.read(), t).findings:
            if f.kind == "tamper" and f.data.active:  # type: ignore[attr-defined]
                raised.setdefault(f.data.reason, t)  # type: ignore[attr-defined]
                assert f.snapshot and f.clip
    assert fault in raised, f"{fault} never raised"
    assert FAULT_AT_S < raised[fault] <= FAULT_AT_S + 10.0
    assert set(raised) == {fault}, f"also raised: {raised}"


@pytest.mark.parametrize("fault", ["covered", "defocused", "moved", "frozen"])
def test_fault_clears_when_camera_restored(fault):
    src, act = _faulty(fault)
    det = TamperDetector()
    changes = []
    for n in range(int(60 * FPS)):
        t = n / FPS
        if t == FAULT_AT_S:
            act()
        if t == FAULT_AT_S + 20:
            src.covered, src.blur_sigma, src.shift, src.frozen = False, 0.0, (0.0, 0.0), False
        changes += [(t, c.reason, c.active) for c in det.update(src.read(), t)]
    assert [(r, a) for _, r, a in changes] == [(fault, True), (fault, False)]
    assert changes[1][0] <= FAULT_AT_S + 20 + 10


def test_black_frame_is_covered():
    det = TamperDetector()
    rng = np.random.default_rng(1)
    scene = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    for n in range(25):
        det.update(scene, n * 0.2)
    black = np.zeros_like(scene)
    out = []
    for n in range(25, 60):
        out += det.update(black, n * 0.2)
    assert [(c.reason, c.active) for c in out] == [("covered", True)]


def _no_tamper(frames, fps):
    det = TamperDetector()
    raised = []
    for k, frame in enumerate(frames):
        raised += det.update(frame, k / fps)
    return raised


def test_no_tamper_over_the_normal_clips(one_by_one, gifs):
    assert _no_tamper(one_by_one, 5.0) == []
    for name, frames in gifs.items():
        # short clips: play them forwards and backwards a few times (about 15 s each)
        loop = (frames + frames[::-1]) * 3
        assert _no_tamper(loop, 12.5) == [], name


def test_reset_reference_accepts_a_new_view():
    src, act = _faulty("moved")
    det = TamperDetector()
    for n in range(100):
        if n == 25:
            act()
        det.update(src.read(), n / FPS)
    assert det.active["moved"]
    det.reset_reference()
    later = []
    for n in range(100, 200):
        later += det.update(src.read(), n / FPS)
    assert later == [] and not any(det.active.values())
