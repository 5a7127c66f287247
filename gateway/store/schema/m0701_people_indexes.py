"""Indexes for the desk's views on a year of data (bench/people, docs/BENCHMARKS.md):

- `events (kind, received_at)`: the desk's live card reads the last minutes' check steps by
  arrival time (GET /api/v1/desk/active); without it, SQLite scanned every event (1.3 s p50
  with 2 million events). Arrival times grow, so each insert lands at the end of its kind's
  range: cheap for the ingest writer.
- `checks (site, node, finished_at)`: the card's "is this an intake node" test and its last
  finished check, per node, instead of a scan of the site's checks.
"""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db.table("events").create_index(["kind", "received_at"], if_not_exists=True)
    db.table("checks").create_index(["site", "node", "finished_at"], if_not_exists=True)
