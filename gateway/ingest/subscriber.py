"""The gateway's MQTT side: a persistent MQTT v5 session on `stationkit/v1/#` with manual
acknowledgement. Messages are acknowledged only after the batch that holds them is
committed, so a gateway killed at any instant loses nothing (the broker redelivers).

After each commit it also tells every node whose events the batch held which seqs are now in
the database (`{site}/{node}/stored`, contract v1.1): the node deletes an event only then, so
a broker that dies with events in its queue loses nothing either (the node re-sends them).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devices.contract import codec, topics
from devices.contract.broker_url import BrokerUrl
from devices.contract.models import Stored, to_ranges
from devices.contract.models.stored import MAX_RANGES
from devices.contract.topics import SUBSCRIBE_ALL
from gateway.ingest.writer import Incoming, IngestWriter, Settled

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 86400
RECEIVE_MAXIMUM = 1000


class GatewaySubscriber:
    def __init__(
        self,
        url: BrokerUrl,
        writer: IngestWriter,
        *,
        client_id: str = "stationkit-gateway",
        batch_max: int = 500,
        batch_wait_s: float = 0.01,
        heartbeat_grace: float = 3.0,
        mqtt_v5: bool = True,
    ) -> None:
        self.url = url
        self.writer = writer
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self.heartbeat_grace = heartbeat_grace
        self.connected = threading.Event()
        self.mqtt_v5 = mqtt_v5
        self._queue: queue.Queue[tuple[Incoming, int, int]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self.beat = time.monotonic()  # last loop turn: the watchdog's proof of life
        self.confirmed = 0  # events confirmed to their nodes (stored-acks published)
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if mqtt_v5 else mqtt.MQTTv311,
            manual_ack=True,
            # MQTT 3.1.1: a persistent session is clean_session=False (v5: clean_start below)
            clean_session=None if mqtt_v5 else False,
        )
        if url.username:
            c.username_pw_set(url.username, url.password)
        if url.tls:
            c.tls_set()
        c.reconnect_delay_set(1, 30)
        # paho's default of 20 would hold confirmations back behind the broker's PUBACKs on a
        # busy site, and they must go out before the acknowledgements that follow them
        c.max_inflight_messages_set(1000)
        c.on_socket_open = _nodelay
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        self.client = c

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        """For gateway output (commands to nodes, alerts). The returned info's
        `wait_for_publish()` returns once the broker acknowledged (the notifier's proof)."""
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    def start(self) -> None:
        self._thread.start()
        if self.mqtt_v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            props.ReceiveMaximum = RECEIVE_MAXIMUM
            self.client.connect_async(
                self.url.host, self.url.port, keepalive=30, clean_start=False, properties=props
            )
        else:
            self.client.connect_async(self.url.host, self.url.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def _on_connect(
        self, c: mqtt.Client, _u: object, flags: object, rc: object, _p: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.error("broker %s refused the gateway: %s", self.url, rc)
            return
        log.info(
            "gateway connected to %s (session present: %s)",
            self.url,
            getattr(flags, "session_present", "?"),
        )
        c.subscribe(SUBSCRIBE_ALL, qos=1)
        self.connected.set()

    def _on_disconnect(
        self, _c: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        self.connected.clear()
        log.warning("gateway disconnected from %s: %s", self.url, rc)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = repr(msg._topic)[:200]
        incoming = Incoming(topic, bytes(msg.payload), datetime.now(UTC))
        self._queue.put((incoming, msg.mid, msg.qos))

    def _run(self) -> None:
        last_expiry = 0.0
        while not self._stop.is_set():
            self.beat = time.monotonic()
            batch = self._take_batch()
            if batch:
                self._commit(batch)
            self.writer.metrics.queue.set(self._queue.qsize())
            if time.monotonic() - last_expiry > 1.0:
                last_expiry = time.monotonic()
                try:
                    self.writer.expire_heartbeats(datetime.now(UTC), self.heartbeat_grace)
                except Exception:
                    log.exception("heartbeat expiry check failed")

    def _take_batch(self) -> list[tuple[Incoming, int, int]]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.batch_max:
            try:
                batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def _commit(self, batch: list[tuple[Incoming, int, int]]) -> None:
        while not self._stop.is_set():
            try:
                settled = self.writer.store_batch([item for item, _, _ in batch])
                break
            except Exception:  # disk full, locked database…: keep the messages, retry
                log.exception("could not store a batch of %d messages; retrying", len(batch))
                self._stop.wait(1.0)
                self.beat = time.monotonic()  # retrying is alive: a restart would not help
        else:
            return  # stopping: not acknowledged, the broker will redeliver
        # Confirm to the nodes first, then acknowledge to the broker: paho sends its packets
        # in order, so a gateway killed between the two leaves the batch unacknowledged and
        # the broker redelivers it (stored once, confirmed again). The other way round, a kill
        # there lost the confirmation for good and the node waited `resend_after_s` (30 s)
        # to send those events again.
        self._confirm(settled)
        for _, mid, qos in batch:
            if qos > 0:
                self.client.ack(mid, qos)

    def _confirm(self, settled: Settled) -> None:
        """Tell each node which of its events are committed. Not retained: a node that is away
        misses it, re-sends those events when it is back, and hears about them again (the
        store keeps each id once). QoS 1 so that a gateway reconnect does not drop it."""
        now = datetime.now(UTC)
        for (site, node), seqs in settled.items():
            ranges = to_ranges(seqs)
            for start in range(0, len(ranges), MAX_RANGES):
                msg = Stored(seqs=ranges[start : start + MAX_RANGES], ts=now)
                self.client.publish(topics.stored(site, node), codec.encode(msg), qos=1)
            self.confirmed += len(set(seqs))


def _nodelay(_c: mqtt.Client, _u: object, sock: object) -> None:
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
