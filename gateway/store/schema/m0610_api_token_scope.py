"""API tokens get an expiry, a site scope and a last-used time (issue 13: tokens could not be
listed, disabled, limited in time or scoped to sites)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    tokens = db.table("api_tokens")
    tokens.add_column("expires_at", str)  # UTC ISO time; NULL = never
    tokens.add_column("sites", str)  # JSON list of site slugs; NULL = every site
    tokens.add_column("last_used_at", str)  # UTC ISO, updated at most once a minute
