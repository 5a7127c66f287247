"""Family-search and follow-up-visit deadlines and their notices: pure (time is an argument).

Family search (寻亲, DOMAIN.md §5; research/family-search.md §2.1), for a person whose identity is
unknown, counted from the time of entry:

- `notice`: a family-search notice published within 24 hours (channel, date, reference);
- `dna_request`: the written DNA request to the police within 7 Chinese working days (the day of
  entry not counted; make-up working weekends counted; gateway/people/calendar.py);
- `refresh-1`, `refresh-2`, …: the notices refreshed 1 month after entry, then 1 month after the
  previous refresh was recorded, while the case is open.

Follow-up visits (易走失, DOMAIN.md §6) of a flagged person who returned home: `visit-1` … `visit-6`
due 2, 4, … 12 months after the return.

Each open step has two notices: a **reminder** `lead` before it is due and an **overdue** notice
strictly after it is due. Each becomes one alert of the engine (rules `family_search_reminder` /
`family_search_overdue`, `visit_reminder` / `visit_overdue`), whose subject `Notice.subject` is
the proof it was sent: the caller raises only notices whose alert does not exist yet, so a
restart never sends one twice. Only the latest notice that fell due is returned per step: after
a gap, a stale reminder is superseded by the overdue notice and never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.people.calendar import add_months, working_days_deadline

NoticeKind = Literal["reminder", "overdue"]


class DeadlinesConfig(BaseModel):
    """Deadlines and reminder lead times (the `[people.deadlines]` table; defaults are the
    documents' own figures)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notice_h: float = Field(
        24, gt=0, le=24 * 14, description="notice due this many hours after entry"
    )
    dna_working_days: int = Field(
        7, ge=1, le=60, description="written DNA request due after this many working days"
    )
    refresh_months: int = Field(1, ge=1, le=12, description="notices refreshed this often")
    visit_every_months: int = Field(2, ge=1, le=12, description="follow-up visit interval")
    visits: int = Field(6, ge=1, le=24, description="follow-up visits after a return (6 = 1 year)")
    notice_remind_h: float = Field(
        4, ge=0, le=24 * 7, description="reminder this many hours before the notice is due"
    )
    dna_remind_h: float = Field(
        24, ge=0, le=24 * 14, description="reminder this many hours before the DNA request is due"
    )
    refresh_remind_h: float = Field(
        72, ge=0, le=24 * 28, description="reminder this many hours before a refresh is due"
    )
    visit_remind_h: float = Field(
        168, ge=0, le=24 * 60, description="reminder this many hours before a visit is due"
    )


@dataclass(frozen=True, slots=True)
class Step:
    """One dated duty of a case or a follow-up schedule."""

    name: str  # notice, dna_request, refresh-1, …, visit-1, …
    due: datetime  # UTC
    lead: timedelta  # reminder this long before
    done_at: datetime | None = None
    exact: bool = True  # False: the working-day calendar had to guess (see calendar.py)


@dataclass(frozen=True, slots=True)
class Notice:
    """A reminder or overdue notice to raise as one alert."""

    rule: str  # family_search_reminder/_overdue, visit_reminder/_overdue
    site: str
    subject: str  # "<case or schedule id>/<step>": unique per notice kind
    step: str
    kind: NoticeKind
    at: datetime  # when it fell due
    due: datetime


@dataclass(frozen=True, slots=True)
class CaseTimes:
    """What the deadlines of a family-search case depend on."""

    case_id: str
    site: str
    tz: str
    entered_at: datetime
    notice_at: datetime | None = None
    dna_requested_at: datetime | None = None
    refreshes: tuple[datetime, ...] = ()  # recorded refresh times, in order
    closed_at: datetime | None = None


def case_steps(case: CaseTimes, now: datetime, config: DeadlinesConfig) -> list[Step]:
    """The steps of a case up to the first refresh not yet done (done ones included)."""
    dna = working_days_deadline(case.entered_at, config.dna_working_days, case.tz)
    steps = [
        Step(
            "notice",
            case.entered_at + timedelta(hours=config.notice_h),
            timedelta(hours=config.notice_remind_h),
            case.notice_at,
        ),
        Step(
            "dna_request",
            dna.due,
            timedelta(hours=config.dna_remind_h),
            case.dna_requested_at,
            dna.exact,
        ),
    ]
    previous = case.entered_at
    k = 0
    while True:  # refreshes done, then the next one due
        k += 1
        due = add_months(previous, config.refresh_months, case.tz)
        done = case.refreshes[k - 1] if k <= len(case.refreshes) else None
        steps.append(Step(f"refresh-{k}", due, timedelta(hours=config.refresh_remind_h), done))
        if done is None:
            break
        previous = done
    return steps


def visit_steps(
    returned_at: datetime, tz: str, done: list[datetime | None], config: DeadlinesConfig
) -> list[Step]:
    """The follow-up visits after a return home; `done[i]` is when visit i+1 was recorded."""
    lead = timedelta(hours=config.visit_remind_h)
    return [
        Step(
            f"visit-{i}",
            add_months(returned_at, i * config.visit_every_months, tz),
            lead,
            done[i - 1] if i - 1 < len(done) else None,
        )
        for i in range(1, config.visits + 1)
    ]


def due_notices(
    owner_id: str,
    site: str,
    steps: list[Step],
    now: datetime,
    family: Literal["family_search", "visit"],
) -> list[Notice]:
    """The notices fallen due at `now` for the open steps (the latest one per step)."""
    out = []
    for step in steps:
        if step.done_at is not None:
            continue
        kind: NoticeKind
        if now > step.due:  # strictly after, like an incident's overdue reports
            kind, at = "overdue", step.due
        elif now >= step.due - step.lead:
            kind, at = "reminder", step.due - step.lead
        else:
            continue
        out.append(
            Notice(
                rule=f"{family}_{kind}",
                site=site,
                subject=f"{owner_id}/{step.name}",
                step=step.name,
                kind=kind,
                at=at,
                due=step.due,
            )
        )
    return out


def next_due(steps: list[Step]) -> Step | None:
    """The open step due first (for countdowns)."""
    return min((s for s in steps if s.done_at is None), key=lambda s: s.due, default=None)
