"""The statistics' JSON as the API answers it (GET /api/v1/reports/daily|monthly): the schema
`/openapi.json` shows, checked against what `gateway/reports/stats.py` builds
(tests/reports/test_stats_schema.py). Times are UTC ISO 8601; `tz` names the zone the period's
day or month boundaries were taken in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckStats(_Strict):
    total: int
    outcomes: dict[str, int] = Field(description="checks per outcome (cleared, fever_referral…)")
    fevers: int
    items_held: int = Field(description="items held at the gate")


class RuleStats(_Strict):
    rule: str
    severity: str
    count: int
    acknowledged: int
    response_p50_s: float | None
    response_max_s: float | None


class AlertStats(_Strict):
    total: int
    acknowledged: int
    response_p50_s: float | None = Field(description="raise to acknowledgement, median")
    response_max_s: float | None
    by_severity: dict[str, int]
    by_rule: list[RuleStats]


class DeadlineStats(_Strict):
    met: int
    late: int
    missed: int
    pending: int
    on_time_pct: float | None


class IncidentStats(_Strict):
    total: int
    open: int
    by_category: dict[str, int]
    phone: DeadlineStats = Field(description="phone report within 30 minutes")
    written: DeadlineStats = Field(description="written report within 60 minutes")


class PeopleStats(_Strict):
    admitted: int
    departed: dict[str, int] = Field(description="per status: returned_home, transferred…")
    belongings_held: int
    belongings_held_departed: int = Field(description="still held for people who have left")


class FamilySearchStats(_Strict):
    opened: int
    closed: int
    by_found: dict[str, int] = Field(description="closed cases by how the family was found")
    overdue: int
    overdue_steps: dict[str, int]
    as_of: str


class VisitStats(_Strict):
    done: int
    due: int
    overdue: int
    as_of: str


class DayRow(_Strict):
    date: str
    checks: int
    cleared: int
    items_held: int
    fever_referral: int
    hypothermia_referral: int
    refused: int
    incomplete: int
    fevers: int
    items_held_items: int
    alerts: int
    incidents: int
    phone_met: int
    written_met: int
    people_admitted: int
    people_departed: int


class Stats(_Strict):
    site: str | None = Field(description="null: every site the caller may see")
    period: Literal["day", "month"]
    label: str = Field(description="YYYY-MM-DD or YYYY-MM")
    tz: str
    start: str
    end: str
    generated_at: str
    checks: CheckStats
    alerts: AlertStats
    incidents: IncidentStats
    people: PeopleStats
    family_search: FamilySearchStats
    visits: VisitStats
    days: list[DayRow] = Field(description="monthly: one row per day; daily: empty")
