"""Score the camera pipeline against the hand-labelled truth in tests/data/truth/people.json.

    python -m bench.video.truth            # all clips, default settings
    python -m bench.video.truth --detector hog

Runs `stationkit camera replay`'s pipeline (same analyser, same defaults as the node) over
each clip and compares, at every labelled frame, the state the node had then (the last
analysed frame at or before it): the head count (raw: this pass's people; sent: the
smoothed count the gateway gets), "someone present", "someone moving" (the analyser's
per-frame `moving`: busy motion not all on people already counted; `motion_switch_f1` scores
the motion event's on/off switch against the same labels), and the exit-line crossings.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware_py.camera.config import CameraConfig
from firmware_py.camera.replay import EventLine, FrameLine, replay

REPO = Path(__file__).resolve().parents[2]
TRUTH = REPO / "tests" / "data" / "truth" / "people.json"
MEDIA = REPO / "tests" / "data" / "media"


@dataclass
class Score:
    frames: int = 0
    exact_raw: int = 0
    exact_sent: int = 0
    present: list[tuple[bool, bool]] = field(default_factory=list)
    present_raw: list[tuple[bool, bool]] = field(default_factory=list)
    moving: list[tuple[bool, bool]] = field(default_factory=list)
    switch: list[tuple[bool, bool]] = field(default_factory=list)
    crossings_true: int = 0
    crossings_found: int = 0
    crossings_extra: int = 0
    crossing_events: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.frames += other.frames
        self.exact_raw += other.exact_raw
        self.exact_sent += other.exact_sent
        self.present += other.present
        self.present_raw += other.present_raw
        self.moving += other.moving
        self.switch += other.switch
        self.crossings_true += other.crossings_true
        self.crossings_found += other.crossings_found
        self.crossings_extra += other.crossings_extra

    def summary(self) -> dict[str, Any]:
        return {
            "labelled_frames": self.frames,
            "count_exact_raw": round(self.exact_raw / max(1, self.frames), 3),
            "count_exact_sent": round(self.exact_sent / max(1, self.frames), 3),
            "present_f1_raw": f1(self.present_raw),
            "present_f1_sent": f1(self.present),
            "moving_f1": f1(self.moving),
            "motion_switch_f1": f1(self.switch),
            "crossings": f"{self.crossings_found}/{self.crossings_true}",
            "extra_crossings": self.crossings_extra,
        }


def f1(pairs: list[tuple[bool, bool]]) -> float:
    tp = sum(1 for t, p in pairs if t and p)
    fp = sum(1 for t, p in pairs if p and not t)
    fn = sum(1 for t, p in pairs if t and not p)
    return round(2 * tp / max(1, 2 * tp + fp + fn), 3)


def score_clip(name: str, truth: dict[str, Any], analysis: dict[str, Any]) -> Score:
    cam: dict[str, Any] = {
        "id": "truth",
        "source": {"kind": "file", "path": str(MEDIA / name)},
        "analysis": analysis,
    }
    line = truth.get("line")
    if line:
        cam["lines"] = [line]
    frames: list[FrameLine] = []
    crossings: list[EventLine] = []
    for out in replay(MEDIA / name, CameraConfig.model_validate(cam)):
        if isinstance(out, FrameLine):
            frames.append(out)
        elif out.kind == "line_cross":
            crossings.append(out)
    s = Score()
    for index, count, moving in truth["frames"]:
        seen = [f for f in frames if f.frame <= index]
        if not seen:
            continue
        f = seen[-1]
        s.frames += 1
        s.exact_raw += f.people_raw == count
        s.exact_sent += f.people == count
        s.present.append((count > 0, (f.people or 0) > 0))
        s.present_raw.append((count > 0, f.people_raw > 0))
        s.moving.append((bool(moving), f.moving))
        s.switch.append((bool(moving), f.motion))
    fps = truth.get("fps", 10)
    used: set[int] = set()
    for c in truth.get("crossings", []):
        lo, hi = c["frame_range"]
        s.crossings_true += 1
        for k, e in enumerate(crossings):
            ok = lo - 2 * fps <= e.frame <= hi + 2 * fps and e.data["direction"] == c["direction"]
            if k not in used and ok:
                used.add(k)
                s.crossings_found += 1
                break
    s.crossings_extra = len(crossings) - len(used)
    s.crossing_events = [(e.frame, e.data["direction"]) for e in crossings]
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--detector", default=None, help="override the detector (e.g. hog)")
    args = ap.parse_args()
    truth = json.loads(TRUTH.read_text())
    analysis = {"detector": args.detector} if args.detector else {}
    total = Score()
    results: dict[str, Any] = {}
    for name, t in truth["clips"].items():
        s = score_clip(name, t, analysis)
        results[name] = s.summary()
        total.add(s)
    results["all"] = total.summary()
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
