"""Scripted arrivals through real drivers (mock pins, pseudo-terminals) into a fake
NodeContext: exactly the expected checks and outcomes. The full 200-arrival run through a
real Mosquitto and the gateway is tests/intake/test_intake_integration.py."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from firmware_py.doubles import RecordingContext
from firmware_py.intake.scenario import play, script
from tests.intake.pty_desk import PtyDesk, wrong_outcomes

pytestmark = pytest.mark.slow  # 60 scripted arrivals over pseudo-terminals in real time

N = 60


def test_arrivals_over_ptys_and_mock_pins(tmp_path):
    desk = PtyDesk(tmp_path)
    app = desk.make_app()
    ctx = RecordingContext("fuling-station", "desk-1", media=False)
    app.start(ctx)
    try:
        desk.ready()
        arrivals = script(2027, N, unplug_at=N // 2)
        kinds = Counter(a.kind for a in arrivals)
        assert min(kinds[k] for k in ("fever", "alarm_clear", "alarm_metal", "alarm_no_wand")) > 0
        assert kinds["walk_past"] > 0 and kinds["remeasure"] > 0 and kinds["unplug_mid_check"] == 1
        t0 = time.monotonic()
        for a in arrivals:
            play(a, desk, app)
        elapsed = time.monotonic() - t0
        checks = ctx.wait_for_data("check", N)
        assert len(checks) == N, f"{len(checks)} checks for {N} arrivals"
        got = [c.outcome for c in checks]
        diff = wrong_outcomes(arrivals, got)
        assert not diff, diff[:10]
        assert len({c.check_id for c in checks}) == N
        for a, c in zip(arrivals, checks, strict=True):
            if a.kind == "alarm_metal":
                assert c.items_held == list(a.items)
            if a.kind == "fever":
                assert abs(c.celsius - a.celsius) < 0.05
        faults = [(e.device, e.data.state) for e in ctx.events if e.kind == "fault"]
        assert faults == [("thermo-1", "fault"), ("thermo-1", "ok")]
        assert elapsed < 30, f"{elapsed:.1f} s"
        print(f"{N} arrivals in {elapsed:.1f} s")
    finally:
        desk.close()
