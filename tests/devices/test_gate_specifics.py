"""Behaviour particular to one gate implementation (the contract suite covers the rest)."""

from __future__ import annotations

import time

import pytest

from devices.gate import ascii as ga
from devices.gate.base import BeamTracker, GatePassage
from tests.devices.harness import GateHarness, running, wait_until

pytestmark = pytest.mark.slow  # real gate drivers waiting out heartbeats and unplugs


def test_beam_tracker_direction_and_step_back():
    b = BeamTracker()
    assert b.update("a", True, 0.0) is None
    assert b.update("b", True, 0.2) is None
    assert b.update("a", False, 0.4) is None
    assert b.update("b", False, 0.6) == GatePassage("in", 600)
    # one beam broken and released: stepped back, no passage
    assert b.update("b", True, 1.0) is None
    assert b.update("b", False, 1.2) is None
    assert b.aborted == 1


def test_serial_gate_acknowledges_and_deduplicates_repeats(tmp_path):
    with running(GateHarness("serial", tmp_path)) as h:
        seq = h.sim.walk("in")
        assert wait_until(lambda: seq in h.sim.acked, 3)
        # the same frame again, as a gate does when its ACK was lost
        h.sim.write_raw(ga.encode_message(1, ga.Passage(seq, "in", 850)))
        time.sleep(0.4)
        assert len([e for e in h.events if isinstance(e, GatePassage)]) == 1
        assert h.driver.duplicates >= 1


def test_serial_gate_unplug_and_missing_heartbeat_are_faults(tmp_path):
    with running(GateHarness("serial", tmp_path)) as h:
        h.modem.unplug()
        assert wait_until(lambda: h.driver.state == "fault", 3)
        assert "check the cable" in h.driver.error
        h.modem.replug()
        assert wait_until(lambda: h.driver.state == "ok", 3)
        h.sim.heartbeat_s = 100  # the gate falls silent
        assert wait_until(lambda: h.driver.state == "fault", 4)
        assert "heartbeat" in h.driver.error


def test_serial_gate_counters_request(tmp_path):
    with running(GateHarness("serial", tmp_path)) as h:
        h.walk("in")
        h.walk("in", alarm=True)
        assert wait_until(lambda: len(h.events) == 2, 3)
        assert h.driver.request_counters()
        assert wait_until(lambda: h.driver.counters == ga.Counters(2, 1, 0), 3)
        assert h.driver.who == "StationKit,GATE-SIM,1.0"


def test_gpio_gate_cut_alarm_wire_reads_as_alarm(tmp_path):
    with running(GateHarness("gpio", tmp_path), 3) as h:
        h.factory.pin(17).drive_high()  # N/C loop opened: cut wire (pull-up wins)
        assert wait_until(lambda: bool(h.events), 1)
        assert type(h.events[0]).__name__ == "GateAlarm"


def test_gpio_gate_alarm_loop_open_at_start_is_a_fault(tmp_path):
    from gpiozero.pins.mock import MockFactory

    from devices.gate.gpio import GpioGate
    from tests.devices.harness import Recorder

    f = MockFactory()
    rec = Recorder()
    gate = GpioGate("gate-1", pin_factory=f, alarm_pin=17, beam_a_pin=27, beam_b_pin=22)
    try:
        gate.start(rec.on_item, rec.on_state)
        f.pin(27).drive_low()
        f.pin(22).drive_low()  # beams fine, alarm loop left open (cut wire)
        assert wait_until(lambda: gate.state == "fault", 2)
        assert "cut" in gate.error
        f.pin(17).drive_low()  # wire repaired
        assert wait_until(lambda: gate.state == "ok", 2)
    finally:
        gate.stop()
        f.reset()
