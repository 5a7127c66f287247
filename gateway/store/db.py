"""Open the gateway database and bring its schema up to date.

Migrations are the modules of `gateway.store.schema`, applied once each in name order
(m0001_core, m01xx alerts, m02xx media, m03xx users, m04xx operations, …) and recorded in
`_migrations`. Each module has `migrate(db: sqlite_utils.Database) -> None`.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from gateway.store import schema
from gateway.store.times import iso

BUSY_TIMEOUT_S = 30
"""How long a write waits for another connection's write to finish before it fails."""


class Store(sqlite_utils.Database):
    """The gateway's database: sqlite-utils, with every outermost `atomic()` block begun
    IMMEDIATE, holding the write lock from its first statement.

    sqlite-utils begins with a plain (deferred) BEGIN. A block that reads before it writes
    (the ingest writer looks an event id up, then inserts) then starts as a reader; if another
    connection (an API request, the alert engine, the notifier) commits in between, the
    block's first write fails at once with "database is locked": SQLite cannot wait there, as
    the block's reads are already stale. IMMEDIATE makes the block wait its turn up front
    (`BUSY_TIMEOUT_S`) instead. Nested blocks stay savepoints."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


def connect(path: Path | str, *, check_same_thread: bool = True) -> Store:
    conn = sqlite3.connect(str(path), check_same_thread=check_same_thread, timeout=BUSY_TIMEOUT_S)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a message is acknowledged to the broker only after its commit is on disk.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return Store(conn)


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


def open_store(path: Path | str, *, check_same_thread: bool = True) -> Store:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = connect(path, check_same_thread=check_same_thread)
    migrate(db)
    return db
