"""The statistics JSON matches the schema /openapi.json shows for it (gateway/reports/models.py),
with a populated day and month (every key present, nothing extra, the types right)."""

from __future__ import annotations

from datetime import date

from gateway.reports import daily_stats, monthly_stats
from gateway.reports.models import Stats
from tests.reports.conftest import NOW, Fixture


def test_daily_and_monthly_statistics_match_their_published_schema(station: Fixture) -> None:
    day = Stats.model_validate(daily_stats(station.db, "s1", date(2026, 11, 22), now=NOW))
    assert day.period == "day" and day.checks.total == 4 and day.alerts.by_rule
    month = Stats.model_validate(monthly_stats(station.db, "s1", 2026, 11, now=NOW))
    assert month.period == "month" and len(month.days) == 30
    everything = Stats.model_validate(monthly_stats(station.db, None, 2026, 11, now=NOW))
    assert everything.site is None
