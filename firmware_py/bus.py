"""`MessageBus`: how the node agent talks MQTT. `PahoBus` is the only module that imports paho.

The bus reconnects by itself (1 s … 30 s backoff). QoS 1 publishes report the broker's PUBACK
through `on_acked(token)`; the outbox deletes an event only then.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import paho.mqtt.client as mqtt

from devices.contract.broker_url import BrokerUrl

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes], None]


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True)
class TlsFiles:
    ca_file: str
    cert_file: str | None = None
    key_file: str | None = None


class MessageBus(Protocol):
    on_connect: Callable[[], None] | None
    on_disconnect: Callable[[str], None] | None
    on_acked: Callable[[int], None] | None

    @property
    def connected(self) -> bool: ...

    def start(self) -> None:
        """Connect in the background and keep reconnecting until `close()`."""
        ...

    def close(self) -> None: ...

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> int:
        """Queue a message; returns a token passed to `on_acked` when a QoS 1 one is acked."""
        ...

    def subscribe(self, topic: str, handler: MessageHandler, qos: int = 1) -> None:
        """Subscribe now and after every reconnect."""
        ...


class PahoBus:
    """paho-mqtt 2.x adapter (MQTT 3.1.1, clean session: the outbox, not the broker, keeps
    unsent events; paho re-sends its unacknowledged QoS 1 messages after a reconnect)."""

    def __init__(
        self,
        url: BrokerUrl,
        *,
        client_id: str,
        will: Will | None = None,
        tls: TlsFiles | None = None,
        keepalive_s: int = 30,
        max_inflight: int = 100,
    ) -> None:
        self.on_connect: Callable[[], None] | None = None
        self.on_disconnect: Callable[[str], None] | None = None
        self.on_acked: Callable[[int], None] | None = None
        self._url = url
        self._keepalive = keepalive_s
        self._subs: dict[str, tuple[MessageHandler, int]] = {}
        self._connected = threading.Event()
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        if url.username:
            c.username_pw_set(url.username, url.password)
        if will:
            c.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        if tls or url.tls:
            c.tls_set(
                ca_certs=tls.ca_file if tls else None,
                certfile=tls.cert_file if tls else None,
                keyfile=tls.key_file if tls else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        c.reconnect_delay_set(min_delay=1, max_delay=30)
        c.max_inflight_messages_set(max_inflight)
        c.max_queued_messages_set(0)
        c.on_socket_open = self._on_socket_open
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        c.on_message = self._on_message
        self._client = c

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._client.connect_async(self._url.host, self._url.port, keepalive=self._keepalive)
        self._client.loop_start()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> int:
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return int(info.mid)

    def subscribe(self, topic: str, handler: MessageHandler, qos: int = 1) -> None:
        self._subs[topic] = (handler, qos)
        if self.connected:
            self._client.subscribe(topic, qos=qos)

    # paho callbacks (network thread) --------------------------------------------------------

    def _on_socket_open(self, _c: mqtt.Client, _u: object, sock: object) -> None:
        # paho leaves Nagle on: small QoS 1 publishes then wait ~40 ms for the delayed ACK.
        if isinstance(sock, socket.socket):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                log.debug("TCP_NODELAY not supported on this socket")

    def _on_connect(self, c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        if getattr(rc, "is_failure", False):
            log.warning("broker %s refused the connection: %s", self._url, rc)
            return
        self._connected.set()
        log.info("connected to %s", self._url)
        for topic, (_h, qos) in self._subs.items():
            c.subscribe(topic, qos=qos)
        if self.on_connect:
            self.on_connect()

    def _on_disconnect(
        self, _c: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was:
            log.warning("disconnected from %s: %s", self._url, rc)
        if self.on_disconnect:
            self.on_disconnect(str(rc))

    def _on_publish(self, _c: mqtt.Client, _u: object, mid: int, _rc: object, _p: object) -> None:
        # Called with paho's outgoing-message lock held: never block here.
        if self.on_acked:
            self.on_acked(mid)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        for pattern, (handler, _qos) in self._subs.items():
            if mqtt.topic_matches_sub(pattern, msg.topic):
                try:
                    handler(msg.topic, bytes(msg.payload))
                except Exception:  # a handler bug must not kill the network thread
                    log.exception("handler for %s failed", msg.topic)
