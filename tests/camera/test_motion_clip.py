"""Motion on/off against hand-annotated ground truth (one_by_one_ground_truth.json)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from devices.camera.motion import MotionDetector, MotionSettings, MotionSwitch

TRUTH = json.loads((Path(__file__).parent / "one_by_one_ground_truth.json").read_text())
STEP = 2  # analysed every 2nd frame: 10 fps clip → 5 fps analysis
DT = STEP / TRUTH["fps"]


def _run(frames: list[np.ndarray], settings: MotionSettings):
    det, switch = MotionDetector(settings), MotionSwitch(settings)
    busy, events = [], []
    for k, frame in enumerate(frames):
        r = det.detect(frame)
        busy.append(r.fraction * 100 >= settings.on_percent)
        change = switch.update(r.fraction, k * DT)
        if change is not None:
            events.append((k * STEP, change))
    return busy, events


def _empty_frames(margin_before: int = 3, margin_after: int = 12) -> list[int]:
    """Source frames with nobody in the room (margins: annotation error, shadows)."""
    occupied = np.zeros(TRUTH["frames"] + 1, bool)
    for v in TRUTH["visits"]:
        a, b = v["present"]
        occupied[max(0, a - margin_before) : b + margin_after] = True
    return [f for f in range(0, TRUTH["frames"], STEP) if not occupied[f]]


def test_motion_frames_match_people_walking(one_by_one):
    busy, _ = _run(one_by_one, MotionSettings())
    by_frame = {k * STEP: b for k, b in enumerate(busy)}
    empty = _empty_frames()
    false_pos = sum(by_frame[f] for f in empty)
    assert len(empty) > 90  # about 21 s of empty room
    assert false_pos <= 0.01 * len(empty), f"motion in {false_pos}/{len(empty)} empty frames"
    for v in TRUTH["visits"]:
        for part in ("walk_in", "walk_out"):
            a, b = v[part]
            frames = [f for f in range(a, b + 1) if f in by_frame]
            hit = sum(by_frame[f] for f in frames) / len(frames)
            assert hit >= 0.8, f"{v['who']} {part}: motion in only {hit:.0%} of frames"


def test_motion_events_on_with_each_visit_and_off_between(one_by_one):
    settings = MotionSettings(off_delay_s=2.0)
    _, events = _run(one_by_one, settings)
    ons = [f for f, on in events if on]
    offs = [f for f, on in events if not on]
    # every "motion on" starts while someone is in the room
    for f in ons:
        assert any(v["present"][0] - 3 <= f <= v["present"][1] for v in TRUTH["visits"]), f
    # every visit switches motion on during its walk in (or it is still on from just before)
    state = {}
    on = False
    evs = dict(events)
    for f in range(0, TRUTH["frames"], STEP):
        on = evs.get(f, on)
        state[f] = on
    for v in TRUTH["visits"]:
        a, b = v["walk_in"]
        assert any(state[f] for f in range(a - a % 2, b + 1, STEP)), v["who"]
    # and motion is off at some point in every gap between visits
    visits = TRUTH["visits"]
    for before, after in itertools.pairwise(visits):
        gap = range(before["present"][1], after["present"][0])
        assert any(before["present"][1] <= f < after["present"][0] for f in offs), (
            f"motion never went off between {before['who']} and {after['who']} ({gap})"
        )
    assert len(ons) >= len(visits)


def test_whole_frame_change_is_reported_not_motion():
    det = MotionDetector()
    rng = np.random.default_rng(3)
    scene = rng.integers(60, 200, (180, 320), dtype=np.uint8)
    for _ in range(5):
        assert not det.detect(scene).whole_frame
    dark = (scene // 6).astype(np.uint8)  # lights off / lens covered
    r = det.detect(dark)
    assert r.whole_frame and r.boxes == []


def test_motion_mask_ignores_masked_area():
    from devices.camera.geometry import polygon_mask

    rng = np.random.default_rng(4)
    scene = rng.integers(60, 200, (180, 320), dtype=np.uint8)
    mask = polygon_mask([[(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]], 320, 180)
    masked, open_ = MotionDetector(mask=mask), MotionDetector()
    for _ in range(3):
        masked.detect(scene)
        open_.detect(scene)
    for k in range(4):
        moved = scene.copy()
        x = 20 + 10 * k
        moved[60:120, x : x + 40] = 255  # a bright thing moving in the left half
        r_masked, r_open = masked.detect(moved), open_.detect(moved)
    assert r_open.fraction > 0.01 and r_open.boxes
    assert r_masked.fraction == 0 and r_masked.boxes == []
