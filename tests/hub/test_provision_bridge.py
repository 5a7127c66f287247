"""`stationkit provision --bridge` writes the station's bridge to the bureau's hub: only this
station's uplink out and downlink in, its bureau password in a file only root and Mosquitto
read, clear refusals; and a real Mosquitto starts with the file and dials the hub."""

from __future__ import annotations

import stat
import subprocess
import time
from pathlib import Path

import pytest

from firmware_py.cli import main
from tests.support.net import free_port


def _provision(tmp_path: Path, *extra: str) -> int:
    secret = tmp_path / "hub-password"
    secret.write_text("s3cret-at-the-bureau\n")
    return main([
        "provision", "--root", str(tmp_path / "etc"), "--no-reload", "--bridge",
        "--mosquitto-conf-dir", str(tmp_path / "conf.d"), "--hub-username", "station-s1",
        "--hub-password-file", str(secret), *extra,
    ])  # fmt: skip


def test_the_bridge_file_carries_only_this_stations_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _provision(tmp_path, "--site", "s1", "--hub-address", "hub-1:1883",
                      "--hub-address", "hub-2:1883") == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "restart mosquitto" in out
    conf = tmp_path / "conf.d" / "bridge-hub.conf"
    text = conf.read_text()
    assert "address hub-1:1883 hub-2:1883" in text
    assert "topic stationkit/v1/s1/gateway/uplink/# out 1" in text
    assert "topic stationkit/v1/s1/gateway/downlink/# in 1" in text
    assert "remote_username station-s1" in text and "remote_password s3cret-at-the-bureau" in text
    assert [line for line in text.splitlines() if line.startswith("topic ")] == [
        "topic stationkit/v1/s1/gateway/uplink/# out 1",
        "topic stationkit/v1/s1/gateway/downlink/# in 1",
    ]  # never events
    assert stat.S_IMODE(conf.stat().st_mode) & 0o007 == 0  # not world-readable


def test_refusals_say_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _provision(tmp_path, "--hub-address", "hub-1:1883") == 2
    assert "--site" in capsys.readouterr().err
    assert _provision(tmp_path, "--site", "s1") == 1
    assert "--hub-address" in capsys.readouterr().err
    assert _provision(tmp_path, "--site", "s1", "--hub-address", "hub-1") == 1
    assert "HOST:PORT" in capsys.readouterr().err
    assert _provision(tmp_path, "--site", "S 1!", "--hub-address", "hub-1:1883") == 1
    assert not (tmp_path / "conf.d" / "bridge-hub.conf").exists()


@pytest.mark.broker
def test_a_real_mosquitto_starts_with_it_and_dials_the_hub(tmp_path: Path) -> None:
    hub_port = free_port()  # nobody listens: the bridge keeps retrying, the broker keeps serving
    assert _provision(tmp_path, "--site", "s1", "--hub-address", f"127.0.0.1:{hub_port}") == 0
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {free_port()} 127.0.0.1\nallow_anonymous true\n"
        f"log_dest stderr\nlog_type all\n" + (tmp_path / "conf.d" / "bridge-hub.conf").read_text()
    )
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        time.sleep(1.5)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Connecting bridge (step 1) bureau-hub-s1" in err, err
    assert "Bridge stationkit-bridge-s1 sending CONNECT" in err, err
