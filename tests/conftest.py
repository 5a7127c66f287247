from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import Broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A real Mosquitto with the project's config on a free port; `gateway` user provisioned."""
    b = Broker(tmp_path / "mosquitto")
    b.workdir.mkdir()
    b.add_user("gateway")
    b.start()
    try:
        yield b
    finally:
        b.stop()
