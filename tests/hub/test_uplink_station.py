"""The station side of the bureau link against a real Mosquitto: what the bridge would carry,
the durable cursor across a broker outage and a gateway restart, and bureau actions applied
once, with the bureau user as the actor, and refused when they may not apply."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import codec
from devices.contract.models import utc_now
from devices.contract.models.uplink import BureauAction
from devices.contract.uplink_topics import downlink
from gateway.service import Gateway
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import Api, gateway, node_agent, staff_report

pytestmark = pytest.mark.broker

UPLINK: dict[str, object] = {
    "enabled": True,
    "username": "gateway-uplink",
    "poll_s": 0.1,
    "resend_after_s": 0,
    "health_every_s": 3600,
}


def _uplink(broker: Broker) -> dict[str, object]:
    """UPLINK with its own broker account (the broker binds client ids to usernames)."""
    if "gateway-uplink" not in broker.users:
        broker.add_user("gateway-uplink")
    return {**UPLINK, "password": broker.users["gateway-uplink"]}


class Tap:
    """A client on the station broker, like the bridge: reads uplink, writes downlink."""

    def __init__(self, broker: Broker) -> None:
        broker.add_user("bridge-tap")
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id="tap",
            protocol=mqtt.MQTTv311,
            clean_session=False,  # like the bridge: what is published while away waits
        )
        c.username_pw_set("bridge-tap", broker.users["bridge-tap"])
        c.on_message = self._on
        c.on_connect = lambda c, *_: c.subscribe("stationkit/v1/+/gateway/uplink/#", qos=1)
        c.connect("127.0.0.1", broker.port)
        c.loop_start()
        self.client = c

    def _on(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.got.append((msg.topic, json.loads(msg.payload)))

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [d for t, d in self.got if t.endswith(f"/uplink/{kind}")]

    def act(self, action: BureauAction) -> None:
        info = self.client.publish(downlink(action.station, action.kind), codec.encode(action), 1)
        info.wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@contextmanager
def _station(
    broker: Broker, db: Path, outbox: Path, **uplink: Any
) -> Iterator[tuple[Gateway, Api]]:
    """A gateway with its uplink on (`uplink`: further settings) and one desk node agent."""
    with gateway(broker, db, uplink={**_uplink(broker), **uplink}) as (gw, api):
        agent = node_agent(broker, "s1", "desk-1", outbox)
        agent.start()
        try:
            yield gw, api
        finally:
            agent.stop()


def _history(db: Path, alert_id: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as c:
        return c.execute(
            "SELECT actor, action, detail FROM alert_history WHERE alert_id=? ORDER BY id",
            (alert_id,),
        ).fetchall()


def test_uplink_cursor_survives_outage_and_restart_and_downlink_applies_once(
    broker: Broker, tmp_path: Path
) -> None:
    db = tmp_path / "gw.db"
    tap = Tap(broker)
    try:
        with _station(broker, db, tmp_path / "outbox.db") as (gw, api):
            staff_report(
                gw,
                api,
                {
                    "site": "s1",
                    "category": "missing_person",
                    "description": "x",
                    "person": "Li",
                },
            )
            wait_for(lambda: tap.of("incident") and tap.of("alert"), 15, "uplink")
            (inc,) = tap.of("incident")
            (alert,) = tap.of("alert")
            assert inc["station"] == "s1" and inc["alert_id"] == alert["id"]
            assert alert["incident_id"] == inc["id"] and alert["state"] == "active"
            assert [h["action"] for h in alert["history"]] == ["raised"]
            wait_for(lambda: tap.of("daily_return") and tap.of("health"), 15, "summaries")
            # our own output is not an event: nothing dead-lettered at the station
            with sqlite3.connect(db) as c:
                assert c.execute("SELECT count(*) FROM deadletters").fetchone() == (0,)

            # the bureau acknowledges and comments (twice: a QoS 1 redelivery)
            ack = BureauAction(
                id=codec.new_id(),
                kind="acknowledge",
                station="s1",
                alert_id=alert["id"],
                by="officer-wang",
                at=utc_now(),
            )
            note = ack.model_copy(
                update={"id": codec.new_id(), "kind": "comment", "text": "请电话报告"}
            )
            for msg in (ack, note, ack, note):
                tap.act(msg)
            wait_for(lambda: len(_history(db, alert["id"])) == 3, 15, "bureau actions")
            assert _history(db, alert["id"])[1:] == [
                ("bureau:officer-wang", "acknowledged", ""),
                ("bureau:officer-wang", "commented", "请电话报告"),
            ]
            wait_for(lambda: tap.of("alert")[-1]["state"] == "acknowledged", 15, "ack uplinked")
            versions = [a["version"] for a in tap.of("alert")]
            assert versions == sorted(versions) and len(set(versions)) == len(versions)

            # not for this station, malformed, or not an incident alert: refused, no crash
            staff_report(gw, api, {"site": "s1", "category": "other", "description": "y"})
            tap.act(ack.model_copy(update={"id": codec.new_id(), "station": "s9"}))
            tap.client.publish(downlink("s1", "comment"), b"{not json", 1).wait_for_publish(5)
            wait_for(lambda: gw.uplink and gw.uplink.applier.rejected >= 2, 10, "refusals")
            assert len(_history(db, alert["id"])) == 3, "each action applied once"

            # broker away: an acknowledgement at the station waits in the cursor
            seen = len(tap.of("alert"))
            broker.stop()
            r = api.client.post(f"/api/v1/alerts/{alert['id']}/resolve")
            assert r.status_code == 200, r.text
            broker.start()
            wait_for(lambda: tap.client.is_connected(), 15, "tap back")
            wait_for(
                lambda: any(a["state"] == "resolved" for a in tap.of("alert")[seen:]),
                30,
                "the resolution published after the outage",
            )
        with sqlite3.connect(db) as c:
            cursor = dict(c.execute("SELECT name, value FROM uplink_cursor").fetchall())
            last = c.execute("SELECT max(id) FROM alert_history").fetchone()[0]
        assert cursor["alert_sent"] == last
        # restarted: nothing already sent goes out again (resend is off here)
        before = len(tap.of("alert")) + len(tap.of("incident"))
        with gateway(broker, db, uplink=_uplink(broker)) as (gw, _):
            wait_for(lambda: gw.uplink and gw.uplink.link.connected.is_set(), 10, "uplink")
            wait_for(lambda: tap.of("health")[-1:] and len(tap.of("health")) >= 2, 15, "pass")
            assert len(tap.of("alert")) + len(tap.of("incident")) == before
    finally:
        tap.close()


def test_every_change_is_sent_once_more_after_resend_after_s(
    broker: Broker, tmp_path: Path
) -> None:
    tap = Tap(broker)
    try:
        db, outbox = tmp_path / "gw.db", tmp_path / "outbox.db"
        with _station(broker, db, outbox, resend_after_s=1) as (gw, api):
            staff_report(
                gw,
                api,
                {"site": "s1", "category": "injury", "description": "fell", "person": "Zhang"},
            )
            wait_for(lambda: len(tap.of("incident")) == 2, 15, "the incident sent twice")
            first, again = tap.of("incident")
            assert first["id"] == again["id"] and first["version"] == again["version"]
            wait_for(lambda: len(tap.of("alert")) == 2, 15, "the alert sent twice")
            time.sleep(2)
            assert len(tap.of("incident")) == 2, "and only twice"
    finally:
        tap.close()
