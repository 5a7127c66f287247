"""How far the alert engine has processed the events table (its rowid), so that events stored
but not yet seen by the engine (a crash between the two commits) are fed again at start."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE alert_progress (id INTEGER PRIMARY KEY CHECK (id = 1), event_rowid INTEGER)"
    )
