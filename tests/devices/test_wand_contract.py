"""The wand key box and its simulator pass the same suite."""

from __future__ import annotations

import time

import pytest
from gpiozero.pins.mock import MockFactory

from devices.wand.keys import (
    GpioWandKeys,
    GpioWandKeysDriver,
    SimulatedWandKeys,
    WandKey,
)
from tests.devices.harness import Recorder, wait_until


@pytest.fixture(params=["gpio", "simulated"])
def wand(request):
    rec = Recorder()
    if request.param == "gpio":
        f = MockFactory()
        drv = GpioWandKeys("wand-1", pin_factory=f, clear_pin=5, metal_pin=6)
        drv.start(rec.on_item, rec.on_state)
        handle = GpioWandKeysDriver(f, clear_pin=5, metal_pin=6)
        handle.idle()
        yield handle, rec, drv
        drv.stop()
        f.reset()
    else:
        sim = SimulatedWandKeys("wand-1")
        sim.start(rec.on_item, rec.on_state)
        yield sim, rec, sim


def test_each_press_is_one_result(wand):
    handle, rec, drv = wand
    assert drv.state == "ok" and rec.states == [("ok", None)]
    handle.press("clear")
    handle.press("metal_found")
    assert wait_until(lambda: len(rec.items) == 2, 2)
    time.sleep(0.1)  # bounce must not add presses
    assert rec.items == [WandKey("clear"), WandKey("metal_found")]
