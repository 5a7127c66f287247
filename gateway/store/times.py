"""The one spelling of time in the gateway's tables: UTC, milliseconds, `Z`
(`2026-11-23T02:00:00.000Z`). Fixed width, so SQLite compares and orders it as text."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(value: datetime) -> str:
    """`value` (timezone-aware) in the store's spelling."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(value: str) -> datetime:
    """A stored time back as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
