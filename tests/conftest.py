from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import lanes
from tests.support.mosquitto import Broker, gateway_broker


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    lanes.mark_by_fixtures(items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    lanes.enter(item)
    try:
        return (yield)
    finally:
        lanes.enter(None)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A real Mosquitto with the project's config on a free port; `gateway` user provisioned."""
    with gateway_broker(tmp_path / "mosquitto") as b:
        yield b
