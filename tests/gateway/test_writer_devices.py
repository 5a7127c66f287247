"""A node's device states reach the dashboard when they change, even with no event of their
own (a device turning ok after the node's first status said "unknown"): the writer tells its
`devices_listeners` once per change, after the commit, and not for every heartbeat."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from devices.contract import codec, topics
from devices.contract.models import Heartbeat, Status
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store


def _hb(devices: dict[str, str]) -> Incoming:
    hb = Heartbeat(ts=datetime.now(UTC), uptime_s=1.0, outbox=0, devices=devices)  # type: ignore[arg-type]
    return Incoming(topics.heartbeat("s1", "desk-1"), codec.encode(hb), datetime.now(UTC))


def test_a_device_state_change_is_told_once_and_a_repeat_is_not(tmp_path: Path) -> None:
    writer = IngestWriter(open_store(tmp_path / "gw.db"))
    told: list[tuple[str, str, dict[str, str]]] = []
    writer.devices_listeners.append(lambda site, node, devices: told.append((site, node, devices)))
    status = Status(
        state="online", ts=datetime.now(UTC), version="t", devices={"thermo-1": "unknown"}
    )  # type: ignore[arg-type]
    writer.store_batch(
        [Incoming(topics.status("s1", "desk-1"), codec.encode(status), datetime.now(UTC))]
    )
    assert told == [("s1", "desk-1", {"thermo-1": "unknown"})]
    writer.store_batch([_hb({"thermo-1": "ok"}), _hb({"thermo-1": "ok"})])
    assert told[1:] == [("s1", "desk-1", {"thermo-1": "ok"})]
    writer.store_batch([_hb({"thermo-1": "ok"})])  # every heartbeat the same: nothing more
    assert len(told) == 2
    row = writer.db.execute("SELECT devices FROM nodes WHERE node='desk-1'").fetchone()
    assert row[0] == '{"thermo-1": "ok"}'


def test_a_camera_nodes_last_frame_comes_from_its_heartbeat_in_the_gateways_clock(
    tmp_path: Path,
) -> None:
    """Issue 14, finding 6: the heartbeat says when each camera's last frame was analysed;
    the gateway keeps it on its own clock (a node clock 2 hours fast changes nothing), and the
    camera wall's "last frame" follows it, not the last snapshot event."""
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from gateway.api.app import create_app
    from gateway.auth.tokens import create_token

    writer = IngestWriter(open_store(tmp_path / "gw.db"))
    arrived = datetime.now(UTC)
    node_now = arrived + timedelta(hours=2)  # the node's clock is wrong
    hb = Heartbeat(
        ts=node_now, uptime_s=5.0, outbox=0, devices={"room-1": "ok"},
        frames={"room-1": node_now - timedelta(seconds=3)},
    )  # type: ignore[arg-type]  # fmt: skip
    writer.store_batch([Incoming(topics.heartbeat("home-1", "cam-1"), codec.encode(hb), arrived)])
    (frames,) = writer.db.execute("SELECT frames FROM nodes WHERE node='cam-1'").fetchone()
    at = datetime.fromisoformat(json.loads(frames)["room-1"].replace("Z", "+00:00"))
    assert abs((arrived - at).total_seconds() - 3) < 0.01
    # a camera known from an old event: the wall shows the heartbeat's frame, seconds old
    old = codec.make_event("camera", site="home-1", node="cam-1", seq=1,
                           data={"camera": "room-1", "state": "online"},
                           ts=arrived - timedelta(hours=5), device="room-1")  # fmt: skip
    writer.store_batch([Incoming(topics.event("home-1", "cam-1", "camera"), codec.encode(old),
                                 arrived)])  # fmt: skip
    token = create_token(writer.db, "sup", "supervisor")
    client = TestClient(create_app(tmp_path / "gw.db"))
    got = client.get("/api/v1/cameras", headers={"Authorization": f"Bearer {token}"})
    [cam] = got.json()["items"]
    assert cam["last_frame_age_s"] < 60, cam
