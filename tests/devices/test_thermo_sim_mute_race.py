"""The shipped simulated thermometer: its mute timer firing while `unmute()` runs must not
leave it faulty while it talks again (found by a review: the timer's fault landed after
unmute's "ok", and every measurement after was dropped)."""

from __future__ import annotations

import threading
import time

from devices.thermo.sim import SimulatedThermometer
from tests.devices.harness import Recorder


def test_unmute_during_the_mute_timers_fault_ends_ok() -> None:
    now = [0.0]
    sim = SimulatedThermometer("thermo-1", data_timeout_s=3.0, clock=lambda: now[0])
    rec = Recorder()
    sim.start(rec.on_item, rec.on_state)
    sim.mute()
    assert sim._timer is not None
    sim._timer.cancel()  # the test plays the timer thread itself, at the worst moment
    now[0] = 3.5  # the timeout has passed
    in_fault, go_on = threading.Event(), threading.Event()
    announce = sim._announce

    def paused(state: str, error: str | None) -> None:
        if state == "fault":
            in_fault.set()
            go_on.wait(2)
        announce(state, error)  # type: ignore[arg-type]

    sim._announce = paused  # type: ignore[method-assign]
    timer = threading.Thread(target=sim._expire)
    timer.start()
    assert in_fault.wait(2)
    unmuting = threading.Thread(target=sim.unmute)
    unmuting.start()
    time.sleep(0.1)  # unmute() runs now, or waits for the timer's state change to finish
    go_on.set()
    timer.join(2)
    unmuting.join(2)

    assert sim.state == "ok", rec.states
    sim.person(36.6)
    assert [round(m.celsius, 1) for m in rec.items] == [36.6]
