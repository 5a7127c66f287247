"""bench/alerts: fever check published by a node → alert → webhook receiver, p50/p99.

    python -m bench.alerts [--fevers 200] [--fever-rate 10] [--load 1000]

A real Mosquitto (project config) and a real `stationkit gateway` process with a webhook
channel pointing at an HTTP receiver in this process. Side by side in one run:
1. floor: a bare paho subscriber's publish→receive latency for the same fever checks (what the
   broker hop alone costs), under the background load;
2. the gateway without background load: publish → webhook received;
3. the gateway under `--load` background events/s (door events from another node, stored like
   any event): publish → webhook received. Target: p99 < 100 ms.
Each fever check is a new check (person), so each raises a new alert and is notified
(alerts are keyed by check; docs/alerts.md, "Per person or deduplicated").
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import paho.mqtt.client as mqtt

from bench.common import machine
from devices.contract import codec, topics
from tests.support.mosquitto import Broker, gateway_broker
from tests.support.net import free_port
from tests.support.stack import spawn_gateway

SITE = "bench"
DESK, LOADER = "desk-1", "loader-1"


class Receiver:
    """Webhook receiver: notes when each alert's raising event arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrived: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                at = time.perf_counter()
                doc = json.loads(body)
                if doc.get("event") == "raised":
                    receiver.arrived.setdefault(doc["alert"]["event_id"], at)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def client(broker: Broker, user: str) -> mqtt.Client:
    return broker.client(user, f"{user}-{time.time_ns()}", bulk=True)


class Load:
    """Door events at `rate`/s from another node until stopped."""

    def __init__(self, broker: Broker, rate: float) -> None:
        self.rate = rate
        self.sent = 0
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._client = client(broker, f"{SITE}.{LOADER}") if rate else None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        if self._client:
            self._thread.start()
            time.sleep(1.0)  # let the gateway reach steady state
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._client:
            self._thread.join(5)
            self._client.loop_stop()
            self._client.disconnect()

    def _run(self) -> None:
        assert self._client
        topic = topics.event(SITE, LOADER, "door")
        t0 = self.started = time.perf_counter()
        seq = int(time.time() * 1000)
        while not self._stop.is_set():
            due = int((time.perf_counter() - t0) * self.rate)
            while self.sent < due:
                env = codec.make_event(
                    "door",
                    site=SITE,
                    node=LOADER,
                    seq=seq + self.sent,
                    data={"door": "front", "open": self.sent % 2 == 0},
                )
                self._client.publish(topic, codec.encode(env), qos=1)
                self.sent += 1
            time.sleep(0.005)


def fevers(broker: Broker, n: int, rate: float, seq0: int) -> dict[str, float]:
    """Publish n fever checks at `rate`/s; returns event id -> perf_counter at publish."""
    c = client(broker, f"{SITE}.{DESK}")
    sent: dict[str, float] = {}
    topic = topics.event(SITE, DESK, "check")
    t0 = time.perf_counter()
    for i in range(n):
        while (delay := t0 + i / rate - time.perf_counter()) > 0:
            time.sleep(delay)
        now = codec.make_event(
            "manual", site=SITE, node=DESK, seq=1, data={"category": "other", "description": "-"}
        ).ts.isoformat()
        env = codec.make_event(
            "check",
            site=SITE,
            node=DESK,
            seq=seq0 + i,
            device=f"thermo-{seq0 + i}",
            data={
                "check_id": codec.new_id(),
                "outcome": "fever_referral",
                "started_at": now,
                "finished_at": now,
                "celsius": 38.5,
            },
        )
        payload = codec.encode(env)
        sent[env.id] = time.perf_counter()
        c.publish(topic, payload, qos=1)
    time.sleep(0.5)
    c.loop_stop()
    c.disconnect()
    return sent


def bare_floor(broker: Broker, n: int, rate: float, seq0: int) -> list[float]:
    """Publish→receive latency of the same fever checks to a bare paho subscriber."""
    got: dict[str, float] = {}
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-floor")
    sub.username_pw_set("gateway", broker.users["gateway"])

    def on_message(_c: mqtt.Client, _u: object, m: mqtt.MQTTMessage) -> None:
        got[json.loads(m.payload)["id"]] = time.perf_counter()

    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe(topics.event(SITE, DESK, "check"), qos=1)
    sub.loop_start()
    time.sleep(0.5)
    sent = fevers(broker, n, rate, seq0)
    sub.loop_stop()
    sub.disconnect()
    return sorted(got[i] - t for i, t in sent.items() if i in got)


def measure(receiver: Receiver, sent: dict[str, float]) -> tuple[list[float], int]:
    deadline = time.time() + 10
    while time.time() < deadline and not all(i in receiver.arrived for i in sent):
        time.sleep(0.05)
    lat = sorted(receiver.arrived[i] - t for i, t in sent.items() if i in receiver.arrived)
    return lat, len(sent) - len(lat)


def summary(name: str, lat: list[float], missing: int = 0) -> str:
    if not lat:
        return f"{name}: no samples"
    p50 = statistics.median(lat) * 1000
    p99 = lat[max(0, int(len(lat) * 0.99) - 1)] * 1000
    extra = f", {missing} missing" if missing else ""
    worst = lat[-1] * 1000
    stats = f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max {worst:6.1f} ms"
    return f"{name:<44} n={len(lat)}: {stats}{extra}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fevers", type=int, default=200)
    ap.add_argument("--fever-rate", type=float, default=10)
    ap.add_argument("--load", type=float, default=1000)
    args = ap.parse_args()
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "gateway.toml"
        config.write_text(
            "[[notify.webhooks]]\n"
            'name = "bench"\n'
            f'url = "http://127.0.0.1:{receiver.port}/hook"\n'
            f'secret = "{"b" * 32}"\n'
            "[notify.mqtt]\nenabled = false\n"
        )
        with gateway_broker(work / "mosquitto", (SITE, DESK), (SITE, LOADER)) as broker:
            gw = None
            try:
                with Load(broker, args.load):
                    floor = bare_floor(broker, args.fevers, args.fever_rate, 1)
                gw = spawn_gateway(broker, work / "gw.db", free_port(), config=config)
                time.sleep(2.0)
                idle, idle_missing = measure(
                    receiver, fevers(broker, args.fevers, args.fever_rate, 100_000)
                )
                with Load(broker, args.load) as load:
                    loaded, loaded_missing = measure(
                        receiver, fevers(broker, args.fevers, args.fever_rate, 200_000)
                    )
                    load_rate = load.sent / (time.perf_counter() - load.started)
            finally:
                if gw:
                    gw.terminate()
                    gw.wait(10)
                receiver.server.shutdown()
    print(machine())
    print(f"fever checks per phase: {args.fevers} at {args.fever_rate:g}/s")
    print(summary(f"floor: bare subscriber, {args.load:g} ev/s load", floor))
    print(summary("gateway → webhook, no load", idle, idle_missing))
    print(
        summary(f"gateway → webhook, {args.load:g} ev/s load ({load_rate:.0f}/s sent)", loaded)
        + (f", {loaded_missing} missing" if loaded_missing else "")
    )
    print("target: p99 < 100 ms under 1,000 ev/s")


if __name__ == "__main__":
    main()
