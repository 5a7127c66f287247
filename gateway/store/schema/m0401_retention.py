"""Operations: legal holds and the deletion log (retention, gateway/maintenance)."""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    # A hold keeps records whatever the retention periods say, until it is released.
    # scope "event": target = event id; "node": target = "site/node" (everything from it);
    # "incident": target = an incident id whose evidence is held.
    create_table(
        db,
        "legal_holds",
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
        indexes=[["scope", "target"]],
    )
    # One row per deleted batch: what went, why, under which cutoff, with the ids.
    create_table(
        db,
        "deletion_log",
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
        indexes=[["at"]],
    )
