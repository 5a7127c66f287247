"""The dashboard's browser fixtures (one Chromium, one real Mosquitto + gateway per module)."""

from tests.dashboard.conftest import *  # noqa: F403  (its browser fixtures, by name)
