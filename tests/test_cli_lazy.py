"""`stationkit` loads subcommands lazily (issue 12, finding 7): `stationkit node` imports no
gateway stack, the top-level help lists every subcommand without importing any, and a
subcommand whose extra is missing says what to install, only when it is run."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from devices.contract import topics
from firmware_py.cli import build_parser, commands
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import node_config

pytestmark = pytest.mark.slow  # CLI subprocesses

HEAVY = ("fastapi", "uvicorn", "starlette", "sqlite_utils", "cv2", "numpy")
"""The gateway's web and database stacks and the camera's vision stack: never on an intake node."""
GATEWAY_ONLY = ("cryptography", "argon2", "reportlab", "jinja2", "openpyxl", "httpx")


def _imported(importtime_stderr: str) -> set[str]:
    """Every module `python -X importtime` reported importing."""
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", importtime_stderr, re.M)
    return set(names)


def _top(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


def _cli(
    *args: str, block: tuple[str, ...] = (), cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter; `block`: modules made not importable, as on an
    install without that extra (a None entry in sys.modules is how Python marks that)."""
    code = (
        "import sys\n"
        f"for name in {block!r}: sys.modules[name] = None\n"
        "from firmware_py.cli import main\n"
        f"sys.exit(main({list(args)!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_top_level_help_lists_every_subcommand_without_importing_any() -> None:
    done = _cli("--help")
    assert done.returncode == 0, done.stderr[-2000:]
    registry = commands()
    assert {c.name for c in registry} >= {"node", "schema", "gateway", "token", "user", "demo"}
    for command in registry:
        assert re.search(rf"^\s+{command.name}\s", done.stdout, re.M), command.name
        assert command.help.split()[0] in done.stdout
    imported = _imported(done.stderr)
    assert not {c.module for c in registry} & imported, "a subcommand module was imported"
    assert not _top(imported) & set(HEAVY + GATEWAY_ONLY)
    assert "unavailable" not in done.stderr


def test_the_registry_help_is_each_subcommands_own_help() -> None:
    """The help listed from the registry matches what each module registers when loaded."""
    parser = build_parser()  # every subcommand loaded (all extras are installed here)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registered = {a.dest: a.help for a in sub._choices_actions}
    assert registered == {c.name: c.help for c in commands()}


def test_a_missing_extra_is_reported_only_when_its_subcommand_runs(tmp_path: Path) -> None:
    missing = ("fastapi", "sqlite_utils", "argon2", "cryptography")  # a node-only install
    ok = _cli("schema", "status", block=missing)
    assert ok.returncode == 0 and '"title"' in ok.stdout
    assert "unavailable" not in ok.stderr and "not installed" not in ok.stderr

    # fails while importing its module
    gw = _cli("gateway", "--db", "x.db", block=missing, cwd=tmp_path)
    assert gw.returncode == 2
    message = gw.stderr.splitlines()[-1]
    assert message.startswith("stationkit gateway: needs the module")
    assert "pip install 'stationkit[gateway]'" in message

    # imports its stack only when it runs
    hold = _cli("hold", "--db", "x.db", "list", block=missing, cwd=tmp_path)
    assert hold.returncode == 2
    assert "stationkit hold: needs the module 'sqlite_utils'" in hold.stderr
    assert "pip install 'stationkit[gateway]'" in hold.stderr

    demo = _cli("demo", "--seconds", "1", block=("amqtt",), cwd=tmp_path)
    assert demo.returncode == 2
    assert "pip install 'stationkit[gateway,demo]'" in demo.stderr


def test_a_bug_in_our_own_imports_is_not_mistaken_for_a_missing_extra() -> None:
    done = _cli("schema", "status", block=("devices.contract.codec",))
    assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr
    assert "pip install" not in done.stderr


@pytest.mark.broker
def test_a_running_intake_node_imports_no_gateway_stack(broker: Broker, tmp_path: Path) -> None:
    """The real `stationkit node` with simulated intake devices, publishing to Mosquitto."""
    simulate = "[intake.simulate]\nenabled = true\npause_s = 0.2\n"
    config = node_config(broker, "s1", "desk-1", tmp_path, simulate)
    checks: list[str] = []
    got = threading.Lock()
    watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="watcher")
    watcher.username_pw_set("gateway", broker.users["gateway"])

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with got:
            checks.append(msg.topic)

    watcher.on_message = on_message
    watcher.connect("127.0.0.1", broker.port)
    watcher.subscribe(topics.event("s1", "desk-1", "check"), qos=1)
    watcher.loop_start()
    argv = ["-X", "importtime", "-m", "firmware_py.cli", "node", "--config", str(config)]
    node = subprocess.Popen(
        [sys.executable, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        wait_for(lambda: len(checks) >= 3, 30, "three checks from the simulated intake desk")
    finally:
        node.send_signal(signal.SIGTERM)
        _, stderr = node.communicate(timeout=30)
        watcher.loop_stop()
        watcher.disconnect()
    imported = _imported(stderr)
    assert "firmware_py.intake.app" in imported  # the intake path really ran
    assert not _top(imported) & set(HEAVY + GATEWAY_ONLY), sorted(
        _top(imported) & set(HEAVY + GATEWAY_ONLY)
    )
    assert not any(m.startswith("gateway.") for m in imported), "a gateway module was imported"
    assert "unavailable" not in stderr


def test_every_command_module_is_in_the_registry() -> None:
    """A new module with register() in a command package must be listed, or it is unreachable
    (modules are no longer discovered by importing them all)."""
    registered = {c.module for c in commands()}
    for package_name in ("firmware_py.commands", "gateway.commands"):
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            name = f"{package_name}.{info.name}"
            if hasattr(importlib.import_module(name), "register"):
                assert name in registered, f"{name} has register() but is not in COMMANDS"
