"""The test broker really enforces the project's ACLs (a node is confined to its topics)."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt

from tests.support.mosquitto import Broker


def _client(broker: Broker, user: str) -> mqtt.Client:
    return broker.client(user, f"t-{user}")


def test_node_publishes_own_topics_only(broker: Broker) -> None:
    broker.add_node("s1", "desk-1")
    got: list[str] = []
    seen = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        got.append(msg.topic)
        if msg.topic.endswith("/done"):
            seen.set()

    gw = _client(broker, "gateway")
    gw.on_message = on_message
    gw.subscribe("stationkit/v1/#", qos=1)[0]
    node = _client(broker, "s1.desk-1")
    try:
        import time

        time.sleep(0.3)
        node.publish("stationkit/v1/s1/desk-2/event/gate", b"{}", qos=1).wait_for_publish(5)
        node.publish("stationkit/v1/s1/desk-1/event/gate", b"{}", qos=1).wait_for_publish(5)
        gw.publish("stationkit/v1/s1/gateway/done", b"x", qos=1)
        assert seen.wait(5)
        assert "stationkit/v1/s1/desk-1/event/gate" in got
        assert "stationkit/v1/s1/desk-2/event/gate" not in got
    finally:
        node.loop_stop()
        gw.loop_stop()
