"""The node's durable outbox: every event is on disk before it is sent, and leaves the disk
only when the gateway has confirmed it is in its database (`confirm`, the end-to-end
acknowledgement of contract v1.1) — or, with `confirm = "broker"` for a gateway older than
that, when the broker has acknowledged it (QoS 1 PUBACK, `acknowledge`).

One SQLite file (WAL, synchronous=FULL so a committed event survives power loss). `seq` is
allocated in the same transaction as the insert and keeps counting across restarts, so the
gateway can tell a gap (lost events) from a duplicate. The outbox is bounded: past
`max_events`, or older than `max_age_s`, the oldest events are dropped and counted in
`dropped`, which the heartbeat reports.

A full disk (see `append`): even a DELETE needs free space for its WAL frames, so the outbox
keeps a small reserve file beside the database. On the first SQLITE_FULL it caps the database
at its current size, gives the reserve back to the filesystem, checkpoints, and drops the
oldest events to make room; the newest are kept and `full` stays set (a fault the node reports)
until the disk has room for the reserve again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
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


RESERVE_BYTES = 1024 * 1024
"""Kept free for the outbox's own use on a full disk (WAL frames of the deletes that make room)."""
WAL_PAGES = 64
"""Checkpoint the WAL every 64 pages (256 KiB): nodes write a few events a second at most."""
MIN_DROP = 8
"""Drop at least this many events when making room: one row rarely frees a whole page."""
NO_CAP = 1073741823  # SQLite's default max_page_count


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
        # Keep the WAL small (default 1000 pages = 4 MiB): on a nearly full disk the WAL is
        # what grows, and a checkpoint can only rewind it when the database file may grow.
        self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        self._db.executescript(SCHEMA)
        self.write_failures = 0
        # Events that could not be written (disk full) wait here, newest kept, until the disk
        # has room again; they still get their seq so ordering is preserved. Events pushed out
        # of this bounded queue are counted as dropped (persisted once the disk has room).
        self._spill: deque[tuple[int, str, str, bytes, float]] = deque()
        self.spill_limit = 1000
        self._spill_dropped = 0
        self.full_since: float | None = None
        self._reserve = None if str(path) == ":memory:" else Path(f"{self.path}.reserve")
        self._make_reserve()

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
            self._spill.append((seq, event_id, topic, payload, self._clock()))
            try:
                self._flush_spill()
            except sqlite3.OperationalError as exc:
                if not _disk_full(exc):
                    raise
                self._on_disk_full(exc)
            if not self._spill:
                self._enforce_bounds()
                if self.full_since is not None:
                    self._check_space_back()
            return seq

    @property
    def full(self) -> bool:
        """The disk was found full and has not had room for the reserve since."""
        return self.full_since is not None

    def _on_disk_full(self, exc: sqlite3.OperationalError) -> None:
        if self.full_since is None:
            self.full_since = self._clock()
            log.error("outbox %s: disk full (%s); dropping the oldest events", self.path, exc)
            # Give the reserve back, fold the WAL into the database and truncate it, then cap
            # the file: a quarter of the reserve may hold new events (they pass through the WAL
            # and then the file: twice), the rest stays for the WAL frames of the deletes.
            had_reserve = self._reserve is not None and self._reserve.exists()
            self._release_reserve()
            with contextlib.suppress(sqlite3.OperationalError):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = int(self._db.execute("PRAGMA page_count").fetchone()[0])
            page = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            room = RESERVE_BYTES // 4 // page if had_reserve else 0
            self._db.execute(f"PRAGMA max_page_count={pages + room}")
        for _ in range(4):  # each round drops the oldest 5% (at least MIN_DROP events)
            try:
                with contextlib.suppress(sqlite3.OperationalError):
                    self._db.execute("PRAGMA wal_checkpoint(RESTART)")
                self._make_room(fraction=0.05)
                self._flush_spill()
                return
            except sqlite3.OperationalError as again:
                if not _disk_full(again):
                    raise
                last = again
        self._bound_spill()
        self.write_failures += 1
        raise OutboxFull(
            f"outbox {self.path}: disk full ({last}); {len(self._spill)} events held in memory "
            "until space is freed"
        ) from None

    def _check_space_back(self) -> None:
        """Lift the cap and recreate the reserve once the filesystem has room for both."""
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError:
            return
        if free < 2 * RESERVE_BYTES:
            return
        self._db.execute(f"PRAGMA max_page_count={NO_CAP}")
        if self._make_reserve():
            log.warning("outbox %s: disk has room again", self.path)
            self.full_since = None

    def _make_reserve(self) -> bool:
        if self._reserve is None:
            return True
        try:
            if not self._reserve.exists() or self._reserve.stat().st_size < RESERVE_BYTES:
                with open(self._reserve, "wb") as f:
                    f.write(b"\0" * RESERVE_BYTES)  # real blocks, not a sparse file
                    f.flush()
                    os.fsync(f.fileno())
            return True
        except OSError as exc:
            log.warning("outbox reserve %s not made: %s", self._reserve, exc)
            self._release_reserve()
            return False

    def _release_reserve(self) -> None:
        if self._reserve is not None:
            self._reserve.unlink(missing_ok=True)

    def _bound_spill(self) -> None:
        while len(self._spill) > self.spill_limit:
            self._spill.popleft()
            self._spill_dropped += 1

    def _next_seq(self) -> int:
        if self._spill:
            return self._spill[-1][0] + 1
        (value,) = self._db.execute("SELECT value FROM meta WHERE key='next_seq'").fetchone()
        return int(value)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT: all of the block or, if anything in it (or the COMMIT)
        fails, nothing — one fsync for the whole block."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:  # SQLite has already rolled back on SQLITE_FULL
                self._db.execute("ROLLBACK")
            raise

    def _insert(self, row: tuple[int, str, str, bytes, float]) -> None:
        with self._transaction():
            self._db.execute("INSERT INTO outbox VALUES (?,?,?,?,?)", row)
            self._db.execute("UPDATE meta SET value=? WHERE key='next_seq'", (row[0] + 1,))

    def _flush_spill(self) -> None:
        while self._spill:
            self._insert(self._spill[0])
            self._spill.popleft()
        if self._spill_dropped:  # events the bounded memory queue had to let go
            with self._db:
                self._db.execute(
                    "UPDATE meta SET value=value+? WHERE key='dropped'", (self._spill_dropped,)
                )
            log.warning("outbox dropped %d events held in memory", self._spill_dropped)
            self._spill_dropped = 0

    def _drop(self, where: str, args: tuple[object, ...]) -> int:
        with self._transaction():  # the delete and its count commit together
            cur = self._db.execute(f"DELETE FROM outbox WHERE {where}", args)
            if cur.rowcount > 0:
                self._db.execute(
                    "UPDATE meta SET value=value+? WHERE key='dropped'", (cur.rowcount,)
                )
        if cur.rowcount > 0:
            log.warning("outbox dropped %d undelivered events (%s)", cur.rowcount, where)
        return cur.rowcount

    def _make_room(self, fraction: float) -> None:
        count = self._count()
        if count:
            keep_from = self._db.execute(
                "SELECT seq FROM outbox ORDER BY seq LIMIT 1 OFFSET ?",
                (max(MIN_DROP, int(count * fraction)),),
            ).fetchone()
            if keep_from:
                self._drop("seq < ?", (keep_from[0],))
            else:  # fewer than MIN_DROP events: drop them all
                self._drop("1", ())

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
        """These are delivered (broker PUBACK in `confirm = "broker"` mode): remove them."""
        if not seqs:
            return
        with self._lock:
            self._db.executemany("DELETE FROM outbox WHERE seq=?", [(s,) for s in seqs])

    def confirm(self, ranges: list[tuple[int, int]]) -> int:
        """The gateway holds the events with these inclusive seq ranges: remove them from disk.
        Returns how many were still here (0 for a confirmation heard twice)."""
        if not ranges:
            return 0
        with self._lock:
            before = self._db.total_changes
            with self._transaction():  # one fsync for the whole message
                self._db.executemany("DELETE FROM outbox WHERE seq BETWEEN ? AND ?", ranges)
            return self._db.total_changes - before

    def lowest_seq(self) -> int | None:
        """Seq of the oldest event still waiting (on disk or held in memory), None if none."""
        with self._lock:
            row = self._db.execute("SELECT min(seq) FROM outbox").fetchone()
            if row[0] is not None:
                return int(row[0])
            return self._spill[0][0] if self._spill else None

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
            return int(row[0]) + self._spill_dropped

    # application state kept with the events (the intake node's open checks) ------------------

    state_failures = 0
    """State writes skipped because the disk was full (their events were kept)."""
    _state_ready = False

    def append_with_state(
        self,
        builds: Sequence[Callable[[int], tuple[str, str, bytes]]],
        *,
        scope: str,
        state: Mapping[str, bytes | None],
    ) -> tuple[list[int], bool]:
        """Store events (as `append`, consecutive seqs) and set (bytes) or delete (None) the
        `state` rows of `scope` in ONE transaction: after a crash the state a node reloads
        always matches the events it made. Returns the seqs and whether the state was written.

        On a full disk (or while events wait in memory) the events take `append`'s path —
        never lost while the process lives — and the state is not written (False;
        `state_failures` counts it): the caller writes the whole change again next time.
        """
        with self._lock:
            self._ensure_state_table()
            if not self._spill:
                seq = self._next_seq()
                now = self._clock()
                rows = []
                for i, build in enumerate(builds):
                    event_id, topic, payload = build(seq + i)
                    rows.append((seq + i, event_id, topic, payload, now))
                try:
                    with self._transaction():  # nothing of this step stays half-written
                        self._db.executemany("INSERT INTO outbox VALUES (?,?,?,?,?)", rows)
                        self._db.execute(
                            "UPDATE meta SET value=? WHERE key='next_seq'", (seq + len(rows),)
                        )
                        for key, value in state.items():
                            if value is None:
                                self._db.execute(
                                    "DELETE FROM app_state WHERE scope=? AND key=?", (scope, key)
                                )
                            else:
                                self._db.execute(
                                    "INSERT OR REPLACE INTO app_state VALUES (?,?,?)",
                                    (scope, key, value),
                                )
                except sqlite3.OperationalError as exc:
                    if not _disk_full(exc):
                        raise
                else:
                    if rows:
                        self._enforce_bounds()
                    if self.full_since is not None:  # as `append`: lift the fault when room
                        self._check_space_back()
                    return [r[0] for r in rows], True
            self.state_failures += 1
        seqs, full = [], None
        for build in builds:  # each one is kept (in memory at worst) even if another failed
            try:
                seqs.append(self.append(build))
            except OutboxFull as exc:
                full = exc
        if full is not None:
            raise full
        return seqs, False

    def load_state(self, scope: str) -> dict[str, bytes]:
        """The state rows of `scope` (key -> value) as last committed."""
        with self._lock:
            self._ensure_state_table()
            rows = self._db.execute(
                "SELECT key, value FROM app_state WHERE scope=?", (scope,)
            ).fetchall()
        return {str(k): bytes(v) for k, v in rows}

    def _ensure_state_table(self) -> None:
        if not self._state_ready:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS app_state (scope TEXT NOT NULL, key TEXT NOT NULL, "
                "value BLOB NOT NULL, PRIMARY KEY (scope, key))"
            )
            self._state_ready = True


def _disk_full(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "full" in text or "disk i/o" in text
