"""A real Mosquitto with the project's configs (stationkit.conf + stationkit-tls.conf), its
password file, ACL, CA and certificates all made by `Provisioner`, as in production.

The configs name files under /etc/stationkit; here that root is rewritten to a temporary
folder and the listeners to free ports. If a config names a path that `Layout` does not make,
the broker fails to start and every test here fails.
"""

from __future__ import annotations

import os
import pwd
import signal
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from gateway.provision.layout import DEFAULT_ROOT, Layout
from gateway.provision.provisioner import Provisioner
from tests.support.mosquitto import PROJECT_CONF, mosquitto_binary
from tests.support.net import free_port, wait_port
from tests.support.proc import spawn, stop

TLS_CONF = PROJECT_CONF.parent / "stationkit-tls.conf"


@dataclass
class SecureSite:
    """A provisioned site with its broker: plain listener (gateway, localhost) and TLS."""

    workdir: Path
    layout: Layout
    prov: Provisioner = field(init=False)
    port: int = field(default_factory=free_port)
    tls_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    gateway_password: str = ""

    def __post_init__(self) -> None:
        self.prov = Provisioner(self.layout, reload_broker=self.reload)

    def _rewrite(self, text: str) -> str:
        return text.replace(str(DEFAULT_ROOT), str(self.layout.root)).replace(
            "/var/lib/mosquitto/", f"{self.workdir}/"
        )

    def write_conf(self) -> Path:
        out: list[str] = []
        for line in self._rewrite(PROJECT_CONF.read_text()).splitlines():
            if line.startswith("listener "):
                line = f"listener {self.port} 127.0.0.1"
            out.append(line)
        for line in self._rewrite(TLS_CONF.read_text()).splitlines():
            if line.startswith("listener "):
                line = f"listener {self.tls_port} 127.0.0.1"
            out.append(line)
        out += [
            f"log_dest file {self.workdir}/mosquitto.log",
            "log_type all",
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
        ]
        conf = self.workdir / "mosquitto.conf"
        conf.write_text("\n".join(out) + "\n")
        return conf

    def start(self) -> None:
        conf = self.write_conf()
        self.proc = spawn([mosquitto_binary(), "-c", str(conf)], own_group=True)
        try:
            wait_port(self.tls_port)
            wait_port(self.port)
        except AssertionError:
            raise AssertionError(f"mosquitto did not start:\n{self.log()}") from None

    def reload(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        stop(self.proc, 10)

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class Conn:
    client: mqtt.Client
    connected: threading.Event
    refused: threading.Event
    reason: list[str]
    messages: list[tuple[str, bytes]]
    got: threading.Condition

    def wait_topic(self, topic: str, timeout_s: float = 5.0) -> bool:
        with self.got:
            return self.got.wait_for(
                lambda: any(t == topic for t, _ in self.messages), timeout=timeout_s
            )

    def wait_for_count(self, topic: str, count: int, timeout_s: float = 5.0) -> bool:
        with self.got:
            return self.got.wait_for(
                lambda: sum(t == topic for t, _ in self.messages) >= count, timeout=timeout_s
            )

    def topics(self) -> list[str]:
        with self.got:
            return [t for t, _ in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connect(
    port: int,
    username: str,
    password: str,
    *,
    tls: tuple[Path, Path | None, Path | None] | None = None,
    client_id: str | None = None,
    wait_s: float = 5.0,
) -> Conn:
    """Connect (TLS if `tls` = (ca, cert, key)); wait for CONNACK, refusal or socket error."""
    c = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id or f"t-{username}-{os.urandom(3).hex()}",
    )
    c.username_pw_set(username, password)
    if tls:
        ca, cert, key = tls
        c.tls_set(
            ca_certs=str(ca),
            certfile=str(cert) if cert else None,
            keyfile=str(key) if key else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    conn = Conn(c, threading.Event(), threading.Event(), [], [], threading.Condition())

    def on_connect(_c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        if getattr(rc, "is_failure", False):
            conn.reason.append(str(rc))
            conn.refused.set()
        else:
            conn.connected.set()

    def on_disconnect(_c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        conn.reason.append(f"disconnected: {rc}")
        conn.refused.set()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with conn.got:
            conn.messages.append((msg.topic, bytes(msg.payload)))
            conn.got.notify_all()

    c.on_connect = on_connect
    c.on_disconnect = on_disconnect
    c.on_message = on_message
    try:
        c.connect("127.0.0.1", port, keepalive=10)
    except (OSError, ssl.SSLError) as exc:
        conn.reason.append(f"connect failed: {exc!r}")
        conn.refused.set()
        return conn
    c.loop_start()
    deadline = threading.Event()
    for _ in range(int(wait_s / 0.02)):
        if conn.connected.is_set() or conn.refused.is_set():
            break
        deadline.wait(0.02)
    if not conn.connected.is_set():
        c.loop_stop()
        conn.refused.set()
    return conn


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SecureSite]:
    s = SecureSite(tmp_path / "broker", Layout(tmp_path / "etc-stationkit"))
    s.workdir.mkdir()
    s.prov.init_site(["localhost"])
    s.gateway_password = s.prov.provision_gateway()
    s.start()
    try:
        yield s
    finally:
        s.stop()
