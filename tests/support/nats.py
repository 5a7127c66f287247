"""A real NATS server cluster (JetStream and the MQTT listener on every node) on loopback
ports, as the bureau runs it: `nats_cluster(3)` for a province, one node for a district."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.net import free_port, wait_port
from tests.support.proc import installed, kill, spawn, stop


def nats_binary() -> str:
    return installed("nats-server", "apt-get install nats-server")


@dataclass
class NatsNode:
    name: str
    workdir: Path
    port: int = field(default_factory=free_port)
    cluster_port: int = field(default_factory=free_port)
    mqtt_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = spawn(
            [nats_binary(), "-c", str(self.workdir / f"{self.name}.conf")],
            log=self.workdir / f"{self.name}.log",
            own_group=True,
        )
        wait_port(self.port, 20)
        wait_port(self.mqtt_port, 20)

    def kill(self) -> None:
        kill(self.proc)

    def stop(self) -> None:
        stop(self.proc)


@dataclass
class NatsCluster:
    workdir: Path
    size: int = 3
    nodes: list[NatsNode] = field(default_factory=list)
    extra_conf: str = ""  # appended to every node's config (an authorization block)

    def write(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.nodes = [NatsNode(f"n{i + 1}", self.workdir) for i in range(self.size)]
        for n in self.nodes:
            (self.workdir / n.name).mkdir(exist_ok=True)
            (self.workdir / f"{n.name}.conf").write_text(
                render_node_conf(n, self.nodes, self.workdir) + self.extra_conf
            )

    def start(self) -> None:
        if not self.nodes:
            self.write()
        for n in self.nodes:
            n.start()

    def stop(self) -> None:
        for n in self.nodes:
            n.stop()

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]


def render_node_conf(node: NatsNode, nodes: list[NatsNode], workdir: Path) -> str:
    """The node's config in NATS's format (docs/hub.md shows the production version)."""
    lines = [
        f"server_name: {node.name}",
        f"listen: 127.0.0.1:{node.port}",
        "jetstream {",
        f'  store_dir: "{workdir / node.name}"',
        "  max_memory_store: 64MB",
        "  max_file_store: 2GB",
        "}",
        "mqtt {",
        f"  listen: 127.0.0.1:{node.mqtt_port}",
        "  ack_wait: 10s",
        "}",
    ]
    if len(nodes) > 1:
        routes = ", ".join(
            f"nats-route://127.0.0.1:{n.cluster_port}" for n in nodes if n is not node
        )
        lines += [
            "cluster {",
            "  name: bureau",
            f"  listen: 127.0.0.1:{node.cluster_port}",
            f"  routes: [{routes}]",
            "}",
        ]
    return "\n".join(lines) + "\n"
