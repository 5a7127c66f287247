"""The data watchdog, as a contract over every thermometer: each real driver on a
pseudo-terminal (adapter present) with its device simulator, and the in-process simulator.

Found by issue 12: a module that sends nothing (or garbage at a wrong baud) left the device
"ok" and every arrival was recorded as "walked past?".
"""

from __future__ import annotations

import time
from contextlib import closing

import pytest

from tests.devices.harness import THERMO_KINDS, ThermoHarness, running, wait_until

pytestmark = pytest.mark.slow  # pseudo-terminals, waiting out real watchdog timeouts

SERIAL_KINDS = [k for k in THERMO_KINDS if k != "simulated"]
TIMEOUT_S = 1.0
"""The watchdog under test (the config's default is 2-3 s; short keeps the suite fast)."""


def _fault_after(h: ThermoHarness, since: float) -> float:
    assert wait_until(lambda: h.driver.state == "fault", TIMEOUT_S + 3), h.rec.states
    return time.monotonic() - since


@pytest.mark.parametrize("kind", THERMO_KINDS)
def test_a_module_that_goes_silent_faults_within_the_timeout_and_recovers(kind, tmp_path):
    with running(ThermoHarness(kind, tmp_path, data_timeout_s=TIMEOUT_S)) as h:
        h.person(36.6)
        t0 = time.monotonic()
        h.mute()
        took = _fault_after(h, t0)
        # not before the timeout (a poll may have answered up to one period before mute),
        # and within it plus one read/poll cycle
        assert TIMEOUT_S - 0.15 <= took <= TIMEOUT_S + 0.8, took
        state, error = h.rec.states[-1]
        assert state == "fault" and error is not None
        assert "thermo-1" in error and "power" in error and "baud" in error, error
        if h.modem is not None:
            assert h.modem.host_path in error
        h.unmute()
        assert wait_until(lambda: h.driver.state == "ok", 5), h.rec.states
        # one transition each way: no flapping while silent, no repeated faults
        assert [s for s, _ in h.rec.states] == ["ok", "fault", "ok"]
        h.person(37.9)
        assert [round(m.celsius, 1) for m in h.measurements] == [36.6, 37.9]


@pytest.mark.parametrize("kind", SERIAL_KINDS)
def test_adapter_present_but_nothing_ever_sent_is_a_fault_never_ok(kind, tmp_path):
    t0 = time.monotonic()
    with closing(ThermoHarness(kind, tmp_path, data_timeout_s=TIMEOUT_S, silent=True)) as h:
        took = _fault_after(h, t0)
        assert took <= TIMEOUT_S + 0.8, took
        assert h.rec.states[0][0] == "fault", "never reported ok while silent"
        error = h.driver.error
        assert "sends nothing" in error or "does not answer" in error or "no answer" in error
        h.unmute()
        assert wait_until(lambda: h.driver.state == "ok", 5), h.rec.states


@pytest.mark.parametrize("kind", SERIAL_KINDS)
def test_wrong_baud_garbage_is_a_fault_that_names_the_baud_and_recovers(kind, tmp_path):
    with running(ThermoHarness(kind, tmp_path, data_timeout_s=TIMEOUT_S)) as h:
        t0 = time.monotonic()
        h.wrong_baud()
        took = _fault_after(h, t0)
        assert took <= TIMEOUT_S + 0.8, took
        assert h.wrong is not None and h.wrong.sent > 0
        error = h.driver.error
        assert "baud" in error, error
        if kind != "modbus":  # pymodbus reads the bytes itself; the others count them
            assert "sends nothing" not in error and "does not answer" not in error, error
            assert "scale" not in error, error  # garbage is not blamed on the scale
        assert h.measurements == []
        h.unmute()
        assert wait_until(lambda: h.driver.state == "ok", 5), h.rec.states
        assert [s for s, _ in h.rec.states] == ["ok", "fault", "ok"]


def test_optris_hs_head_read_in_the_standard_scale_says_so(tmp_path):
    with closing(ThermoHarness("optris", tmp_path, data_timeout_s=TIMEOUT_S, sim_scale="hs")) as h:
        assert wait_until(lambda: h.driver.state == "fault", TIMEOUT_S + 3), h.rec.states
        error = h.driver.error
        assert 'set scale = "hs"' in error, error
        assert "power" not in error and "baud" not in error, error
        assert h.driver.errors["out_of_range"] > 0


def test_optris_hs_head_measures_with_scale_hs(tmp_path):
    with running(
        ThermoHarness(
            "optris", tmp_path, data_timeout_s=TIMEOUT_S, optris_scale="hs", sim_scale="hs"
        )
    ) as h:
        h.person(36.63)
        h.person(38.21)
        got = [m.celsius for m in h.measurements]
        assert got == [pytest.approx(36.63, abs=0.03), pytest.approx(38.21, abs=0.03)]
        assert h.driver.state == "ok" and h.driver.errors["out_of_range"] == 0


@pytest.mark.parametrize("kind", SERIAL_KINDS)
def test_replugged_adapter_with_a_silent_module_reports_the_new_cause(kind, tmp_path):
    with running(ThermoHarness(kind, tmp_path, data_timeout_s=TIMEOUT_S)) as h:
        h.unplug()
        assert wait_until(lambda: h.driver.state == "fault", 5)
        h.mute()  # the module lost power with the cable
        h.replug()
        # the adapter is back, the module is not: the desk hears the new cause once
        assert wait_until(lambda: len(h.rec.states) == 3, TIMEOUT_S + 3), h.rec.states
        (s0, _), (s1, unplugged), (s2, silent) = h.rec.states
        assert (s0, s1, s2) == ("ok", "fault", "fault")
        assert "check the cable and USB adapter" in unplugged
        assert "power" in silent and "cable and USB adapter" not in silent, silent
        time.sleep(TIMEOUT_S)  # silence goes on: no further reports
        assert len(h.rec.states) == 3, h.rec.states
        h.unmute()
        assert wait_until(lambda: h.driver.state == "ok", 5)
        assert [s for s, _ in h.rec.states] == ["ok", "fault", "fault", "ok"]
