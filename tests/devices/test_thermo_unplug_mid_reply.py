"""An Optris head whose USB adapter is pulled right after it answered: the reply that came in
before the unplug must not report the unplugged head "ok" (found by a CI run: the driver went
fault, then "recovered" on that reply in the same millisecond, and stayed "ok" while unplugged).
"""

from __future__ import annotations

import serial

from devices.thermo import optris
from devices.thermo.drivers import OptrisThermometer
from tests.devices.harness import Recorder, ScriptedLine, wait_until


class VanishingAdapter(ScriptedLine):
    """Answers `replies` requests with a valid reading, then is unplugged: the read after the
    last reply fails as a vanished USB adapter's does, and the port cannot be opened again."""

    def __init__(self, replies: int) -> None:
        super().__init__()
        self.left = replies
        self.gone = False

    def write(self, data: bytes) -> int:
        if self.gone:
            raise serial.SerialException("write failed: [Errno 5] Input/output error")
        if self.left:
            self.left -= 1
            self.feed(optris.encode_reply(36.5))
        return len(data)

    def read(self, size: int = 1) -> bytes:
        if self.gone:
            raise serial.SerialException("device reports readiness to read but returned no data")
        out = super().read(size)
        self.gone = bool(out) and not self.pending and not self.left
        return out


def test_a_reply_just_before_the_unplug_does_not_clear_the_fault() -> None:
    adapter = VanishingAdapter(replies=3)  # poll 1: head and object; poll 2: object, unplug
    opened: list[VanishingAdapter] = []

    def opener(url: str, **_settings: object) -> VanishingAdapter:
        if opened:
            raise FileNotFoundError(2, "No such file or directory", url)
        opened.append(adapter)
        return adapter

    driver = OptrisThermometer("thermo-1", url="/dev/stationkit-thermo", poll_s=0.01)
    driver.port.opener = opener
    rec = Recorder()
    driver.start(rec.on_item, rec.on_state)
    try:
        assert wait_until(lambda: adapter.gone and driver.state == "fault", 5), rec.states
        # a few more polls (each retry of the vanished port fails): the fault must stand
        # (before the fix it turned "ok" within the same poll)
        assert not wait_until(lambda: driver.state != "fault", 0.5), rec.states
    finally:
        driver.stop()
    assert [state for state, _ in rec.states] == ["ok", "fault"]
    assert "stationkit-thermo" in (driver.error or "")
