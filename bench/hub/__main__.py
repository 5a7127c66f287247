"""bench/hub: a simulated fleet's uplink through one NATS node into the hub, next to a bare
JetStream consumer that only counts, in the same run.

    python -m bench.hub [--minutes 2] [--stations 100] [--speed 10] [--workers 1]

What it runs: a PostgreSQL of its own (tests/support/postgres.py), one NATS 2.9 node with
JetStream and its MQTT listener (tests/support/nats.py), `stationkit hub run` worker
process(es), and a bare consumer process on a second durable consumer of the same stream.

The fleet: --stations stations × 10 nodes, published over MQTT 3.1.1 at QoS 1 into the NATS MQTT
listener, the hop every station bridge uses, by 4 connections (the bridges' traffic shape, not
100 sockets). Per station and simulated hour: 60 health summaries (10 nodes each, their device
states: the nodes' heartbeats, checks and camera states as the uplink summarises them), 6
alerts with 3 changes each (raised, acknowledged, resolved), 2 statistics returns; fleet-wide
one incident a simulated minute (incident opened, phone report, written report; its alert
raised and acknowledged). Every alert and incident message is sent twice (the station's
resend). --speed compresses simulated time: 10 = ten simulated minutes per real minute.

Measured: hub CPU per worker and the bare consumer's (psutil, process CPU time / wall time);
station-publish-to-hub-store latency p50/p99 over alert and incident messages (`sent_at` set
at publish, `stored_at` by PostgreSQL's clock at the upsert, same machine clock); PostgreSQL
growth (pg_database_size) scaled to a simulated month (30 days).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import codec
from devices.contract.models.uplink import (
    HistoryEntry,
    NodeHealth,
)
from devices.contract.uplink_topics import NATS_UPLINK_FILTER, uplink
from tests.support.nats import NatsCluster
from tests.support.postgres import Postgres
from tests.support.uplink import (
    alert_snapshot,
    daily_return,
    health_summary,
    incident_snapshot,
)

CONNECTIONS = 4
STREAM = "STATIONKIT_UPLINK"


def bare_consumer(url: str, stream: str) -> None:
    """Fetch and ack, nothing else: the floor any JetStream worker in Python stands on. Runs
    until SIGTERM; the main process reads how far it got from the consumer's own state."""
    import signal

    import nats
    from nats.js.api import AckPolicy, ConsumerConfig

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        nc = await nats.connect(url)
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            NATS_UPLINK_FILTER,
            durable="bare",
            stream=stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, max_ack_pending=20000),
        )
        while not stop.is_set():
            try:
                msgs = await sub.fetch(100, timeout=1)
            except Exception:
                continue
            for m in msgs:
                await m.ack()
        await nc.close()

    asyncio.run(main())


async def _pending(url: str, stream: str, consumer: str) -> tuple[int, int]:
    """(delivered and acked, still pending or unacked) of one durable consumer."""
    import nats

    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().consumer_info(stream, consumer)
        return info.ack_floor.stream_seq, info.num_pending + info.num_ack_pending
    finally:
        await nc.close()


def _hist(now: datetime, *actions: str) -> list[HistoryEntry]:
    return [
        HistoryEntry(at=now, actor="engine" if a == "raised" else "desk-a", action=a)
        for a in actions
    ]


class Fleet:
    def __init__(self, stations: int, speed: float, rng: random.Random) -> None:
        self.sites = [f"st-{i:03d}" for i in range(stations)]
        self.speed = speed
        self.rng = rng
        self.version = 0
        self.sent = 0

    def _v(self) -> int:
        self.version += 1
        return self.version

    def schedule(self, sim_minutes: float) -> list[tuple[float, str, Any]]:
        """(real second, site, message factory) for the whole run, sorted."""
        out: list[tuple[float, str, Any]] = []
        real = 60.0 / self.speed  # real seconds per simulated minute
        n = int(sim_minutes)
        for site in self.sites:
            off = self.rng.random() * real
            for m in range(n):
                out.append((off + m * real, site, ("health",)))
            for _ in range(round(6 * sim_minutes / 60 + self.rng.random())):
                t0 = self.rng.random() * sim_minutes * real
                aid = codec.new_id()
                for step, state in enumerate(("active", "acknowledged", "resolved")):
                    for again in (0, 1):
                        out.append(
                            (t0 + step * real + again * 5 * real, site, ("alert", aid, state, step))
                        )
            for k in range(round(2 * sim_minutes / 60 + self.rng.random())):
                out.append((self.rng.random() * sim_minutes * real, site, ("return", k)))
        for m in range(n):  # an incident a simulated minute, fleet-wide
            site = self.rng.choice(self.sites)
            iid, aid = codec.new_id(), codec.new_id()
            for step in range(3):
                for again in (0, 1):
                    out.append(
                        (
                            m * real + step * real / 3 + again * 5 * real,
                            site,
                            ("incident", iid, aid, step),
                        )
                    )
        out.sort(key=lambda x: x[0])
        return out

    def message(self, site: str, spec: tuple[Any, ...]) -> tuple[str, bytes]:
        now = datetime.now(UTC)
        kind = spec[0]
        if kind == "health":
            nodes = [
                NodeHealth(
                    node=f"n{i}",
                    state="online",
                    last_seen=now,
                    devices={"cam-1": "ok", "thermo-1": "ok"},
                )
                for i in range(10)
            ]
            msg: Any = health_summary(
                site, self._v(), now, (10, 10), (10, 10), last_data_at=now, nodes=nodes
            )
        elif kind == "alert":
            _, aid, state, step = spec
            msg = alert_snapshot(
                site,
                aid,
                step + 1,
                now,
                rule="camera_offline",
                severity="major",
                state=state,
                node="cam-node-1",
                device="cam-1",
                subject="cam-1",
                history=_hist(now, *("raised", "acknowledged", "resolved")[: step + 1]),
            )
            kind = "alert"
        elif kind == "incident":
            _, iid, aid, step = spec
            opened = now - timedelta(minutes=10 * step)
            msg = incident_snapshot(
                site,
                iid,
                step + 1,
                opened,
                now,
                alert_id=aid,
                phone_reported_at=now if step >= 1 else None,
                written_reported_at=now if step >= 2 else None,
                closed_at=now if step >= 2 else None,
                history=_hist(now, *("opened", "phone_report", "written_report")[: step + 1]),
            )
        else:
            day = date.today()
            msg = daily_return(
                site,
                day,
                self._v(),
                now,
                checks=self.rng.randint(0, 80),
                checks_by_outcome={"cleared": 40, "fever_referral": 1},
                alerts_by_severity={"major": 3},
                incidents_by_category={},
            )
            kind = "daily_return"
        return uplink(site, kind), codec.encode(msg)


def _publishers(port: int) -> list[mqtt.Client]:
    clients = []
    for i in range(CONNECTIONS):
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"bench-bridge-{i}",
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(0)
        c.connect("127.0.0.1", port)
        c.loop_start()
        clients.append(c)
    return clients


def cpu_s(p: psutil.Process) -> float:
    t = p.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.hub")
    ap.add_argument("--minutes", type=float, default=2.0, help="real minutes of traffic")
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--speed", type=float, default=10.0, help="simulated minutes per minute")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--bare", nargs=2, metavar=("URL", "STREAM"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        bare_consumer(args.bare[0], args.bare[1])
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    pg = Postgres()
    pg.start()
    cluster = NatsCluster(tmp / "nats", 1)
    cluster.start()
    node = cluster.nodes[0]
    env = {**os.environ, "STATIONKIT_HUB_REPLICAS": "1"}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "firmware_py.cli",
                    "hub",
                    "run",
                    "--no-http",
                    "--name",
                    f"w{i}",
                    "--nats",
                    node.url,
                    "--postgres",
                    pg.dsn,
                    "--mqtt",
                    f"mqtt://127.0.0.1:{node.mqtt_port}",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp / f"w{i}.log", "wb"),  # noqa: SIM115 - the child keeps it
            )
            for i in range(args.workers)
        ]
        procs += workers
        with psycopg.connect(pg.dsn, autocommit=True) as conn:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if conn.execute("SELECT count(*) FROM hub_migrations").fetchone()[0] == 2:
                        break
                except psycopg.Error:
                    pass
                time.sleep(0.3)
            time.sleep(2)  # the stream and the consumer exist once a worker subscribed
            bare = subprocess.Popen(
                [sys.executable, "-m", "bench.hub", "--bare", node.url, STREAM],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs.append(bare)
            time.sleep(2)
            conn.execute("VACUUM FULL")  # the baseline without the migrations' catalog churn
            db_before = conn.execute("SELECT pg_database_size('hub')").fetchone()[0]
            wps = [psutil.Process(w.pid) for w in workers]
            bp = psutil.Process(bare.pid)
            cpu0 = [cpu_s(p) for p in wps] + [cpu_s(bp)]

            fleet = Fleet(args.stations, args.speed, random.Random(7))
            sim_minutes = args.minutes * args.speed
            plan = [p for p in fleet.schedule(sim_minutes) if p[0] < args.minutes * 60]
            clients = _publishers(node.mqtt_port)
            t0 = time.monotonic()
            infos = []
            for i, (at, site, spec) in enumerate(plan):
                delay = t0 + at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                topic, payload = fleet.message(site, spec)
                infos.append(clients[i % CONNECTIONS].publish(topic, payload, qos=1))
            for info in infos:
                info.wait_for_publish(30)
            published = len(plan)
            pub_wall = time.monotonic() - t0

            def stored() -> int:
                return conn.execute(
                    "SELECT (SELECT count(*) FROM alerts) + (SELECT count(*) FROM incidents)"
                ).fetchone()[0]

            expected_records = len(
                {(s, sp[1]) for _, s, sp in plan if sp[0] in ("alert", "incident")}
            )
            # caught up: each consumer has acked every message and has nothing pending
            caught: dict[str, float] = {}
            wait_until = time.monotonic() + 300
            while len(caught) < 2 and time.monotonic() < wait_until:
                for name in ("hub", "bare"):
                    if name not in caught:
                        floor, left = asyncio.run(_pending(node.url, STREAM, name))
                        if floor >= published and left == 0:
                            caught[name] = time.monotonic() - t0
                time.sleep(0.2)
            wall = time.monotonic() - t0
            cpu1 = [cpu_s(p) for p in wps] + [cpu_s(bp)]
            lat = [
                r[0]
                for r in conn.execute(
                    "SELECT extract(epoch FROM stored_at - sent_at) * 1000 FROM alerts "
                    "UNION ALL SELECT extract(epoch FROM stored_at - sent_at) * 1000 FROM incidents"
                ).fetchall()
            ]
            conn.execute("CHECKPOINT")
            db_after = conn.execute("SELECT pg_database_size('hub')").fetchone()[0]
            dead = conn.execute("SELECT count(*) FROM deadletters").fetchone()[0]
            got_records = stored()
            conn.execute("VACUUM FULL")  # what is kept, without the updates' dead row versions
            db_kept = conn.execute("SELECT pg_database_size('hub')").fetchone()[0]
        for c in clients:
            c.loop_stop()
            c.disconnect()
        q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [0.0] * 99
        month_mb = (db_after - db_before) / sim_minutes * 43200 / 1e6
        print(
            f"machine: {platform.machine()}, {psutil.cpu_count()} CPUs, "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"nats-server 2.9, PostgreSQL {Postgres.version()}"
        )
        print(
            f"fleet: {args.stations} stations x 10 nodes, {sim_minutes:.0f} simulated minutes "
            f"in {args.minutes} real minutes (--speed {args.speed})"
        )
        print(
            f"uplink messages published: {published} ({published / pub_wall:.1f}/s); "
            f"alert+incident records at the hub: {got_records} of {expected_records}; "
            f"dead letters: {dead}"
        )
        for i, (a, b) in enumerate(zip(cpu0, cpu1, strict=True)):
            who = f"hub worker w{i}" if i < len(wps) else "bare JetStream consumer"
            print(f"{who}: CPU {(b - a) / wall * 100:.1f}% of one core over {wall:.0f} s")
        for name in ("hub", "bare"):
            at = caught.get(name)
            print(
                f"{name} consumer caught up (all {published} acked): "
                + (f"{at - pub_wall:+.1f} s after the last publish" if at else "NOT within 300 s")
            )
        print(
            f"station publish -> hub store latency: p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms "
            f"(n={len(lat)})"
        )
        kept_mb = (db_kept - db_before) / sim_minutes * 43200 / 1e6
        print(
            f"PostgreSQL growth: {(db_after - db_before) / 1e6:.2f} MB in {sim_minutes:.0f} "
            f"simulated minutes = {month_mb:.0f} MB per simulated month as written "
            f"(dead row versions of updates included, before autovacuum reuses them); "
            f"{kept_mb:.0f} MB per simulated month after VACUUM FULL"
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        cluster.stop()
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
