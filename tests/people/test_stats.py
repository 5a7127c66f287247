"""People in the daily and monthly returns and their CSV: admitted, departed by way,
belongings still held (days are the site's, Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from gateway.people import belongings, store
from gateway.people.models import BelongingIn, PersonCreate
from gateway.reports.export import stats_csv, stats_rows
from gateway.reports.stats import daily_stats, monthly_stats
from gateway.store.db import open_store


def test_people_counts_in_the_returns(tmp_path: Path) -> None:
    db = open_store(tmp_path / "gw.db")
    # 2026-12-02 in Shanghai runs from 12-01T16:00Z to 12-02T16:00Z
    day1 = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    day2 = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # already 12-03 in Shanghai
    a = store.create_person(db, PersonCreate(site="s1", came_at=day1), "desk", now=day1)
    b = store.create_person(db, PersonCreate(site="s1", came_at=day1), "desk", now=day1)
    store.create_person(db, PersonCreate(site="s2", came_at=day1), "desk", now=day1)
    store.create_person(db, PersonCreate(site="s1", came_at=day2), "desk", now=day2)
    belongings.add_belonging(db, a.id, BelongingIn(item="剪刀"), "desk", now=day1)
    belongings.add_belonging(db, b.id, BelongingIn(item="手机"), "desk", now=day1)
    store.set_status(db, a.id, "left", "desk", override="ran off", now=day1)
    store.set_status(db, b.id, "returned_home", "desk", override="x", now=day2)
    s = daily_stats(db, "s1", date(2026, 12, 2))
    assert s["people"] == {
        "admitted": 2,
        "departed": {"returned_home": 0, "transferred": 0, "left": 1, "deceased": 0},
        "belongings_held": 2,
        "belongings_held_departed": 1,  # a's scissors; b had not left yet
    }
    assert daily_stats(db, None, date(2026, 12, 2))["people"]["admitted"] == 3
    m = monthly_stats(db, "s1", 2026, 12)
    assert m["people"]["admitted"] == 3 and m["people"]["departed"]["returned_home"] == 1
    assert m["people"]["belongings_held_departed"] == 2
    by_day = {d["date"]: (d["people_admitted"], d["people_departed"]) for d in m["days"]}
    assert by_day["2026-12-02"] == (2, 1) and by_day["2026-12-03"] == (1, 1)
    rows = {(r[0], r[1], r[2]): r[3] for r in stats_rows(m)}
    assert rows["people", "admitted", "count"] == 3
    assert rows["people", "departed", "left"] == 1
    assert "people,belongings_held_departed,items,2" in stats_csv(m).decode("utf-8-sig")
