"""An intake node's `progress` message (contract v1.2): the writer keeps the newest per node,
a late older copy does not roll it back, an empty retained message changes nothing, a bad
one is a dead letter, and the desk API shows what the node said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from devices.contract import codec, topics
from devices.contract.models import CheckProgress, IntakeProgress, Status
from gateway.api.app import create_app
from gateway.auth.tokens import create_token
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOPIC = topics.progress("s1", "desk-1")


def _msg(at: datetime, *waiting: str, check: str = "01JD3K9Z8Y7X6W5V4T3S2R1Q0A") -> Incoming:
    open_ = [CheckProgress(check_id=check, started_at=T0, waiting_for=list(waiting))]  # type: ignore[arg-type]
    body = codec.encode(IntakeProgress(at=at, open=open_))
    return Incoming(TOPIC, body, datetime.now(UTC))


def test_the_newest_word_of_the_node_is_kept_and_told(tmp_path: Path) -> None:
    writer = IngestWriter(open_store(tmp_path / "gw.db"))
    told: list[tuple[str, str]] = []
    writer.progress_listeners.append(lambda site, node: told.append((site, node)))
    writer.store_batch([_msg(T0, "wand", "temperature")])
    writer.store_batch([_msg(T0 + timedelta(seconds=5), "temperature")])
    writer.store_batch([_msg(T0 + timedelta(seconds=1), "wand")])  # a late, older copy
    writer.store_batch([Incoming(TOPIC, b"", datetime.now(UTC))])  # a cleared retained one
    (said,) = writer.db.execute("SELECT open FROM node_progress WHERE node='desk-1'").fetchone()
    assert '"waiting_for":["temperature"]' in said.replace(" ", "")
    assert told == [("s1", "desk-1"), ("s1", "desk-1")]
    writer.store_batch([Incoming(TOPIC, b'{"v": 1, "open": "nope"}', datetime.now(UTC))])
    (reason,) = writer.db.execute("SELECT reason FROM deadletters").fetchone()
    assert reason == "bad_schema" and len(told) == 2


def test_the_desk_api_lists_the_checks_the_node_holds_open(tmp_path: Path) -> None:
    db_path = tmp_path / "gw.db"
    writer = IngestWriter(open_store(db_path))
    status = Status(state="online", ts=datetime.now(UTC), version="t", devices={"gate-1": "ok"})  # type: ignore[arg-type]
    writer.store_batch([Incoming(topics.status("s1", "desk-1"), codec.encode(status), T0)])
    writer.store_batch([_msg(datetime.now(UTC), "core_temperature")])
    token = create_token(open_store(db_path), "desk-a", "desk")
    client = TestClient(create_app(db_path), headers={"Authorization": f"Bearer {token}"})
    [node] = client.get("/api/v1/desk/active").json()["nodes"]
    [check] = node["open"]
    assert check["waiting_for"] == ["core_temperature"] and check["core_needed"]
    # the node says the desk is idle: nothing in progress any more
    idle = IntakeProgress(at=datetime.now(UTC) + timedelta(seconds=1))
    writer.store_batch([Incoming(TOPIC, codec.encode(idle), datetime.now(UTC))])
    assert client.get("/api/v1/desk/active").json()["nodes"][0]["open"] == []
