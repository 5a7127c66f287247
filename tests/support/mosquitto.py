"""A real Mosquitto broker for integration tests, run with the project's own config.

The config shipped in systemd/mosquitto/stationkit.conf is copied with its file paths moved
into a temporary folder and its listener moved to a free port; credentials and ACLs come from
`gateway.provision.mosquitto`, as in production.
"""

from __future__ import annotations

import os
import pwd
import secrets
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from gateway.provision import mosquitto as prov
from tests.support import lanes
from tests.support.net import free_port, wait_port
from tests.support.proc import installed, kill, spawn, stop

ROOT = Path(__file__).resolve().parents[2]
PROJECT_CONF = ROOT / "systemd" / "mosquitto" / "stationkit.conf"


def mosquitto_binary() -> str:
    return installed("mosquitto", "run `make test` (it installs it)")


@dataclass
class Broker:
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    users: dict[str, str] = field(default_factory=dict)
    base_conf: Path = PROJECT_CONF  # another broker's config (e.g. the bureau example)
    extra_conf: str = ""  # appended to the config (e.g. a bridge section)
    acl_text: str | None = None  # written instead of the generated ACL

    @property
    def passwd(self) -> Path:
        return self.workdir / "passwd"

    @property
    def acl(self) -> Path:
        return self.workdir / "acl"

    @property
    def conf(self) -> Path:
        return self.workdir / "mosquitto.conf"

    def write_conf(self) -> None:
        out = []
        for line in self.base_conf.read_text().splitlines():
            key = line.split(" ", 1)[0]
            if key in ("password_file", "acl_file", "persistence_location"):
                continue
            if key == "listener":  # in place: listener options (client id binding) follow it
                line = f"listener {self.port} 127.0.0.1"
            out.append(line)
        out += [
            f"password_file {self.passwd}",
            f"acl_file {self.acl}",
            f"persistence_location {self.workdir}/",
            f"log_dest file {self.workdir}/mosquitto.log",
            # run as whoever runs the tests (as root, Mosquitto would switch to `mosquitto`
            # and could not read the temporary folder)
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
        ]
        if self.extra_conf:
            out.append(self.extra_conf)
        self.conf.write_text("\n".join(out) + "\n")

    def _write_acl(self) -> None:
        if self.acl_text is not None:
            self.acl.write_text(self.acl_text)
            return
        parts = [prov.gateway_acl()] if prov.GATEWAY_USER in self.users else []
        for user in self.users:
            if "." in user:
                site, node = user.split(".", 1)
                parts.append(prov.node_acl(site, node))
            elif user not in (prov.GATEWAY_USER,):
                parts.append(f"user {user}\ntopic readwrite stationkit/v1/#\n")
        self.acl.write_text("\n".join(parts))

    def add_user(self, username: str, password: str | None = None) -> str:
        password = password or secrets.token_urlsafe(12)
        prov.set_password(self.passwd, username, password)
        self.users[username] = password
        self._write_acl()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)  # reload passwords and ACLs
        return password

    def add_node(self, site: str, node: str) -> tuple[str, str]:
        user = prov.node_username(site, node)
        return user, self.add_user(user)

    def client(self, username: str, client_id: str, *, bulk: bool = False) -> mqtt.Client:
        """A paho client connected as `username`, its network loop started. `bulk` (for
        benchmarks): 1000 QoS 1 messages in flight at once and no limit on the queue."""
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        c.username_pw_set(username, self.users[username])
        if bulk:
            c.max_inflight_messages_set(1000)
            c.max_queued_messages_set(0)
        c.connect("127.0.0.1", self.port)
        c.loop_start()
        return c

    def url(self, username: str) -> str:
        return f"mqtt://{username}:{self.users[username]}@127.0.0.1:{self.port}"

    def start(self) -> None:
        lanes.require("broker")
        self.write_conf()
        if not self.acl.exists():
            self._write_acl()
        self.proc = spawn([mosquitto_binary(), "-c", str(self.conf)], own_group=True)
        wait_port(self.port)

    def kill(self) -> None:
        """SIGKILL: the broker dies without saving (persistence is from its last autosave)."""
        kill(self.proc)

    def stop(self) -> None:
        """SIGTERM: the broker saves its persistence file and exits."""
        stop(self.proc, 10)

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def gateway_broker(workdir: Path, *nodes: tuple[str, str], **options: Any) -> Iterator[Broker]:
    """A broker started in `workdir` (made here) with the gateway's account and one for each
    (site, node) of `nodes`; `options` are further Broker fields. Stopped when the block ends."""
    broker = Broker(workdir, **options)
    broker.workdir.mkdir(parents=True)
    broker.add_user("gateway")
    for site, node in nodes:
        broker.add_node(site, node)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
