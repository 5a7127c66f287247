"""Named migrations: one module per step, applied in name order (see gateway/store/db.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils


def create_table(
    db: sqlite_utils.Database,
    name: str,
    columns: dict[str, Any],
    *,
    indexes: Iterable[list[str]] = (),
    unique: Iterable[list[str]] = (),
    **options: Any,
) -> None:
    """Create the table `name` (sqlite-utils' `create`; `options`: pk, not_null, defaults, …),
    then its `indexes`, then its `unique` indexes, each in the order given."""
    table = db.table(name)
    table.create(columns, **options)
    for index in indexes:
        table.create_index(index)
    for index in unique:
        table.create_index(index, unique=True)
