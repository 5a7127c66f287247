"""The uplink's own MQTT client on the station broker (the only module here importing paho).

A persistent session (clean_session false, a stable client id) so that bureau actions arriving
over the bridge while the gateway is down wait in the station broker; manual acknowledgement, so
an action is acknowledged only after it has been applied to the station's alert tables.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract.broker_url import BrokerUrl
from devices.contract.uplink_topics import DOWNLINK_FILTER

log = logging.getLogger(__name__)

#: (topic, payload) -> True to acknowledge the message, False to have it redelivered later
OnAction = Callable[[str, bytes], bool]


class UplinkLink:
    def __init__(self, url: BrokerUrl, client_id: str, on_action: OnAction) -> None:
        self.url = url
        self.on_action = on_action
        self.connected = threading.Event()
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if url.username:
            c.username_pw_set(url.username, url.password)
        if url.tls:
            c.tls_set()
        c.max_inflight_messages_set(100)
        c.reconnect_delay_set(1, 10)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        self.client = c

    def start(self) -> None:
        self.client.connect_async(self.url.host, self.url.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        if getattr(rc, "is_failure", False):
            log.error("station broker %s refused the uplink: %s", self.url, rc)
            return
        c.subscribe(DOWNLINK_FILTER, qos=1)
        self.connected.set()

    def _on_disconnect(
        self, _c: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        self.connected.clear()
        log.warning("uplink disconnected from %s: %s", self.url, rc)

    def _on_message(self, c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            done = self.on_action(msg.topic, bytes(msg.payload))
        except Exception:  # an unexpected failure: leave it unacknowledged, it comes back
            log.exception("bureau action on %s failed; it will be redelivered", msg.topic)
            done = False
        if done:
            c.ack(msg.mid, msg.qos)

    def publish(self, topic: str, payload: bytes, timeout_s: float) -> bool:
        """QoS 1; True once the station broker has acknowledged (then the bridge owns it)."""
        if not self.connected.is_set():
            return False
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        try:
            info.wait_for_publish(timeout_s)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()
