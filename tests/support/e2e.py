"""Helpers for the end-to-end acknowledgement tests: a node agent with its re-send timings set,
and what the gateway's database holds for one node (by id and by seq)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware_py.agent import NodeAgent
from firmware_py.config import OutboxConfig
from tests.support.mosquitto import Broker
from tests.support.stack import node_agent


def confirming_agent(
    broker: Broker,
    site: str,
    node: str,
    outbox: Path,
    *,
    resend_after_s: float = 2.0,
    resend_max_s: float = 4.0,
    **delivery: Any,
) -> NodeAgent:
    """A node agent (`confirm = "gateway"` unless `delivery` says otherwise) with short
    re-send timings; `delivery`: further [outbox] delivery settings, which may be shorter than
    node.toml allows (a fault after 2 s without a confirmation)."""
    timings = {"resend_after_s": resend_after_s, "resend_max_s": resend_max_s, **delivery}
    return node_agent(
        broker, site, node, outbox, delivery=OutboxConfig().model_copy(update=timings)
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
