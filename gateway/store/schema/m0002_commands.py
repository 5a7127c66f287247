"""Commands sent to nodes and their acknowledgements (who asked for what, and what happened)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db.table("commands").create(
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
    )
    db.table("commands").create_index(["site", "node", "sent_at"])
