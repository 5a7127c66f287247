"""What one provisioned node can make the gateway store (issue 13, findings 5 and 6), against
a real Mosquitto with the project's config and the real gateway.

Before: a camera node filed a staff "missing person" report and opened an incident; a
year-9999 timestamp was stored; an event dated 1976 opened an incident already overdue; one
seq jump set a node's lost counter to 1,030,826,993; media was stored for made-up event ids
(480 MiB in 2.5 s); one node's uploads evicted all of another node's snapshots; dead letters
grew the database 63 MiB in about a second; retained media was stored again at each
gateway reconnect."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from devices.contract import codec, topics
from gateway.service import Gateway
from gateway.store.db import connect
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import Api, gateway


@contextmanager
def node(broker: Broker, site: str, name: str) -> Iterator[mqtt.Client]:
    """A provisioned node's own MQTT login, publishing whatever a hostile node would."""
    user = f"{site}.{name}"
    if user not in broker.users:
        broker.add_node(site, name)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=user)
    c.username_pw_set(user, broker.users[user])
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    try:
        yield c
    finally:
        c.disconnect()
        c.loop_stop()


def _send(c: mqtt.Client, topic: str, payload: bytes, retain: bool = False) -> None:
    c.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)


def _event(site: str, name: str, kind: str, seq: int, data: dict[str, Any], **kw: Any) -> Any:
    return codec.make_event(kind, site=site, node=name, seq=seq, data=data, **kw)


def _emit(c: mqtt.Client, ev: Any) -> None:
    _send(c, topics.event(ev.site, ev.node, ev.kind), codec.encode(ev))


def _jpeg(tag: int, size: int = 2000) -> bytes:
    body = (f"{tag:08d}".encode() * (size // 8 + 1))[:size]
    return b"\xff\xd8\xff\xe0" + body + b"\xff\xd9"


def _row(gw: Gateway, sql: str, *args: Any) -> Any:
    db = connect(gw.settings.db)  # our own reader, not the ingest thread's connection
    try:
        return db.execute(sql, args).fetchone() or (None,)
    finally:
        db.conn.close()


def _deadletters(api: Api, reason: str) -> list[dict[str, Any]]:
    return [d for d in api.all("/api/v1/deadletters") if d["reason"] == reason]


def test_a_node_cannot_file_a_staff_report(broker: Broker, tmp_path: Path) -> None:
    with gateway(broker, tmp_path / "gw.db") as (gw, api), node(broker, "s1", "cam-1") as cam:
        forged = _event(
            "s1",
            "cam-1",
            "manual",
            1,
            {"category": "missing_person", "description": "x", "reporter": "Officer Wang"},
        )
        _emit(cam, forged)
        wait_for(lambda: _deadletters(api, "manual_from_node"), 10, "refused report")
        assert _row(gw, "SELECT count(*) FROM events WHERE id=?", forged.id) == (0,)
        assert api.get("/api/v1/incidents")["items"] == []
        # the dashboard's own path still files reports
        r = api.client.post(
            "/api/v1/manual-reports",
            json={"site": "s1", "category": "missing_person", "description": "not at roll call"},
        )
        assert r.status_code == 201 and r.json()["incident"] is not None


def test_unbelievable_node_times_are_stored_with_the_gateway_time_and_flagged(
    broker: Broker, tmp_path: Path
) -> None:
    with gateway(broker, tmp_path / "gw.db") as (gw, api), node(broker, "s1", "cam-1") as cam:
        future = _event(
            "s1",
            "cam-1",
            "camera",
            1,
            {"camera": "c", "state": "online"},
            ts=datetime(9999, 1, 1, tzinfo=UTC),
        )
        # a night exit dated 1976 (a Pi that booted without its clock): a real incident, but
        # not one whose report deadlines passed fifty years ago
        old = _event(
            "s1",
            "cam-1",
            "line_cross",
            2,
            {"camera": "c", "line": "door", "direction": "out", "night": True},
            ts=datetime(1976, 5, 1, tzinfo=UTC),
        )
        before = datetime.now(UTC).replace(microsecond=0)  # the store keeps milliseconds
        _emit(cam, future)
        _emit(cam, old)
        wait_for(lambda: api.get("/api/v1/incidents")["items"], 10, "incident from the exit")
        after = datetime.now(UTC)
        for ev, flag, claimed in ((future, "ahead", "9999-"), (old, "stale", "1976-")):
            ts, got_flag, node_ts = _row(
                gw, "SELECT ts, clock_flag, node_ts FROM events WHERE id=?", ev.id
            )
            stored = datetime.fromisoformat(ts.replace("Z", "+00:00"))
            assert before <= stored <= after and got_flag == flag and node_ts.startswith(claimed)
        (incident,) = api.get("/api/v1/incidents")["items"]
        assert incident["overdue"] == []
        assert incident["opened_at"] >= before.isoformat()[:19]


def test_a_seq_jump_is_a_node_reset_not_a_billion_lost(broker: Broker, tmp_path: Path) -> None:
    with gateway(broker, tmp_path / "gw.db") as (gw, api), node(broker, "s1", "desk-1") as desk:
        data = {"camera": "c", "state": "online"}
        for seq in (1, 2, 4):  # seq 3 really lost
            _emit(desk, _event("s1", "desk-1", "camera", seq, data))
        for seq in (1_030_827_000, 1_030_827_001):
            _emit(desk, _event("s1", "desk-1", "camera", seq, data))
        wait_for(lambda: _row(gw, "SELECT count(*) FROM events")[0] == 5, 10, "all stored")
        (row,) = api.get("/api/v1/nodes")["items"]
    assert row["lost"] == 1 and row["seq_resets"] == 1


def test_dead_letters_are_budgeted_per_node(broker: Broker, tmp_path: Path) -> None:
    budget = 256 * 1024
    with (
        gateway(broker, tmp_path / "gw.db", ingest={"deadletter_budget_bytes": budget}) as (
            gw,
            api,
        ),
        node(broker, "s1", "bad") as bad,
        node(broker, "s1", "good") as good,
    ):
        junk = b"{" * 60_000
        for _ in range(40):  # 2.4 MB of junk
            _send(bad, topics.event("s1", "bad", "check"), junk)
        _send(good, topics.event("s1", "good", "check"), b"not json")
        wait_for(
            lambda: _row(gw, "SELECT count(*) FROM deadletters WHERE source='s1/good'")[0],
            10,
            "the other node's dead letter",
        )
        metrics = api.client.get("/metrics").text
        stored = _row(
            gw, "SELECT sum(length(payload)), count(*) FROM deadletters WHERE source='s1/bad'"
        )
        marker = _deadletters(api, "deadletter_budget")
    assert stored[0] <= budget and stored[1] >= 3
    assert len(marker) == 1 and "s1/bad" in marker[0]["detail"]
    counted = [
        ln
        for ln in metrics.splitlines()
        if ln.startswith("stationkit_deadletters_not_stored_total")
    ]
    assert sum(float(ln.split()[-1]) for ln in counted) == 40 - (stored[1] - 1)


def test_media_only_for_the_nodes_own_events(broker: Broker, tmp_path: Path) -> None:
    media = {"pending_max_node_bytes": 1024 * 1024}
    with (
        gateway(broker, tmp_path / "gw.db", media=media) as (gw, api),
        node(broker, "s1", "cam-1") as cam,
        node(broker, "s1", "cam-2") as other,
    ):
        # made-up event ids: parked up to the node's small waiting budget, the rest refused
        for i in range(40):
            _send(cam, topics.media("s1", "cam-1", codec.new_id()), _jpeg(i, 100_000))
        wait_for(lambda: len(_deadletters(api, "pending_budget")) >= 29, 10, "refused")
        assert gw.media.total_bytes == 0
        assert gw.media.pending.node_bytes("s1", "cam-1") <= 1024 * 1024
        # media for another node's event is refused
        ev = _event("s1", "cam-2", "camera", 1, {"camera": "c", "state": "online"})
        _emit(other, ev)
        _send(cam, topics.media("s1", "cam-1", ev.id), _jpeg(99))
        wait_for(lambda: _deadletters(api, "media_not_yours"), 10, "foreign media refused")
        assert gw.media.items(ev.id) == []
        # a real snapshot that overtook its event is filed when the event arrives
        snap = _event("s1", "cam-2", "camera", 2, {"camera": "c", "state": "online"})
        _send(other, topics.media("s1", "cam-2", snap.id), _jpeg(7))
        _emit(other, snap)
        wait_for(lambda: gw.media.items(snap.id), 10, "parked snapshot filed")


def test_one_nodes_flood_cannot_evict_another_nodes_snapshots(
    broker: Broker, tmp_path: Path
) -> None:
    mib = 1024 * 1024
    media = {"max_total_bytes": 4 * mib, "max_node_bytes": 2 * mib}
    with (
        gateway(broker, tmp_path / "gw.db", media=media) as (gw, _api),
        node(broker, "s1", "victim") as victim,
        node(broker, "s1", "flood") as flood,
    ):
        kept = []
        for i in range(3):
            ev = _event("s1", "victim", "camera", i + 1, {"camera": "c", "state": "online"})
            _emit(victim, ev)
            _send(victim, topics.media("s1", "victim", ev.id), _jpeg(i, 300_000))
            kept.append(ev.id)
        wait_for(lambda: all(gw.media.items(e) for e in kept), 10, "victim's snapshots")
        for i in range(60):  # 12 MB of its own events' snapshots
            ev = _event("s1", "flood", "camera", i + 1, {"camera": "c", "state": "online"})
            _emit(flood, ev)
            _send(flood, topics.media("s1", "flood", ev.id), _jpeg(1000 + i, 200_000))
        wait_for(
            lambda: _row(gw, "SELECT count(*) FROM events WHERE node='flood'")[0] == 60,
            20,
            "flood stored",
        )
        wait_for(lambda: gw.subscriber.backlog == 0, 10, "ingest idle")
        assert all(gw.media.items(e) for e in kept), "a snapshot of the victim was evicted"
        assert gw.media.node_bytes("s1", "flood") <= 2 * mib
        assert gw.media.total_bytes <= 4 * mib


def test_retained_media_is_stored_once(broker: Broker, tmp_path: Path) -> None:
    db = tmp_path / "gw.db"
    with node(broker, "s1", "cam-1") as cam:
        ev = _event("s1", "cam-1", "camera", 1, {"camera": "c", "state": "online"})
        with gateway(broker, db) as (gw, _api):
            _emit(cam, ev)
            _send(cam, topics.media("s1", "cam-1", ev.id), _jpeg(5), retain=True)
            wait_for(lambda: gw.media.items(ev.id), 10, "snapshot stored")
        for _ in range(2):  # two reconnects: the broker re-delivers the retained message
            with gateway(broker, db) as (gw, api):
                wait_for(lambda: gw.media.rejected.get("duplicate", 0) >= 1, 10, "re-delivered")
                assert len(gw.media.items(ev.id)) == 1
                assert api.all("/api/v1/deadletters") == []
        _send(cam, topics.media("s1", "cam-1", ev.id), b"", retain=True)  # clear it
