"""Modbus thermometer register maps: the presets decode the makers' published values, on the
wire (RTU frames on a pseudo-terminal, pymodbus server) and as pure functions; custom maps
come from the config. Found by issue 12: only the project's own map was supported."""

from __future__ import annotations

import threading
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import serial

from devices.serialio.checksums import crc16_modbus
from devices.serialio.errors import FrameError
from devices.serialio.virtual import VirtualNullModem
from devices.thermo import modbus_maps as mm
from devices.thermo.base import MeasurementDetector
from devices.thermo.modbus import ModbusThermometer
from devices.thermo.sim import ModbusThermoSimulator
from firmware_py.intake.config import ModbusThermoConfig
from tests.devices.harness import Recorder, wait_until


def _rtu(body: bytes) -> bytes:
    return body + crc16_modbus(body).to_bytes(2, "little")


def test_calex_manual_example_frames_and_value() -> None:
    # Calex PyroUSB guide: read filtered temperature 0x12 → 0x016D = 36.5 °C (tenths)
    assert _rtu(bytes.fromhex("010300120001")) == bytes.fromhex("010300120001240F")
    assert _rtu(bytes.fromhex("010302016D")) == bytes.fromhex("010302016D7839")
    m = mm.PRESETS["calex-pyrousb"]
    assert (m.function, m.start, m.count) == ("holding", 0x12, 4)
    s = mm.decode(m, [0x016D, 0x016E, 0x00FA, 0x0000])
    assert (s.object_celsius, s.ambient_celsius, s.valid, s.seq) == (36.5, 25.0, True, None)


@pytest.mark.parametrize("bit", range(5))
def test_calex_status_bits_void_the_sample(bit: int) -> None:
    s = mm.decode(mm.PRESETS["calex-pyrousb"], [365, 365, 250, 1 << bit])
    assert not s.valid


def test_pyrominibus_block_and_negative_tenths() -> None:
    m = mm.PRESETS["calex-pyrominibus"]
    assert (m.start, m.count) == (0x0E, 4)
    s = mm.decode(m, [(-125) & 0xFFFF, 0, 215, 0])
    assert (s.object_celsius, s.ambient_celsius) == (-12.5, 21.5)


def test_bodytemp_preset_matches_the_documented_reply() -> None:
    # docs/devices/thermometers.md: object 34.52, ambient 25.10, body 36.80, valid + present
    regs = list(bytes.fromhex("0D7C09CE0E60000300FA0007"))
    words = [regs[i] << 8 | regs[i + 1] for i in range(0, len(regs), 2)]
    s = mm.decode(mm.PRESETS["bodytemp-mb1"], words)
    assert (s.object_celsius, s.ambient_celsius, s.body_celsius) == (34.52, 25.1, 36.8)
    assert s.valid and s.seq == 7


def test_a_scale_that_makes_no_sense_is_refused_not_reported() -> None:
    wrong = mm.RegisterMap("x", "holding", object_register=0, celsius_per_count=1.0)
    with pytest.raises(FrameError, match="celsius_per_count"):
        mm.decode(wrong, [3650])


def test_config_presets_are_the_code_presets() -> None:
    names = typing.get_args(ModbusThermoConfig.model_fields["preset"].annotation)
    assert set(names) == {*mm.PRESETS, "custom"}
    for name, m in mm.PRESETS.items():
        assert m.source, f"preset {name} cites no source"


class _CalexOnAPty:
    """A hand-written RTU responder playing a PyroUSB: checks the request, answers the block."""

    def __init__(self, url: str, object_raw: int) -> None:
        self.ser = serial.serial_for_url(url, baudrate=9600, timeout=0.05)
        self.object_raw = object_raw
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            req = self.ser.read(8)
            if len(req) != 8:
                continue
            self.requests.append(req)
            regs = [self.object_raw, self.object_raw, 0x00FA, 0x0000]  # 0x12..0x15
            data = b"".join(r.to_bytes(2, "big") for r in regs)
            self.ser.write(_rtu(bytes([1, 3, len(data)]) + data))

    def close(self) -> None:
        self._stop.set()
        self._t.join(2)
        self.ser.close()


def test_calex_preset_on_the_wire(tmp_path) -> None:
    modem = VirtualNullModem(tmp_path / "thermo", tmp_path / "device")
    dev = _CalexOnAPty(modem.device_path, 0x016D)  # 36.5 °C, the manual's value
    rec = Recorder()
    drv = ModbusThermometer(
        "thermo-1",
        url=modem.host_path,
        register_map=mm.PRESETS["calex-pyrousb"],
        detector=MeasurementDetector(stable_samples=3),
        poll_s=0.02,
        data_timeout_s=1.0,
    )
    drv.start(rec.on_item, rec.on_state)
    try:
        assert wait_until(lambda: bool(rec.items), 5), (rec.states, drv.errors)
        m = rec.items[0]
        # no calibrated offset: the raw object value, honestly labelled
        assert (m.celsius, m.mode, m.object_celsius, m.ambient_celsius) == (
            36.5,
            "surface",
            36.5,
            25.0,
        )
        assert dev.requests[0] == _rtu(bytes.fromhex("010300120004"))
        assert drv.state == "ok"
    finally:
        drv.stop()
        dev.close()
        modem.close()


@contextmanager
def on_simulator(
    tmp_path: Path, m: mm.RegisterMap, body_offset_celsius: float
) -> Iterator[tuple[ModbusThermoSimulator, ModbusThermometer, Recorder]]:
    """The driver reading map `m` from the pymodbus simulator over a pseudo-terminal."""
    modem = VirtualNullModem(tmp_path / "thermo", tmp_path / "device")
    sim = ModbusThermoSimulator(modem.device_path, register_map=m)
    rec = Recorder()
    drv = ModbusThermometer(
        "thermo-1",
        url=modem.host_path,
        register_map=m,
        detector=MeasurementDetector(stable_samples=3, body_offset_celsius=body_offset_celsius),
        poll_s=0.03,
    )
    drv.start(rec.on_item, rec.on_state)
    try:
        yield sim, drv, rec
    finally:
        drv.stop()
        sim.close()
        modem.close()


@pytest.mark.parametrize("preset", ["calex-pyrousb", "calex-pyrominibus"])
def test_pyrometer_presets_against_the_pymodbus_simulator(preset: str, tmp_path) -> None:
    with on_simulator(tmp_path, mm.PRESETS[preset], body_offset_celsius=1.0) as (sim, drv, rec):
        assert wait_until(lambda: drv.state == "ok", 5)
        for celsius in (35.6, 37.2):
            n = len(rec.items)
            sim.person(celsius)
            assert wait_until(lambda n=n: len(rec.items) > n, 3)
            sim.leave()
            time.sleep(0.3)  # the sensor sees the wall again: the detector re-arms
        got = [(x.celsius, x.mode, x.object_celsius) for x in rec.items]
        assert got == [(36.6, "body", 35.6), (38.2, "body", 37.2)]


def test_custom_map_from_the_config_against_the_simulator(tmp_path) -> None:
    cfg = ModbusThermoConfig.model_validate(
        {
            "preset": "custom",
            "registers": {
                "function": "input",
                "object_register": 0x20,
                "ambient_register": 0x21,
                "status_register": 0x22,
                "status_invalid_mask": 1,
                "celsius_per_count": 0.01,
            },
            "body_offset_celsius": 0.0,
        }
    )
    with on_simulator(tmp_path, cfg.register_map(), body_offset_celsius=0.0) as (sim, drv, rec):
        sim.person(36.93)
        assert wait_until(lambda: bool(rec.items), 5), (rec.states, drv.errors)
        assert rec.items[0].celsius == pytest.approx(36.93, abs=0.03)
