"""Start a gateway and node agents against the test broker, and read the gateway's API."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from devices.contract import topics
from devices.contract.broker_url import BrokerUrl
from firmware_py.agent import NodeAgent, offline_status
from firmware_py.app import NodeApp
from firmware_py.bus import PahoBus, Will
from firmware_py.doubles import MemoryBus
from firmware_py.outbox import Outbox
from gateway.auth.tokens import create_token
from gateway.config import GatewaySettings
from gateway.service import Gateway
from gateway.store.db import connect
from tests.support.mosquitto import Broker
from tests.support.net import free_port, wait_for, wait_port


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = self.client.post(path, json=body)
        r.raise_for_status()
        return r.json()

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get(path, limit=1000, **params, **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page["next"]
            if not cursor:
                return items


def make_token(gw: Gateway, name: str, role: str) -> str:
    """A token on a running gateway, through a connection of its own (the gateway's own is
    its ingest thread's, busy while nodes send: sharing it raced)."""
    db = connect(gw.settings.db)
    try:
        return create_token(db, name, role)
    finally:
        db.conn.close()


def staff_report(gw: Gateway, api: Api, body: dict[str, Any]) -> Any:
    """File a staff report as a supervisor would: the dashboard's route is the only way in
    (the ingest writer refuses `manual` events from nodes)."""
    token = make_token(gw, f"reporter-{secrets.token_hex(3)}", "supervisor")
    r = httpx.post(
        f"{api.base}/api/v1/manual-reports",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()


def spawn_gateway(
    broker: Broker,
    db: Path,
    port: int,
    *,
    env: dict[str, str] | None = None,
    config: Path | None = None,
    wait_s: float = 30,
) -> subprocess.Popen[bytes]:
    """`stationkit gateway` as a real process (for kill -9, systemd and benchmark runs)."""
    args = [sys.executable, "-m", "firmware_py.cli", "gateway"]
    if config:
        args += ["--config", str(config)]
    args += ["--broker", f"mqtt://127.0.0.1:{broker.port}", "--db", str(db)]
    args += ["--http", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        args,
        env={**os.environ, "STATIONKIT_BROKER_PASSWORD": broker.users["gateway"], **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, wait_s)
    return proc


@contextmanager
def gateway(broker: Broker, db: Path, **overrides: Any) -> Iterator[tuple[Gateway, Api]]:
    """A gateway in this process; `overrides` are GatewaySettings fields (alerts, notify…)."""
    port = free_port()
    settings = GatewaySettings.model_validate(
        {
            "broker": f"mqtt://127.0.0.1:{broker.port}",
            "broker_password": broker.users["gateway"],
            "db": db,
            "http": f"127.0.0.1:{port}",
            **overrides,
        }
    )
    gw = Gateway(settings)
    token = create_token(gw.db, "tests", "admin")
    gw.start()
    wait_port(port)
    wait_for(gw.subscriber.connected.is_set, 10, "gateway connected")
    try:
        yield gw, Api(f"http://127.0.0.1:{port}", token)
    finally:
        gw.stop()


def node_agent(
    broker: Broker,
    site: str,
    node: str,
    outbox: Path,
    *,
    port: int | None = None,
    **options: Any,
) -> NodeAgent:
    """A node agent on the test broker (its node account made if need be; `port`: another
    way to it, e.g. a proxy); `options` are further NodeAgent arguments (apps, timings…)."""
    user = f"{site}.{node}"
    if user not in broker.users:
        broker.add_node(site, node)
    url = BrokerUrl("127.0.0.1", port or broker.port, False, user, broker.users[user])
    bus = PahoBus(url, client_id=user, will=Will(topics.status(site, node), offline_status()))
    return NodeAgent(site=site, node=node, bus=bus, outbox=Outbox(outbox), **options)


def node_config(broker: Broker, site: str, node: str, tmp: Path, more: str = "") -> Path:
    """tmp/node.toml for a real `stationkit node` on the test broker: its account made if
    need be, its password in tmp/mqtt-password, its outbox tmp/outbox.db; `more`: further
    TOML sections."""
    user = f"{site}.{node}"
    if user not in broker.users:
        broker.add_node(site, node)
    password = tmp / "mqtt-password"
    password.write_text(broker.users[user])
    config = tmp / "node.toml"
    config.write_text(
        f'site = "{site}"\nnode = "{node}"\n'
        f'[broker]\nurl = "mqtt://127.0.0.1:{broker.port}"\npassword_file = "{password}"\n'
        f'[outbox]\npath = "{tmp / "outbox.db"}"\n' + more
    )
    return config


@contextmanager
def connected(agent: NodeAgent) -> Iterator[NodeAgent]:
    """`agent` started and connected to its broker; stopped when the block ends."""
    agent.start()
    try:
        wait_for(lambda: agent.bus.connected, 10, "node connected")
        yield agent
    finally:
        agent.stop()


def unconnected_agent(outbox: Path, app: NodeApp) -> NodeAgent:
    """Node s1/desk-1 running `app` with no broker (nothing is ever acknowledged)."""
    return NodeAgent(
        site="s1", node="desk-1", bus=MemoryBus(connected=False), outbox=Outbox(outbox), apps=[app]
    )
