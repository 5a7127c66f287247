"""The ready-to-use config file that `stationkit provision` writes for a node.

The bundle folder mirrors ``/etc/stationkit`` on the node: ``node.toml`` plus ``tls/ca.crt``,
``tls/node.crt`` and ``tls/node.key``; the paths inside node.toml point at where the files
will be on the node (`node_root`), not where they were made.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

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
    def broker_url(self) -> str:
        host = f"[{self.broker_host}]" if ":" in self.broker_host else self.broker_host
        user = quote(self.username, safe="")
        secret = quote(self.password, safe="")
        return f"mqtts://{user}:{secret}@{host}:{self.broker_port}"


def _s(value: object) -> str:
    """A TOML basic string (JSON string escaping is valid TOML)."""
    return json.dumps(str(value), ensure_ascii=False)


def render_node_toml(bundle: NodeBundle, *, now: dt.datetime | None = None) -> str:
    """node.toml for `stationkit node --config`. Contains the node's password: mode 0600."""
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"# StationKit node {bundle.site}/{bundle.node}: made by `stationkit provision` "
            f"on {when}.",
            "# It holds this node's broker password: keep it 0600/0640 root:stationkit.",
            "# Add the [intake] or [camera] sections for this node's devices (docs/deploy.md).",
            f"site = {_s(bundle.site)}",
            f"node = {_s(bundle.node)}",
            "",
            "[broker]",
            f"url = {_s(bundle.broker_url)}",
            f"ca_file = {_s(bundle.ca_file)}",
            f"cert_file = {_s(bundle.cert_file)}",
            f"key_file = {_s(bundle.key_file)}",
            "",
            "[outbox]",
            f"path = {_s(NODE_STATE / 'outbox.db')}",
            "",
        ]
    )
