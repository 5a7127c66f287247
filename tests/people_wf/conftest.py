"""The dashboard's browser fixtures (one Chromium, one real Mosquitto + gateway per module)."""

from tests.dashboard.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    browser,
    open_dash,
    pages,
    pytest_runtest_makereport,
    shot,
    stack,
)
