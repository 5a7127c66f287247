"""A hub worker: one JetStream durable pull consumer shared by every worker, explicit acks,
one PostgreSQL transaction per fetched batch, acks only after its commit.

Workers hold no state: start as many as the load needs, stop or kill any of them; what one
fetched and did not ack is redelivered (after `ack_wait_s`) to another, and the upserts are
idempotent, so a redelivery changes nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import nats
import psycopg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from devices.contract.errors import ContractError
from devices.contract.link_codec import decode_uplink
from devices.contract.uplink_topics import NATS_UPLINK_FILTER, parse_link
from gateway.hub import HubError, store
from gateway.hub.config import HubSettings
from gateway.hub.portraits import PortraitKey

log = logging.getLogger(__name__)


@dataclass
class WorkerStats:
    """Counters of one worker (shown at /api/hub/worker and in the bench)."""

    name: str
    received: int = 0  # messages fetched from the stream
    stored: int = 0  # changed a row (new record or newer version)
    stale: int = 0  # same or older version: a duplicate or a reordered message
    dead: int = 0  # dead-lettered: undecodable, or for another station
    batches: int = 0  # batches written
    db_errors: int = 0  # batches the store refused (left unacked: JetStream redelivers them)
    started: float = field(default_factory=time.monotonic)  # monotonic clock, s
    beat: float = field(default_factory=time.monotonic)  # the loop's last turn, monotonic s


async def ensure_stream(js: Any, s: HubSettings) -> None:
    """Create the stream and the durable consumer if missing (idempotent; every worker may)."""
    try:
        await js.stream_info(s.stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=s.stream,
                subjects=[NATS_UPLINK_FILTER],
                storage=StorageType.FILE,
                num_replicas=s.replicas,
                max_age=s.max_age_days * 86400,
                duplicate_window=120,
            )
        )
    try:
        await js.consumer_info(s.stream, s.consumer)
    except NotFoundError:
        await js.add_consumer(
            s.stream,
            ConsumerConfig(
                durable_name=s.consumer,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=s.ack_wait_s,
                max_ack_pending=20000,
                num_replicas=s.replicas,
            ),
        )


def apply_batch(
    conn: psycopg.Connection[Any],
    items: list[tuple[str, bytes]],
    stats: WorkerStats,
    portraits: PortraitKey | None = None,
) -> None:
    """Decode and upsert a batch in one transaction; bad messages become dead letters there."""
    with conn.transaction(), conn.cursor() as cur:
        for subject, data in items:
            try:
                site, _, _ = parse_link(subject)
                msg = decode_uplink(data)
                if msg.station != site:
                    raise ContractError("bad_topic", f"{subject}: payload is for {msg.station}")
            except ContractError as exc:
                store.dead_letter(cur, subject, exc.reason, exc.detail, data)
                stats.dead += 1
                continue
            if store.upsert(cur, msg, portraits):
                stats.stored += 1
            else:
                stats.stale += 1


class HubWorker:
    def __init__(self, settings: HubSettings) -> None:
        self.s = settings
        self.stats = WorkerStats(settings.worker_name or f"{socket.gethostname()}:{os.getpid()}")
        self._stop = asyncio.Event()
        self._conn: psycopg.Connection[Any] | None = None
        key = settings.portrait_key_file
        self.portraits = PortraitKey(key) if key is not None else None

    def stop(self) -> None:
        self._stop.set()

    def _db(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = store.connect(self.s.postgres)
        return self._conn

    async def _connect(self) -> Any:
        opts: dict[str, Any] = {}
        if self.s.nats_user:
            opts = {"user": self.s.nats_user, "password": self.s.nats_password}
        return await nats.connect(
            servers=self.s.nats,
            name=f"stationkit-hub {self.stats.name}",
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
            allow_reconnect=True,
            **opts,
        )

    async def run(self) -> None:
        while True:  # NATS may start after the hub (boot order, a cluster restart)
            try:
                nc = await self._connect()
                break
            except Exception as exc:
                log.warning("cannot reach NATS %s (%s); retrying", self.s.nats, exc)
                if self._stop.is_set():
                    return
                await asyncio.sleep(2)
        try:
            js = nc.jetstream(timeout=10)
            while True:
                try:
                    await ensure_stream(js, self.s)
                    break
                except Exception as exc:  # cluster still electing leaders after a start
                    log.warning("JetStream not ready (%s); retrying", exc)
                    if self._stop.is_set():
                        return
                    await asyncio.sleep(1)
            sub = await js.pull_subscribe(
                NATS_UPLINK_FILTER, durable=self.s.consumer, stream=self.s.stream
            )
            log.info(
                "hub worker %s consuming %s/%s", self.stats.name, self.s.stream, self.s.consumer
            )
            while not self._stop.is_set():
                self.stats.beat = time.monotonic()
                try:
                    msgs = await sub.fetch(self.s.batch, timeout=1)
                except (TimeoutError, NatsTimeout):
                    continue
                except Exception as exc:  # a node died mid-request; the client reconnects
                    log.warning("fetch failed: %s", exc)
                    await asyncio.sleep(0.5)
                    continue
                items = [(m.subject, m.data) for m in msgs]
                self.stats.received += len(items)
                try:
                    await asyncio.to_thread(
                        apply_batch, self._db(), items, self.stats, self.portraits
                    )
                except (psycopg.Error, HubError) as exc:
                    # Not acked: JetStream redelivers after ack_wait, to this or another worker.
                    self.stats.db_errors += 1
                    log.warning("hub store failed (%s); batch of %d left unacked", exc, len(items))
                    if self._conn is not None:
                        self._conn.close()
                    await asyncio.sleep(1)
                    continue
                self.stats.batches += 1
                for m in msgs:
                    try:
                        await m.ack()
                    except Exception as exc:  # committed already: a redelivery is harmless
                        log.warning("ack failed: %s", exc)
        finally:
            await nc.drain() if nc.is_connected else await nc.close()
            if self._conn is not None:
                self._conn.close()
