"""The shipped bridge config between two real Mosquitto brokers (site -> bureau): alerts cross
at QoS 1, and alerts published while the bureau broker is down arrive once it is back."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.support.mosquitto import ROOT, Broker, gateway_broker
from tests.support.net import wait_for

pytestmark = pytest.mark.broker

BRIDGE_CONF = ROOT / "systemd" / "mosquitto" / "bridge-bureau.conf"
BUREAU_CONF = ROOT / "systemd" / "mosquitto" / "bureau-example.conf"
BUREAU_ACL = ROOT / "systemd" / "mosquitto" / "bureau-example.acl"
ALERT_TOPIC = "stationkit/v1/s1/gateway/alert"


def bridge_section(bureau_port: int, password: str) -> str:
    """The shipped bridge file with its CHANGE values filled in (and fast reconnects)."""
    values = {
        "address": f"127.0.0.1:{bureau_port}",
        "remote_clientid": "stationkit-bridge-s1",
        "remote_username": "site-s1",
        "remote_password": password,
        "restart_timeout": "1",  # constant 1 s instead of 5..60 s backoff: keeps the test short
        "keepalive_interval": "5",
    }
    out = []
    for line in BRIDGE_CONF.read_text().splitlines():
        key = line.split(" ", 1)[0]
        out.append(f"{key} {values[key]}" if key in values else line)
    return "\n".join(out)


class Subscriber:
    """The bureau's application: persistent session, QoS 1, reconnects by itself."""

    def __init__(self, port: int, password: str) -> None:
        self.got: list[dict[str, object]] = []
        self.states: list[bytes] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="bureau-app", clean_session=False
        )
        self.client.username_pw_set("bureau-app", password)
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, *_: object) -> None:
        client.subscribe(
            [("stationkit/v1/+/gateway/alert", 1), ("$SYS/broker/connection/+/state", 1)]
        )

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            if msg.topic.startswith("$SYS"):
                self.states.append(msg.payload)
            else:
                self.got.append(json.loads(msg.payload))

    def numbers(self) -> list[int]:
        with self.lock:
            return [int(str(d["n"])) for d in self.got]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def brokers(tmp_path: Path) -> Iterator[tuple[Broker, Broker, Subscriber]]:
    bureau = Broker(tmp_path / "bureau", base_conf=BUREAU_CONF, acl_text=BUREAU_ACL.read_text())
    bureau.workdir.mkdir()
    bridge_password = bureau.add_user("site-s1")
    app_password = bureau.add_user("bureau-app")
    bureau.start()
    bridge = bridge_section(bureau.port, bridge_password)
    try:
        with gateway_broker(tmp_path / "site", extra_conf=bridge) as site:
            sub = Subscriber(bureau.port, app_password)
            try:
                yield site, bureau, sub
            finally:
                sub.close()
    finally:
        bureau.stop()


@pytest.fixture
def gw(brokers: tuple[Broker, Broker, Subscriber]) -> Iterator[mqtt.Client]:
    """The site gateway's connection, once the bridge is up (its retained state "1" reached
    the bureau application)."""
    site, _bureau, sub = brokers
    client = site.client("gateway", "gw-test")
    try:
        wait_for(lambda: b"1" in sub.states, 15, "bridge state 1 at the bureau")
        yield client
    finally:
        client.loop_stop()
        client.disconnect()


def publish_alerts(client: mqtt.Client, numbers: range) -> None:
    infos = [
        client.publish(ALERT_TOPIC, json.dumps({"n": n, "site": "s1"}), qos=1) for n in numbers
    ]
    for info in infos:
        info.wait_for_publish(5)
        assert info.is_published()


def test_alerts_cross_the_bridge_and_survive_a_bureau_outage(
    brokers: tuple[Broker, Broker, Subscriber], gw: mqtt.Client
) -> None:
    _site, bureau, sub = brokers
    publish_alerts(gw, range(0, 20))
    wait_for(lambda: sorted(sub.numbers()) == list(range(20)), 10, "20 alerts at the bureau")

    # the link goes down: the bureau broker stops (it saves its sessions)
    bureau.stop()
    publish_alerts(gw, range(20, 120))  # accepted by the site broker, queued for the bridge
    bureau.start()  # same port, same persistence file

    wait_for(lambda: len(set(sub.numbers())) == 120, 30, "all 120 alerts after the outage")
    assert sorted(set(sub.numbers())) == list(range(120))


def test_bureau_acl_confines_a_site_bridge_to_its_own_site(
    brokers: tuple[Broker, Broker, Subscriber], gw: mqtt.Client
) -> None:
    """A site that publishes another site's alert topic locally does not get it to the bureau."""
    _site, _bureau, sub = brokers
    for topic, n in (("stationkit/v1/s2/gateway/alert", 1), (ALERT_TOPIC, 2)):
        gw.publish(topic, json.dumps({"n": n}), qos=1).wait_for_publish(5)
    wait_for(lambda: 2 in sub.numbers(), 10, "own-site alert")
    assert sub.numbers() == [2]
