"""The node's durable outbox: every event is on disk before it is sent, and leaves the disk
only when the broker has acknowledged it (QoS 1 PUBACK).

One SQLite file (WAL, synchronous=FULL so a committed event survives power loss). `seq` is
allocated in the same transaction as the insert and keeps counting across restarts, so the
gateway can tell a gap (lost events) from a duplicate. The outbox is bounded: past
`max_events`, or older than `max_age_s`, the oldest events are dropped and counted in
`dropped`, which the heartbeat reports.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('next_seq', 1), ('dropped', 0);
"""


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    id: str
    topic: str
    payload: bytes


class OutboxFull(RuntimeError):
    """The disk refused the write even after dropping old events."""


class Outbox:
    def __init__(
        self,
        path: Path | str,
        *,
        max_events: int = 100_000,
        max_age_s: float = 30 * 86400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.max_events = max_events
        self.max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self.write_failures = 0
        # Events that could not be written (disk full) wait here, newest kept, until the disk
        # has room again; they still get their seq so ordering is preserved.
        self._spill: deque[tuple[int, str, str, bytes, float]] = deque(maxlen=1000)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # writing ---------------------------------------------------------------------------------

    def append(self, build: Callable[[int], tuple[str, str, bytes]]) -> int:
        """Allocate the next seq, call `build(seq) -> (id, topic, payload)`, store it durably.

        Returns the seq. On a full disk the oldest events are dropped to make room; if even
        that fails the event is kept in memory (bounded) and `OutboxFull` is raised so the
        caller can raise a fault — the event is not lost while the process lives.
        """
        with self._lock:
            seq = self._next_seq()
            event_id, topic, payload = build(seq)
            row = (seq, event_id, topic, payload, self._clock())
            try:
                self._flush_spill()
                self._insert(row)
            except sqlite3.OperationalError as exc:
                if not _disk_full(exc):
                    raise
                self._spill.append(row)
                self._make_room(fraction=0.05)
                try:
                    self._flush_spill()
                except sqlite3.OperationalError as again:
                    self.write_failures += 1
                    raise OutboxFull(
                        f"outbox {self.path}: disk full ({again}); {len(self._spill)} events "
                        "held in memory until space is freed"
                    ) from None
            self._enforce_bounds()
            return seq

    def _next_seq(self) -> int:
        if self._spill:
            return self._spill[-1][0] + 1
        (value,) = self._db.execute("SELECT value FROM meta WHERE key='next_seq'").fetchone()
        return int(value)

    def _insert(self, row: tuple[int, str, str, bytes, float]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("INSERT INTO outbox VALUES (?,?,?,?,?)", row)
            self._db.execute("UPDATE meta SET value=? WHERE key='next_seq'", (row[0] + 1,))
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:  # SQLite has already rolled back on SQLITE_FULL
                self._db.execute("ROLLBACK")
            raise

    def _flush_spill(self) -> None:
        while self._spill:
            self._insert(self._spill[0])
            self._spill.popleft()

    def _drop(self, where: str, args: tuple[object, ...]) -> int:
        cur = self._db.execute(f"DELETE FROM outbox WHERE {where}", args)
        if cur.rowcount > 0:
            self._db.execute("UPDATE meta SET value=value+? WHERE key='dropped'", (cur.rowcount,))
            log.warning("outbox dropped %d undelivered events (%s)", cur.rowcount, where)
        return cur.rowcount

    def _make_room(self, fraction: float) -> None:
        count = self._count()
        if count:
            keep_from = self._db.execute(
                "SELECT seq FROM outbox ORDER BY seq LIMIT 1 OFFSET ?",
                (max(1, int(count * fraction)),),
            ).fetchone()
            if keep_from:
                self._drop("seq < ?", (keep_from[0],))

    def _enforce_bounds(self) -> None:
        count = self._count()
        if count > self.max_events:
            cutoff = self._db.execute(
                "SELECT seq FROM outbox ORDER BY seq LIMIT 1 OFFSET ?", (count - self.max_events,)
            ).fetchone()
            self._drop("seq < ?", (cutoff[0],))

    def prune_old(self) -> int:
        """Drop events older than max_age_s (called periodically)."""
        with self._lock:
            return self._drop("created < ?", (self._clock() - self.max_age_s,))

    # reading and acknowledging ---------------------------------------------------------------

    def pending(self, after_seq: int = 0, limit: int = 100) -> list[Pending]:
        """Unacknowledged events with seq > after_seq, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [Pending(r[0], r[1], r[2], bytes(r[3])) for r in rows]

    def acknowledge(self, seqs: list[int]) -> None:
        """The broker acknowledged these: remove them from disk."""
        if not seqs:
            return
        with self._lock:
            self._db.executemany("DELETE FROM outbox WHERE seq=?", [(s,) for s in seqs])

    def _count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    @property
    def depth(self) -> int:
        with self._lock:
            return self._count() + len(self._spill)

    @property
    def dropped(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key='dropped'").fetchone()
            return int(row[0])


def _disk_full(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "full" in text or "disk i/o" in text
