"""Family-search and follow-up figures in the daily/monthly returns and their CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from gateway.people.family_search import CloseIn, FamilySearch, StepIn
from gateway.people.models import PersonCreate
from gateway.people.store import create_person, set_status
from gateway.people.visits import Followups, VisitIn
from gateway.people.wander import FlagIn, flag
from gateway.reports import daily_stats, monthly_stats, stats_csv
from gateway.store.db import open_store

ARRIVAL = datetime(2026, 9, 25, 2, 0, tzinfo=UTC)  # Fri 10:00 Shanghai


def test_cases_opened_closed_overdue_and_visits_in_the_returns(tmp_path: Path) -> None:
    db = open_store(tmp_path / "gw.db")
    fs = FamilySearch()
    came = "2026-09-25T02:00:00.000Z"
    a = create_person(db, PersonCreate(site="s1", came_by="police", came_at=came), "d", now=ARRIVAL)
    b = create_person(db, PersonCreate(site="s1", came_by="self", came_at=came), "d", now=ARRIVAL)
    other = create_person(
        db, PersonCreate(site="s2", came_by="self", came_at=came), "d", now=ARRIVAL
    )
    fs.open_case(db, a.id, "engine", ARRIVAL + timedelta(minutes=1))
    case_b = fs.open_case(db, b.id, "engine", ARRIVAL + timedelta(minutes=1))
    fs.open_case(db, other.id, "engine", ARRIVAL + timedelta(minutes=1))
    # b: notice on time, then identity found by interview on 27 Sep; a: nothing done
    fs.record_step(
        db,
        case_b.id,
        StepIn(step="notice", channel="全国救助寻亲网"),
        "s",
        ARRIVAL + timedelta(hours=3),
    )
    closing = CloseIn(
        found_by="interview", handed_to="儿子 李强", id_checked=True, belongings_returned=True
    )
    fs.close_case(db, case_b.id, closing, "sup", datetime(2026, 9, 27, 3, 0, tzinfo=UTC))

    now = datetime(2026, 12, 1, tzinfo=UTC)
    sept = monthly_stats(db, "s1", 2026, 9, now=now)
    assert sept["family_search"]["opened"] == 2 and sept["family_search"]["closed"] == 1
    assert sept["family_search"]["by_found"] == {"interview": 1}
    # at the end of September (Shanghai) a's notice is overdue; its DNA request (12 Oct) not yet
    assert sept["family_search"]["overdue"] == 1
    assert sept["family_search"]["overdue_steps"] == {"notice": 1, "dna_request": 0, "refresh": 0}
    oct_ = monthly_stats(db, "s1", 2026, 10, now=now)
    assert oct_["family_search"]["opened"] == 0
    # by 1 Nov: notice, DNA request and the 25 Oct refresh are all late
    assert oct_["family_search"]["overdue_steps"] == {"notice": 1, "dna_request": 1, "refresh": 1}
    day = daily_stats(db, "s1", date(2026, 9, 25), now=now)
    assert day["family_search"]["opened"] == 2 and day["family_search"]["overdue"] == 0
    assert monthly_stats(db, None, 2026, 9, now=now)["family_search"]["opened"] == 3

    # visits: a flagged person returned home on 1 Oct: due 1 Dec, 1 Feb, …; one recorded early
    fl = FlagIn(reasons=["dementia"], why="found twice at the station")
    flag(db, b.id, fl, "sup", ARRIVAL)
    set_status(
        db, b.id, "returned_home", "sup", reason="family", now=datetime(2026, 10, 1, 2, tzinfo=UTC)
    )
    fu = Followups()
    assert len(fu.schedule_returned(db, now)) == 1
    visit = VisitIn(visited_on=date(2026, 11, 28), method="phone", outcome="well", risk="low")
    fu.record(db, b.id, visit, "sup", datetime(2026, 11, 28, 2, tzinfo=UTC))
    nov = monthly_stats(db, "s1", 2026, 11, now=now)
    assert nov["visits"] == {"done": 1, "due": 0, "overdue": 0, "as_of": "2026-11-30T16:00:00.000Z"}
    later = datetime(2027, 3, 1, tzinfo=UTC)
    feb = monthly_stats(db, "s1", 2027, 2, now=later)
    assert feb["visits"]["due"] == 1 and feb["visits"]["overdue"] == 1  # the 1 Feb visit

    rows = list(csv.reader(io.StringIO(stats_csv(sept).decode("utf-8-sig"))))
    assert ["family_search", "cases", "opened", "2"] in rows
    assert ["family_search", "overdue_step", "notice", "1"] in rows
    assert ["visits", "follow_up", "overdue", "0"] in rows
