"""A gateway killed with SIGKILL mid-stream loses nothing and duplicates nothing: messages are
acknowledged to the broker only after their commit, and the persistent session keeps the rest."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from firmware_py.sim import CheckSimulator
from tests.support.mosquitto import Broker
from tests.support.net import free_port, wait_for
from tests.support.stack import node_agent, spawn_gateway

pytestmark = pytest.mark.broker


def _start_gateway(broker: Broker, db: Path, port: int) -> subprocess.Popen[bytes]:
    return spawn_gateway(broker, db, port, wait_s=20)


def _count(db: Path) -> tuple[int, int, list[int]]:
    con = sqlite3.connect(db)
    try:
        (n,) = con.execute("SELECT count(*) FROM events").fetchone()
        (distinct,) = con.execute("SELECT count(DISTINCT id) FROM events").fetchone()
        seqs = [r[0] for r in con.execute("SELECT seq FROM events ORDER BY seq")]
        return n, distinct, seqs
    finally:
        con.close()


def test_gateway_sigkill_mid_stream(broker: Broker, tmp_path: Path) -> None:
    db = tmp_path / "gw.db"
    port = free_port()
    gw = _start_gateway(broker, db, port)
    sim = CheckSimulator(checks_per_minute=6000, seed=11)  # 100 checks/s
    agent = node_agent(broker, "s1", "desk-1", tmp_path / "outbox.db", apps=[sim])
    agent.start()
    try:
        for _ in range(3):
            wait_for(lambda: db.exists() and _count(db)[0] > 0, 20, "events stored")
            time.sleep(0.7)
            gw.send_signal(signal.SIGKILL)
            gw.wait(10)
            time.sleep(0.5)  # events keep flowing into the broker's session meanwhile
            gw = _start_gateway(broker, db, port)
        time.sleep(0.5)
        sim.stop()
        wait_for(lambda: agent.outbox.depth == 0, 20, "node outbox drained")
        last = agent.outbox._next_seq() - 1
        wait_for(lambda: _count(db)[0] == last, 20, f"{last} events stored")
        n, distinct, seqs = _count(db)
        assert n == distinct == last
        assert seqs == list(range(1, last + 1))
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()
    finally:
        agent.stop()
        gw.terminate()
        gw.wait(10)
