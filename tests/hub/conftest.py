from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import Postgres


@pytest.fixture
def pg() -> Iterator[Postgres]:
    """A PostgreSQL cluster of its own (initdb in a temporary folder, a free port)."""
    p = Postgres()
    p.start()
    try:
        yield p
    finally:
        p.stop()
