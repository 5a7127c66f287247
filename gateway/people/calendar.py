"""Chinese working days for the family-search deadlines: pure, from the `chinese-calendar` package.

Working days are the State Council's: Monday to Friday, minus the public holidays, plus the
official make-up working weekends (调休上班, e.g. Saturday 2026-10-10 after the National Day
week). They come from `chinese-calendar` (PyPI, MIT, maintained: one release a year after the
State Council publishes the next year's schedule, usually in November), never from a list kept
here: a hand-made list is exactly the thing that silently goes stale.

A year the installed package does not cover yet (1.11.0 ends with 2026) cannot be counted
exactly. We do not refuse to open the case (the 24 h notice must still be tracked): days of
such a year are counted Monday to Friday, the result says `exact=False`, a warning is logged
once per year and `FALLBACK_DAYS` counts the days guessed. Counting Monday to Friday can only
put the deadline earlier than the official one (a public holiday counted as working) or, when
the schedule has a make-up Saturday inside the span, one day later per such Saturday; the
dashboard shows the date as "estimated" until the package is updated, and the deadline is
recomputed from the entry time at every tick, so upgrading the package corrects it.

Periods follow Chinese administrative practice (期间开始的日不计算在期间内): the day of entry is
not counted; "within 7 working days" ends at 24:00 local time of the 7th working day after it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

FALLBACK_DAYS = 0
"""Days counted Monday to Friday because the package had no data for their year (a counter
for the logs and tests; the result's `exact` says it per deadline)."""
_warned: set[int] = set()


@dataclass(frozen=True, slots=True)
class WorkingDay:
    working: bool
    exact: bool  # False: the package has no data for this year (Monday-Friday guess)


@functools.lru_cache(maxsize=8192)
def _official(day: date) -> bool | None:
    """The package's answer, None for a year it does not cover. Cached: the package checks
    the year against its whole table on every call (50 µs; 17 calls per deadline)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def working_day(day: date) -> WorkingDay:
    """Whether `day` is a Chinese working day (make-up weekends are)."""
    global FALLBACK_DAYS
    official = _official(day)
    if official is not None:
        return WorkingDay(official, True)
    FALLBACK_DAYS += 1
    if day.year not in _warned:
        _warned.add(day.year)
        log.warning(
            "chinese-calendar %s has no holiday schedule for %d: working days of %d are "
            "counted Monday-Friday (estimated deadlines); update the package "
            "(pip install -U chinese-calendar) once the State Council has published it",
            getattr(chinese_calendar, "__version__", "?"),
            day.year,
            day.year,
        )
    return WorkingDay(day.weekday() < 5, False)


@dataclass(frozen=True, slots=True)
class Deadline:
    due: datetime  # UTC-aware: the end of the last day, local time
    last_day: date  # the local date of that last day
    exact: bool  # False when a day was guessed (year not in the package)


def after_working_days(start: date, n: int) -> tuple[date, bool]:
    """The `n`th working day after `start` (start itself not counted), and whether every day
    on the way was known to the calendar."""
    if n < 1:
        raise ValueError(f"need at least one working day, not {n}")
    day, counted, exact = start, 0, True
    while counted < n:
        day += timedelta(days=1)
        wd = working_day(day)
        exact = exact and wd.exact
        counted += wd.working
    return day, exact


def working_days_deadline(entered_at: datetime, n: int, tz: str) -> Deadline:
    """End (24:00 local, as UTC) of the `n`th Chinese working day after the local day of
    `entered_at`."""
    zone = ZoneInfo(tz)
    local_day = entered_at.astimezone(zone).date()
    last, exact = after_working_days(local_day, n)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return Deadline(due=end.astimezone(ZoneInfo("UTC")), last_day=last, exact=exact)


def add_months(value: datetime, months: int, tz: str) -> datetime:
    """`value` plus calendar months in local time; the day is clamped to the month's end
    (31 Jan + 1 month = 28/29 Feb), the wall-clock time is kept."""
    zone = ZoneInfo(tz)
    local = value.astimezone(zone)
    month0 = local.month - 1 + months
    year, month = local.year + month0 // 12, month0 % 12 + 1
    for day in (local.day, 30, 29, 28):
        try:
            moved = local.replace(year=year, month=month, day=min(local.day, day))
            return moved.astimezone(ZoneInfo("UTC"))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")
