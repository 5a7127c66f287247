"""The default pipeline (MoveNet) against the hand-labelled truth in tests/data/truth.

Thresholds are those issue 18 asks for where the pipeline meets them; the figures are
measured by `python -m bench.video.truth` (docs/benchmarks/video.md has them all,
including the ones below target)."""

from __future__ import annotations

import json

import pytest

from bench.video.truth import TRUTH, Score, score_clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def total() -> Score:
    clips = json.loads(TRUTH.read_text())["clips"]
    out = Score()
    for name, truth in clips.items():
        out.add(score_clip(name, truth, {}))
    return out


def test_head_count_exact_in_nine_of_ten_labelled_frames(total):
    assert total.frames >= 150
    assert total.exact_raw / total.frames >= 0.9


def test_someone_present_f1(total):
    s = total.summary()
    assert s["present_f1_raw"] >= 0.95
    assert s["present_f1_sent"] >= 0.9  # the smoothed count lags entries/exits by ~1.5 s


def test_exit_crossings_counted(total):
    assert total.crossings_true == 6
    assert total.crossings_found / total.crossings_true >= 0.9
    assert total.crossings_extra == 0


def test_hog_fallback_counts_far_worse(total):
    # the reason MoveNet is the default: HOG misses people seen from behind or seated
    clips = json.loads(TRUTH.read_text())["clips"]
    hog = score_clip(
        "face-demographics-walking-and-pause.gif",
        clips["face-demographics-walking-and-pause.gif"],
        {"detector": "hog"},
    )
    assert hog.exact_raw / hog.frames < 0.5


def test_someone_moving_f1(total):
    # per frame: busy motion not all on people already counted (hands at a table are not
    # someone moving); the motion event's on/off switch (3 s off delay, any motion) is not
    s = total.summary()
    assert s["moving_f1"] >= 0.75
    assert s["moving_f1"] > s["motion_switch_f1"]
