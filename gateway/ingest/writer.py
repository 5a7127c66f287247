"""Turns a batch of MQTT messages into one database transaction.

Pure of MQTT: the subscriber hands `Incoming` messages in arrival order and acknowledges them
to the broker only after `store_batch` returned (the commit is on disk). A message that fails
to decode or validate becomes a dead letter in the same transaction; nothing here raises on
bad input.

Per-node limits (gateway/ingest/limits.py, docs/security.md): a node may not file `manual`
staff reports (those come from the dashboard only); a timestamp outside the believable window
is replaced by the receive time and flagged; a seq jump past `seq_reset_gap` is a node reset;
media is filed only for an event the same node sent (parked until it does); dead letters are
budgeted per node and day.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlite_utils

from devices.contract import codec, topics
from devices.contract.errors import ContractError
from devices.contract.models import Ack, Event, Heartbeat, IntakeProgress, Status
from devices.contract.models.events import CheckEvent
from devices.contract.topics import Channel
from gateway.ingest.limits import (
    DeadletterBudget,
    IngestLimits,
    IngestRefused,
    SeqLedger,
    clock_flag,
)
from gateway.ingest.metrics import GatewayMetrics
from gateway.media.store import MediaRejected
from gateway.store.times import iso

log = logging.getLogger(__name__)

DEADLETTER_KEEP_BYTES = 64 * 1024
"""How much of a rejected payload is kept for inspection."""


@dataclass(frozen=True, slots=True)
class Incoming:
    topic: str
    payload: bytes
    received_at: datetime


Settled = dict[tuple[str, str], list[int]]
"""Per (site, node): seqs of the events a committed batch holds (stored now or before)."""


class MediaSink(Protocol):
    """Where media goes (gateway/media/store.py `MediaStore`)."""

    def save(self, site: str, node: str, event_id: str, payload: bytes) -> object: ...
    def park(self, site: str, node: str, event_id: str, payload: bytes) -> None: ...
    def adopt(self, site: str, node: str, event_id: str) -> object: ...


EventListener = Callable[[Event, datetime], None]
NodeStateListener = Callable[[str, str, str, str, datetime], None]  # site, node, state, reason
DevicesListener = Callable[[str, str, dict[str, str]], None]  # site, node, device -> state


class IngestWriter:
    def __init__(
        self,
        db: sqlite_utils.Database,
        metrics: GatewayMetrics | None = None,
        limits: IngestLimits | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics or GatewayMetrics()
        self.limits = limits or IngestLimits()
        self.event_listeners: list[EventListener] = []
        self.node_listeners: list[NodeStateListener] = []
        # Called after the commit when a status or heartbeat changed a node's device states
        # (a device can turn ok with no event of its own: the dashboard must not wait a poll).
        self.devices_listeners: list[DevicesListener] = []
        self._devices_changed: dict[tuple[str, str], dict[str, str]] = {}
        # Called after the commit with (site, node) when a node said its checks moved on.
        self.progress_listeners: list[Callable[[str, str], None]] = []
        self._progress_changed: set[tuple[str, str]] = set()
        self.media: MediaSink | None = None
        self.live_handler: Callable[[str, str, str, bytes], None] | None = None
        self._traffic: dict[tuple[str, str], _Traffic] = {}
        self._settled: Settled = {}
        self._dl_budget = DeadletterBudget(self.limits.deadletter_budget_bytes)

    # one batch ------------------------------------------------------------------------------

    def store_batch(self, batch: list[Incoming]) -> Settled:
        """Store one batch in one transaction; return the seqs it settled per node, for the
        subscriber's end-to-end acknowledgement (a dead-lettered event is not settled)."""
        stored: list[tuple[Event, datetime]] = []
        changes: list[tuple[str, str, str, str, datetime]] = []
        self._traffic = {}
        self._settled = {}
        self._devices_changed = {}
        self._progress_changed = set()
        budget = self._dl_budget.snapshot()  # a failed commit is retried: count it once
        try:
            self._store(batch, stored, changes)
        except BaseException:
            self._dl_budget.restore(budget)
            raise
        self.metrics.batches.inc()
        for event, at in stored:
            self.metrics.ingested.labels(event.kind).inc()
            self.metrics.lag.observe(max(0.0, (at - event.ts).total_seconds()))
            for listener in self.event_listeners:
                _safely(listener, event, at)
        for change in changes:
            for node_listener in self.node_listeners:
                _safely(node_listener, *change)
        for (site, node), devices in self._devices_changed.items():
            for devices_listener in self.devices_listeners:
                _safely(devices_listener, site, node, devices)
        for site, node in sorted(self._progress_changed):
            for progress_listener in self.progress_listeners:
                _safely(progress_listener, site, node)
        return self._settled

    def _store(self, batch: list[Incoming], stored: list[Any], changes: list[Any]) -> None:
        with self.db.atomic():
            for msg in batch:
                try:
                    self._one(msg, stored, changes)
                except (ContractError, IngestRefused) as exc:
                    self._deadletter(msg, exc.reason, exc.detail)
                except sqlite3.Error:
                    raise  # the store itself failed: the subscriber retries the whole batch
                except Exception as exc:  # a bug or a poison message must not stall the site
                    log.exception("unexpected error on %s; dead-lettered", msg.topic)
                    self._deadletter(msg, "internal_error", f"{type(exc).__name__}: {exc}")
            for key in list(self._traffic):
                self._flush_traffic(key, changes)

    def _one(self, msg: Incoming, stored: list[Any], changes: list[Any]) -> None:
        if msg.topic.split("/")[3:4] == [topics.GATEWAY_NODE]:
            return  # our own output (alerts, bureau uplink) or the bureau's downlink: not events
        topic = topics.parse(msg.topic)
        if topic.node == topics.GATEWAY_NODE or topic.channel in _OUR_OUTPUT:
            return  # our own output, echoed by the broker
        if topic.channel is Channel.EVENT:
            event = codec.decode_event(msg.payload, topic)
            if event.kind == "manual":
                raise IngestRefused(
                    "manual_from_node",
                    f"{topic.site}/{topic.node} sent a staff report; those are filed in the "
                    "dashboard only (POST /api/v1/manual-reports)",
                )
            traffic = self._traffic.setdefault((topic.site, topic.node), _Traffic())
            traffic.last_seen = msg.received_at
            flag = clock_flag(event.ts, msg.received_at, self.limits)
            node_ts = event.ts
            if flag is not None:
                event = _retimed(event, msg.received_at)
                self.metrics.clock_flagged.labels(flag).inc()
            if self._insert_event(event, msg.received_at, flag, node_ts):
                stored.append((event, msg.received_at))
                traffic.seqs.append(event.seq)
                if self.media is not None:
                    self._adopt_media(event)
            elif not self._same_event(event):
                return  # that id is another node's event: not this node's to confirm
            self._settled.setdefault((topic.site, topic.node), []).append(event.seq)
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
                devices=self._devices(topic.site, topic.node, status.devices),
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
            extra = {"frames": _frames(hb, msg.received_at)} if hb.frames else {}
            self._node(
                topic.site,
                topic.node,
                msg.received_at,
                outbox=hb.outbox,
                dropped=hb.dropped,
                heartbeat_interval_s=hb.interval_s,
                devices=self._devices(topic.site, topic.node, hb.devices),
                **extra,
            )
            self._touch(topic.site, topic.node, msg.received_at, changes)
        elif topic.channel is Channel.MEDIA:
            if len(msg.payload) > codec.MAX_MEDIA_BYTES:
                raise ContractError("too_large", f"media of {len(msg.payload)} bytes")
            if self.media is not None:
                self._media(topic.site, topic.node, topic.arg or "", msg.payload)
        elif topic.channel is Channel.LIVE and self.live_handler:
            self.live_handler(topic.site, topic.node, topic.arg or "", msg.payload)
        elif topic.channel is Channel.PROGRESS:
            if msg.payload:  # an empty retained message clears it at the broker: nothing to do
                self._progress(topic.site, topic.node, msg)
        elif topic.channel is Channel.ACK:
            ack = codec.decode(Ack, msg.payload)
            self.db.execute(
                "UPDATE commands SET acked_at=?, ok=?, error=? WHERE id=? AND site=? AND node=?",
                (iso(msg.received_at), int(ack.ok), ack.error, ack.id, topic.site, topic.node),
            )

    def _progress(self, site: str, node: str, msg: Incoming) -> None:
        """Keep the node's latest word on its open checks; an older message (a retained copy
        arriving late) does not replace a newer one."""
        progress = codec.decode(IntakeProgress, msg.payload)
        cur = self.db.execute(
            "INSERT INTO node_progress (site, node, at, open, more_open, received_at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (site, node) DO UPDATE SET at=excluded.at, "
            "open=excluded.open, more_open=excluded.more_open, received_at=excluded.received_at "
            "WHERE excluded.at >= node_progress.at",
            (
                site,
                node,
                iso(progress.at),
                json.dumps([c.model_dump(mode="json") for c in progress.open]),
                progress.more_open,
                iso(msg.received_at),
            ),
        )
        if cur.rowcount:
            self._progress_changed.add((site, node))

    # media: only for the node's own events ---------------------------------------------------

    def _media(self, site: str, node: str, event_id: str, payload: bytes) -> None:
        assert self.media is not None
        row = self.db.execute("SELECT site, node FROM events WHERE id=?", (event_id,)).fetchone()
        try:
            if row is None:
                self.media.park(site, node, event_id, payload)  # its event may still come
            elif (row[0], row[1]) == (site, node):
                self.media.save(site, node, event_id, payload)
            else:
                raise IngestRefused(
                    "media_not_yours",
                    f"{site}/{node} sent media for event {event_id} of {row[0]}/{row[1]}",
                )
        except MediaRejected as exc:  # becomes a dead letter with the store's reason
            raise IngestRefused(exc.reason, str(exc)) from None

    def _adopt_media(self, event: Event) -> None:
        assert self.media is not None
        try:
            self.media.adopt(event.site, event.node, event.id)
        except OSError:
            log.exception("parked media of %s not filed; it stays parked", event.id)

    # events, checks, node seq accounting ----------------------------------------------------

    def _insert_event(
        self,
        event: Event,
        received_at: datetime,
        flag: str | None = None,
        node_ts: datetime | None = None,
    ) -> bool:
        if insert_event(self.db, event, received_at, flag, node_ts):
            return True
        self.metrics.duplicates.inc()
        return False

    def record_local(self, db: sqlite_utils.Database, event: Event, at: datetime) -> bool:
        """Store an event the gateway itself makes (a staff report filed in the dashboard) on
        the caller's connection, in its own transaction, with the same insert as a node's
        event; then give it to the same listeners (alerts, the dashboard's stream) after the
        commit. False (and nothing told) when that id is stored already."""
        with db.atomic():
            stored = insert_event(db, event, at)
        if not stored:
            self.metrics.duplicates.inc()
            return False
        self.metrics.ingested.labels(event.kind).inc()
        for listener in self.event_listeners:
            _safely(listener, event, at)
        return True

    def _same_event(self, event: Event) -> bool:
        """A duplicate id is this node's own event (a re-send), not someone else's."""
        row = self.db.execute(
            "SELECT site, node, seq FROM events WHERE id=?", (event.id,)
        ).fetchone()
        return row is not None and tuple(row) == (event.site, event.node, event.seq)

    def _flush_traffic(self, key: tuple[str, str], changes: list[Any]) -> None:
        """Apply one batch's worth of a node's events to its row (one UPDATE, not one per
        event): last seen, seq ledger (gateway/ingest/limits.py SeqLedger), online again."""
        traffic = self._traffic.pop(key, None)
        if traffic is None or traffic.last_seen is None:
            return
        site, node = key
        self._node(site, node, traffic.last_seen)
        if traffic.seqs:
            row = self.db.execute(
                "SELECT first_seq, max_seq, coalesce(received, 0), "
                "coalesce(lost_before_reset, 0), coalesce(seq_resets, 0) FROM nodes "
                "WHERE site=? AND node=?",
                (site, node),
            ).fetchone()
            ledger = SeqLedger(*row)
            for seq in traffic.seqs:
                ledger = ledger.count(seq, self.limits.seq_reset_gap)
            if ledger.resets > row[4]:
                log.warning(
                    "%s/%s: seq jumped beyond %d; counted as a node reset",
                    site,
                    node,
                    self.limits.seq_reset_gap,
                )
            self.db.execute(
                "UPDATE nodes SET first_seq=?, max_seq=?, received=?, lost_before_reset=?, "
                "seq_resets=? WHERE site=? AND node=?",
                (
                    ledger.first,
                    ledger.max,
                    ledger.received,
                    ledger.lost_before_reset,
                    ledger.resets,
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

    def _devices(self, site: str, node: str, devices: Mapping[str, str]) -> str:
        """The node's device states as stored; a change is told to `devices_listeners`."""
        text = json.dumps(devices)
        row = self.db.execute(
            "SELECT devices FROM nodes WHERE site=? AND node=?", (site, node)
        ).fetchone()
        if row is None or row[0] != text:
            self._devices_changed[(site, node)] = dict(devices)
        return text

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
        source = _source(msg.topic)
        kept = msg.payload[:DEADLETTER_KEEP_BYTES]
        size = len(kept) + len(detail[:2000]) + len(msg.topic[:1000]) + 100
        at = msg.received_at
        if source is not None and not self._dl_budget.known(source, at):
            used = self.db.execute(
                "SELECT coalesce(sum(length(payload) + length(detail) + length(topic) + 100), 0)"
                " FROM deadletters WHERE source=? AND received_at >= ?",
                (source, self._dl_budget.day(at)),
            ).fetchone()[0]
            self._dl_budget.load(source, at, int(used))
        if source is not None and not self._dl_budget.take(source, at, size):
            self.metrics.deadletters_dropped.labels(reason).inc()
            marker = self.db.execute(
                "SELECT 1 FROM deadletters WHERE source=? AND reason='deadletter_budget' "
                "AND received_at >= ?",
                (source, self._dl_budget.day(at)),
            ).fetchone()
            if marker is None:  # one row a day says that more were only counted
                self._insert_deadletter(
                    msg,
                    "deadletter_budget",
                    f"{source} passed deadletter_budget_bytes for today; further dead letters "
                    "of this node are counted (stationkit_deadletters_not_stored), not stored",
                    b"",
                    source,
                )
            return
        self._insert_deadletter(msg, reason, detail, kept, source)

    def _insert_deadletter(
        self, msg: Incoming, reason: str, detail: str, kept: bytes, source: str | None
    ) -> None:
        self.db.execute(
            "INSERT INTO deadletters (received_at, topic, reason, detail, size, payload, source) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                iso(msg.received_at),
                msg.topic[:1000],
                reason,
                detail[:2000],
                len(msg.payload),
                kept,
                source,
            ),
        )


_OUR_OUTPUT = (Channel.CMD, Channel.ALERT, Channel.STORED)
"""Channels the gateway itself publishes on; the broker echoes them back to it."""


def insert_event(
    db: sqlite_utils.Database,
    event: Event,
    received_at: datetime,
    flag: str | None = None,
    node_ts: datetime | None = None,
) -> bool:
    """The one way an event enters the store: its `events` row and, for a check, its `checks`
    row. Inside the caller's transaction; False when that id is stored already."""
    data = event.data.model_dump_json(exclude_none=True)
    cur = db.execute(
        "INSERT OR IGNORE INTO events (id, site, node, kind, ts, seq, device, data, "
        "received_at, clock_flag, node_ts) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
            flag,
            iso(node_ts) if flag and node_ts else None,
        ),
    )
    if cur.rowcount == 0:
        return False
    if isinstance(event, CheckEvent):
        d = event.data
        # A correction (a core temperature entered after the check closed) is a new check
        # event with the same check_id and a higher `revision`: the row keeps the highest
        # revision whatever order they arrive in; every revision stays in `events`.
        db.execute(
            "INSERT INTO checks (check_id, event_id, site, node, outcome, "
            "started_at, finished_at, operator, celsius, gate_alarm, wand, items_held, data)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (check_id) DO UPDATE SET "
            "event_id=excluded.event_id, outcome=excluded.outcome, "
            "finished_at=excluded.finished_at, operator=excluded.operator, "
            "celsius=excluded.celsius, gate_alarm=excluded.gate_alarm, wand=excluded.wand, "
            "items_held=excluded.items_held, data=excluded.data "
            "WHERE coalesce(json_extract(excluded.data, '$.revision'), 0) > "
            "coalesce(json_extract(checks.data, '$.revision'), 0)",
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


def _source(topic: str) -> str | None:
    """ "site/node" of a contract topic (the broker's ACL ties it to the sender), else None."""
    parts = topic.split("/")
    if len(parts) >= 4 and "/".join(parts[:2]) == topics.PREFIX:
        site, node = parts[2], parts[3]
        if topics.SLUG.match(site) and topics.SLUG.match(node):
            return f"{site}/{node}"
    return None


def _retimed(event: Event, at: datetime) -> Event:
    """The event moved to the gateway's time `at`, with its data's own times moved by the
    same offset (a check's start and end keep their duration)."""
    shift = at - event.ts
    data = event.data
    moved = {
        name: getattr(data, name) + shift
        for name in type(data).model_fields
        if isinstance(getattr(data, name), datetime)
    }
    return event.model_copy(update={"ts": at, "data": data.model_copy(update=moved)})


class _Traffic:
    """A node's events within one batch."""

    __slots__ = ("last_seen", "seqs")

    def __init__(self) -> None:
        self.last_seen: datetime | None = None
        self.seqs: list[int] = []


def _safely(fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # a listener's bug must not stop ingestion
        log.exception("ingest listener %r failed", fn)


def _frames(hb: Heartbeat, received_at: datetime) -> str:
    """The heartbeat's last-frame times moved to the gateway's clock: the frame's age on the
    node's clock (heartbeat time minus frame time, never negative) before the arrival."""
    out = {}
    for camera, at in hb.frames.items():
        age = max(0.0, (hb.ts - at).total_seconds())
        out[camera] = iso(received_at - timedelta(seconds=age))
    return json.dumps(out)
