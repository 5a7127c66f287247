"""Operations: legal holds and the deletion log (retention, gateway/maintenance)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    # A hold keeps records whatever the retention periods say, until it is released.
    # scope "event": target = event id; "node": target = "site/node" (everything from it);
    # "incident": target = an incident id whose evidence is held.
    db.table("legal_holds").create(
        {
            "id": int,
            "scope": str,
            "target": str,
            "reason": str,
            "placed_by": str,
            "placed_at": str,
            "released_by": str,
            "released_at": str,
        },
        pk="id",
        not_null={"scope", "target", "reason", "placed_by", "placed_at"},
    )
    db.table("legal_holds").create_index(["scope", "target"])
    # One row per deleted batch: what went, why, under which cutoff, with the ids.
    db.table("deletion_log").create(
        {
            "id": int,
            "at": str,
            "actor": str,
            "table_name": str,
            "reason": str,
            "cutoff": str,
            "count": int,
            "oldest": str,
            "newest": str,
            "ids": str,
        },
        pk="id",
        not_null={"at", "actor", "table_name", "reason", "count", "ids"},
    )
    db.table("deletion_log").create_index(["at"])
