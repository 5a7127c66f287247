"""devices.runtime.systemd speaks the sd_notify protocol to a real datagram socket."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.runtime import systemd
from tests.support.mosquitto import Broker
from tests.support.net import free_port
from tests.support.stack import spawn_gateway, unconnected_agent


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def test_messages_reach_systemd(notify_socket: socket.socket) -> None:
    assert systemd.ready()
    assert systemd.watchdog()
    assert systemd.status("outbox 3 pending\nbroker up")
    assert systemd.stopping()
    got = [notify_socket.recv(4096) for _ in range(4)]
    assert got == [b"READY=1", b"WATCHDOG=1", b"STATUS=outbox 3 pending broker up", b"STOPPING=1"]


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"stationkit-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
    try:
        assert systemd.ready()
        assert sock.recv(100) == b"READY=1"
    finally:
        sock.close()


def test_no_op_without_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.ready() is False
    assert systemd.watchdog() is False


def test_a_vanished_socket_never_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert systemd.watchdog() is False


def test_watchdog_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert systemd.watchdog_interval_s() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert systemd.watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert systemd.watchdog_interval_s() is None


@pytest.mark.broker
def test_the_gateway_process_reports_ready_feeds_the_watchdog_and_says_stopping(
    broker: Broker, tmp_path: Path, notify_socket: socket.socket
) -> None:
    """The Type=notify unit's contract, with a real `stationkit gateway` process."""
    port = free_port()
    proc = spawn_gateway(
        broker,
        tmp_path / "gw.db",
        port,
        env={"WATCHDOG_USEC": "1000000"},  # WatchdogSec=1: fed every 0.5 s
    )
    try:
        got: list[bytes] = []
        deadline = time.monotonic() + 10
        while b"WATCHDOG=1" not in got and time.monotonic() < deadline:
            got.append(notify_socket.recv(4096))
        assert got[0] == b"READY=1"
        assert b"WATCHDOG=1" in got
        proc.send_signal(signal.SIGTERM)
        while b"STOPPING=1" not in got and time.monotonic() < deadline:
            got.append(notify_socket.recv(4096))
        assert b"STOPPING=1" in got
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()


def test_a_stuck_loop_stops_feeding_the_watchdog(
    notify_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    health: list[str | None] = [None, None, "ingest loop stuck", "ingest loop stuck"]
    stopped: list[bool] = []

    def healthy() -> str | None:
        problem = health.pop(0) if health else "ingest loop stuck"
        if not health:
            threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGTERM)).start()
        return problem

    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        code = systemd.run_until_signal(
            lambda: None, lambda: stopped.append(True), healthy, name="gateway"
        )
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert code == 0 and stopped == [True]
    got = []
    with contextlib.suppress(TimeoutError):
        notify_socket.settimeout(0.2)
        while True:
            got.append(notify_socket.recv(4096))
    assert got[:2] == [b"READY=1", b"STATUS=gateway running"]
    assert got.count(b"WATCHDOG=1") == 2  # fed while healthy, never after
    assert b"STATUS=gateway: ingest loop stuck" in got
    assert got[-1] == b"STOPPING=1"


@pytest.mark.broker
def test_the_gateway_health_covers_alerting_and_notifications(
    broker: Broker, tmp_path: Path
) -> None:
    from tests.support.stack import gateway

    with gateway(broker, tmp_path / "gw.db") as (gw, _api):
        assert gw.healthy() is None
        gw.alerts._stop.set()  # the alert timer dies: escalations and reminders would stop
        gw.alerts._thread.join(5)
        assert gw.healthy() == "alert timer stuck"


def test_a_hung_intake_loop_makes_the_node_unhealthy(tmp_path: Path) -> None:
    """The desk's tick loop (timeouts, gate releases) stuck behind a lock: the node stops
    feeding the watchdog, so systemd restarts it."""
    from firmware_py.intake.app import IntakeApp
    from firmware_py.intake.config import IntakeConfig

    app = IntakeApp(IntakeConfig(operator="desk-a", tick_s=0.01))
    app.stuck_after_s = 0.2
    agent = unconnected_agent(tmp_path / "o.db", app)
    agent.start()
    try:
        time.sleep(0.3)
        assert agent.healthy() is None
        with app._lock:  # a feed that never returns
            time.sleep(0.8)
            assert agent.healthy() == "intake tick loop stuck"
        time.sleep(0.2)
        assert agent.healthy() is None
    finally:
        agent.stop()
