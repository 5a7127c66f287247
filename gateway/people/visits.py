"""Follow-up visits of wander-risk people after they returned home, and the deadline timer.

A person in the register (an open flag, or one cleared on or after the return) whose file goes
to `returned_home` gets a schedule: visits due 2, 4, … 12 months after the return (DOMAIN.md §6:
"at least every 2 months for a year"). Each recorded visit (date, method, outcome, risk of
wandering again, measures) meets the earliest visit still open; a visit recorded late does
not move the later due dates (the schedule is the year after the return).

`DeadlineTimer` runs on the alert service's tick: it opens the family-search cases and visit
schedules that are missing, then raises the notices fallen due (gateway/people/family_search.py).
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
from pydantic import BaseModel, ConfigDict, Field

from devices.contract.codec import new_id
from gateway.auth.audit import audit
from gateway.people import Conflict, NotFound
from gateway.people.family_search import Deadlines, FamilySearch, raise_new, step_state
from gateway.people.family_search_deadlines import (
    DeadlinesConfig,
    Notice,
    Step,
    due_notices,
    visit_steps,
)
from gateway.people.store import rows
from gateway.store.db import connect
from gateway.store.times import iso, parse

log = logging.getLogger(__name__)

Method = Literal["home", "phone", "video", "community", "other"]
Risk = Literal["low", "medium", "high"]


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visited_on: date = Field(description="date of the visit (local)")
    method: Method = Field(description="home visit, phone, video, via the community, other")
    outcome: str = Field(min_length=1, max_length=2000, description="how the person is doing")
    risk: Risk = Field(description="risk of wandering again")
    measures: str | None = Field(
        None, max_length=1000, description="preventive measures (contact card, wristband, …)"
    )


class Visit(BaseModel):
    id: int
    seq: int
    visited_on: str
    method: str
    outcome: str
    risk: str
    measures: str | None = None
    recorded_by: str
    recorded_at: str


class VisitDue(BaseModel):
    """A scheduled visit (done or not) with its countdown."""

    schedule_id: str
    person_id: str
    names: list[str]
    site: str
    returned_at: str
    step: str
    due: str
    left_s: float | None = None
    state: Literal["done", "open", "due_soon", "overdue"]
    visit: Visit | None = None


def visits_recorded(db: sqlite_utils.Database, schedule_id: str) -> dict[int, datetime]:
    """When each visit of a schedule was recorded, by its number (1…)."""
    return {
        r["seq"]: parse(r["recorded_at"])
        for r in rows(
            db, "SELECT seq, recorded_at FROM followup_visits WHERE schedule_id=?", [schedule_id]
        )
    }


class Followups:
    def __init__(self, config: DeadlinesConfig | None = None, *, tz_of: Any = None) -> None:
        self.config = config or DeadlinesConfig()
        self.tz_of = tz_of or (lambda site: "Asia/Shanghai")

    def schedule_returned(self, db: sqlite_utils.Database, now: datetime) -> list[str]:
        """Schedules for flagged people who returned home and have none since that return."""
        found = rows(
            db,
            "SELECT p.id, p.site, p.status_since FROM people p WHERE p.status='returned_home' "
            "AND EXISTS (SELECT 1 FROM wander_flags f WHERE f.person_id=p.id AND "
            "(f.cleared_at IS NULL OR f.cleared_at >= p.status_since)) AND NOT EXISTS "
            "(SELECT 1 FROM followup_schedules s WHERE s.person_id=p.id "
            "AND s.returned_at >= p.status_since)",
        )
        made = []
        for r in found:
            sid = new_id()
            with db.atomic():
                db.table("followup_schedules").insert(
                    {
                        "id": sid,
                        "person_id": r["id"],
                        "site": r["site"],
                        "returned_at": r["status_since"],
                        "created_at": iso(now),
                    }
                )
                audit(db, "engine", "followup.schedule", r["id"], {"schedule": sid}, at=now)
            made.append(sid)
        return made

    def _steps(self, db: sqlite_utils.Database, sched: dict[str, Any]) -> list[Step]:
        done = visits_recorded(db, sched["id"])
        return visit_steps(
            parse(sched["returned_at"]),
            self.tz_of(sched["site"]),
            [done.get(i) for i in range(1, self.config.visits + 1)],
            self.config,
        )

    def notices(self, db: sqlite_utils.Database, now: datetime) -> list[Notice]:
        out: list[Notice] = []
        for s in rows(db, "SELECT * FROM followup_schedules WHERE closed_at IS NULL"):
            out += due_notices(s["id"], s["site"], self._steps(db, s), now, "visit")
        return out

    def due(
        self,
        db: sqlite_utils.Database,
        now: datetime,
        *,
        sites: tuple[str, ...] | None = None,
        person_id: str | None = None,
        include_done: bool = False,
    ) -> list[VisitDue]:
        """Scheduled visits, the first due first (open ones only unless `include_done`)."""
        out = []
        sql = (
            "SELECT s.*, p.names FROM followup_schedules s JOIN people p ON p.id=s.person_id"
            " WHERE s.closed_at IS NULL"
        )
        args: list[Any] = []
        if person_id:
            sql += " AND s.person_id=?"
            args.append(person_id)
        for s in rows(db, sql, args):
            if sites is not None and s["site"] not in sites:
                continue
            visits = {
                r["seq"]: Visit(**{k: r[k] for k in Visit.model_fields})
                for r in rows(db, "SELECT * FROM followup_visits WHERE schedule_id=?", [s["id"]])
            }
            for i, step in enumerate(self._steps(db, s), start=1):
                state, left = step_state(step, now)
                if state == "done" and not include_done:
                    continue
                out.append(
                    VisitDue(
                        schedule_id=s["id"],
                        person_id=s["person_id"],
                        names=json.loads(s["names"]),
                        site=s["site"],
                        returned_at=s["returned_at"],
                        step=step.name,
                        due=iso(step.due),
                        left_s=None if step.done_at else left,
                        state=state,
                        visit=visits.get(i),
                    )
                )
        return sorted(out, key=lambda v: (v.state == "done", v.due))

    def record(
        self,
        db: sqlite_utils.Database,
        person_id: str,
        body: VisitIn,
        by: str,
        now: datetime,
        alerts: Deadlines | None = None,
    ) -> Visit:
        found = rows(
            db,
            "SELECT * FROM followup_schedules WHERE person_id=? AND closed_at IS NULL "
            "ORDER BY returned_at DESC LIMIT 1",
            [person_id],
        )
        if not found:
            raise NotFound(f"no follow-up schedule for {person_id}: visits start after a return")
        sched = found[0]
        open_steps = [(i, s) for i, s in enumerate(self._steps(db, sched), 1) if s.done_at is None]
        if not open_steps:
            raise Conflict(f"all {self.config.visits} follow-up visits of {person_id} are recorded")
        seq = open_steps[0][0]
        with db.atomic():
            db.table("followup_visits").insert(
                {
                    "schedule_id": sched["id"],
                    "person_id": person_id,
                    "seq": seq,
                    "visited_on": body.visited_on.isoformat(),
                    "method": body.method,
                    "outcome": body.outcome,
                    "risk": body.risk,
                    "measures": body.measures,
                    "recorded_by": by,
                    "recorded_at": iso(now),
                }
            )
            if len(open_steps) == 1:  # the year is done
                db.execute(
                    "UPDATE followup_schedules SET closed_at=? WHERE id=?", (iso(now), sched["id"])
                )
            audit(db, by, "followup.visit", person_id, body.model_dump(mode="json"), at=now)
        if alerts is not None:
            alerts.close_deadlines(f"{sched['id']}/visit-{seq}", by)
        row = rows(
            db, "SELECT * FROM followup_visits WHERE schedule_id=? AND seq=?", [sched["id"], seq]
        )[0]
        return Visit(**{k: row[k] for k in Visit.model_fields})


STEP_TEXT = {
    "notice": ("寻亲公告(24小时内)", "family-search notice (within 24 h)"),
    "dna_request": (
        "书面报请公安采集DNA(7个工作日内)",
        "written DNA request to the police (7 working days)",
    ),
    "refresh": ("寻亲公告更新(每月)", "monthly refresh of the notices"),
    "visit": ("易走失人员回访(每2个月)", "follow-up visit (every 2 months)"),
}


def deadline_text(db: sqlite_utils.Database, alert: dict[str, Any]) -> dict[str, str] | None:
    """The human text of a family-search or visit notice: whose file, which step, when due."""
    rule, subject = str(alert.get("rule")), str(alert.get("subject") or "")
    if not rule.startswith(("family_search_", "visit_")) or "/" not in subject:
        return None
    owner, step = subject.split("/", 1)
    table = "family_search_cases" if rule.startswith("family_search") else "followup_schedules"
    found = rows(db, f"SELECT person_id FROM {table} WHERE id=?", [owner])
    person = found[0]["person_id"] if found else "?"
    names = rows(db, "SELECT names FROM people WHERE id=?", [person])
    who = "/".join(json.loads(names[0]["names"])) if names else ""
    who = who or "身份不明 / identity unknown"
    zh, en = STEP_TEXT[step.split("-")[0]]
    overdue = rule.endswith("_overdue")
    if overdue:
        return {
            "zh": f"{who}（档案 {person}）：{zh}已逾期（{step}），请立即办理并在系统中登记。",
            "en": f"{who} (file {person}): the {en} is overdue ({step}); do it and record it now.",
        }
    return {
        "zh": f"{who}（档案 {person}）：{zh}即将到期（{step}）。",
        "en": f"{who} (file {person}): the {en} is due soon ({step}).",
    }


class DeadlineTimer:
    """Runs on the alert service's tick (at most every `every_s`): opens missing cases and
    schedules, raises the notices fallen due. Its own connection (the tick thread)."""

    def __init__(
        self,
        db_path: Path | str,
        alerts: Deadlines,
        family: FamilySearch,
        followups: Followups,
        *,
        every_s: float = 30.0,
    ) -> None:
        self.db = connect(db_path, check_same_thread=False)
        self.alerts = alerts
        self.family = family
        self.followups = followups
        self.every_s = every_s
        self._last: datetime | None = None

    def __call__(self, now: datetime) -> None:
        if self._last is not None and (now - self._last).total_seconds() < self.every_s:
            return
        self.run(now)
        self._last = now

    def run(self, now: datetime) -> list[str]:
        """One pass; returns the ids of the alerts raised."""
        self.family.open_missing(self.db, now)
        self.family.end_departed(self.db, now)
        self.followups.schedule_returned(self.db, now)
        notices = self.family.notices(self.db, now) + self.followups.notices(self.db, now)
        return raise_new(self.db, self.alerts, notices)

    def close(self) -> None:
        self.db.conn.close()
