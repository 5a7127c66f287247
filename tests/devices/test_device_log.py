"""Device faults and recoveries reach the node log once per transition, and the port's
fault message tells the truth about its retries. Found by issue 12: gate faults never
appeared in the log; the message said "retrying every 0.2 s" while retries stretched to 5 s.
"""

from __future__ import annotations

import logging
import time

import pytest

from devices.serialio.port import ReconnectingPort
from tests.devices.harness import GATE_KINDS, GateHarness, ThermoHarness, running, wait_until

pytestmark = pytest.mark.slow  # pseudo-terminals, unplugged and replugged in real time


def _lines(caplog: pytest.LogCaptureFixture, device: str) -> list[tuple[int, str]]:
    return [
        (r.levelno, r.getMessage()) for r in caplog.records if r.getMessage().startswith(device)
    ]


@pytest.mark.parametrize("kind", GATE_KINDS)
def test_gate_fault_and_recovery_are_logged_once_each(kind, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="devices")
    with running(GateHarness(kind, tmp_path)) as h:
        h.fault()
        assert wait_until(lambda: h.driver.state == "fault", 5)
        time.sleep(1.0)  # the serial gate repeats its fault in every heartbeat (0.3 s)
        h.recover()
        assert wait_until(lambda: h.driver.state == "ok", 5)
        time.sleep(0.5)
    got = [(lvl, msg) for lvl, msg in _lines(caplog, "gate gate-1") if lvl >= logging.INFO]
    assert [lvl for lvl, _ in got] == [logging.WARNING, logging.INFO], got
    assert "fault" in got[0][1] and "recovered" in got[1][1]


def test_thermometer_silence_is_logged_once_while_it_lasts(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="devices")
    with running(ThermoHarness("gy90614", tmp_path, data_timeout_s=0.5)) as h:
        h.mute()
        assert wait_until(lambda: h.driver.state == "fault", 3)
        time.sleep(1.5)  # three more timeouts of silence: still one line
        h.unmute()
        assert wait_until(lambda: h.driver.state == "ok", 5)
    got = [(lvl, msg) for lvl, msg in _lines(caplog, "thermometer thermo-1") if lvl >= logging.INFO]
    assert [lvl for lvl, _ in got] == [logging.WARNING, logging.INFO], got
    assert "sends nothing for 0.5 s" in got[0][1]


def test_port_fault_message_stays_true_as_the_backoff_grows(tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="devices.serialio")
    now = [0.0]
    port = ReconnectingPort(
        str(tmp_path / "no-such-adapter"), name="thermometer thermo-1", clock=lambda: now[0]
    )
    messages = set()
    delays = []
    for _ in range(8):
        assert not port.ensure_open()
        messages.add(port.error)
        delays.append(round(port._retry_at - now[0], 3))
        now[0] = port._retry_at
    # the delay doubles 0.2 → 5 s; the one message says exactly that
    assert delays == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    assert len(messages) == 1
    [msg] = messages
    assert "retrying after 0.2 s, then less often, at most every 5 s" in msg, msg
    assert len(caplog.records) == 1  # one line for the transition, none per retry


def test_an_unplug_is_one_warning_in_the_node_log(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="devices")
    with running(ThermoHarness("gy90614", tmp_path)) as h:
        h.unplug()
        assert wait_until(lambda: h.driver.state == "fault", 5)
        time.sleep(1.0)  # several reopen attempts
        h.replug()
        assert wait_until(lambda: h.driver.state == "ok", 5)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "thermometer thermo-1: fault:" in warnings[0].getMessage()
