"""A node's device states reach the dashboard when they change, even with no event of their
own (a device turning ok after the node's first status said "unknown"): the writer tells its
`devices_listeners` once per change, after the commit, and not for every heartbeat."""

from __future__ import annotations

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
