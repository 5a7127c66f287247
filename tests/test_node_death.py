"""A foster-home Pi that dies (power cut: SIGKILL, no goodbye) or goes silent is marked offline
by the gateway, and a node_offline alert follows; a node that only misses a heartbeat or two
stays online."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devices.contract import codec, topics
from devices.contract.models import Heartbeat
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway, node_config

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_silent_node_is_marked_offline_after_three_heartbeats(tmp_path: Path) -> None:
    db = open_store(tmp_path / "gw.db")
    writer = IngestWriter(db)
    changes: list[tuple[str, str, str, str]] = []
    writer.node_listeners.append(lambda s, n, st, why, at: changes.append((s, n, st, why)))
    beat = Heartbeat(ts=T0, uptime_s=1, outbox=0, dropped=0, interval_s=15, devices={})
    writer.store_batch([Incoming(topics.heartbeat("s1", "home-7"), codec.encode(beat), T0)])
    writer.expire_heartbeats(T0 + timedelta(seconds=44), grace=3)  # two beats missed: fine
    assert db.execute("SELECT state FROM nodes").fetchone() == ("online",)
    writer.expire_heartbeats(T0 + timedelta(seconds=46), grace=3)
    assert db.execute("SELECT state, state_reason FROM nodes").fetchone() == (
        "offline",
        "heartbeat expired",
    )
    assert changes[-1] == ("s1", "home-7", "offline", "heartbeat expired")


@pytest.mark.broker
def test_a_killed_node_goes_offline_by_its_last_will_and_raises_an_alert(
    broker: Broker, tmp_path: Path
) -> None:
    config = node_config(broker, "s1", "home-7", tmp_path, "[heartbeat]\ninterval_s = 5\n")
    alerts = {"rules": {"node_offline": {"debounce_s": 1}}}
    with gateway(broker, tmp_path / "gw.db", alerts=alerts) as (_gw, api):
        node = subprocess.Popen(
            [sys.executable, "-m", "firmware_py.cli", "node", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(
                lambda: [n["state"] for n in api.get("/api/v1/nodes")["items"]] == ["online"],
                20,
                "node online",
            )
            node.send_signal(signal.SIGKILL)  # the power cut: no offline status sent
            node.wait(5)
            t0 = time.monotonic()
            wait_for(
                lambda: api.get("/api/v1/nodes")["items"][0]["state"] == "offline",
                15,
                "node offline by its last will",
            )
            assert api.get("/api/v1/nodes")["items"][0]["state_reason"] == "last will / shutdown"
            offline_s = time.monotonic() - t0
            rules = lambda: [a["rule"] for a in api.get("/api/v1/alerts")["items"]]  # noqa: E731
            wait_for(lambda: "node_offline" in rules(), 15, "node_offline alert")
            print(f"SIGKILLed node offline after {offline_s:.2f} s")
        finally:
            node.kill()
            node.wait()
