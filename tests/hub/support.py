"""Station stacks bridged to a NATS cluster, and hub workers as real processes."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from firmware_py.agent import NodeAgent
from gateway.service import Gateway
from gateway.uplink.bridge import BridgeTarget, render_bridge_conf
from tests.support.mosquitto import Broker
from tests.support.nats import NatsCluster
from tests.support.net import free_port, wait_port
from tests.support.proc import Program
from tests.support.stack import Api, gateway, node_agent, staff_report
from tests.support.tcpproxy import TcpProxy


@dataclass
class Station:
    site: str
    broker: Broker
    gw: Gateway
    api: Api
    agent: NodeAgent
    proxies: list[TcpProxy] = field(default_factory=list)
    person: int = 0

    def raise_incident(self) -> None:
        """A staff report of a missing person: one new alert and one new incident."""
        self.person += 1
        staff_report(
            self.gw,
            self.api,
            {
                "site": self.site,
                "category": "missing_person",
                "description": "not at roll call",
                "person": f"resident-{self.person}",
            },
        )

    def rows(self, sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.gw.settings.db, timeout=30)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def link_down(self) -> None:
        for p in self.proxies:
            p.down()

    def link_up(self) -> None:
        for p in self.proxies:
            p.up()


@contextmanager
def station(
    site: str,
    tmp: Path,
    cluster: NatsCluster,
    *,
    via_proxy: bool = False,
    account: tuple[str, str] | None = None,
) -> Iterator[Station]:
    """A station: its Mosquitto (project config + the bridge `stationkit provision` writes), its
    gateway with the uplink on, and one desk node agent."""
    with ExitStack() as stack:
        proxies = [TcpProxy(n.mqtt_port) for n in cluster.nodes] if via_proxy else []
        for p in proxies:
            stack.callback(p.close)
        ports = [p.port for p in proxies] or [n.mqtt_port for n in cluster.nodes]
        conf = render_bridge_conf(
            site,
            BridgeTarget(
                tuple(f"127.0.0.1:{p}" for p in ports),
                *(account or (None, None)),
                restart_timeout="1 2",
            ),
        )
        broker = Broker(tmp / site / "mosquitto", extra_conf=conf)
        broker.workdir.mkdir(parents=True)
        broker.add_user("gateway")
        uplink_password = broker.add_user("gateway-uplink")
        broker.start()
        stack.callback(broker.stop)
        gw, api = stack.enter_context(
            gateway(
                broker,
                tmp / site / "gw.db",
                uplink={
                    "enabled": True,
                    "password": uplink_password,
                    "client_id": f"uplink-{site}",
                    "poll_s": 0.2,
                    "resend_after_s": 15,
                    "health_every_s": 5,
                    "returns_every_s": 10,
                },
            )
        )
        agent = node_agent(broker, site, "desk-1", tmp / site / "outbox.db", heartbeat_s=2)
        agent.start()
        stack.callback(agent.stop)
        yield Station(site, broker, gw, api, agent, proxies)


@dataclass
class HubWorkerProc(Program):
    """`stationkit hub run`; `start` waits for its HTTP port, if it serves one."""

    http_port: int | None = None
    stop_s: float = 20  # it finishes its batch first

    def start(self) -> None:
        super().start()
        if self.http_port:
            wait_port(self.http_port, 60)


def hub_worker(
    name: str,
    cluster: NatsCluster,
    dsn: str,
    tmp: Path,
    *,
    http: bool,
    replicas: int,
    account: tuple[str, str] | None = None,
) -> HubWorkerProc:
    port = free_port() if http else None
    creds = f"{account[0]}:{account[1]}@" if account else ""
    args = [
        sys.executable,
        "-m",
        "firmware_py.cli",
        "hub",
        "run",
        "--name",
        name,
        "--nats",
        ",".join(cluster.urls),
        "--postgres",
        dsn,
        "--mqtt",
        ",".join(f"mqtt://{creds}127.0.0.1:{n.mqtt_port}" for n in cluster.nodes),
    ]
    args += ["--http", f"127.0.0.1:{port}"] if port else ["--no-http"]
    env_replicas = str(replicas)
    os.environ["STATIONKIT_HUB_REPLICAS"] = env_replicas
    os.environ["STATIONKIT_HUB_ACK_WAIT_S"] = "5"
    if account:
        os.environ["STATIONKIT_HUB_NATS_USER"], os.environ["STATIONKIT_HUB_NATS_PASSWORD"] = account
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return HubWorkerProc(args, tmp / f"{name}.log", env, http_port=port)


def hub_rows(dsn: str, sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, args).fetchall()
