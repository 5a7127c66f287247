"""One contract suite for every thermometer: each real driver talking to its device
simulator over a pseudo-terminal null-modem, and the in-process simulator."""

from __future__ import annotations

import pytest

from tests.devices.harness import THERMO_KINDS, ThermoHarness, running, wait_until

pytestmark = pytest.mark.slow  # real pseudo-terminals at line speed, seconds per driver


@pytest.fixture(params=THERMO_KINDS)
def thermo(request, tmp_path):
    with running(ThermoHarness(request.param, tmp_path)) as h:
        yield h


def test_reports_ok_once_connected(thermo):
    assert thermo.rec.states[0] == ("ok", None)


def test_one_measurement_per_person(thermo):
    thermo.person(36.6)
    thermo.person(38.2)
    got = thermo.measurements
    assert len(got) == 2, got
    assert got[0].celsius == pytest.approx(36.6, abs=0.05)
    assert got[1].celsius == pytest.approx(38.2, abs=0.05)
    assert all(m.mode == "body" for m in got)
    assert all(m.ambient_celsius is not None for m in got)


def test_nobody_there_measures_nothing(thermo):
    assert not wait_until(lambda: bool(thermo.measurements), 0.5)


def test_unplug_is_a_fault_and_replug_recovers(thermo):
    thermo.unplug()
    assert wait_until(lambda: thermo.driver.state == "fault", 5)
    state, error = thermo.rec.states[-1]
    assert state == "fault" and error and "thermo" in error
    thermo.replug()
    # the port is retried at most every 5 s (backoff after an unplug): one period plus slack
    assert wait_until(lambda: thermo.driver.state == "ok", 12)
    assert thermo.rec.states[-1] == ("ok", None)
    thermo.person(37.4)
    assert thermo.measurements[-1].celsius == pytest.approx(37.4, abs=0.05)


NOISE = b"\x5a\x00\xff" * 20 + b"\x5a\x5a\x45\x04\x00\x00\x00\x00\x01\x01\x04\x02"


@pytest.mark.parametrize("kind", [k for k in THERMO_KINDS if k != "simulated"])
def test_line_noise_is_survived(kind, tmp_path):
    h = ThermoHarness(kind, tmp_path)
    try:
        assert wait_until(lambda: h.driver.state == "ok", 5)
        for _ in range(5):
            h.garbage(NOISE)
        h.person(36.9)
        h.garbage(NOISE)
        h.person(37.1)
        assert [round(m.celsius, 1) for m in h.measurements] == [36.9, 37.1]
        assert h.driver.state == "ok"
    finally:
        h.close()
