"""End to end over a real Mosquitto: node agent -> broker -> gateway -> API."""

from __future__ import annotations

import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from devices.contract import codec, topics
from firmware_py.sim import CheckSimulator, simulated_check
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway, node_agent

pytestmark = pytest.mark.broker


def _raw_client(broker: Broker, user: str) -> mqtt.Client:
    return broker.client(user, f"raw-{user}")


def test_check_reaches_the_api_in_under_a_second(broker: Broker, tmp_path: Path) -> None:
    with gateway(broker, tmp_path / "gw.db") as (_gw, api):
        agent = node_agent(broker, "s1", "desk-1", tmp_path / "outbox.db")
        agent.start()
        try:
            wait_for(lambda: agent.bus.connected, 10, "node connected")
            sent = time.monotonic()
            env = agent.emit("check", simulated_check(__import__("random").Random(3)))
            check_id = env.data.check_id  # type: ignore[union-attr]
            wait_for(lambda: api.get("/api/v1/checks")["items"], 5, "check stored")
            elapsed = time.monotonic() - sent
            assert elapsed < 1.0, f"check took {elapsed:.3f}s to reach the API"
            got = api.get(f"/api/v1/checks/{check_id}")
            assert got["outcome"] == env.data.outcome  # type: ignore[union-attr]
            assert got["event_id"] == env.id
            wait_for(lambda: agent.outbox.depth == 0, 5, "outbox drained after PUBACK")
            nodes = api.get("/api/v1/nodes")["items"]
            assert [(n["node"], n["state"], n["lost"]) for n in nodes] == [("desk-1", "online", 0)]
        finally:
            agent.stop()
        wait_for(
            lambda: api.get("/api/v1/nodes")["items"][0]["state"] == "offline",
            5,
            "node offline after shutdown",
        )


def test_same_event_three_times_is_stored_once(broker: Broker, tmp_path: Path) -> None:
    broker.add_node("s1", "desk-1")
    with gateway(broker, tmp_path / "gw.db") as (gw, api):
        env = codec.make_event(
            "temperature", site="s1", node="desk-1", seq=1, data={"celsius": 36.9}
        )
        c = _raw_client(broker, "s1.desk-1")
        for _ in range(3):
            c.publish(topics.event("s1", "desk-1", "temperature"), codec.encode(env), qos=1)
        wait_for(lambda: gw.metrics.duplicates._value.get() == 2, 5, "two duplicates counted")
        events = api.all("/api/v1/events")
        assert [e["id"] for e in events] == [env.id]
        c.loop_stop()


def test_bad_input_is_dead_lettered_while_good_traffic_flows(
    broker: Broker, tmp_path: Path
) -> None:
    broker.add_user("tester")
    with gateway(broker, tmp_path / "gw.db") as (_gw, api):
        c = _raw_client(broker, "tester")
        good = codec.make_event(
            "door", site="s1", node="n1", seq=1, data={"door": "front", "open": True}
        )
        base = "stationkit/v1/s1/n1"
        bad = [
            (f"{base}/event/door", b"{not json", "bad_json"),
            (f"{base}/event/door", b'{"v":1,"kind":"door","data":{}}', "bad_schema"),
            (
                f"{base}/event/teleport",
                codec.encode(good).replace(b'"door"', b'"teleport"', 1),
                "unknown_kind",
            ),
            (f"{base}/event/door", b"x" * (10 * 1024 * 1024), "too_large"),
            (f"{base}/sideways", b"{}", "bad_topic"),
            (f"{base}/event/gate", codec.encode(good), "topic_mismatch"),
        ]
        for topic, payload, _ in bad:
            c.publish(topic, payload, qos=1)
        c.publish(f"{base}/event/door", codec.encode(good), qos=1)
        wait_for(lambda: len(api.all("/api/v1/deadletters")) == len(bad), 10, "dead letters")
        reasons = sorted(d["reason"] for d in api.all("/api/v1/deadletters"))
        assert reasons == sorted(r for _, _, r in bad)
        wait_for(lambda: api.all("/api/v1/events"), 5, "good event stored")
        assert [e["id"] for e in api.all("/api/v1/events")] == [good.id]
        c.loop_stop()


def test_node_restart_delivers_outbox_in_order(broker: Broker, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.db"
    # A node whose broker is unreachable keeps everything on disk.
    offline = node_agent(broker, "s1", "desk-1", outbox, port=1)
    offline.start()
    ids = [offline.emit("door", {"door": "front", "open": i % 2 == 0}).id for i in range(30)]
    assert offline.outbox.depth == 30
    offline.stop()
    offline.outbox.close()
    with gateway(broker, tmp_path / "gw.db") as (_gw, api):
        agent = node_agent(broker, "s1", "desk-1", outbox)
        agent.start()
        try:
            wait_for(lambda: len(api.all("/api/v1/events")) == 30, 10, "30 events")
            stored = list(reversed(api.all("/api/v1/events")))  # API is newest first
            assert [e["id"] for e in stored] == ids
            assert [e["seq"] for e in stored] == list(range(1, 31))
            wait_for(lambda: agent.outbox.depth == 0, 5, "outbox empty")
            assert agent.emit("door", {"door": "front", "open": True}).seq == 31
        finally:
            agent.stop()


def test_broker_restart_mid_stream_loses_and_duplicates_nothing(
    broker: Broker, tmp_path: Path
) -> None:
    with gateway(broker, tmp_path / "gw.db") as (gw, api):
        agent = node_agent(
            broker,
            "s1",
            "desk-1",
            tmp_path / "outbox.db",
            apps=[CheckSimulator(checks_per_minute=1200, seed=7)],
        )
        agent.start()
        try:
            wait_for(lambda: len(api.all("/api/v1/checks")) >= 20, 15, "traffic flowing")
            broker.restart()
            wait_for(lambda: len(api.all("/api/v1/checks")) >= 60, 30, "traffic after restart")
        finally:
            agent.apps[0].stop()
            wait_for(lambda: agent.outbox.depth == 0, 20, "outbox drained")
            agent.stop()
        last_seq = agent.outbox._next_seq() - 1
        wait_for(lambda: len(api.all("/api/v1/events")) == last_seq, 10, "all events stored")
        seqs = sorted(e["seq"] for e in api.all("/api/v1/events"))
        assert seqs == list(range(1, last_seq + 1))
        assert api.get("/api/v1/nodes")["items"][0]["lost"] == 0
        assert gw.metrics.deadletters._metrics == {}


def test_media_is_stored_and_bad_media_dead_lettered(broker: Broker, tmp_path: Path) -> None:
    broker.add_node("s1", "cam-1")
    with gateway(broker, tmp_path / "gw.db") as (gw, api):
        c = _raw_client(broker, "s1.cam-1")
        event_id = codec.new_id()
        jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 2000 + b"\xff\xd9"
        # the snapshot may overtake its event (outbox): it waits for it, then is filed
        c.publish(topics.media("s1", "cam-1", event_id), jpeg, qos=1)
        event = codec.make_event(
            "motion",
            site="s1",
            node="cam-1",
            seq=1,
            data={"camera": "cam", "active": True, "snapshot": True},
            event_id=event_id,
        )
        c.publish(topics.event("s1", "cam-1", "motion"), codec.encode(event), qos=1)
        c.publish(topics.media("s1", "cam-1", codec.new_id()), b"not an image", qos=1)
        wait_for(lambda: gw.media.items(event_id), 5, "snapshot stored")
        assert gw.media.items(event_id)[0].size == len(jpeg)
        wait_for(lambda: api.all("/api/v1/deadletters"), 5, "bad media dead-lettered")
        c.loop_stop()


def test_command_from_the_api_reaches_the_node_and_its_ack_is_recorded(
    broker: Broker, tmp_path: Path
) -> None:
    with gateway(broker, tmp_path / "gw.db") as (_gw, api):
        agent = node_agent(broker, "s1", "desk-1", tmp_path / "outbox.db")
        agent.start()
        try:
            wait_for(lambda: agent.bus.connected, 10, "node connected")
            ids = {}
            for action in ("ping", "teleport"):
                r = api.client.post("/api/v1/nodes/s1/desk-1/commands", json={"action": action})
                assert r.status_code == 202
                ids[action] = r.json()["id"]

            def acked(action: str) -> dict[str, object]:
                return dict(api.get(f"/api/v1/nodes/s1/desk-1/commands/{ids[action]}"))

            wait_for(
                lambda: acked("ping")["acked_at"] and acked("teleport")["acked_at"],
                5,
                "acks recorded",
            )
            assert acked("ping")["ok"] is True
            assert acked("teleport")["ok"] is False
            assert "unknown action" in str(acked("teleport")["error"])
            assert acked("ping")["sent_by"] == "tests"
        finally:
            agent.stop()
