"""The bureau's hub end to end on one machine: 3 station stacks (Mosquitto with the bridge
`stationkit provision` writes, gateway with the uplink on, a desk node) bridged over MQTT 3.1.1
into a 3-node NATS cluster with JetStream, 2 hub workers, a PostgreSQL started here.

During the traffic one NATS node is killed, one hub worker is killed, and one station's bridge
link is cut, each for a minute; afterwards every incident and alert raised at the stations is
at the hub exactly once (counted by id) with the station's latest version, and a bureau
acknowledgement made through the hub's API reaches the station's gateway, even one made while
that station's link was down.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.hub.schema import MIGRATIONS
from tests.hub.support import Station, hub_rows, hub_worker, station
from tests.support.nats import NatsCluster
from tests.support.net import wait_for
from tests.support.postgres import Postgres

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.timeout(600)]

SITES = ("s1", "s2", "s3")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    c = NatsCluster(tmp_path / "nats", 3)
    c.start()
    try:
        yield c
    finally:
        c.stop()


def station_ids(st: Station, table: str) -> dict[str, int]:
    """{record id: version} as the station's uplink computes it (latest history id)."""
    hist, key = (
        ("alert_history", "alert_id") if table == "alerts" else ("incident_history", "incident_id")
    )
    return {
        rid: int(v or 0)
        for rid, v in st.rows(
            f"SELECT t.id, (SELECT max(h.id) FROM {hist} h WHERE h.{key} = t.id) FROM {table} t"
        )
    }


def hub_ids(dsn: str, table: str, site: str) -> dict[str, int]:
    rows = hub_rows(dsn, f"SELECT id, version FROM {table} WHERE station=%s", (site,))
    return dict(rows)  # type: ignore[arg-type]


def login(base: str, dsn: str, username: str) -> tuple[httpx.Client, str]:
    from gateway.hub import store
    from gateway.hub.users import add_user

    with store.connect(dsn) as conn:
        add_user(conn, username, "officer", "correct horse battery")
    c = httpx.Client(base_url=base, timeout=10)
    r = c.post("/api/hub/login", json={"username": username, "password": "correct horse battery"})
    r.raise_for_status()
    return c, r.json()["csrf"]


def test_three_stations_through_a_failing_cluster_lose_and_duplicate_nothing(
    tmp_path: Path, pg: Postgres, cluster: NatsCluster
) -> None:
    w1 = hub_worker("w1", cluster, pg.dsn, tmp_path, http=True, replicas=3)
    w2 = hub_worker("w2", cluster, pg.dsn, tmp_path, http=False, replicas=3)
    with ExitStack() as stack:
        w1.start()
        stack.callback(w1.stop)
        wait_for(
            lambda: (
                hub_rows(pg.dsn, "SELECT count(*) FROM hub_migrations")[0][0] == len(MIGRATIONS)
            ),
            30,
            "hub schema",
        )
        w2.start()
        stack.callback(w2.stop)
        stations = [
            stack.enter_context(station(s, tmp_path, cluster, via_proxy=(s == "s3"))) for s in SITES
        ]
        s3 = stations[2]
        for st in stations:  # warm-up: the bridge hop and the stream carry one each
            st.raise_incident()
        wait_for(
            lambda: hub_rows(pg.dsn, "SELECT count(*) FROM incidents")[0][0] == 3,
            60,
            "the first incident of each station at the hub",
        )
        # One incident per station every 0.5 s for 90 s; each fault lasts a minute, overlapping.
        rounds = 180
        for r in range(rounds):
            if r == 10:
                s3.link_down()  # the station's bridge link
            if r == 20:
                cluster.nodes[0].kill()  # the node every bridge is first connected to
            if r == 30:
                w2.kill()  # a worker, in the middle of its batches
            if r == 130:
                s3.link_up()
            if r == 140:
                cluster.nodes[0].start()
            if r == 150:
                w2.start()
            for st in stations:
                st.raise_incident()
            time.sleep(0.5)
        # a bureau acknowledgement while s3's link is down again reaches it when it is back
        client, csrf = login(f"http://127.0.0.1:{w1.http_port}", pg.dsn, "officer-wang")
        stack.callback(client.close)
        target = hub_rows(
            pg.dsn, "SELECT alert_id FROM incidents WHERE station='s3' ORDER BY opened_at LIMIT 1"
        )[0][0]
        s3.link_down()
        r = client.post(f"/api/hub/alerts/s3/{target}/ack", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        r = client.post(
            f"/api/hub/alerts/s3/{target}/comment",
            json={"text": "区局已知悉，请电话报告"},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 200, r.text
        time.sleep(3)
        assert s3.rows("SELECT state FROM alerts WHERE id=?", (target,))[0][0] == "active"
        s3.link_up()

        raised = rounds + 1
        for st in stations:
            wait_for(
                lambda st=st: len(station_ids(st, "incidents")) == raised,
                60,
                f"{st.site} stored all its incidents",
            )

        def caught_up() -> bool:
            return all(
                hub_ids(pg.dsn, t, st.site) == station_ids(st, t)
                for st in stations
                for t in ("incidents", "alerts")
            )

        wait_for(caught_up, 120, "every station's incidents and alerts at the hub, latest version")
        for st in stations:
            ids = hub_rows(pg.dsn, "SELECT id FROM incidents WHERE station=%s", (st.site,))
            assert len(ids) == len({i for (i,) in ids}) == raised
        total = hub_rows(pg.dsn, "SELECT count(*), count(DISTINCT (station, id)) FROM incidents")
        assert total[0] == (3 * raised, 3 * raised)
        assert hub_rows(pg.dsn, "SELECT count(*) FROM deadletters")[0][0] == 0

        def history() -> list[tuple[Any, ...]]:
            return s3.rows(
                "SELECT actor, action, detail FROM alert_history WHERE alert_id=? ORDER BY id",
                (target,),
            )

        wait_for(lambda: len(history()) == 3, 60, "the bureau's actions at the station")
        # each action kind has its own downlink topic, and MQTT keeps order per topic only:
        # after the outage the two may be applied in either order (each carries its hub time)
        assert sorted(history()[1:]) == [
            ("bureau:officer-wang", "acknowledged", ""),
            ("bureau:officer-wang", "commented", "区局已知悉，请电话报告"),
        ]
        wait_for(
            lambda: (
                hub_rows(
                    pg.dsn,
                    "SELECT state, changed_by FROM alerts WHERE station='s3' AND id=%s",
                    (target,),
                )[0]
                == ("acknowledged", "bureau:officer-wang")
            ),
            60,
            "the acknowledgement back at the hub through the uplink",
        )
        # the statistics return and the health summary arrived too
        assert hub_rows(pg.dsn, "SELECT count(DISTINCT station) FROM health")[0][0] == 3
        assert hub_rows(pg.dsn, "SELECT count(DISTINCT station) FROM daily_returns")[0][0] == 3
