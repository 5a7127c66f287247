"""The bureau uplink's durable cursors (how far each history table has been published), and
the bureau actions (downlink) already applied, so a redelivered one is applied once."""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    db.table("uplink_cursor").create({"name": str, "value": int}, pk="name", not_null={"value"})
    create_table(
        db,
        "downlink_applied",
        {"id": str, "kind": str, "alert_id": str, "by_user": str, "applied_at": str, "result": str},
        pk="id",
        not_null={"kind", "alert_id", "applied_at", "result"},
    )
