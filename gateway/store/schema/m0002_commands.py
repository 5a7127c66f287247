"""Commands sent to nodes and their acknowledgements (who asked for what, and what happened)."""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    create_table(
        db,
        "commands",
        {
            "id": str,
            "site": str,
            "node": str,
            "action": str,
            "args": str,
            "sent_at": str,
            "sent_by": str,
            "acked_at": str,
            "ok": int,
            "error": str,
        },
        pk="id",
        not_null={"site", "node", "action", "sent_at", "sent_by"},
        indexes=[["site", "node", "sent_at"]],
    )
