"""Writing to the audit trail (table `audit`: at, actor, action, target, detail)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from gateway.store.times import iso


def audit(
    db: sqlite_utils.Database,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | str | None = None,
    at: datetime | None = None,
) -> None:
    text = (
        detail
        if isinstance(detail, str) or detail is None
        else json.dumps(detail, ensure_ascii=False)
    )
    with db.atomic():
        db.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
            (
                iso(at or datetime.now(UTC)),
                actor[:128],
                action,
                target,
                text,
            ),
        )
