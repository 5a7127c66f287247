"""The systemd units: hardening, watchdog, restart policy, ExecStart — checked by reading them,
and by systemd's own `systemd-analyze verify` and `security` (offline, in a throwaway root)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from firmware_py.cli import build_parser
from tests.ops.units import UNITS, parse_unit, value, values

SERVICES = sorted(UNITS.glob("*.service"))
LONG_RUNNING = {"stationkit-node.service", "stationkit-gateway.service"}
STATE_DIRS = ("/var/lib/stationkit", "/var/backups/stationkit")

HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",
    "User": "stationkit",
    "StandardOutput": "journal",
    "StandardError": "journal",
}


def test_the_units_exist() -> None:
    assert {p.name for p in SERVICES} >= LONG_RUNNING


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_every_service_is_hardened(path: Path) -> None:
    unit = parse_unit(path)
    for key, want in HARDENING.items():
        assert value(unit, "Service", key) == want, f"{path.name}: {key}= should be {want!r}"
    writable = " ".join(values(unit, "Service", "ReadWritePaths")).split()
    assert writable, f"{path.name}: no ReadWritePaths"
    for p in writable:
        assert p.lstrip("-").startswith(STATE_DIRS), f"{path.name}: writable {p} is not state"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_execstart_runs_a_real_stationkit_subcommand(path: Path) -> None:
    unit = parse_unit(path)
    (exec_start,) = values(unit, "Service", "ExecStart")
    argv = shlex.split(exec_start)
    assert Path(argv[0]).name == "stationkit" and argv[0].startswith("/"), argv[0]
    args = build_parser().parse_args(argv[1:])  # raises SystemExit on an unknown subcommand
    assert callable(args.func)
    assert not re.search(r"://[^/\s]*:[^/\s]*@", exec_start), "credentials on the command line"


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_long_running_services_notify_feed_a_watchdog_and_restart(name: str) -> None:
    unit = parse_unit(UNITS / name)
    assert value(unit, "Service", "Type") == "notify"
    assert value(unit, "Service", "NotifyAccess") == "main"
    watchdog = value(unit, "Service", "WatchdogSec")
    assert watchdog is not None and 5 <= int(watchdog) <= 120
    assert value(unit, "Service", "Restart") == "always"
    assert value(unit, "Unit", "StartLimitIntervalSec") == "0", "must never stop restarting"
    assert value(unit, "Install", "WantedBy") == "multi-user.target"


def test_only_the_node_gets_device_groups() -> None:
    node = parse_unit(UNITS / "stationkit-node.service")
    gateway = parse_unit(UNITS / "stationkit-gateway.service")
    groups = " ".join(values(node, "Service", "SupplementaryGroups")).split()
    assert sorted(groups) == ["dialout", "gpio", "video"]
    assert not values(gateway, "Service", "SupplementaryGroups")
    assert value(gateway, "Service", "PrivateDevices") == "yes"
    assert value(gateway, "Service", "EnvironmentFile") == "/etc/stationkit/gateway.env"


def _throwaway_root(tmp_path: Path) -> Path:
    """A root with systemd's own units, our units, and an executable at ExecStart's path."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for path in SERVICES + sorted(UNITS.glob("*.timer")):
        shutil.copy(path, root / "etc/systemd/system" / path.name)
    for path in SERVICES:
        binary = shlex.split(values(parse_unit(path), "Service", "ExecStart")[0])[0]
        exe = root / binary.lstrip("/")
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return root


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if not found:
        raise AssertionError("systemd-analyze is missing: apt-get install systemd")
    return found


def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    root = _throwaway_root(tmp_path)
    names = [f"/etc/systemd/system/{p.name}" for p in SERVICES + sorted(UNITS.glob("*.timer"))]
    done = subprocess.run(
        [_analyze(), "verify", f"--root={root}", *names],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on unknown keys and unparsable values: any message is a failure here
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), (
        done.stdout + done.stderr
    )


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_systemd_analyze_security_exposure_is_low(tmp_path: Path, name: str) -> None:
    root = _throwaway_root(tmp_path)
    done = subprocess.run(
        [
            _analyze(),
            "security",
            "--offline=true",
            f"--root={root}",
            "--no-pager",
            f"/etc/systemd/system/{name}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout + done.stderr)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= 2.0, done.stdout  # systemd calls < 2.0 "OK"
