"""The pure decisions behind the per-node ingest limits (gateway/ingest/limits.py) and a
retimed check through the real writer on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from devices.contract import codec, topics
from gateway.ingest.limits import DeadletterBudget, IngestLimits, SeqLedger, clock_flag
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_clock_window() -> None:
    limits = IngestLimits()
    assert clock_flag(NOW + timedelta(minutes=9), NOW, limits) is None
    assert clock_flag(NOW + timedelta(minutes=11), NOW, limits) == "ahead"
    assert clock_flag(NOW - timedelta(days=30), NOW, limits) is None  # the outbox's max age
    assert clock_flag(datetime(1976, 5, 1, tzinfo=UTC), NOW, limits) == "stale"


def test_seq_ledger_counts_gaps_and_takes_a_jump_as_a_reset() -> None:
    ledger = SeqLedger()
    for seq in (10, 11, 13):
        ledger = ledger.count(seq, 1000)
    assert ledger.lost == 1
    ledger = ledger.count(2_000_000_000, 1000)
    assert (ledger.lost, ledger.resets, ledger.first) == (1, 1, 2_000_000_000)
    ledger = ledger.count(2_000_000_002, 1000)
    assert ledger.lost == 2
    assert ledger.count(5, 1000).resets == 2  # far back is a reset too, never a huge loss


def test_deadletter_budget_is_per_source_and_day() -> None:
    budget = DeadletterBudget(100)
    assert budget.take("s/a", NOW, 60) and not budget.take("s/a", NOW, 60)
    assert budget.take("s/b", NOW, 60)  # another node has its own
    assert budget.take("s/a", NOW + timedelta(days=1), 60)  # a new day


def test_a_check_from_a_clockless_pi_keeps_its_duration(tmp_path: Path) -> None:
    db = open_store(tmp_path / "gw.db")
    start = datetime(1970, 1, 1, 0, 5, tzinfo=UTC)
    data = {
        "check_id": codec.new_id(),
        "outcome": "cleared",
        "started_at": start.isoformat(),
        "finished_at": (start + timedelta(seconds=40)).isoformat(),
    }
    ev = codec.make_event("check", site="s1", node="desk-1", seq=1, data=data, ts=start)
    IngestWriter(db).store_batch(
        [Incoming(topics.event("s1", "desk-1", "check"), codec.encode(ev), NOW)]
    )
    ts, flag = db.execute("SELECT ts, clock_flag FROM events").fetchone()
    started, finished = db.execute("SELECT started_at, finished_at FROM checks").fetchone()
    assert flag == "stale" and ts.startswith("2026-12-03T08:00:00")
    assert started.startswith("2026-12-03T08:00:00")
    s, f = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (started, finished))
    assert f - s == timedelta(seconds=40)
