"""The pure parts behind the watchdog and the new encodings: `DataWatchdog` on a fake clock,
Optris scales and Modbus register maps under any input (property tests)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.serialio.errors import FrameError
from devices.serialio.watchdog import DataWatchdog
from devices.thermo import modbus_maps as mm
from devices.thermo import optris

settings.register_profile("watchdog", max_examples=300, deadline=None)
settings.load_profile("watchdog")


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_watchdog_expires_after_the_timeout_and_says_why() -> None:
    clock = Clock()
    w = DataWatchdog(3.0, clock)
    clock.t += 2.99
    assert w.check() is None
    clock.t += 0.01
    assert w.check() == "nothing" and w.expired and w.expiries == 1
    w.received(40)
    assert w.check() == "unreadable"
    clock.t += 10
    assert w.check() == "unreadable" and w.expiries == 1  # one expiry while it lasts
    assert w.valid() is True  # ends the expiry
    assert w.check() is None and w.bytes_since_valid == 0
    assert w.valid() is False


def test_watchdog_restart_gives_a_reopened_port_the_full_timeout() -> None:
    clock = Clock()
    w = DataWatchdog(1.0, clock)
    clock.t += 5
    assert w.check() == "nothing"
    w.restart()
    clock.t += 0.9
    assert w.check() is None and not w.expired


def test_watchdog_refuses_a_timeout_that_cannot_expire_sensibly() -> None:
    with pytest.raises(ValueError):
        DataWatchdog(0.0)


@given(st.binary(max_size=40), st.sampled_from(["standard", "hs"]))
def test_optris_any_reply_in_any_scale_raises_only_frame_error(raw: bytes, scale: str) -> None:
    with contextlib.suppress(FrameError):
        optris.parse_reply(raw, optris.CMD_OBJECT, scale)  # type: ignore[arg-type]


@given(st.integers(-5000, 55535).map(lambda v: v / 100))
def test_optris_hs_round_trip(celsius: float) -> None:
    raw = optris.encode_reply(celsius, "hs")
    assert optris.parse_reply(raw, optris.CMD_OBJECT, "hs").celsius == pytest.approx(celsius)


def test_optris_hs_manual_example_and_scale_hint() -> None:
    assert optris.parse_reply(bytes.fromhex("303E"), optris.CMD_OBJECT, "hs").celsius == 23.5
    hs_36_5 = optris.encode_reply(36.5, "hs")
    with pytest.raises(FrameError, match="out_of_range"):
        optris.parse_reply(hs_36_5)  # standard scale: 1265 °C
    assert optris.other_scale_reading(hs_36_5, "standard") == ("hs", 36.5)
    # the head temperature keeps tenths on hs heads
    assert optris.parse_reply(bytes.fromhex("04D3"), optris.CMD_HEAD, "hs").celsius == 23.5


@given(
    st.sampled_from(sorted(mm.PRESETS)),
    st.lists(st.integers(-5, 0x1FFFF), min_size=0, max_size=10),
)
def test_modbus_decode_any_registers_raises_only_frame_error(name: str, regs: list[int]) -> None:
    with contextlib.suppress(FrameError):
        mm.decode(mm.PRESETS[name], regs)


@given(st.sampled_from(sorted(mm.PRESETS)), st.integers(-4000, 4000).map(lambda v: v / 100))
def test_modbus_encode_decode_round_trip(name: str, celsius: float) -> None:
    m = mm.PRESETS[name]
    sample = mm.ModbusSample(celsius, 24.0, celsius if m.body_register else None, True, 0, 1)
    values = mm.encode(m, sample)
    got = mm.decode(m, [values.get(m.start + i, 0) for i in range(m.count)])
    assert got.object_celsius == pytest.approx(celsius, abs=m.celsius_per_count / 2 + 1e-9)


def test_register_maps_refuse_what_one_read_cannot_do() -> None:
    with pytest.raises(ValueError, match="span"):
        mm.RegisterMap("x", "input", object_register=0, ambient_register=200, celsius_per_count=0.1)
    with pytest.raises(ValueError, match="counter"):
        mm.RegisterMap("x", "input", object_register=0, body_register=1, celsius_per_count=0.1)
