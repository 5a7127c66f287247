"""Per-node ingest limits (issue 13): events keep the node's claimed time when it was not
believed, nodes keep seq resets, dead letters know their node (for its byte budget)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    events = db.table("events")
    events.add_column("clock_flag", str)  # NULL, "ahead" or "stale": ts is the gateway's time
    events.add_column("node_ts", str)  # the node's own time when clock_flag is set
    nodes = db.table("nodes")
    nodes.add_column("lost_before_reset", int)  # seq loss carried over node resets
    nodes.add_column("seq_resets", int)
    letters = db.table("deadletters")
    letters.add_column("source", str)  # "site/node" from the topic; NULL if it has none
    letters.create_index(["source", "received_at"])
