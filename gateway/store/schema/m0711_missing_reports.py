"""What staff add to a missing-person incident for the written report to the bureau.

- `missing_reports`: incident_id (PK), narrative (the staff's account, editable until the
  written report is recorded), last_seen_at, last_seen_where (when they differ from the alert's
  own), updated_by, updated_at.
- `missing_actions`: id (PK), incident_id, at (when it was done), kind (search, police_called,
  family_informed, hospitals_checked, found, other), note, by, recorded_at.
"""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    create_table(
        db,
        "missing_reports",
        {
            "incident_id": str,
            "narrative": str,
            "last_seen_at": str,
            "last_seen_where": str,
            "updated_by": str,
            "updated_at": str,
        },
        pk="incident_id",
        not_null={"updated_by", "updated_at"},
    )
    create_table(
        db,
        "missing_actions",
        {
            "id": int,
            "incident_id": str,
            "at": str,
            "kind": str,
            "note": str,
            "by": str,
            "recorded_at": str,
        },
        pk="id",
        not_null={"incident_id", "at", "kind", "by", "recorded_at"},
        indexes=[["incident_id", "at"]],
    )
