"""Properties of the deadline notices over random clocks (hypothesis): whatever the tick times
and whenever steps are recorded, a notice the caller has not raised yet is never early, an
overdue notice comes only strictly after its deadline, a reminder only inside its lead time and
never after the overdue notice of its step, and nothing comes for a step already done. (That
each is raised once is the caller's: tests/people_wf/test_deadline_flow.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.people.family_search_deadlines import (
    CaseTimes,
    DeadlinesConfig,
    case_steps,
    due_notices,
)

START = datetime(2026, 9, 20, tzinfo=UTC)
CFG = DeadlinesConfig()

offsets = st.lists(st.integers(min_value=0, max_value=90 * 24 * 3600), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    entry=st.integers(min_value=0, max_value=30 * 24 * 3600),
    ticks=offsets,
    notice_after=st.one_of(st.none(), st.integers(min_value=0, max_value=60 * 3600)),
    dna_after=st.one_of(st.none(), st.integers(min_value=0, max_value=20 * 24 * 3600)),
)
def test_each_notice_once_never_early(
    entry: int, ticks: list[int], notice_after: int | None, dna_after: int | None
) -> None:
    entered = START + timedelta(seconds=entry)
    sent: dict[tuple[str, str], datetime] = {}
    for tick in sorted(ticks):
        now = entered + timedelta(seconds=tick)
        done = {
            "notice_at": entered + timedelta(seconds=notice_after)
            if notice_after is not None and notice_after <= tick
            else None,
            "dna_requested_at": entered + timedelta(seconds=dna_after)
            if dna_after is not None and dna_after <= tick
            else None,
        }
        case = CaseTimes("c", "s", "Asia/Shanghai", entered, **done)
        steps = {s.name: s for s in case_steps(case, now, CFG)}
        for n in due_notices("c", "s", list(steps.values()), now, "family_search"):
            key = (n.rule, n.subject)
            if key in sent:
                continue  # the caller raises it only once (its alert exists)
            step = steps[n.step]
            assert step.done_at is None
            assert n.at <= now
            if n.kind == "overdue":
                assert now > step.due
            else:
                assert step.due - step.lead <= now <= step.due
                assert ("family_search_overdue", n.subject) not in sent
            sent[key] = now
