"""One contract suite for every gate: dry contacts on MockFactory pins (with contact
bounce), GATE-ASCII/1 over a pseudo-terminal null-modem, and the in-process simulator."""

from __future__ import annotations

import pytest

from devices.gate.base import GateAlarm, GatePassage
from tests.devices.harness import GATE_KINDS, GateHarness, running, wait_until

pytestmark = pytest.mark.slow  # real pseudo-terminals and mock pins in real time


@pytest.fixture(params=GATE_KINDS)
def gate(request, tmp_path):
    with running(GateHarness(request.param, tmp_path)) as h:
        yield h


def passages(h):
    return [e for e in h.events if isinstance(e, GatePassage)]


def alarmed(h) -> bool:
    return any(
        isinstance(e, GateAlarm) or (isinstance(e, GatePassage) and e.alarm) for e in h.events
    )


def test_inbound_passage(gate):
    gate.walk("in")
    assert wait_until(lambda: len(passages(gate)) == 1, 3)
    assert passages(gate)[0].direction == "in"
    assert not alarmed(gate)


def test_outbound_passage(gate):
    gate.walk("out")
    assert wait_until(lambda: len(passages(gate)) == 1, 3)
    assert passages(gate)[0].direction == "out"


def test_passage_with_alarm(gate):
    gate.walk("in", alarm=True)
    assert wait_until(lambda: len(passages(gate)) == 1 and alarmed(gate), 3)
    assert passages(gate)[0].direction == "in"


def test_people_in_quick_succession_are_separate_passages(gate):
    for _ in range(3):
        gate.walk("in")
    assert wait_until(lambda: len(passages(gate)) == 3, 5)
    # and nothing is reported twice (the serial gate repeats unacknowledged events)
    assert not wait_until(lambda: len(passages(gate)) > 3, 1.0)


def test_gate_fault_and_recovery(gate):
    gate.fault()
    assert wait_until(lambda: gate.driver.state == "fault", 3)
    assert gate.rec.states[-1][0] == "fault" and gate.rec.states[-1][1]
    gate.recover()
    assert wait_until(lambda: gate.driver.state == "ok", 3)
    gate.walk("in")
    assert wait_until(lambda: len(passages(gate)) == 1, 3)
