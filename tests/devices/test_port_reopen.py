"""A port that opens but is gone again by the driver's first command (a GY module is asked
for continuous output as soon as its port opens): one failure, told as what it was."""

from __future__ import annotations

import serial

from devices.serialio.port import ReconnectingPort


class GoneAdapter:
    def write(self, data: bytes) -> None:
        raise serial.SerialException("write failed: [Errno 5] Input/output error")

    def read(self, size: int = 1) -> bytes:
        raise serial.SerialException("read failed: [Errno 5] Input/output error")

    def close(self) -> None:
        pass


def test_a_port_gone_at_the_first_command_is_not_reported_open() -> None:
    now = [0.0]
    port = ReconnectingPort("/dev/stationkit-thermo", clock=lambda: now[0])
    port.opener = lambda url, **settings: GoneAdapter()

    def first_command(state: str, error: str | None) -> None:
        if state == "ok":  # as the GY driver asks for continuous output
            port.write(b"\xa5\x45\xea")

    port.on_state = first_command

    assert not port.ensure_open()
    assert port.read() == b""  # the backoff's wait, not a second failure
    assert port.errors == 1
    assert port.state == "fault" and "write failed" in (port.error or ""), port.error
    assert "retrying after 0.2 s" in (port.error or "")  # the first delay, not doubled
