"""The bureau's actions on station alerts: written to the `downlink` table (the outbox, in the
same transaction as the audit line), then published by any worker to the NATS MQTT listener at
QoS 1, which keeps them for the station bridge's persistent session until it connects.

Published via MQTT, not core NATS: NATS 2.9 stores for an offline MQTT session only messages
that an MQTT client published at QoS 1. A row is marked published only after the PUBACK; a
crash in between publishes it again, and the station applies each action id once.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import codec
from devices.contract.broker_url import parse_broker_url
from devices.contract.models.uplink import BureauAction
from devices.contract.uplink_topics import downlink
from gateway.hub import store

log = logging.getLogger(__name__)


def enqueue(cur: Any, station: str, alert_id: str, kind: str, by: str, text: str | None) -> str:
    action_id = codec.new_id()
    cur.execute(
        "INSERT INTO downlink (id, station, alert_id, kind, by_user, text) "
        "VALUES (%s,%s,%s,%s,%s,%s)",
        (action_id, station, alert_id, kind, by, text),
    )
    return action_id


class DownlinkSender:
    def __init__(self, dsn: str, mqtt_urls: list[str], client_id: str, period_s: float = 0.5):
        self.dsn = dsn
        self.urls = [parse_broker_url(u) for u in mqtt_urls]
        self.client_id = client_id
        self.period_s = period_s
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-downlink", daemon=True)
        self._client: mqtt.Client | None = None
        self._next = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()

    def _mqtt(self) -> mqtt.Client:
        if self._client is not None and self._client.is_connected():
            return self._client
        if self._client is not None:
            self._client.loop_stop()
        url = self.urls[self._next % len(self.urls)]
        self._next += 1  # the next attempt tries the next NATS node
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311
        )
        if url.username:
            c.username_pw_set(url.username, url.password)
        c.connect(url.host, url.port, keepalive=30)
        c.loop_start()
        self._client = c
        return c

    def pass_once(self) -> int:
        done = 0
        with store.connect(self.dsn) as conn, conn.transaction():
            rows = conn.execute(
                "SELECT id, station, alert_id, kind, by_user, text, created_at FROM downlink "
                "WHERE published_at IS NULL ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED"
            ).fetchall()
            if not rows:
                return 0
            client = self._mqtt()
            for action_id, station, alert_id, kind, by, text, created in rows:
                msg = BureauAction(
                    id=action_id,
                    kind=kind,
                    station=station,
                    alert_id=alert_id,
                    by=by,
                    text=text,
                    at=created,
                )
                info = client.publish(downlink(station, kind), codec.encode(msg), qos=1)
                info.wait_for_publish(10)
                if not info.is_published():
                    conn.execute(
                        "UPDATE downlink SET attempts=attempts+1, last_error=%s WHERE id=%s",
                        ("no PUBACK from the NATS MQTT listener", action_id),
                    )
                    break
                conn.execute(
                    "UPDATE downlink SET published_at=%s, attempts=attempts+1 WHERE id=%s",
                    (datetime.now(UTC), action_id),
                )
                done += 1
        self.sent += done
        return done

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.pass_once()
            except Exception as exc:  # NATS node or PostgreSQL away: next pass, next node
                log.warning("downlink pass failed: %s", exc)
                if self._client is not None:
                    self._client.loop_stop()
                    self._client = None
