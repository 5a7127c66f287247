"""A gateway database as an older release left it, for the tests of one migration."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import sqlite_utils

from gateway.store import schema
from gateway.store.db import connect


def store_before(path: Path, migration: str, applied_at: str = "before") -> sqlite_utils.Database:
    """The database at `path` with every migration before `migration` applied (in order) and
    recorded as applied at `applied_at`."""
    db = connect(path)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for info in sorted(pkgutil.iter_modules(schema.__path__), key=lambda i: i.name):
        if info.name >= migration:
            continue
        with db.atomic():
            importlib.import_module(f"{schema.__name__}.{info.name}").migrate(db)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (info.name, applied_at))
    return db
