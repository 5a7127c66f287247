"""The bureau's NATS accounts (`gateway/hub/nats_accounts.py`): a station's bridge account
carries its uplink and its downlink and cannot write another station's uplink."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import codec
from devices.contract.models import utc_now
from devices.contract.uplink_topics import uplink
from gateway.hub.nats_accounts import render_authorization
from tests.hub.support import hub_rows, hub_worker, station
from tests.support.nats import NatsCluster
from tests.support.net import wait_for
from tests.support.postgres import Postgres
from tests.support.uplink import health_summary

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PASSWORDS = {"s1": "pw-s1-0123456789", "s2": "pw-s2-0123456789"}
HUB = ("hub", "pw-hub-0123456789")


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[NatsCluster]:
    c = NatsCluster(tmp_path / "nats", 1, extra_conf=render_authorization(HUB[1], PASSWORDS))
    c.start()
    saved = dict(os.environ)
    try:
        yield c
    finally:
        c.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_station_accounts_carry_their_own_link_only(
    tmp_path: Path, pg: Postgres, secured: NatsCluster
) -> None:
    w = hub_worker("w1", secured, pg.dsn, tmp_path, http=True, replicas=1, account=HUB)
    w.start()
    try:
        with station("s1", tmp_path, secured, account=("station-s1", PASSWORDS["s1"])) as s1:
            s1.raise_incident()
            wait_for(
                lambda: hub_rows(pg.dsn, "SELECT count(*) FROM incidents")[0][0] == 1,
                60,
                "s1's incident through its own account",
            )
            # s1's account publishing as s2: refused by NATS, nothing stored for s2
            c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="rogue", protocol=mqtt.MQTTv311)
            c.username_pw_set("station-s1", PASSWORDS["s1"])
            c.connect("127.0.0.1", secured.nodes[0].mqtt_port)
            c.loop_start()
            forged = health_summary("s2", 1, utc_now())
            c.publish(uplink("s2", "health"), codec.encode(forged), qos=1)
            time.sleep(3)
            c.loop_stop()
            c.disconnect()
            assert hub_rows(pg.dsn, "SELECT count(*) FROM health WHERE station='s2'")[0][0] == 0
            # the hub's downlink reaches s1 through the hub account
            from gateway.hub import downlink, store

            alert_id = hub_rows(pg.dsn, "SELECT alert_id FROM incidents")[0][0]
            with store.connect(pg.dsn) as conn:
                downlink.enqueue(conn, "s1", alert_id, "acknowledge", "officer-zhao", None)
                conn.commit()
            wait_for(
                lambda: (
                    s1.rows("SELECT state, changed_by FROM alerts WHERE id=?", (alert_id,))[0]
                    == ("acknowledged", "bureau:officer-zhao")
                ),
                60,
                "the downlink through the hub account",
            )
    finally:
        w.stop()
