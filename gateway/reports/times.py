"""Time handling for reports: stored times are UTC ISO-8601 strings in the store's one spelling
(``...000Z``, gateway/store/times.py; `parse` reads any ISO spelling), reports show them in the
site's time zone with the offset written out, and day/month boundaries are the site's
midnights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.store.times import iso  # noqa: F401  (re-exported: the reports' range queries)

DEFAULT_TZ = "Asia/Shanghai"


class BadTimeZone(ValueError):
    """An unknown IANA time-zone name."""


def zone(name: str) -> ZoneInfo:
    try:
        if len(name) > 64:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadTimeZone(
            f"unknown time zone {name!r} (use an IANA name, e.g. Asia/Shanghai)"
        ) from None


def parse(value: str | None) -> datetime | None:
    """A stored time as an aware UTC datetime; None for empty. Naive values are taken as UTC."""
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def local(value: datetime | None, tz: ZoneInfo) -> str:
    """``2026-11-22 22:00:05 +08:00``: local wall time with its UTC offset, so a printed
    report cannot be misread as UTC."""
    if value is None:
        return ""
    t = value.astimezone(tz)
    off = t.strftime("%z")  # +0800
    return f"{t:%Y-%m-%d %H:%M:%S} {off[:3]}:{off[3:]}"


def offset_label(tz: ZoneInfo, at: datetime) -> str:
    """``UTC+08:00`` for the zone at `at`."""
    off = at.astimezone(tz).strftime("%z")
    return f"UTC{off[:3]}:{off[3:]}"


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC (23 or 25 hours on DST change days)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_bounds(year: int, month: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar month, in UTC."""
    start = datetime(year, month, 1, tzinfo=tz)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    end = datetime(ny, nm, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    return [first + timedelta(days=i) for i in range((date(ny, nm, 1) - first).days)]
