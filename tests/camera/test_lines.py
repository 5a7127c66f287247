"""Directional line crossing: a synthetic exit line crossed in each direction."""

from __future__ import annotations

from devices.camera.analyzer import AnalyzerSettings, CameraAnalyzer
from devices.camera.lines import LineCounter, Tripwire
from devices.camera.synthetic import SyntheticSource, Walker
from devices.camera.tracking import Track

# A vertical exit line across the middle of the floor; the home is on the left of the image.
# a→b runs downwards, so with y down "left of a→b" is the image's right: in_side="right"
# means walking to the right half is "in".
EXIT = Tripwire("front-door", (0.5, 0.55), (0.5, 1.0), in_side="right")


def _crossings(walkers, *, night=False):
    src = SyntheticSource(width=320, height=240, fps=5, seed=3, walkers=walkers)
    src.open()
    an = CameraAnalyzer(
        "hall", AnalyzerSettings(detector="none"), lines=[EXIT], frame_size=(320, 240)
    )
    found = []
    for n in range(5 * 30):
        for f in an.process(src.read(), n / 5, night=night).findings:
            if f.kind == "line_cross":
                found.append((round(n / 5, 1), f.data.direction, f.data.night))  # type: ignore[attr-defined]
                assert f.snapshot and f.clip
    return found


def test_walking_out_then_in_gives_one_crossing_each_way():
    out_walk = Walker((0.8, 0.85), (0.15, 0.85), t0_s=3, dur_s=6)
    in_walk = Walker((0.15, 0.9), (0.85, 0.9), t0_s=14, dur_s=6)
    found = _crossings([out_walk, in_walk], night=True)
    assert [d for _, d, _ in found] == ["out", "in"], found
    assert 3 < found[0][0] < 9 and 14 < found[1][0] < 20
    assert all(night for *_, night in found)


def test_walking_beside_the_line_does_not_cross():
    along = Walker((0.75, 0.6), (0.75, 0.98), t0_s=2, dur_s=6)
    assert _crossings([along]) == []


def test_jitter_on_the_line_counts_once():
    lc = LineCounter([EXIT], 100, 100)
    xs = [30, 48, 51, 49, 52, 50, 49, 51, 70, 71]  # wobbles inside the dead band, then crosses
    found = []
    for x in xs:
        t = Track(1, (x - 2, 80, x + 2, 90), (float(x), 90.0), 0, 0)
        found += lc.update([t])
    assert [c.direction for c in found] == ["in"]


def test_crossing_beyond_the_ends_of_the_line_is_ignored():
    lc = LineCounter([Tripwire("door", (0.5, 0.5), (0.5, 0.7))], 100, 100)
    found = []
    for x in (30, 70):  # passes at y=95, below the end of the line
        found += lc.update([Track(2, (x, 90, x + 1, 95), (float(x), 95.0), 0, 0)])
    assert found == []
