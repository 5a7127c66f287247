"""Camera layouts drawn in the dashboard: zones and door lines per camera, who drew them.

Was created by the camera API on first use; `IF NOT EXISTS` keeps databases where it was."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS camera_layouts (site TEXT NOT NULL, node TEXT NOT NULL, "
        "camera TEXT NOT NULL, layout TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "updated_by TEXT NOT NULL, PRIMARY KEY (site, node, camera))"
    )
