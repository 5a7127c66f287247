"""`stationkit demo`: an embedded broker (amqtt), the gateway, a simulated intake node and a
foster-home camera node on a synthetic camera, plus one dashboard user per role.

Nothing else needs to be installed or running. amqtt speaks MQTT 3.1.1 only and drops
unacknowledged QoS 1 messages when a client disconnects; the node's outbox does not rely on
the broker for redelivery, so nothing is lost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from firmware_py.config import NodeConfig


def start_embedded_broker(port: int) -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    from amqtt.broker import Broker

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    errors: list[BaseException] = []
    config: dict[str, Any] = {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }

    def run() -> None:
        asyncio.set_event_loop(loop)
        broker = Broker(config, loop=loop)
        try:
            loop.run_until_complete(broker.start())
        except BaseException as exc:  # port taken, …
            errors.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="amqtt", daemon=True)
    thread.start()
    ready.wait(15)
    if errors:
        raise SystemExit(f"stationkit demo: embedded broker on port {port} failed: {errors[0]}")
    return loop, thread


def check_port_free(host: str, port: int, what: str, option: str) -> None:
    """Refuse to start on a port another program holds (a demo already running, a web server):
    the demo would otherwise talk to that program and fail with a misleading error."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        taken = s.connect_ex((host or "127.0.0.1", port)) == 0
    if taken:
        raise SystemExit(
            f"stationkit demo: port {port} on {host or '127.0.0.1'} ({what}) is already in use "
            f"— another program or a demo already running. Stop it, or choose another port: "
            f"{option}"
        )


def run(args: argparse.Namespace) -> int:
    from firmware_py.commands.node import build_agent
    from gateway.auth.tokens import create_token
    from gateway.auth.users import create_user, get_user, set_password
    from gateway.config import GatewaySettings
    from gateway.service import Gateway

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    state = Path(args.state)
    state.mkdir(parents=True, exist_ok=True)
    host, _, port = args.http.rpartition(":")
    if not port.isdigit():
        raise SystemExit(f"stationkit demo: --http wants HOST:PORT, not {args.http!r}")
    check_port_free(host, int(port), "dashboard and API", f"--http {host or '127.0.0.1'}:8090")
    check_port_free("127.0.0.1", args.mqtt_port, "embedded MQTT broker", "--mqtt-port 18840")
    start_embedded_broker(args.mqtt_port)
    broker = f"mqtt://127.0.0.1:{args.mqtt_port}"
    settings = GatewaySettings(
        broker=broker,
        db=state / "gateway.db",
        http=args.http,
        mqtt_version="3.1.1",
        broker_username=None,
    )
    gw = Gateway(settings)
    token = create_token(gw.db, "demo-admin", "admin")
    users = {}
    for role in ("desk", "supervisor", "bureau", "admin"):
        name, password = f"demo-{role}", f"demo-{role}-pass"  # a demo: printed below
        if get_user(gw.db, name) is None:
            create_user(gw.db, name, role, password)
        else:
            set_password(gw.db, name, password)
        users[name] = password
    gw.start()
    node_cfg = _demo_node(
        "desk-1",
        broker,
        state,
        # the real intake workflow on simulated gate, wand and thermometer
        intake={
            "operator": "demo-operator",
            "simulate": {"enabled": True, "pause_s": 60.0 / args.rate},
        },
    )
    agent = build_agent(node_cfg)
    agent.start()
    camera_cfg = _demo_node(
        "home-1",
        broker,
        state,
        # a foster home's room on a synthetic camera: someone walks out of the door
        camera={
            "night": {"start": "21:30", "end": "06:00"},
            "cameras": [
                {
                    "id": "room-1",
                    "source": {"kind": "synthetic", "seed": 1, "fps": 5, "walk_every_s": 30},
                    "zones": [{"id": "beds", "polygon": [[0, 0.4], [1, 0.4], [1, 1], [0, 1]]}],
                    "lines": [{"id": "door", "a": [0.5, 0], "b": [0.5, 1]}],
                }
            ],
        },
    )
    _put_layout(args.http, token, camera_cfg.camera.cameras[0])
    try:
        camera_agent = build_agent(camera_cfg)
        camera_agent.start()
    except Exception as exc:  # OpenCV missing (installed with the camera extra)
        camera_agent = None
        print(f"camera node not started: {exc}")
    print(
        f"\nStationKit demo is running.\n"
        f"  dashboard:  http://{host}:{port}/  log in as one of:\n"
        + "".join(f"      {name} / {pw}\n" for name, pw in users.items())
        + f"  or open, as admin without a password: http://{host}:{port}/#token={token}\n"
        f"  API docs:   http://{host}:{port}/docs\n"
        f"  admin token (Authorization: Bearer …): {token}\n"
        f"  MQTT broker (embedded amqtt): {broker}\n"
        f"  state folder: {state}\n"
        f"Press Ctrl+C to stop.\n",
        flush=True,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait(args.seconds or None)
    agent.stop()
    if camera_agent:
        camera_agent.stop()
    gw.stop()
    return 0


def _demo_node(node: str, broker: str, state: Path, **parts: Any) -> NodeConfig:
    """The config of a demo node `node` at demo-station, with its own `parts` (intake, camera)."""
    from firmware_py.config import NodeConfig

    return NodeConfig.model_validate(
        {
            "site": "demo-station",
            "node": node,
            "broker": {"url": broker},
            "outbox": {"path": str(state / f"{node}-outbox.db")},
            "heartbeat": {"interval_s": 5},
            **parts,
        }
    )


def _put_layout(http: str, token: str, camera: Any) -> None:
    """Zones and lines drawn over the camera tile (on a real site an admin sets them)."""
    import time

    import httpx

    body = {
        "zones": [z.model_dump(mode="json") for z in camera.zones],
        "lines": [ln.model_dump(mode="json") for ln in camera.lines],
    }
    url = f"http://{http}/api/v1/cameras/demo-station/home-1/{camera.id}/layout"
    for _ in range(100):  # the HTTP server is starting in its thread
        try:
            r = httpx.put(url, headers={"Authorization": f"Bearer {token}"}, json=body)
            r.raise_for_status()
            return
        except httpx.TransportError:
            time.sleep(0.1)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run broker, gateway and a simulated intake node together")
    p.add_argument("--http", default="127.0.0.1:8080", help="HOST:PORT of the dashboard/API")
    p.add_argument("--mqtt-port", type=int, default=18830, help="embedded broker port")
    p.add_argument("--state", default="var/demo", help="folder for the demo's databases")
    p.add_argument("--rate", type=float, default=12, help="simulated arrivals per minute")
    p.add_argument("--seconds", type=float, default=0, help="stop after this long (0: never)")
    p.set_defaults(func=run)
