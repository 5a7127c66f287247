"""Chinese working days from the real chinese-calendar data, and the deadline steps over them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar

from gateway.people import calendar
from gateway.people.calendar import add_months, after_working_days, working_days_deadline
from gateway.people.family_search_deadlines import (
    CaseTimes,
    DeadlinesConfig,
    case_steps,
    due_notices,
    visit_steps,
)

TZ = "Asia/Shanghai"
# Friday 2026-09-25, 10:00 in Shanghai: the Friday before the National Day holiday.
ARRIVAL = datetime(2026, 9, 25, 2, 0, tzinfo=UTC)


def test_the_package_has_the_official_2026_schedule_around_national_day() -> None:
    # State Council notice on the 2026 holidays: Mid-Autumn 25-27 Sep (Fri-Sun) off; National
    # Day 1-7 Oct off; Sunday 20 Sep and Saturday 10 Oct are make-up working days.
    assert not chinese_calendar.is_workday(date(2026, 9, 25))
    assert all(not chinese_calendar.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert not chinese_calendar.is_workday(date(2026, 10, 11))


def test_dna_request_due_after_7_working_days_counting_the_make_up_saturday() -> None:
    # Entry Fri 25 Sep (not counted; itself a Mid-Autumn holiday). Working days after it:
    #   Mon 28 Sep (1), Tue 29 (2), Wed 30 (3) -- 1-7 Oct National Day off --
    #   Thu 8 Oct (4), Fri 9 (5), Sat 10 Oct make-up working day (6), [Sun 11 off], Mon 12 (7).
    # So the request is due by the end of Monday 2026-10-12, 24:00 Shanghai = 16:00 UTC.
    # (Counting only Mon-Fri would give Tue 13 Oct: the make-up Saturday matters.)
    deadline = working_days_deadline(ARRIVAL, 7, TZ)
    assert deadline.last_day == date(2026, 10, 12)
    assert deadline.due == datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    assert deadline.exact


def test_arrival_late_in_the_evening_counts_from_the_local_day() -> None:
    # 23:30 Shanghai on Thu 24 Sep (15:30 UTC): the entry day is Thu 24 (not counted); Fri 25
    # is a holiday, so day 1 is again Mon 28 Sep and day 7 Mon 12 Oct.
    late = datetime(2026, 9, 24, 15, 30, tzinfo=UTC)
    assert working_days_deadline(late, 7, TZ).last_day == date(2026, 10, 12)
    # one minute later it is Friday in Shanghai: same result (Friday is off)
    assert working_days_deadline(late + timedelta(minutes=31), 7, TZ).last_day == date(2026, 10, 12)


def test_a_year_the_package_does_not_cover_falls_back_to_monday_to_friday_and_says_so() -> None:
    before = calendar.FALLBACK_DAYS
    # Mon 2027-01-04 + 7 working days, Mon-Fri: Tue 5 ... Fri 8 (4), Mon 11 ... Wed 13 (7)
    day, exact = after_working_days(date(2027, 1, 4), 7)
    assert (day, exact) == (date(2027, 1, 13), False)
    assert before < calendar.FALLBACK_DAYS
    # across the year end: Mon 28 Dec 2026 (known) -> 2027 days estimated
    d = working_days_deadline(datetime(2026, 12, 28, 2, 0, tzinfo=UTC), 7, TZ)
    assert d.last_day == date(2027, 1, 6) and not d.exact


def test_months_are_calendar_months_clamped_to_the_month_end() -> None:
    assert add_months(ARRIVAL, 1, TZ) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    jan31 = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)
    assert add_months(jan31, 1, TZ) == datetime(2026, 2, 28, 2, 0, tzinfo=UTC)
    assert add_months(jan31, 13, TZ) == datetime(2027, 2, 28, 2, 0, tzinfo=UTC)


def test_case_steps_and_their_notices() -> None:
    cfg = DeadlinesConfig()
    case = CaseTimes("c1", "s1", TZ, ARRIVAL)
    steps = {s.name: s for s in case_steps(case, ARRIVAL, cfg)}
    assert steps["notice"].due == ARRIVAL + timedelta(hours=24)
    assert steps["dna_request"].due == datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    assert steps["refresh-1"].due == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert "refresh-2" not in steps  # only one refresh pending at a time

    def kinds(now: datetime) -> dict[str, str]:
        return {n.step: n.kind for n in due_notices("c1", "s1", case_steps(case, now, cfg), now,
                                                    "family_search")}  # fmt: skip

    assert kinds(ARRIVAL + timedelta(hours=19, minutes=59)) == {}
    assert kinds(ARRIVAL + timedelta(hours=20)) == {"notice": "reminder"}
    assert kinds(ARRIVAL + timedelta(hours=24)) == {"notice": "reminder"}  # at the deadline
    assert kinds(ARRIVAL + timedelta(hours=24, seconds=1)) == {"notice": "overdue"}
    # the notice published: later steps only
    done = CaseTimes("c1", "s1", TZ, ARRIVAL, notice_at=ARRIVAL + timedelta(hours=3))
    later = datetime(2026, 10, 12, 16, 0, 1, tzinfo=UTC)
    got = {n.step: n.kind for n in due_notices("c1", "s1", case_steps(done, later, cfg), later,
                                               "family_search")}  # fmt: skip
    assert got == {"dna_request": "overdue"}
    # refreshes: the next is due a month after the previous one was recorded
    refreshed = CaseTimes(
        "c1", "s1", TZ, ARRIVAL, refreshes=(datetime(2026, 10, 27, 2, 0, tzinfo=UTC),)
    )
    names = {s.name: s for s in case_steps(refreshed, later, cfg)}
    assert names["refresh-2"].due == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_visits_every_two_months_for_a_year() -> None:
    back = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)
    steps = visit_steps(back, TZ, [], DeadlinesConfig())
    assert [s.due.date() for s in steps] == [
        date(2026, 5, 31), date(2026, 7, 31), date(2026, 9, 30),
        date(2026, 11, 30), date(2027, 1, 31), date(2027, 3, 31),
    ]  # fmt: skip
