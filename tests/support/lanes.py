"""Test lanes: markers say what a test needs, and the resources check that they were said.

`broker` (a real Mosquitto), `browser` (Debian's chromium) and `slow` (real processes or
seconds of waiting) are applied by the fixtures that provide them (see `mark_by_fixtures`) or
by a module's `pytestmark`. A test that starts a broker or a browser without its marker fails
with a message naming the marker, so `./run.sh test --fast` (pure tests only) can never
silently start one, and a marker cannot drift away from what the test really does.
"""

from __future__ import annotations

import pytest

NEEDS = {
    "broker": "a real Mosquitto broker (started by a fixture on a free port)",
    "browser": "Debian's chromium (headless, driven by Playwright)",
    "slow": "real processes or seconds of waiting (gateway, node, CLI subprocesses)",
}
"""The lanes: marker name → what a test with it needs. Registered in pyproject.toml."""

BY_FIXTURE = {
    "broker": "broker",  # tests/conftest.py: a Mosquitto per test
    "stack": "broker",  # tests/dashboard/conftest.py: broker + gateway + nodes per module
    "site": "broker",  # tests/security/conftest.py: TLS broker + gateway
    "station": "slow",  # tests/reports/conftest.py: a gateway database with a day of data
    "browser": "browser",
    "pages": "browser",
    "open_dash": "browser",
}
"""Fixtures that bring a lane with them: any test using one (directly or through another
fixture) gets the marker."""

_current: pytest.Item | None = None


class LaneError(RuntimeError):
    """A test uses a resource its markers do not declare."""


def mark_by_fixtures(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        for fixture, marker in BY_FIXTURE.items():
            if fixture in names and item.get_closest_marker(marker) is None:
                item.add_marker(marker)


def enter(item: pytest.Item | None) -> None:
    global _current
    _current = item


def require(marker: str) -> None:
    """Called by a resource before it starts: fails the running test if it lacks `marker`."""
    item = _current
    if item is not None and item.get_closest_marker(marker) is None:
        raise LaneError(
            f"{item.nodeid} uses {NEEDS[marker]} but is not marked: add "
            f"`pytestmark = pytest.mark.{marker}` to its module (or use a fixture that applies it)"
        )
