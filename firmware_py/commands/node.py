"""`stationkit node --config node.toml`: run the node agent until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from devices.contract import topics
from devices.runtime.config_file import ConfigError, load_toml
from devices.runtime.systemd import run_until_signal
from firmware_py.agent import NodeAgent, offline_status
from firmware_py.app import NodeApp
from firmware_py.bus import PahoBus, TlsFiles, Will
from firmware_py.config import NodeConfig
from firmware_py.outbox import Outbox
from firmware_py.sim import CheckSimulator


def build_agent(cfg: NodeConfig) -> NodeAgent:
    url = cfg.broker.resolved()
    username = url.username or f"{cfg.site}.{cfg.node}"
    from devices.contract.broker_url import BrokerUrl

    url = BrokerUrl(url.host, url.port, url.tls, username, url.password)
    tls = None
    if cfg.broker.ca_file:
        tls = TlsFiles(
            str(cfg.broker.ca_file),
            str(cfg.broker.cert_file) if cfg.broker.cert_file else None,
            str(cfg.broker.key_file) if cfg.broker.key_file else None,
        )
    bus = PahoBus(
        url,
        client_id=cfg.broker.client_id or f"{cfg.site}.{cfg.node}",
        will=Will(topics.status(cfg.site, cfg.node), offline_status()),
        tls=tls,
        keepalive_s=cfg.broker.keepalive_s,
        max_inflight=cfg.outbox.window,
    )
    outbox = Outbox(
        cfg.outbox.path,
        max_events=cfg.outbox.max_events,
        max_age_s=cfg.outbox.max_age_days * 86400,
    )
    apps: list[NodeApp] = []
    if cfg.simulator:
        apps.append(CheckSimulator(cfg.simulator.checks_per_minute, cfg.simulator.seed))
    if cfg.intake:
        from firmware_py.intake.app import IntakeApp
        from firmware_py.intake.config import make_pin_factory

        intake = IntakeApp(cfg.intake, pin_factory=make_pin_factory(cfg.intake))
        apps.append(intake)
        if cfg.intake.simulate.enabled:  # the demo's scripted arrivals, played on the app
            from firmware_py.intake.scenario import ScenarioRunner

            apps.append(ScenarioRunner.for_app(intake))
    if cfg.camera:
        from firmware_py.camera.app import CameraApp

        apps.append(CameraApp(cfg.camera))
    return NodeAgent(
        site=cfg.site,
        node=cfg.node,
        bus=bus,
        outbox=outbox,
        apps=apps,
        heartbeat_s=cfg.heartbeat.interval_s,
        delivery=cfg.outbox,
    )


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        cfg = load_toml(NodeConfig, Path(args.config))
    except ConfigError as exc:
        print(exc)
        return 2
    agent = build_agent(cfg)
    return run_until_signal(
        agent.start, agent.stop, agent.healthy, name=f"node {cfg.site}/{cfg.node}"
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("node", help="run the node agent")
    p.add_argument("--config", required=True, help="node.toml")
    p.set_defaults(func=run)
