"""The head-count rule end to end with the real detector on real clips (issue 18).

Camera side: the node's pipeline (`build_analyzer`, MoveNet, the default settings) over the
clip frames; its `people` events carry the roster's expected count, sent on every change
and re-sent every `roster_report_s`, as `CameraApp` does. Gateway side: the alert engine's
pure `evaluate`, fed those events and a tick per analysed frame, with the head-count rule's
debounce set to 60 s.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from devices.contract import codec
from devices.contract.models.camera import PeopleData
from firmware_py.camera.config import CameraConfig
from firmware_py.camera.pipeline import analysis_frame, build_analyzer
from gateway.alerts.config import AlertsConfig
from gateway.alerts.engine import evaluate
from gateway.alerts.models import AlertChange, EngineState, Tick

from .conftest import decode

pytestmark = pytest.mark.slow

FPS = 5.0
DEBOUNCE_S = 60.0
T0 = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)


def _run(frames: Iterable[np.ndarray], expected: int) -> list[tuple[float, AlertChange]]:
    cam = CameraConfig.model_validate(
        {"id": "room-1", "source": {"kind": "synthetic"}, "analysis_width_px": 480}
    )
    analyzer = build_analyzer(cam)
    config = AlertsConfig.model_validate({"rules": {"head_count": {"debounce_s": DEBOUNCE_S}}})
    state = EngineState()
    changes: list[tuple[float, AlertChange]] = []
    seq, last_sent = 0, -1e9
    for k, frame in enumerate(frames):
        t = k / FPS
        now = T0 + timedelta(seconds=t)
        a = analyzer.process(analysis_frame(frame, 480), t)
        counts = [f.data.count for f in a.findings if f.kind == "people"]  # type: ignore[attr-defined]
        if not counts and analyzer.people_count is not None and t - last_sent >= 60:
            counts = [analyzer.people_count]  # the roster re-send
        items: list[object] = []
        for n in counts:
            seq += 1
            data = PeopleData(camera="room-1", count=n, expected=expected)
            items.append(codec.make_event("people", site="s", node="n", seq=seq, data=data, ts=now))
            last_sent = t
        items.append(Tick())
        for item in items:
            state, out = evaluate(state, item, now, config)  # type: ignore[arg-type]
            changes += [(t, c) for c in out]
    return changes


def _ping_pong(frames: list[np.ndarray], seconds: float) -> list[np.ndarray]:
    loop = frames + frames[::-1]
    return [loop[k % len(loop)] for k in range(int(seconds * FPS))]


def test_a_still_room_at_its_roster_raises_nothing_for_ten_minutes():
    # three people standing still, facing the camera (the end of the walk-and-pause clip,
    # played forwards and backwards: they sway, as people do)
    standing = decode("face-demographics-walking-and-pause.gif", width=480)[18:]
    assert _run(_ping_pong(standing, 600), expected=3) == []


def test_one_person_leaving_raises_the_missing_person_alert_after_the_debounce():
    # one-by-one clip at 5 fps: a man stands at the table (frame 1260 on), walks out at
    # frames 1342-1360; then the empty room (its last frames, looped) for 90 s
    clip = decode("one-by-one-person-detection.mp4", every=2, width=480)
    present = clip[1260 // 2 : 1342 // 2]
    leaving = clip[1342 // 2 : 1366 // 2]
    empty = _ping_pong(clip[1366 // 2 :], 90)
    left_at = (len(present) + len(leaving)) / FPS
    changes = _run(present + leaving + empty, expected=1)
    raised = [(t, c) for t, c in changes if c.kind == "raised"]
    assert len(raised) == 1, changes
    t, change = raised[0]
    assert change.alert.rule == "head_count"
    assert left_at + DEBOUNCE_S - 5 <= t <= left_at + DEBOUNCE_S + 10
    assert change.incident is not None  # a missing-person incident, as a staff report
