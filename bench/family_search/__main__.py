"""The family-search deadline timer with many open cases: `python -m bench.family_search [N]`.

N unidentified people arrived 30 hours ago (default 1,000). The first pass opens their cases
and raises N overdue-notice alerts (one transaction each, like any alert); a steady pass (what
the gateway does every 30 s on the alert thread) finds nothing new to raise. Printed beside an
empty database's pass, measured in the same run.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.alerts.service import AlertService
from gateway.people.family_search import FamilySearch
from gateway.people.models import PersonCreate
from gateway.people.store import create_person
from gateway.people.visits import DeadlineTimer, Followups
from gateway.store.db import open_store

ARRIVAL = datetime(2026, 9, 25, 2, tzinfo=UTC)


def _timer(path: Path, people: int) -> DeadlineTimer:
    db = open_store(path)
    for _ in range(people):
        new = PersonCreate(site="s1", came_by="police", came_at="2026-09-25T02:00:00.000Z")
        create_person(db, new, "bench", now=ARRIVAL)
    db.conn.close()
    alerts = AlertService(path)
    return DeadlineTimer(path, alerts, FamilySearch(alerts=alerts), Followups())


def _pass(timer: DeadlineTimer, at: datetime) -> tuple[float, int]:
    start = time.perf_counter()
    raised = timer.run(at)
    return time.perf_counter() - start, len(raised)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    now = ARRIVAL + timedelta(hours=30)
    with tempfile.TemporaryDirectory() as tmp:
        empty = _timer(Path(tmp) / "empty.db", 0)
        base, _ = _pass(empty, now)
        full = _timer(Path(tmp) / "full.db", n)
        first, raised = _pass(full, now)
        steady = min(_pass(full, now + timedelta(seconds=30 * k))[0] for k in range(1, 6))
    print(f"empty database: pass {base * 1000:.1f} ms")
    print(f"{n} open cases: first pass {first:.2f} s (opens {n} cases, raises {raised} alerts)")
    print(f"{n} open cases: steady pass {steady * 1000:.0f} ms (best of 5; nothing new to raise)")


if __name__ == "__main__":
    main()
