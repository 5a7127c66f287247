"""The ready-to-use config file that `stationkit provision` writes for a node.

The bundle folder mirrors ``/etc/stationkit`` on the node: ``node.toml``, ``broker.password``
(the only secret besides the key) and ``tls/ca.crt``, ``tls/node.crt``, ``tls/node.key``; the
paths inside node.toml point at where the files will be on the node (`node_root`), not where
they were made. The file follows `firmware_py.config.NodeConfig`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import PurePosixPath

NODE_ROOT = PurePosixPath("/etc/stationkit")
NODE_STATE = PurePosixPath("/var/lib/stationkit")


@dataclass(frozen=True, slots=True)
class NodeBundle:
    """Everything a node needs to reach the broker."""

    site: str
    node: str
    username: str
    password: str
    broker_host: str
    broker_port: int
    node_root: PurePosixPath = NODE_ROOT

    @property
    def ca_file(self) -> PurePosixPath:
        return self.node_root / "tls" / "ca.crt"

    @property
    def cert_file(self) -> PurePosixPath:
        return self.node_root / "tls" / "node.crt"

    @property
    def key_file(self) -> PurePosixPath:
        return self.node_root / "tls" / "node.key"

    @property
    def password_file(self) -> PurePosixPath:
        return self.node_root / "broker.password"

    @property
    def broker_url(self) -> str:
        """The broker URL without credentials (they are in username / password_file)."""
        host = f"[{self.broker_host}]" if ":" in self.broker_host else self.broker_host
        return f"mqtts://{host}:{self.broker_port}"


def _s(value: object) -> str:
    """A TOML basic string (JSON string escaping is valid TOML)."""
    return json.dumps(str(value), ensure_ascii=False)


def render_node_toml(bundle: NodeBundle, *, now: dt.datetime | None = None) -> str:
    """node.toml for `stationkit node --config` (no secrets in it: see `password_file`)."""
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"# StationKit node {bundle.site}/{bundle.node}: made by `stationkit provision` "
            f"on {when}.",
            "# broker.password and tls/node.key are secret: 0640 root:stationkit.",
            "# Add the [intake] or [camera] sections for this node's devices (docs/deploy.md).",
            f"site = {_s(bundle.site)}",
            f"node = {_s(bundle.node)}",
            "",
            "[broker]",
            f"url = {_s(bundle.broker_url)}",
            f"username = {_s(bundle.username)}",
            f"password_file = {_s(bundle.password_file)}",
            f"ca_file = {_s(bundle.ca_file)}",
            f"cert_file = {_s(bundle.cert_file)}",
            f"key_file = {_s(bundle.key_file)}",
            "",
            "[outbox]",
            f"path = {_s(NODE_STATE / 'outbox.db')}",
            "",
        ]
    )
