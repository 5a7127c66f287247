"""Where each intake node's checks stand, as the node last said (`progress` channel, issue 15):
one row per node, replaced by a newer message only (a late retained copy never rolls it back).
The desk page reads it instead of rebuilding checks from step events."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE node_progress (
            site TEXT NOT NULL,
            node TEXT NOT NULL,
            at TEXT NOT NULL,           -- node clock when the node stored this state
            open TEXT NOT NULL,         -- JSON list of CheckProgress, oldest first
            more_open INTEGER NOT NULL DEFAULT 0,
            received_at TEXT NOT NULL,  -- gateway clock
            PRIMARY KEY (site, node)
        )
        """
    )
