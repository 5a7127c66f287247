"""Configuration of an intake desk node (the `[intake]` part of the node's TOML file).

Example (TOML)::

    operator = "desk-a"
    fever_threshold_celsius = 37.3      # or fever_preset = "cdc-38.0"
    # every temperature threshold and window of the check is set here (defaults shown):
    # remeasure_below_celsius = 34.0, hypothermia_screening_below_celsius = 35.0,
    # hypothermia_below_celsius = 35.0 (core), temperature_timeout_s = 90,
    # core_timeout_s = 600, correction_window_s = 1800

    [devices.gate]
    kind = "gpio"                        # gpio | serial | simulated
    alarm_pin = 17
    beam_a_pin = 27
    beam_b_pin = 22
    ready_pin = 23

    [devices.thermometer]
    kind = "gy90614"                     # gy90614 | gy90615 | optris | modbus | simulated
    port = "/dev/stationkit-thermo"      # any serial_for_url URL: socket://host:port too

    [devices.wand]
    kind = "gpio"
    clear_pin = 5
    metal_pin = 6

    [devices.signals]
    kind = "gpio"
    green_pin = 16
    amber_pin = 20
    red_pin = 21
    buzzer_pin = 12
    relay_pin = 26

`simulate.enabled = true` replaces every device with its in-process simulator and plays
scripted arrivals (the demo). GPIO devices need a pin factory: `pin_factory = "auto"` uses
gpiozero's own choice (lgpio) on a Raspberry Pi and MockFactory elsewhere; "mock" on a Pi
has to be asked for explicitly — it is never chosen silently there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from devices.contract.models.base import Slug

Pin = Annotated[int, Field(ge=0, le=53, description="BCM GPIO number")]
SerialUrl = Annotated[str, Field(min_length=1, description="serial_for_url URL")]
FEVER_PRESETS: dict[str, float] = {"china-37.3": 37.3, "retest-37.5": 37.5, "cdc-38.0": 38.0}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _device_id(default: str) -> Any:
    return Field(default, description="device id in events and status")


# -- gate --------------------------------------------------------------------------------------
class GpioGateConfig(_Model):
    kind: Literal["gpio"] = "gpio"
    id: Slug = _device_id("gate-1")
    alarm_pin: Pin = Field(17, description="alarm relay contact")
    beam_a_pin: Pin = Field(27, description="outer passage beam")
    beam_b_pin: Pin = Field(22, description="inner passage beam")
    ready_pin: Pin | None = Field(23, description="ready/fault relay contact, if wired")
    alarm_contact: Literal["nc", "no"] = "nc"
    """nc: open = alarm (a cut wire reads as alarm); no: closed = alarm"""
    beam_contact: Literal["nc", "no"] = Field("nc", description="nc: open = beam broken")
    contact_stable_ms: float = Field(30, ge=1, le=500, description="relay debounce")
    beam_stable_ms: float = Field(8, ge=1, le=200, description="beam debounce")


class SerialGateConfig(_Model):
    kind: Literal["serial"] = "serial"
    id: Slug = _device_id("gate-1")
    port: SerialUrl = "/dev/stationkit-gate"
    baudrate: Literal[9600, 19200] = 9600
    """GATE-ASCII/1: 9600 8N1, 19200 optional"""
    address: int = Field(1, ge=1, le=254, description="gate address on the line")
    heartbeat_timeout_s: float = Field(16, ge=1, le=600, description="silent gate = fault")


class SimulatedGateConfig(_Model):
    kind: Literal["simulated"] = "simulated"
    id: Slug = _device_id("gate-1")


GateConfig = Annotated[
    GpioGateConfig | SerialGateConfig | SimulatedGateConfig, Field(discriminator="kind")
]


# -- thermometer -------------------------------------------------------------------------------
OPTRIS_BAUDS = Literal[9600, 19200, 38400, 57600, 115200]
"""Optris CT/CSmicro: "9600…115200, set by user" (CT command reference); the standard rates."""
MODBUS_BAUDS = Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]
"""The standard serial-line Modbus rates (Calex PyroUSB and our BODYTEMP-MB/1: 9600)."""
PresenceCelsius = Annotated[float, Field(ge=20, le=36)]
"""The bounds every thermometer kind allows for its presence threshold."""
BodyOffsetCelsius = Annotated[float, Field(ge=-3, le=5)]
"""The bounds every thermometer kind allows for its calibrated body-temperature offset."""


def _data_timeout(default_s: float, why: str) -> Any:
    return Field(
        default_s,
        ge=0.5,
        le=600,
        description=f"no valid frame this long while the port is open: fault ({why})",
    )


class _StreamThermo(_Model):
    id: Slug = _device_id("thermo-1")
    port: SerialUrl = "/dev/stationkit-thermo"
    presence_celsius: PresenceCelsius = 30.0
    """object temperature above which someone is there"""
    body_offset_celsius: BodyOffsetCelsius | None = Field(
        None,
        description="added to the forehead object temperature to estimate body temperature, "
        "once calibrated against a clinical thermometer; unset: readings are reported as "
        'mode "surface" (raw skin temperature), never labelled "body"',
    )


class Gy90614Config(_StreamThermo):
    kind: Literal["gy90614"] = "gy90614"
    baudrate: Literal[9600, 115200] = Field(9600, description="module UART speed")
    data_timeout_s: float = _data_timeout(3.0, "the module streams ~14 frames/s")


class Gy90615Config(Gy90614Config):
    """The GY-MCU90615: the same frames, but sold and shipped at 115200 baud."""

    kind: Literal["gy90615"] = "gy90615"  # type: ignore[assignment]
    baudrate: Literal[9600, 115200] = Field(115200, description="module UART speed")


class OptrisConfig(_StreamThermo):
    kind: Literal["optris"] = "optris"
    baudrate: OPTRIS_BAUDS = Field(115200, description="factory 115200 8N1")
    address: int | None = Field(None, ge=1, le=15, description="RS-485 multidrop address")
    scale: Literal["standard", "hs"] = "standard"
    """object temperature encoding: standard (raw − 1000) / 10 °C; "hs" heads (CSmicro 2Whs,
    CSlaser hs) (raw − 10000) / 100 °C"""
    poll_ms: float = Field(100, ge=20, le=2000, description="poll period")
    data_timeout_s: float = _data_timeout(2.0, "polled: ~20 unanswered requests")


class ModbusRegistersConfig(_Model):
    """A register map not among the presets (addresses as in the maker's manual)."""

    function: Literal["input", "holding"] = "input"
    """input: read input registers (FC 04); holding: FC 03"""
    object_register: int = Field(ge=0, le=0xFFFF, description="object temperature address")
    ambient_register: int | None = Field(None, ge=0, le=0xFFFF)
    """ambient / head temperature address"""
    body_register: int | None = Field(None, ge=0, le=0xFFFF)
    """the device's body estimate (needs seq_register)"""
    status_register: int | None = Field(None, ge=0, le=0xFFFF, description="status word")
    status_required_mask: int = Field(0, ge=0, le=0xFFFF)
    """status bits that must all be set for a valid sample"""
    status_invalid_mask: int = Field(0, ge=0, le=0xFFFF)
    """status bits of which any voids the sample"""
    seq_register: int | None = Field(None, ge=0, le=0xFFFF)
    """measurement counter: +1 per measured person"""
    celsius_per_count: float = Field(0.1, gt=0, le=10)
    """°C per register count: 0.1 for tenths, 0.01 for ×100"""
    signed: bool = Field(True, description="temperatures are two's-complement int16")

    def to_map(self) -> Any:
        from devices.thermo.modbus_maps import RegisterMap

        return RegisterMap(
            "custom",
            self.function,
            object_register=self.object_register,
            ambient_register=self.ambient_register,
            body_register=self.body_register,
            status_register=self.status_register,
            status_required=self.status_required_mask,
            status_invalid=self.status_invalid_mask,
            seq_register=self.seq_register,
            celsius_per_count=self.celsius_per_count,
            signed=self.signed,
            source="site configuration",
        )

    @model_validator(mode="after")
    def _check(self) -> ModbusRegistersConfig:
        self.to_map()  # RegisterMap's own checks (span, body needs a counter) as ValueError
        return self


class ModbusThermoConfig(_Model):
    kind: Literal["modbus"] = "modbus"
    id: Slug = _device_id("thermo-1")
    port: SerialUrl = "/dev/stationkit-thermo"
    baudrate: MODBUS_BAUDS = Field(9600, description="line speed")
    parity: Literal["N", "E", "O"] = Field("N", description="Modbus spec default is E")
    unit: int = Field(1, ge=1, le=247, description="slave address")
    poll_ms: float = Field(200, ge=50, le=5000, description="poll period")
    data_timeout_s: float = _data_timeout(3.0, "polled: six or more lost polls")
    preset: Literal["bodytemp-mb1", "calex-pyrousb", "calex-pyrominibus", "custom"] = "bodytemp-mb1"
    """register map: a published one (docs/devices/thermometers.md) or custom"""
    registers: ModbusRegistersConfig | None = Field(
        None, description='the register map when preset = "custom"'
    )
    presence_celsius: PresenceCelsius = 30.0
    """maps without a measurement counter: someone is there"""
    body_offset_celsius: BodyOffsetCelsius | None = Field(
        None,
        description="maps without a body register: added to the object temperature once "
        'calibrated; unset: mode "surface"',
    )

    @model_validator(mode="after")
    def _map(self) -> ModbusThermoConfig:
        if self.preset == "custom" and self.registers is None:
            raise ValueError('preset = "custom" needs a [registers] table with the map')
        if self.preset != "custom" and self.registers is not None:
            raise ValueError(
                f'registers are given but preset = "{self.preset}": set preset = "custom" '
                "to use them, or remove them"
            )
        return self

    def register_map(self) -> Any:
        """The `devices.thermo.modbus_maps.RegisterMap` this config describes."""
        if self.registers is not None:
            return self.registers.to_map()
        from devices.thermo.modbus_maps import PRESETS

        return PRESETS[self.preset]


class SimulatedThermoConfig(_Model):
    kind: Literal["simulated"] = "simulated"
    id: Slug = _device_id("thermo-1")
    data_timeout_s: float = _data_timeout(3.0, "the simulator's mute() handle")


ThermoConfig = Annotated[
    Gy90614Config | Gy90615Config | OptrisConfig | ModbusThermoConfig | SimulatedThermoConfig,
    Field(discriminator="kind"),
]


# -- wand keys and desk signals -------------------------------------------------------------------
class GpioWandConfig(_Model):
    kind: Literal["gpio"] = "gpio"
    id: Slug = _device_id("wand-1")
    clear_pin: Pin = Field(5, description="CLEAR key")
    metal_pin: Pin = Field(6, description="METAL FOUND key")
    holster_pin: Pin | None = Field(None, description="holster switch (closed = wand resting)")


class SimulatedWandConfig(_Model):
    kind: Literal["simulated"] = "simulated"
    id: Slug = _device_id("wand-1")


WandConfig = Annotated[GpioWandConfig | SimulatedWandConfig, Field(discriminator="kind")]


class GpioSignalsConfig(_Model):
    kind: Literal["gpio"] = "gpio"
    green_pin: Pin = Field(16, description="stack lamp green")
    amber_pin: Pin = Field(20, description="stack lamp amber")
    red_pin: Pin = Field(21, description="stack lamp red")
    buzzer_pin: Pin | None = Field(12, description="buzzer")
    relay_pin: Pin | None = Field(26, description="turnstile / door-lock relay")
    active_high: bool = Field(True, description="false for low-level-trigger relay boards")


class SimulatedSignalsConfig(_Model):
    kind: Literal["simulated"] = "simulated"


SignalsConfig = Annotated[GpioSignalsConfig | SimulatedSignalsConfig, Field(discriminator="kind")]


class DevicesConfig(_Model):
    gate: GateConfig = Field(default_factory=SimulatedGateConfig, description="security gate")
    thermometer: ThermoConfig = Field(default_factory=SimulatedThermoConfig)
    """body thermometer"""
    wand: WandConfig = Field(default_factory=SimulatedWandConfig, description="wand keys")
    signals: SignalsConfig = Field(default_factory=SimulatedSignalsConfig)
    """lamp, buzzer, relay"""

    def uses_gpio(self) -> bool:
        return any(
            getattr(d, "kind", None) == "gpio"
            for d in (self.gate, self.thermometer, self.wand, self.signals)
        )


class SimulateConfig(_Model):
    enabled: bool = Field(False, description="simulated devices + scripted arrivals (demo)")
    seed: int = Field(7, description="scenario seed (same seed, same arrivals)")
    pause_s: float = Field(3.0, ge=0, le=600, description="pause between arrivals")
    arrivals: int | None = Field(None, ge=1, description="stop after this many (None: forever)")


class IntakeConfig(_Model):
    operator: str | None = Field(None, max_length=200, description="desk operator on duty")
    fever_threshold_celsius: float = Field(37.3, ge=36.5, le=39.5)
    """fever at or above this body temperature, °C"""
    fever_preset: Literal["china-37.3", "retest-37.5", "cdc-38.0"] | None = None
    """named threshold; sets fever_threshold_celsius"""
    remeasure_below_celsius: float = Field(34.0, ge=30, le=36)
    """body-mode reading below this: re-measure"""
    hypothermia_screening_below_celsius: float = Field(35.0, ge=30, le=36)
    """screening reading below this (and not a re-measure): the check waits for a core
    temperature"""
    hypothermia_below_celsius: float = Field(35.0, ge=30, le=36)
    """confirmed core temperature below this: hypothermia"""
    temperature_timeout_s: float = Field(90, gt=0, le=3600)
    """reading window: a passage with no temperature this long is incomplete (walked past) and
    takes no later reading"""
    core_timeout_s: float = Field(600, gt=0, le=7200)
    """a low screening reading with no core temperature this long: incomplete"""
    correction_window_s: float = Field(1800, ge=0, le=86400)
    """a core temperature entered this long after a check closed corrects its screening fever
    or low reading"""
    wand_timeout_s: float = Field(180, gt=0, le=3600)
    """gate alarm with no wand result this long: incomplete"""
    alarm_window_s: float = Field(2.0, ge=0, le=30)
    """a gate alarm this close to a passage belongs to it"""
    lamp_hold_s: float = Field(5.0, ge=0, le=600, description="outcome colour shown this long")
    release_on_clear: bool = Field(True, description="pulse the turnstile on 'cleared'")
    release_pulse_s: float = Field(0.5, gt=0, le=10, description="turnstile relay pulse")
    tick_s: float = Field(0.1, gt=0, le=5, description="timeout check period")
    pin_factory: Literal["auto", "lgpio", "rpigpio", "pigpio", "native", "mock"] = "auto"
    """gpiozero pin factory: auto = the Pi's own, MockFactory off a Pi"""
    devices: DevicesConfig = Field(default_factory=DevicesConfig, description="device wiring")
    simulate: SimulateConfig = Field(default_factory=SimulateConfig, description="demo mode")

    @model_validator(mode="after")
    def _preset(self) -> IntakeConfig:
        if self.remeasure_below_celsius > self.hypothermia_screening_below_celsius:
            raise ValueError(
                f"remeasure_below_celsius ({self.remeasure_below_celsius}) must not be above "
                f"hypothermia_screening_below_celsius ({self.hypothermia_screening_below_celsius})"
            )
        if self.fever_preset is not None:
            value = FEVER_PRESETS[self.fever_preset]
            if "fever_threshold_celsius" in self.model_fields_set and (
                self.fever_threshold_celsius != value
            ):
                raise ValueError(
                    f"fever_preset {self.fever_preset} says {value} °C but "
                    f"fever_threshold_celsius says {self.fever_threshold_celsius}: set one"
                )
            self.fever_threshold_celsius = value
        if self.simulate.enabled:
            d = self.devices
            self.devices = DevicesConfig(
                gate=SimulatedGateConfig(id=d.gate.id),
                thermometer=SimulatedThermoConfig(id=d.thermometer.id),
                wand=SimulatedWandConfig(id=d.wand.id),
                signals=SimulatedSignalsConfig(),
            )
        return self


def is_raspberry_pi() -> bool:
    try:
        return "raspberry pi" in Path("/proc/device-tree/model").read_text().lower()
    except OSError:
        return False


def make_pin_factory(config: IntakeConfig, *, on_pi: bool | None = None) -> Any:
    """The gpiozero pin factory for `config`, or None if no device uses GPIO.

    On a Raspberry Pi "auto" means gpiozero's own default (lgpio first); off a Pi it means
    MockFactory, so the node runs on a laptop. A mock on a Pi must be configured by name.
    """
    if not config.devices.uses_gpio():
        return None
    pi = is_raspberry_pi() if on_pi is None else on_pi
    choice: str = config.pin_factory
    if choice == "auto":
        choice = "mock" if not pi else "default"
    if choice == "mock":
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    if choice == "default":
        from gpiozero import Device

        return Device._default_pin_factory()
    import importlib

    modules = {
        "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
        "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
        "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
        "native": ("gpiozero.pins.native", "NativeFactory"),
    }
    mod, cls = modules[choice]
    return getattr(importlib.import_module(mod), cls)()
