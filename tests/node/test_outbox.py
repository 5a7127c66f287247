"""The durable outbox: order, persistence across reopen, bounds with a visible drop count."""

from __future__ import annotations

from pathlib import Path

from firmware_py.outbox import Outbox


def _add(box: Outbox, n: int) -> list[int]:
    return [box.append(lambda seq: (f"id-{seq}", "t", b"x")) for _ in range(n)]


def test_seq_survives_reopen_and_order_is_kept(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    assert _add(box, 3) == [1, 2, 3]
    box.acknowledge([1, 2, 3])
    box.close()
    box = Outbox(tmp_path / "o.db")
    assert _add(box, 2) == [4, 5]
    assert [p.seq for p in box.pending()] == [4, 5]
    assert [p.seq for p in box.pending(after_seq=4)] == [5]


def test_only_acknowledged_events_leave_the_disk(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    _add(box, 5)
    box.acknowledge([2, 4])
    box.close()
    assert [p.seq for p in Outbox(tmp_path / "o.db").pending()] == [1, 3, 5]


def test_size_bound_drops_oldest_and_counts(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_events=100)
    _add(box, 130)
    assert box.depth == 100
    assert box.dropped == 30
    assert box.pending(limit=1)[0].seq == 31


def test_age_bound(tmp_path: Path) -> None:
    now = [1000.0]
    box = Outbox(tmp_path / "o.db", max_age_s=60, clock=lambda: now[0])
    _add(box, 2)
    now[0] += 61
    _add(box, 1)
    assert box.prune_old() == 2
    assert [p.seq for p in box.pending()] == [3]
    assert box.dropped == 2


def test_disk_full_keeps_newest_and_raises_fault(tmp_path: Path) -> None:
    import sqlite3

    from firmware_py.outbox import OutboxFull

    box = Outbox(tmp_path / "o.db")
    _add(box, 50)
    # Simulate a full disk: cap the database at its current size.
    (pages,) = box._db.execute("PRAGMA page_count").fetchone()
    box._db.execute(f"PRAGMA max_page_count={pages}")
    big = b"y" * 20000
    failures = 0
    for _ in range(20):
        try:
            box.append(lambda seq: (f"id-{seq}", "t", big))
        except OutboxFull:
            failures += 1
        except sqlite3.OperationalError as exc:  # pragma: no cover - would be a bug
            raise AssertionError(f"raw sqlite error escaped: {exc}") from exc
    assert box.depth > 0
    assert box.dropped > 0  # oldest made room for newest
    seqs = [p.seq for p in box.pending(limit=1000)]
    assert seqs == sorted(seqs)
    assert failures == box.write_failures


def test_gateway_confirmation_removes_exactly_the_named_seq_ranges(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    _add(box, 10)
    assert box.lowest_seq() == 1
    assert box.confirm([(1, 3), (7, 7)]) == 4
    assert box.confirm([(1, 3)]) == 0  # a confirmation heard twice removes nothing more
    assert box.confirm([(9, 500)]) == 2  # seqs it never had are ignored
    box.close()
    box = Outbox(tmp_path / "o.db")  # what is left survives a restart
    assert [p.seq for p in box.pending()] == [4, 5, 6, 8]
    assert box.lowest_seq() == 4
    assert box.depth == 4


def test_unconfirmed_events_still_count_against_the_bounds(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_events=100)
    _add(box, 120)  # none confirmed (gateway away): the oldest go, counted
    assert box.depth == 100 and box.dropped == 20
    assert box.confirm([(1, 120)]) == 100
    assert box.depth == 0 and box.lowest_seq() is None
