"""Node and gateway config files: unknown keys refused, errors name the key path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_py.config import NodeConfig
from firmware_py.config_file import ConfigError, load_toml
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
