"""The durable notification outbox and its delivery threads.

`enqueue` only INSERTs into the caller's open transaction: the notification is stored exactly
when the alert change that caused it is stored, and a crash before the commit loses both (so
nothing is announced that the record does not show), a crash after it loses neither.

One delivery thread per channel (a webhook that times out must not hold back the e-mail or the
MQTT copy) wakes at once on `enqueue`, sends every due row, records every attempt in
`notify_deliveries`, reschedules failures with exponential backoff and, after
`attempts_before_fallback` failures, also enqueues the channel's fallback. Delivery is
at-least-once: a crash between a send and its record resends with the same idempotency key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlite_utils

from devices.contract import topics
from devices.contract.codec import new_id
from gateway.notify import message
from gateway.notify.channels import EmailSender, MqttSender, Result, WebhookSender
from gateway.notify.config import EMAIL, MQTT, NotifyConfig
from gateway.notify.message import Notification
from gateway.store.db import connect
from gateway.store.times import iso, parse

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0
"""Longest sleep of a delivery thread: picks up rows another process inserted."""
COMMIT_GRACE_S = 5.0
"""How long a thread watches for a just-enqueued row to become visible (the caller's commit)."""


def public_target(url: str) -> str:
    """A webhook URL as shown to users: no credentials, no query (tokens live there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt, as recorded in notify_deliveries (the measurement hook's input)."""

    outbox_id: str
    notification_id: str
    alert_id: str
    event: str
    level: str
    channel: str
    kind: str
    target: str
    attempt: int
    at: datetime
    ok: bool
    status: str | None
    reply: str | None
    error: str | None
    latency_ms: float
    since_enqueue_ms: float  # enqueue -> end of this attempt (the receiver's 2xx when ok)


Listener = Callable[[Attempt], None]


@dataclass(frozen=True, slots=True)
class _Done:
    attempt: Attempt
    notification: Notification
    ended: datetime
    fell_back: bool


RECORD_BATCH = 50
RECORD_WINDOW_S = 0.05
"""Attempts are recorded in one transaction per batch (at most this many, or this long after
the batch's first send): one fsync per batch instead of per attempt. A crash inside the window
resends those rows with the same idempotency key."""


class Notifier:
    """Construct once per gateway; `enqueue` from the alert flow, `start`/`stop` with the service.

    `db_path`: the gateway database (the delivery threads open their own connections).
    `publish`: the gateway's MQTT publish (topic, payload) for the mqtt channel; if it returns
    paho's MQTTMessageInfo the attempt waits for the PUBACK. `clock`: injectable for tests.
    """

    def __init__(
        self,
        config: NotifyConfig,
        db_path: Path | str,
        publish: Callable[[str, bytes], object] | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.db_path = Path(db_path)
        self.clock = clock
        self._webhooks = {w.name: WebhookSender(w) for w in config.webhooks}
        self._email = EmailSender(config.smtp) if config.smtp else None
        self._mqtt = MqttSender(config.mqtt, publish) if config.mqtt.enabled else None
        self._listeners: list[Listener] = []
        self._local = threading.local()
        self._stop = threading.Event()
        self._wakes: dict[str, threading.Event] = {c: threading.Event() for c in self._channels()}
        self._expect: dict[str, dict[str, float]] = {c: {} for c in self._channels()}
        self._expect_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._warned: set[str] = set()

    def _channels(self) -> list[str]:
        return self.config.channel_names()

    # ---- enqueue (caller's transaction) -------------------------------------------------

    def targets(self, channel: str, level: str, site: str) -> list[tuple[str, str]]:
        """(kind, target) rows a notification at `level` gets on `channel`."""
        if channel == EMAIL:
            smtp = self.config.smtp
            return [("email", to) for to in smtp.recipients(level)] if smtp else []
        if channel == MQTT:
            return [("mqtt", topics.alert(site))]
        hook = self.config.webhook(channel)
        return [("webhook", public_target(hook.url))] if hook else []

    def enqueue(self, db: sqlite_utils.Database, notification: Notification) -> list[str]:
        """Insert one outbox row per channel target into `db`'s transaction (no commit: the
        caller commits together with the alert change). Returns the outbox ids.

        Call it inside `with db.atomic():` or `with db.atomic():`. The rows go through the raw
        sqlite3 connection, which joins (or implicitly opens) the caller's transaction;
        note that sqlite_utils' `db.execute` COMMITS a write made outside an open transaction.
        """
        if not self.config.enabled:
            return []
        if notification.level not in self.config.levels and notification.level not in self._warned:
            self._warned.add(notification.level)
            log.warning("notify: level %r not in [notify.levels]: all channels", notification.level)
        ids = self._insert(
            db,
            notification,
            self.config.channels_for(notification.level),
            now=self.clock(),
            fallback_of=None,
        )
        return ids

    def _insert(
        self,
        db: sqlite_utils.Database,
        n: Notification,
        channels: list[str],
        *,
        now: datetime,
        fallback_of: str | None,
    ) -> list[str]:
        payload = n.model_dump_json()
        incident_id = (n.incident or {}).get("id") or n.alert.get("incident_id")
        ids: list[tuple[str, str]] = []
        for channel in channels:
            for kind, target in self.targets(channel, n.level, n.site):
                row_id = new_id()
                db.conn.execute(
                    "INSERT INTO notify_outbox (id, seq, notification_id, alert_id, incident_id, "
                    "event, level, channel, kind, target, payload, created_at, due_at, attempts, "
                    "state, fallback_of, fell_back) VALUES (?, "
                    "(SELECT COALESCE(MAX(seq), 0) + 1 FROM notify_outbox), "
                    "?,?,?,?,?,?,?,?,?,?,?,0,'pending',?,0)",
                    (
                        row_id,
                        n.id,
                        n.alert_id,
                        incident_id,
                        n.event,
                        n.level,
                        channel,
                        kind,
                        target,
                        payload,
                        iso(now),
                        iso(now),
                        fallback_of,
                    ),
                )
                ids.append((row_id, channel))
        stamp = time.monotonic()
        if not self._threads:  # deliver_due() driven (tests): nobody to watch for the commit
            return [row_id for row_id, _ in ids]
        with self._expect_lock:
            for row_id, channel in ids:
                if channel in self._expect:
                    self._expect[channel][row_id] = stamp
        for channel in {c for _, c in ids}:
            if channel in self._wakes:
                self._wakes[channel].set()
        return [row_id for row_id, _ in ids]

    def wake(self) -> None:
        """Wake every delivery thread (e.g. after rows were inserted by another process)."""
        for event in self._wakes.values():
            event.set()

    def add_listener(self, fn: Listener) -> None:
        """Call `fn(attempt)` after every recorded attempt (measurement hook; on the delivery
        thread, so keep it quick)."""
        self._listeners.append(fn)

    # ---- delivery -------------------------------------------------------------------------

    def _db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.db_path)
            self._local.db = db
        return db

    def deliver_due(
        self, now: datetime | None = None, *, channel: str | None = None, limit: int = 200
    ) -> int:
        """Attempt every pending row due at `now` (default: the clock), oldest first; return
        the number of attempts made. Tests call this with a fake clock instead of `start()`."""
        db = self._db()
        at = now or self.clock()
        sql = (
            "SELECT id, seq, notification_id, alert_id, event, level, channel, kind, target, "
            "payload, created_at, attempts, fell_back FROM notify_outbox "
            "WHERE state='pending' AND due_at <= ?"
        )
        args: list[Any] = [iso(at)]
        if channel is not None:
            sql += " AND channel = ?"
            args.append(channel)
        # rows never tried go first: a new alert must not wait behind a backlog of retries
        order = " ORDER BY attempts > 0, due_at, seq LIMIT ?"
        cur = db.execute(sql + order, [*args, limit])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        done: list[_Done] = []
        window = time.monotonic()
        made = 0
        for row in rows:
            if self._stop.is_set() and now is None:
                break
            done.append(self._attempt(row, now))
            made += 1
            if len(done) >= RECORD_BATCH or time.monotonic() - window >= RECORD_WINDOW_S:
                self._record(db, done)
                done, window = [], time.monotonic()
        self._record(db, done)
        return made

    def _send(self, row: dict[str, Any], n: Notification, at: datetime) -> Result:
        attempt = row["attempts"] + 1
        if row["kind"] == "email":
            if self._email is None:
                return Result(False, error="channel 'email' is not configured")
            return self._email.send(
                row["target"],
                message.subject(n),
                message.body_text(n, row["id"]),
                delivery_id=row["id"],
            )
        doc = message.document(
            n,
            delivery_id=row["id"],
            seq=row["seq"],
            attempt=attempt,
            channel=row["channel"],
            sent_at=at,
        )
        body = message.encode(doc)
        if row["kind"] == "mqtt":
            if self._mqtt is None:
                return Result(False, error="channel 'mqtt' is not enabled")
            return self._mqtt.send(row["target"], body)
        hook = self._webhooks.get(row["channel"])
        if hook is None:
            return Result(False, error=f"webhook {row['channel']!r} is not configured")
        return hook.send(
            body, delivery_id=row["id"], attempt=attempt, timestamp=int(at.timestamp())
        )

    def _attempt(self, row: dict[str, Any], now: datetime | None) -> _Done:
        """Send one row (no database access: the result is recorded by `_record`)."""
        started = now or self.clock()
        t0 = time.perf_counter()
        try:  # a payload that no longer validates (upgrade) is a failed attempt, not a stall
            n = Notification.model_validate_json(row["payload"])
            result = self._send(row, n, started)
        except Exception as exc:  # a sender bug must not kill the thread or lose the row
            log.exception("notify: sender failed")
            result = Result(False, error=f"{type(exc).__name__}: {exc}")
        latency_ms = (time.perf_counter() - t0) * 1000
        ended = now or self.clock()
        since_ms = (ended - parse(row["created_at"])).total_seconds() * 1000
        if now is None:
            since_ms = max(since_ms, latency_ms)
        if not result.ok:
            log.warning(
                "notify: %s to %s failed (attempt %d): %s",
                row["channel"],
                row["target"],
                row["attempts"] + 1,
                result.error,
            )
        attempt = Attempt(
            outbox_id=row["id"],
            notification_id=row["notification_id"],
            alert_id=row["alert_id"],
            event=row["event"],
            level=row["level"],
            channel=row["channel"],
            kind=row["kind"],
            target=row["target"],
            attempt=row["attempts"] + 1,
            at=started,
            ok=result.ok,
            status=result.status,
            reply=result.reply,
            error=result.error,
            latency_ms=latency_ms,
            since_enqueue_ms=since_ms,
        )
        return _Done(attempt, n, ended, bool(row["fell_back"]))

    def _record(self, db: sqlite_utils.Database, done: list[_Done]) -> None:
        """Record attempts and their consequences (delivered / rescheduled / failed, fallback
        rows) in one transaction; then tell the listeners."""
        if not done:
            return
        policy = self.config.retry
        with db.atomic():
            for d in done:
                a = d.attempt
                db.conn.execute(
                    "INSERT INTO notify_deliveries (outbox_id, alert_id, event, level, channel, "
                    "kind, target, attempt, at, ok, status, reply, error, latency_ms, "
                    "since_enqueue_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        a.outbox_id,
                        a.alert_id,
                        a.event,
                        a.level,
                        a.channel,
                        a.kind,
                        a.target,
                        a.attempt,
                        iso(a.at),
                        int(a.ok),
                        a.status,
                        a.reply,
                        a.error,
                        round(a.latency_ms, 3),
                        round(a.since_enqueue_ms, 3),
                    ),
                )
                if a.ok:
                    db.conn.execute(
                        "UPDATE notify_outbox SET state='delivered', attempts=?, "
                        "delivered_at=?, last_error=NULL WHERE id=?",
                        (a.attempt, iso(d.ended), a.outbox_id),
                    )
                    continue
                state = "failed" if a.attempt >= policy.max_attempts else "pending"
                due = a.at + timedelta(seconds=policy.delay_s(a.attempt))
                fell_back = d.fell_back
                fallback = self.config.fallback_of(a.channel)
                if (
                    fallback is not None
                    and not fell_back
                    and a.attempt >= policy.attempts_before_fallback
                ):
                    self._insert(db, d.notification, [fallback], now=a.at, fallback_of=a.outbox_id)
                    fell_back = True
                db.conn.execute(
                    "UPDATE notify_outbox SET state=?, attempts=?, due_at=?, last_error=?, "
                    "fell_back=? WHERE id=?",
                    (state, a.attempt, iso(due), a.error, int(fell_back), a.outbox_id),
                )
        for d in done:
            for fn in self._listeners:
                try:
                    fn(d.attempt)
                except Exception:
                    log.exception("notify: listener failed")

    # ---- threads ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start one delivery thread per channel; pending rows (from before a restart) go
        out at once."""
        self._stop.clear()
        for channel in self._channels():
            thread = threading.Thread(
                target=self._run, args=(channel,), name=f"notify-{channel}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the threads (an attempt in progress finishes and is recorded)."""
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        for hook in self._webhooks.values():
            hook.close()

    def alive(self) -> bool:
        """Every channel's delivery thread is running (checked by the gateway's watchdog)."""
        return all(t.is_alive() for t in self._threads)

    def _run(self, channel: str) -> None:
        wake = self._wakes[channel]
        while not self._stop.is_set():
            wake.clear()
            try:
                made = self.deliver_due(channel=channel)
                if made and not self._stop.is_set():
                    continue  # maybe more due: look again before sleeping
                if self._uncommitted(channel):
                    wake.wait(0.002)  # the caller's commit is on its way
                    continue
                wake.wait(self._sleep_s(channel))
            except Exception:
                log.exception("notify: delivery loop for %s", channel)
                self._stop.wait(1.0)
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    def _uncommitted(self, channel: str) -> bool:
        """True while an enqueued row of `channel` is not yet visible (the caller has not
        committed): poll briefly instead of sleeping until the next due row."""
        with self._expect_lock:
            expect = self._expect[channel]
            if not expect:
                return False
            ids = list(expect)
        marks = ",".join("?" * len(ids))
        seen = {
            r[0]
            for r in self._db()
            .execute(f"SELECT id FROM notify_outbox WHERE id IN ({marks})", ids)
            .fetchall()
        }
        now = time.monotonic()
        with self._expect_lock:
            for row_id in ids:
                if row_id in seen or now - expect.get(row_id, now) > COMMIT_GRACE_S:
                    expect.pop(row_id, None)
        return True  # look again at once: rows just became visible, or are about to

    def _sleep_s(self, channel: str) -> float:
        row = (
            self._db()
            .execute(
                "SELECT MIN(due_at) FROM notify_outbox WHERE state='pending' AND channel=?",
                (channel,),
            )
            .fetchone()
        )
        if not row or row[0] is None:
            return IDLE_POLL_S
        wait = (parse(row[0]) - self.clock()).total_seconds()
        return max(0.0, min(IDLE_POLL_S, wait))

    # ---- inspection ------------------------------------------------------------------------

    def pending(self) -> int:
        row = self._db().execute("SELECT COUNT(*) FROM notify_outbox WHERE state='pending'")
        return int(row.fetchone()[0])


def deliveries_for_alert(db: sqlite_utils.Database, alert_id: str) -> list[dict[str, Any]]:
    """Every attempt for `alert_id`, oldest first (the API and the reports read this)."""
    items = list(
        db.query(
            "SELECT d.id, d.outbox_id, o.notification_id, d.event, d.level, d.channel, d.kind, "
            "d.target, d.attempt, d.at, d.ok, d.status, d.reply, d.error, d.latency_ms, "
            "d.since_enqueue_ms, o.fallback_of FROM notify_deliveries d "
            "JOIN notify_outbox o ON o.id = d.outbox_id WHERE d.alert_id = ? ORDER BY d.id",
            (alert_id,),
        )
    )
    for item in items:
        item["ok"] = bool(item["ok"])
    return items


def outbox_for_alert(db: sqlite_utils.Database, alert_id: str) -> list[dict[str, Any]]:
    """The outbox rows of `alert_id`: what is delivered, still pending (and when next), failed."""
    items = list(
        db.query(
            "SELECT id, notification_id, seq, event, level, channel, kind, target, created_at, "
            "state, attempts, due_at AS next_attempt_at, delivered_at, last_error, fallback_of "
            "FROM notify_outbox WHERE alert_id = ? ORDER BY seq",
            (alert_id,),
        )
    )
    for item in items:
        if item["state"] != "pending":
            item["next_attempt_at"] = None
    return items
