"""`python -m bench.people` still runs against today's schema (it once broke unnoticed when
the events table gained columns). A smoke run with a tiny database: the figures themselves are
the benchmark's business, not this test's."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the benchmark as a process

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--people", "50", "--checks", "200", "--events", "2000", "--requests", "3"]


def test_the_people_benchmark_builds_its_database_and_times_every_query():
    out = subprocess.run(
        [sys.executable, "-m", "bench.people", *SMALL],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    for query in ("search by name", "a person's timeline", "desk live card (active)"):
        assert query in out.stdout
