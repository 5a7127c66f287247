"""The serial gate's state over a scripted line and a hand-driven clock: what the desk is told
when the gate falls silent, comes back reporting a fault, or a callback fails.

Found by a review of every driver's state handling: a gate back from silence whose first
frame was a fault announced "ok" and then "fault" again (a recovery and a second fault at the
desk), and one failing callback ended the reader thread for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from devices.gate import ascii as ga
from devices.gate.serial_gate import SerialGate
from tests.devices.harness import Recorder, ScriptedLine, wait_until

TIMEOUT_S = 16.0


class Rig:
    def __init__(self, on_event: Callable[[object], None] | None = None) -> None:
        self.now = 0.0
        self.line = ScriptedLine()
        self.rec = Recorder()
        self.gate = SerialGate(
            "gate-1", url="/dev/fake-gate", heartbeat_timeout_s=TIMEOUT_S, clock=lambda: self.now
        )
        self.gate.port.opener = lambda url, **settings: self.line
        self.gate.start(on_event or self.rec.on_item, self.rec.on_state)
        assert wait_until(lambda: self.gate.state == "ok", 2)

    def silence(self) -> None:
        self.now += TIMEOUT_S + 4
        assert wait_until(lambda: self.gate.state == "fault", 2), self.rec.states

    def says(self, msg: object) -> None:
        self.line.feed(ga.encode_message(1, msg))  # type: ignore[arg-type]

    def states(self) -> list[str]:
        return [s for s, _ in self.rec.states]

    def close(self) -> None:
        self.gate.stop()


@pytest.mark.parametrize(
    "first_word", [ga.Heartbeat(100, "F"), ga.Fault(5)], ids=["heartbeat-F", "fault-5"]
)
def test_back_from_silence_in_fault_goes_from_one_fault_to_the_other(first_word: object) -> None:
    rig = Rig()
    try:
        rig.silence()
        assert "RS-485 wiring" in (rig.gate.error or "")
        rig.says(first_word)
        assert wait_until(lambda: "RS-485" not in (rig.gate.error or ""), 2), rig.rec.states
        time.sleep(0.1)
        # the new cause is announced (check the gate, not the wiring), never a false "ok"
        assert rig.states() == ["ok", "fault", "fault"], rig.rec.states
        assert "reports" in (rig.rec.states[-1][1] or "")
    finally:
        rig.close()


def test_back_from_silence_healthy_recovers() -> None:
    rig = Rig()
    try:
        rig.silence()
        rig.says(ga.Heartbeat(120, "R"))
        assert wait_until(lambda: rig.gate.state == "ok", 2), rig.rec.states
        assert rig.states() == ["ok", "fault", "ok"]
    finally:
        rig.close()


def test_a_failing_callback_does_not_end_the_reader() -> None:
    def broken(_event: object) -> None:
        raise RuntimeError("the app's handler failed")

    rig = Rig(on_event=broken)
    try:
        rig.says(ga.Passage(1, "in", 40))
        assert wait_until(lambda: rig.gate.errors == 1, 2)
        # the reader still watches the heartbeat, and still hears the gate
        rig.silence()
        rig.says(ga.Heartbeat(130, "R"))
        assert wait_until(lambda: rig.gate.state == "ok", 2), rig.rec.states
    finally:
        rig.close()
