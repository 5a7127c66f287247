"""Node and gateway config files: unknown keys refused, errors name the key path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.runtime.config_file import ConfigError, load_toml
from firmware_py.config import NodeConfig
from gateway.config import load_settings


def test_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "node.toml"
    f.write_text('site = "s1"\nnode = "desk-1"\n\n[outbox]\npath = "/tmp/o.db"\nmax_event = 5\n')
    with pytest.raises(ConfigError) as err:
        load_toml(NodeConfig, f)
    assert "outbox.max_event (line 6): unknown key" in str(err.value)


def test_bad_value_names_the_key(tmp_path: Path) -> None:
    f = tmp_path / "node.toml"
    f.write_text('site = "Site One"\nnode = "desk-1"\n[heartbeat]\ninterval_s = 0\n')
    with pytest.raises(ConfigError) as err:
        load_toml(NodeConfig, f)
    text = str(err.value)
    assert "site (line 1)" in text
    assert "heartbeat.interval_s (line 4)" in text


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "node.toml"
    f.write_text("site = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml(NodeConfig, f)


def test_gateway_precedence_flags_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "gateway.toml"
    f.write_text('db = "/from/file.db"\nhttp = "127.0.0.1:1"\nbroker = "mqtt://file:1883"\n')
    monkeypatch.setenv("STATIONKIT_HTTP", "127.0.0.1:2")
    monkeypatch.setenv("STATIONKIT_BROKER", "mqtt://env:1883")
    s = load_settings(f, broker="mqtt://flag:1883", db=None, http=None)
    assert (str(s.db), s.http, s.broker) == ("/from/file.db", "127.0.0.1:2", "mqtt://flag:1883")


def test_gateway_rejects_unknown_keys(tmp_path: Path) -> None:
    f = tmp_path / "gateway.toml"
    f.write_text('dbpath = "x"\n')
    with pytest.raises(ConfigError, match=r"dbpath \(line 1\): unknown key"):
        load_settings(f)


NODE = 'site = "s1"\nnode = "desk-1"\n\n'


def _intake_error(tmp_path: Path, body: str) -> str:
    f = tmp_path / "node.toml"
    f.write_text(NODE + body)
    with pytest.raises(ConfigError) as err:
        load_toml(NodeConfig, f)
    return str(err.value)


def test_typo_in_a_device_section_names_the_users_key_and_line(tmp_path: Path) -> None:
    # Found by issue 12: the path read "intake.devices.thermometer.optris.baudrat" (the
    # union's tag) and had no line number.
    text = _intake_error(
        tmp_path,
        '[intake.devices.thermometer]\nkind = "optris"\nport = "/dev/ttyUSB0"\nbaudrat = 9600\n',
    )
    assert "intake.devices.thermometer.baudrat (line 7): unknown key" in text, text
    assert ".optris." not in text


def test_bad_value_in_a_device_subtable_keeps_its_line(tmp_path: Path) -> None:
    text = _intake_error(
        tmp_path,
        '[intake.devices.thermometer]\nkind = "modbus"\npreset = "custom"\n\n'
        "[intake.devices.thermometer.registers]\nobject_register = 0x12\n"
        "celsius_per_count = -1\n",
    )
    assert "intake.devices.thermometer.registers.celsius_per_count (line 10)" in text, text
    assert ".modbus." not in text


@pytest.mark.parametrize(
    ("kind", "baud", "allowed"),
    [
        ("optris", 7, "9600, 19200, 38400, 57600 or 115200"),
        ("modbus", 7, "1200, 2400"),
        ("gy90614", 19200, "9600 or 115200"),
        ("gy90615", 57600, "9600 or 115200"),
    ],
)
def test_bauds_the_device_cannot_run_are_refused(
    tmp_path: Path, kind: str, baud: int, allowed: str
) -> None:
    text = _intake_error(
        tmp_path, f'[intake.devices.thermometer]\nkind = "{kind}"\nbaudrate = {baud}\n'
    )
    assert "intake.devices.thermometer.baudrate (line 6)" in text, text
    assert allowed in text, text


def test_whole_table_errors_name_the_table_not_the_tag(tmp_path: Path) -> None:
    text = _intake_error(
        tmp_path, '[intake.devices.thermometer]\nkind = "modbus"\npreset = "custom"\n'
    )
    assert "intake.devices.thermometer (line 4)" in text, text
    assert "needs a [registers] table" in text, text


def test_thermometer_defaults_follow_the_sources(tmp_path: Path) -> None:
    from firmware_py.intake.config import IntakeConfig

    def thermo(**kw: object) -> object:
        return IntakeConfig.model_validate({"devices": {"thermometer": kw}}).devices.thermometer

    gy614, gy615 = thermo(kind="gy90614"), thermo(kind="gy90615")
    assert (gy614.baudrate, gy615.baudrate) == (9600, 115200)  # type: ignore[attr-defined]
    # uncalibrated: no offset, so readings are labelled "surface", never "body"
    assert gy614.body_offset_celsius is None  # type: ignore[attr-defined]
    assert thermo(kind="optris").scale == "standard"  # type: ignore[attr-defined]
    timeouts = {k: thermo(kind=k).data_timeout_s for k in ("gy90614", "optris", "modbus")}  # type: ignore[attr-defined]
    assert timeouts == {"gy90614": 3.0, "optris": 2.0, "modbus": 3.0}


def test_serial_gate_baud_is_one_the_protocol_defines(tmp_path: Path) -> None:
    text = _intake_error(tmp_path, '[intake.devices.gate]\nkind = "serial"\nbaudrate = 7\n')
    assert "intake.devices.gate.baudrate (line 6): Input should be 9600 or 19200" in text, text
