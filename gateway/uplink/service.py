"""`Uplink`: the gateway thread that publishes the station's records for the bureau.

A pass reads history rows past a durable cursor (table `uplink_cursor`), publishes a snapshot
of each record they touch at QoS 1, waits for the station broker's PUBACK, and only then moves
the cursor; a crash or a broker outage between the two re-sends, which the hub ignores by
version. The station's Mosquitto bridge (persistent session, QoS 1) carries the messages on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from devices.contract import codec
from devices.contract.broker_url import BrokerUrl
from devices.contract.models import Payload
from devices.contract.uplink_topics import uplink
from gateway.store.db import connect
from gateway.uplink import snapshots
from gateway.uplink.config import UplinkConfig
from gateway.uplink.downlink import Alerts, DownlinkApplier
from gateway.uplink.link import UplinkLink

log = logging.getLogger(__name__)

# (cursor name, history table, record key column, snapshot function)
_STREAMS = (
    ("alert", "alert_history", "alert_id", snapshots.alert_snapshot),
    ("incident", "incident_history", "incident_id", snapshots.incident_snapshot),
)


class Uplink:
    def __init__(
        self,
        db_path: str,
        config: UplinkConfig,
        url: BrokerUrl,
        alerts: Alerts,
        site_tz: dict[str, str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.site_tz = site_tz
        self.clock = clock
        self.db = connect(db_path, check_same_thread=False)
        # The downlink is applied on paho's network thread, with its own connection: sharing
        # one with the publisher (which waits on that thread for PUBACKs) could deadlock.
        self.applier = DownlinkApplier(
            connect(db_path, check_same_thread=False), alerts, set(site_tz)
        )
        self.link = UplinkLink(url, config.client_id, self.applier)
        self.published = 0
        self.beat = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="uplink", daemon=True)
        self._next_health = 0.0
        self._next_returns = 0.0

    # cursor ---------------------------------------------------------------------------------

    def _get(self, name: str) -> int:
        row = self.db.execute("SELECT value FROM uplink_cursor WHERE name=?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def _set(self, name: str, value: int) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO uplink_cursor (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
                (name, value),
            )

    # publishing -----------------------------------------------------------------------------

    def _send(self, msg: Payload, kind: str, station: str) -> bool:
        ok = self.link.publish(
            uplink(station, kind), codec.encode(msg), self.config.publish_timeout_s
        )
        if ok:
            self.published += 1
        return ok

    def _records(self, name: str, table: str, key: str, snap: Callable, *, resend: bool) -> bool:
        """Publish records changed past cursor `name` (or `name`-resent); True when caught up."""
        cursor = f"{name}_resent" if resend else f"{name}_sent"
        after = self._get(cursor)
        upto = None
        if resend:
            cutoff = self.clock() - timedelta(seconds=self.config.resend_after_s)
            upto = min(
                self._get(f"{name}_sent"), snapshots.last_id_before(self.db, table, after, cutoff)
            )
            if upto <= after:
                return True
        ids, last = snapshots.changed_since(self.db, table, key, after, upto, self.config.batch)
        if not ids:
            return True
        now = self.clock()
        for record_id in ids:
            row = self.db.execute(f"SELECT site FROM {name}s WHERE id=?", (record_id,)).fetchone()
            msg = snap(self.db, row[0], record_id, now) if row else None
            if msg is None:
                continue
            if not self._send(msg, name, row[0]):
                return True  # broker away: the cursor stays, the pass is tried again
        self._set(cursor, last)
        return len(ids) < self.config.batch

    def _summaries(self) -> None:
        now_m = time.monotonic()
        now = self.clock()
        stations = snapshots.stations(self.db, list(self.site_tz))
        if not stations:
            return  # no site configured or heard of yet: the first summaries go when one is
        if now_m >= self._next_health and all(
            self._send(snapshots.health_summary(self.db, s, now), "health", s) for s in stations
        ):
            self._next_health = now_m + self.config.health_every_s
        if now_m >= self._next_returns:
            ok = True
            for s in stations:
                tz = self.site_tz.get(s, "Asia/Shanghai")
                today = now.astimezone(ZoneInfo(tz)).date()
                for day in (today - timedelta(days=1), today):
                    ok = ok and self._send(
                        snapshots.daily_return(self.db, s, day, tz, now), "daily_return", s
                    )
            if ok:
                self._next_returns = now_m + self.config.returns_every_s

    def pass_once(self) -> bool:
        """One pass over everything due; True when nothing was left behind."""
        caught_up = True
        for name, table, key, snap in _STREAMS:
            caught_up &= self._records(name, table, key, snap, resend=False)
            if self.config.resend_after_s:
                caught_up &= self._records(name, table, key, snap, resend=True)
        if self.link.connected.is_set():
            self._summaries()
        return caught_up

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat = time.monotonic()
            try:
                caught_up = self.pass_once()
            except Exception:  # a locked or damaged database: log and retry, never die
                log.exception("uplink pass failed; will retry")
                caught_up = True
            if caught_up:
                self._stop.wait(self.config.poll_s)

    def start(self) -> None:
        self.link.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self.link.stop()
        self.db.conn.close()
        self.applier.db.conn.close()

    def healthy(self) -> bool:
        return (
            self._thread.is_alive()
            and time.monotonic() - self.beat < 60 + self.config.publish_timeout_s
        )
