"""Open the gateway database and bring its schema up to date.

Migrations are the modules of `gateway.store.schema`, applied once each in name order
(m0001_core, m01xx alerts, m02xx media, m03xx users, m04xx operations, …) and recorded in
`_migrations`. Each module has `migrate(db: sqlite_utils.Database) -> None`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from gateway.store import schema
from gateway.store.times import iso


def connect(path: Path | str, *, check_same_thread: bool = True) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), check_same_thread=check_same_thread, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a message is acknowledged to the broker only after its commit is on disk.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return sqlite_utils.Database(conn)


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations; return the names applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for info in sorted(pkgutil.iter_modules(schema.__path__), key=lambda i: i.name):
        if info.name in done or not info.name.startswith("m"):
            continue
        module = importlib.import_module(f"{schema.__name__}.{info.name}")
        with db.atomic():
            module.migrate(db)
            db.execute(
                "INSERT INTO _migrations VALUES (?, ?)",
                (info.name, iso(datetime.now(UTC))),
            )
        applied.append(info.name)
    return applied


def open_store(path: Path | str, *, check_same_thread: bool = True) -> sqlite_utils.Database:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = connect(path, check_same_thread=check_same_thread)
    migrate(db)
    return db
