"""Helpers for the end-to-end acknowledgement tests: a node agent with its re-send timings set,
and what the gateway's database holds for one node (by id and by seq)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices.contract import topics
from devices.contract.broker_url import BrokerUrl
from firmware_py.agent import NodeAgent, offline_status
from firmware_py.bus import PahoBus, Will
from firmware_py.outbox import Outbox
from tests.support.mosquitto import Broker


def confirming_agent(
    broker: Broker,
    site: str,
    node: str,
    outbox: Path,
    *,
    resend_after_s: float = 2.0,
    resend_max_s: float = 4.0,
    **options: Any,
) -> NodeAgent:
    """A node agent (`confirm = "gateway"` unless `options` say otherwise) with short re-send
    timings; `options` are further NodeAgent arguments."""
    user = f"{site}.{node}"
    if user not in broker.users:
        broker.add_node(site, node)
    url = BrokerUrl("127.0.0.1", broker.port, False, user, broker.users[user])
    bus = PahoBus(url, client_id=user, will=Will(topics.status(site, node), offline_status()))
    return NodeAgent(
        site=site,
        node=node,
        bus=bus,
        outbox=Outbox(outbox),
        resend_after_s=resend_after_s,
        resend_max_s=resend_max_s,
        **options,
    )


@dataclass(frozen=True)
class StoredCounts:
    rows: int
    ids: int
    seqs: list[int]

    def exactly_once(self, made: int) -> bool:
        return self.rows == self.ids == made and self.seqs == list(range(1, made + 1))


def stored_counts(db: Path, site: str, node: str) -> StoredCounts:
    con = sqlite3.connect(db, timeout=30)
    try:
        rows, ids = con.execute(
            "SELECT count(*), count(DISTINCT id) FROM events WHERE site=? AND node=?",
            (site, node),
        ).fetchone()
        seqs = [
            r[0]
            for r in con.execute(
                "SELECT seq FROM events WHERE site=? AND node=? ORDER BY seq", (site, node)
            )
        ]
    finally:
        con.close()
    return StoredCounts(int(rows), int(ids), seqs)
