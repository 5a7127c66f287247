"""Build the intake node's devices from its configuration (drivers or simulators)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from devices.gate.base import Gate
from devices.gate.signals import DeskSignals, GpioDeskSignals, RecordingDeskSignals
from devices.thermo.base import MeasurementDetector, Thermometer
from devices.wand.keys import GpioWandKeys, SimulatedWandKeys, WandKeys
from firmware_py.intake import config as c

log = logging.getLogger(__name__)


class IntakeConfigError(ValueError):
    """The configuration cannot be turned into devices; the message says what to change."""


@dataclass
class IntakeDevices:
    gate: Gate
    thermometer: Thermometer
    wand: WandKeys
    signals: DeskSignals


def _need_factory(pin_factory: Any, what: str) -> Any:
    if pin_factory is None:
        raise IntakeConfigError(
            f"{what} is wired to GPIO but no pin factory was given: build one with "
            "firmware_py.intake.config.make_pin_factory(config)"
        )
    return pin_factory


def build_gate(cfg: Any, pin_factory: Any) -> Gate:
    if isinstance(cfg, c.GpioGateConfig):
        from devices.gate.gpio import GpioGate

        return GpioGate(
            cfg.id,
            pin_factory=_need_factory(pin_factory, "the gate"),
            alarm_pin=cfg.alarm_pin,
            beam_a_pin=cfg.beam_a_pin,
            beam_b_pin=cfg.beam_b_pin,
            ready_pin=cfg.ready_pin,
            alarm_contact=cfg.alarm_contact,
            beam_contact=cfg.beam_contact,
            contact_stable_s=cfg.contact_stable_ms / 1000,
            beam_stable_s=cfg.beam_stable_ms / 1000,
        )
    if isinstance(cfg, c.SerialGateConfig):
        from devices.gate.serial_gate import SerialGate

        return SerialGate(
            cfg.id,
            url=cfg.port,
            address=cfg.address,
            baudrate=cfg.baudrate,
            heartbeat_timeout_s=cfg.heartbeat_timeout_s,
        )
    from devices.gate.sim import SimulatedGate

    return SimulatedGate(cfg.id)


def build_thermometer(cfg: Any) -> Thermometer:
    if isinstance(cfg, c.Gy90614Config | c.OptrisConfig | c.ModbusThermoConfig):
        det = MeasurementDetector(
            presence_celsius=cfg.presence_celsius, body_offset_celsius=cfg.body_offset_celsius
        )
        if cfg.body_offset_celsius is None and not _has_body_estimate(cfg):
            log.warning(
                "thermometer %s: body_offset_celsius is not set, so readings are reported as "
                'mode "surface" (raw skin temperature, 1-3 °C below body); calibrate against '
                "a clinical thermometer and set it (docs/devices/thermometers.md)",
                cfg.id,
            )
    if isinstance(cfg, c.Gy90614Config):  # and the GY-MCU90615, a subclass
        from devices.thermo.drivers import Gy90614Thermometer

        return Gy90614Thermometer(cfg.id, **_serial_thermo(cfg, det))
    if isinstance(cfg, c.OptrisConfig):
        from devices.thermo.drivers import OptrisThermometer

        return OptrisThermometer(
            cfg.id,
            address=cfg.address,
            scale=cfg.scale,
            poll_s=cfg.poll_ms / 1000,
            **_serial_thermo(cfg, det),
        )
    if isinstance(cfg, c.ModbusThermoConfig):
        from devices.thermo.modbus import ModbusThermometer

        return ModbusThermometer(
            cfg.id,
            parity=cfg.parity,
            unit=cfg.unit,
            register_map=cfg.register_map(),
            poll_s=cfg.poll_ms / 1000,
            **_serial_thermo(cfg, det),
        )
    from devices.thermo.sim import SimulatedThermometer

    return SimulatedThermometer(cfg.id, data_timeout_s=cfg.data_timeout_s)


def _serial_thermo(cfg: Any, detector: MeasurementDetector) -> dict[str, Any]:
    """The arguments every serial thermometer driver takes the same way."""
    return {
        "url": cfg.port,
        "baudrate": cfg.baudrate,
        "detector": detector,
        "data_timeout_s": cfg.data_timeout_s,
    }


def _has_body_estimate(cfg: Any) -> bool:
    """The Modbus maps with a body register give the device's own estimate."""
    return isinstance(cfg, c.ModbusThermoConfig) and cfg.register_map().body_register is not None


def build_devices(config: c.IntakeConfig, *, pin_factory: Any = None) -> IntakeDevices:
    d = config.devices
    wand: WandKeys
    if isinstance(d.wand, c.GpioWandConfig):
        wand = GpioWandKeys(
            d.wand.id,
            pin_factory=_need_factory(pin_factory, "the wand keys"),
            clear_pin=d.wand.clear_pin,
            metal_pin=d.wand.metal_pin,
            holster_pin=d.wand.holster_pin,
        )
    else:
        wand = SimulatedWandKeys(d.wand.id)
    signals: DeskSignals
    if isinstance(d.signals, c.GpioSignalsConfig):
        signals = GpioDeskSignals(
            pin_factory=_need_factory(pin_factory, "the lamp/buzzer/relay"),
            green=d.signals.green_pin,
            amber=d.signals.amber_pin,
            red=d.signals.red_pin,
            buzzer=d.signals.buzzer_pin,
            relay=d.signals.relay_pin,
            active_high=d.signals.active_high,
        )
    else:
        signals = RecordingDeskSignals()
    return IntakeDevices(
        build_gate(d.gate, pin_factory), build_thermometer(d.thermometer), wand, signals
    )
