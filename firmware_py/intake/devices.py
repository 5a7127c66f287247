"""Build the intake node's devices from its configuration (drivers or simulators)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devices.gate.base import Gate
from devices.gate.signals import DeskSignals, GpioDeskSignals, RecordingDeskSignals
from devices.thermo.base import MeasurementDetector, Thermometer
from devices.wand.keys import GpioWandKeys, SimulatedWandKeys, WandKeys
from firmware_py.intake import config as c


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
    if isinstance(cfg, c.Gy90614Config | c.OptrisConfig):
        det = MeasurementDetector(
            presence_celsius=cfg.presence_celsius, body_offset_celsius=cfg.body_offset_celsius
        )
        from devices.thermo import drivers

        if isinstance(cfg, c.Gy90614Config):
            return drivers.Gy90614Thermometer(
                cfg.id, url=cfg.port, baudrate=cfg.baudrate, detector=det
            )
        return drivers.OptrisThermometer(
            cfg.id,
            url=cfg.port,
            baudrate=cfg.baudrate,
            address=cfg.address,
            poll_s=cfg.poll_ms / 1000,
            detector=det,
        )
    if isinstance(cfg, c.ModbusThermoConfig):
        from devices.thermo.drivers import ModbusThermometer

        return ModbusThermometer(
            cfg.id,
            url=cfg.port,
            baudrate=cfg.baudrate,
            parity=cfg.parity,
            unit=cfg.unit,
            poll_s=cfg.poll_ms / 1000,
        )
    from devices.thermo.sim import SimulatedThermometer

    return SimulatedThermometer(cfg.id)


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
