"""Turns a batch of MQTT messages into one database transaction.

Pure of MQTT: the subscriber hands `Incoming` messages in arrival order and acknowledges them
to the broker only after `store_batch` returned (the commit is on disk). A message that fails
to decode or validate becomes a dead letter in the same transaction; nothing here raises on
bad input.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from devices.contract import codec, topics
from devices.contract.errors import ContractError
from devices.contract.models import Ack, Event, Heartbeat, Status
from devices.contract.models.events import CheckEvent
from devices.contract.topics import Channel
from gateway.ingest.metrics import GatewayMetrics
from gateway.store.times import iso

log = logging.getLogger(__name__)

DEADLETTER_KEEP_BYTES = 64 * 1024
"""How much of a rejected payload is kept for inspection."""


@dataclass(frozen=True, slots=True)
class Incoming:
    topic: str
    payload: bytes
    received_at: datetime


EventListener = Callable[[Event, datetime], None]
NodeStateListener = Callable[[str, str, str, str, datetime], None]  # site, node, state, reason


class IngestWriter:
    def __init__(self, db: sqlite_utils.Database, metrics: GatewayMetrics | None = None) -> None:
        self.db = db
        self.metrics = metrics or GatewayMetrics()
        self.event_listeners: list[EventListener] = []
        self.node_listeners: list[NodeStateListener] = []
        self.media_handler: Callable[[str, str, str, bytes], None] | None = None
        self.live_handler: Callable[[str, str, str, bytes], None] | None = None
        self._traffic: dict[tuple[str, str], _Traffic] = {}

    # one batch ------------------------------------------------------------------------------

    def store_batch(self, batch: list[Incoming]) -> None:
        stored: list[tuple[Event, datetime]] = []
        changes: list[tuple[str, str, str, str, datetime]] = []
        self._traffic = {}
        with self.db.atomic():
            for msg in batch:
                try:
                    self._one(msg, stored, changes)
                except ContractError as exc:
                    self._deadletter(msg, exc.reason, exc.detail)
                except sqlite3.Error:
                    raise  # the store itself failed: the subscriber retries the whole batch
                except Exception as exc:  # a bug or a poison message must not stall the site
                    log.exception("unexpected error on %s; dead-lettered", msg.topic)
                    self._deadletter(msg, "internal_error", f"{type(exc).__name__}: {exc}")
            for key in list(self._traffic):
                self._flush_traffic(key, changes)
        self.metrics.batches.inc()
        for event, at in stored:
            self.metrics.ingested.labels(event.kind).inc()
            self.metrics.lag.observe(max(0.0, (at - event.ts).total_seconds()))
            for listener in self.event_listeners:
                _safely(listener, event, at)
        for change in changes:
            for node_listener in self.node_listeners:
                _safely(node_listener, *change)

    def _one(self, msg: Incoming, stored: list[Any], changes: list[Any]) -> None:
        if msg.topic.split("/")[3:4] == [topics.GATEWAY_NODE]:
            return  # our own output (alerts, bureau uplink) or the bureau's downlink: not events
        topic = topics.parse(msg.topic)
        if topic.node == topics.GATEWAY_NODE or topic.channel in (Channel.CMD, Channel.ALERT):
            return  # our own output, echoed by the broker
        if topic.channel is Channel.EVENT:
            event = codec.decode_event(msg.payload, topic)
            traffic = self._traffic.setdefault((topic.site, topic.node), _Traffic())
            traffic.last_seen = msg.received_at
            if self._insert_event(event, msg.received_at):
                stored.append((event, msg.received_at))
                traffic.count(event.seq)
            return
        # Node-level messages apply in order after the node's events so far in this batch.
        self._flush_traffic((topic.site, topic.node), changes)
        if topic.channel is Channel.STATUS:
            if not msg.payload:  # a retained status being cleared
                return
            status = codec.decode(Status, msg.payload)
            self._node(
                topic.site,
                topic.node,
                msg.received_at,
                version=status.version,
                devices=json.dumps(status.devices),
            )
            self._set_state(
                topic.site,
                topic.node,
                status.state,
                "status" if status.state == "online" else "last will / shutdown",
                msg.received_at,
                changes,
            )
        elif topic.channel is Channel.HEARTBEAT:
            hb = codec.decode(Heartbeat, msg.payload)
            self._node(
                topic.site,
                topic.node,
                msg.received_at,
                outbox=hb.outbox,
                dropped=hb.dropped,
                heartbeat_interval_s=hb.interval_s,
                devices=json.dumps(hb.devices),
            )
            self._touch(topic.site, topic.node, msg.received_at, changes)
        elif topic.channel is Channel.MEDIA:
            if len(msg.payload) > codec.MAX_MEDIA_BYTES:
                raise ContractError("too_large", f"media of {len(msg.payload)} bytes")
            if self.media_handler:
                self.media_handler(topic.site, topic.node, topic.arg or "", msg.payload)
        elif topic.channel is Channel.LIVE and self.live_handler:
            self.live_handler(topic.site, topic.node, topic.arg or "", msg.payload)
        elif topic.channel is Channel.ACK:
            ack = codec.decode(Ack, msg.payload)
            self.db.execute(
                "UPDATE commands SET acked_at=?, ok=?, error=? WHERE id=? AND site=? AND node=?",
                (iso(msg.received_at), int(ack.ok), ack.error, ack.id, topic.site, topic.node),
            )

    # events, checks, node seq accounting ----------------------------------------------------

    def _insert_event(self, event: Event, received_at: datetime) -> bool:
        data = event.data.model_dump_json(exclude_none=True)
        cur = self.db.execute(
            "INSERT OR IGNORE INTO events (id, site, node, kind, ts, seq, device, data, "
            "received_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                event.id,
                event.site,
                event.node,
                event.kind,
                iso(event.ts),
                event.seq,
                event.device,
                data,
                iso(received_at),
            ),
        )
        if cur.rowcount == 0:
            self.metrics.duplicates.inc()
            return False
        if isinstance(event, CheckEvent):
            d = event.data
            self.db.execute(
                "INSERT OR IGNORE INTO checks (check_id, event_id, site, node, outcome, "
                "started_at, finished_at, operator, celsius, gate_alarm, wand, items_held, data)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    d.check_id,
                    event.id,
                    event.site,
                    event.node,
                    d.outcome,
                    iso(d.started_at),
                    iso(d.finished_at),
                    d.operator,
                    d.celsius,
                    int(d.gate_alarm),
                    d.wand,
                    json.dumps(d.items_held, ensure_ascii=False),
                    data,
                ),
            )
        return True

    def _flush_traffic(self, key: tuple[str, str], changes: list[Any]) -> None:
        """Apply one batch's worth of a node's events to its row (one UPDATE, not one per
        event): last seen, seq range and count (lost = range - received), online again."""
        traffic = self._traffic.pop(key, None)
        if traffic is None or traffic.last_seen is None:
            return
        site, node = key
        self._node(site, node, traffic.last_seen)
        if traffic.received:
            self.db.execute(
                "UPDATE nodes SET first_seq = min(coalesce(first_seq, ?), ?), "
                "max_seq = max(coalesce(max_seq, ?), ?), received = coalesce(received, 0) + ? "
                "WHERE site=? AND node=?",
                (
                    traffic.first_seq,
                    traffic.first_seq,
                    traffic.max_seq,
                    traffic.max_seq,
                    traffic.received,
                    site,
                    node,
                ),
            )
        self._set_state(
            site, node, "online", "traffic", traffic.last_seen, changes, only_from="offline"
        )

    def _node(self, site: str, node: str, seen: datetime | None, **fields: Any) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO nodes (site, node, state, received) VALUES (?,?,'unknown',0)",
            (site, node),
        )
        if seen is not None:
            fields["last_seen"] = iso(seen)
        if fields:
            sets = ", ".join(f"{k}=?" for k in fields)
            self.db.execute(
                f"UPDATE nodes SET {sets} WHERE site=? AND node=?", (*fields.values(), site, node)
            )

    def _touch(self, site: str, node: str, at: datetime, changes: list[Any]) -> None:
        """Traffic from a node proves it is online."""
        self._node(site, node, at)
        self._set_state(site, node, "online", "traffic", at, changes, only_from="offline")

    def _set_state(
        self,
        site: str,
        node: str,
        state: str,
        reason: str,
        at: datetime,
        changes: list[Any],
        only_from: str | None = None,
    ) -> None:
        row = self.db.execute(
            "SELECT state FROM nodes WHERE site=? AND node=?", (site, node)
        ).fetchone()
        old = row[0] if row else None
        if old == state or (only_from is not None and old not in (only_from, "unknown")):
            return
        self.db.execute(
            "UPDATE nodes SET state=?, state_reason=?, state_since=? WHERE site=? AND node=?",
            (state, reason, iso(at), site, node),
        )
        changes.append((site, node, state, reason, at))

    def expire_heartbeats(self, now: datetime, grace: float = 3.0) -> None:
        """Mark offline every online node silent for `grace` heartbeat intervals."""
        changes: list[tuple[str, str, str, str, datetime]] = []
        with self.db.atomic():
            rows = self.db.execute(
                "SELECT site, node, last_seen, coalesce(heartbeat_interval_s, 15) FROM nodes "
                "WHERE state='online' AND last_seen IS NOT NULL"
            ).fetchall()
            for site, node, last_seen, interval in rows:
                seen = datetime.fromisoformat(last_seen.replace("Z", "+00:00"))
                if now - seen > timedelta(seconds=grace * interval):
                    self._set_state(site, node, "offline", "heartbeat expired", now, changes)
        for change in changes:
            for listener in self.node_listeners:
                _safely(listener, *change)

    # dead letters ---------------------------------------------------------------------------

    def _deadletter(self, msg: Incoming, reason: str, detail: str) -> None:
        self.metrics.deadletters.labels(reason).inc()
        log.warning("dead letter on %s: %s: %s", msg.topic[:200], reason, detail[:200])
        self.db.execute(
            "INSERT INTO deadletters (received_at, topic, reason, detail, size, payload) "
            "VALUES (?,?,?,?,?,?)",
            (
                iso(msg.received_at),
                msg.topic[:1000],
                reason,
                detail[:2000],
                len(msg.payload),
                msg.payload[:DEADLETTER_KEEP_BYTES],
            ),
        )


class _Traffic:
    """A node's events within one batch."""

    __slots__ = ("first_seq", "last_seen", "max_seq", "received")

    def __init__(self) -> None:
        self.last_seen: datetime | None = None
        self.first_seq = 0
        self.max_seq = 0
        self.received = 0

    def count(self, seq: int) -> None:
        if self.received == 0:
            self.first_seq = self.max_seq = seq
        self.first_seq = min(self.first_seq, seq)
        self.max_seq = max(self.max_seq, seq)
        self.received += 1


def _safely(fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # a listener's bug must not stop ingestion
        log.exception("ingest listener %r failed", fn)
