"""bench/ingest: gateway store rate vs a bare paho subscriber, latency, peak memory.

    python -m bench.ingest [--events 50000] [--rate 500] [--seconds 10]

Runs a real Mosquitto with the project's config (tests/support/mosquitto.py). In the same run:
1. baseline: a bare paho MQTT v5 subscriber (QoS 1, receive-maximum 1000) just counts the stream;
2. the gateway (`stationkit gateway` subprocess) stores the same number of events; its peak RSS
   is sampled with psutil;
3. latency: events published at --rate per second; publish-to-stored time is taken when the
   gateway's ingest listener fires (after the commit), in-process.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.common import machine
from devices.contract import codec, topics
from tests.support.mosquitto import Broker, gateway_broker
from tests.support.net import free_port
from tests.support.stack import gateway, spawn_gateway

SITE, NODE = "bench", "node-1"


def payloads(n: int, start_seq: int) -> list[bytes]:
    return [
        codec.encode(
            codec.make_event(
                "door",
                site=SITE,
                node=NODE,
                seq=start_seq + i,
                data={"door": "front", "open": i % 2 == 0},
            )
        )
        for i in range(n)
    ]


def publisher(broker: Broker) -> mqtt.Client:
    return broker.client(f"{SITE}.{NODE}", f"pub-{time.time_ns()}", bulk=True)


def publish_all(c: mqtt.Client, items: list[bytes]) -> None:
    topic = topics.event(SITE, NODE, "door")
    infos = [c.publish(topic, p, qos=1) for p in items]
    for info in infos[-1000:]:
        info.wait_for_publish(120)


def bare_rate(broker: Broker, items: list[bytes]) -> float:
    got = 0
    first = last = 0.0
    done = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, _m: mqtt.MQTTMessage) -> None:
        nonlocal got, first, last
        got += 1
        last = time.perf_counter()
        if got == 1:
            first = last
        if got == len(items):
            done.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bare", protocol=mqtt.MQTTv5)
    sub.username_pw_set("gateway", broker.users["gateway"])
    props = Properties(PacketTypes.CONNECT)
    props.ReceiveMaximum = 1000
    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port, properties=props)
    sub.subscribe("stationkit/v1/#", qos=1)
    sub.loop_start()
    time.sleep(0.5)
    pub = publisher(broker)
    start = time.perf_counter()
    publish_all(pub, items)
    done.wait(300)
    sub.loop_stop()
    pub.loop_stop()
    sub.disconnect()
    return got / (last - start)


def gateway_rate(broker: Broker, items: list[bytes], workdir: Path) -> tuple[float, float]:
    db = workdir / "gw.db"
    port = free_port()
    proc = spawn_gateway(broker, db, port)
    time.sleep(1.0)
    ps = psutil.Process(proc.pid)
    peak = ps.memory_info().rss
    pub = publisher(broker)
    start = time.perf_counter()
    threading.Thread(target=publish_all, args=(pub, items), daemon=True).start()
    count = 0
    while count < len(items) and time.perf_counter() - start < 600:
        peak = max(peak, ps.memory_info().rss)
        time.sleep(0.05)
        con = sqlite3.connect(db)
        (count,) = con.execute("SELECT count(*) FROM events").fetchone()
        con.close()
    elapsed = time.perf_counter() - start
    pub.loop_stop()
    proc.terminate()
    proc.wait(20)
    return count / elapsed, peak / 2**20


def latency(broker: Broker, workdir: Path, rate: float, seconds: float) -> list[float]:
    lat: list[float] = []
    with gateway(broker, workdir / "lat.db") as (gw, _api):
        gw.writer.event_listeners.append(
            lambda ev, _at: lat.append((datetime.now(UTC) - ev.ts).total_seconds())
        )
        pub = publisher(broker)
        topic = topics.event(SITE, NODE, "door")
        n = int(rate * seconds)
        t0 = time.perf_counter()
        for i in range(n):
            target = t0 + i / rate
            while (delay := target - time.perf_counter()) > 0:
                time.sleep(delay)
            env = codec.make_event(
                "door",
                site=SITE,
                node=NODE,
                seq=10_000_000 + i,
                data={"door": "front", "open": True},
            )
            pub.publish(topic, codec.encode(env), qos=1)
        deadline = time.time() + 30
        while len(lat) < n and time.time() < deadline:
            time.sleep(0.05)
        pub.loop_stop()
    return lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with gateway_broker(work / "mosquitto", (SITE, NODE)) as broker:
            bare = bare_rate(broker, payloads(args.events, 1))
            stored, peak_mb = gateway_rate(broker, payloads(args.events, 1), work)
            lat = sorted(latency(broker, work, args.rate, args.seconds))
    p50 = statistics.median(lat) * 1000
    p99 = lat[int(len(lat) * 0.99) - 1] * 1000
    print(machine())
    print(f"events: {args.events}")
    print(f"bare paho subscriber receive rate: {bare:,.0f} events/s")
    print(
        f"gateway stored rate:               {stored:,.0f} events/s "
        f"({stored / bare:.0%} of bare; target >= 50%)"
    )
    print(f"gateway peak RSS:                  {peak_mb:.0f} MiB")
    print(
        f"publish->stored latency at {args.rate:.0f}/s for {args.seconds:.0f}s "
        f"({len(lat)} events): p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )


if __name__ == "__main__":
    main()
