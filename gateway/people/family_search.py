"""Family-search cases (寻亲): opening, recording steps, closing, and the timer that raises their
deadline notices through the alert engine (docs/people.md, "Family search and follow-up").

A case is opened for every person file whose identity is unknown (no name given) and whose file
is open — by the timer, so that no arrival is forgotten — or by hand. Its deadlines
(gateway/people/family_search_deadlines.py) count from the person's arrival. Every record goes
to the audit trail in the same transaction. The same timer schedules the follow-up visits of
flagged people who returned home (gateway/people/visits.py) and raises their notices.

Exactly once: a notice is raised as an alert whose (rule, subject) is its key; the timer raises
only notices without such an alert, and the alert row is written in the engine's own
transaction, so a restart neither loses nor repeats one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import sqlite_utils
from pydantic import BaseModel, ConfigDict, Field

from devices.contract.codec import new_id
from gateway.alerts.models import DeadlineNotice
from gateway.auth.audit import audit
from gateway.people import Conflict, Invalid, NotFound
from gateway.people.family_search_deadlines import (
    CaseTimes,
    DeadlinesConfig,
    Notice,
    Step,
    case_steps,
    due_notices,
    next_due,
)
from gateway.people.models import CLOSED
from gateway.people.store import one_row, rows
from gateway.store.sql import site_in
from gateway.store.times import iso, parse

log = logging.getLogger(__name__)

StepName = Literal["notice", "dna_request", "refresh"]
FoundBy = Literal["notice", "dna", "face_match", "interview", "other"]


class Deadlines(Protocol):
    """The alert service as the timer sees it (gateway/alerts/service.py)."""

    def raise_deadline(self, notice: DeadlineNotice) -> str | None: ...

    def close_deadlines(self, subject_prefix: str, by: str) -> list[str]: ...


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: StepName = Field(description="notice (24 h), dna_request (7 working days), refresh")
    at: datetime | None = Field(None, description="when it was done (UTC); default now")
    channel: str = Field(
        min_length=1,
        max_length=120,
        description="notice: where published (全国救助寻亲网, newspaper, TV…); DNA: police unit",
    )
    reference: str | None = Field(None, max_length=300, description="URL, notice or letter no.")
    note: str | None = Field(None, max_length=1000, description="remarks")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    found_by: FoundBy = Field(description="how identity was found")
    found_note: str | None = Field(None, max_length=1000, description="details (who, what)")
    handed_to: str = Field(min_length=1, max_length=200, description="handed over to whom")
    handed_relation: str | None = Field(
        None, max_length=120, description="relation or organisation (son, 流出地救助站, …)"
    )
    id_checked: bool = Field(description="the receiver's identity document was checked")
    belongings_returned: bool = Field(description="belongings held were returned (signed)")
    handover_note: str | None = Field(None, max_length=1000, description="escort, documents")


class StepOut(BaseModel):
    name: str = Field(description="notice, dna_request, refresh-1, …")
    due: str = Field(description="deadline (UTC ISO)")
    done_at: str | None = Field(None, description="when it was done (first record)")
    left_s: float | None = Field(None, description="seconds to the deadline (negative: overdue)")
    state: Literal["done", "open", "due_soon", "overdue"]
    exact: bool = Field(True, description="false: working days estimated (calendar year missing)")


class StepRecord(BaseModel):
    """A family-search step as recorded (a notice published, DNA requested, a refresh)."""

    id: int
    step: str = Field(description="notice, dna_request or refresh")
    at: str = Field(description="when it was done, UTC ISO")
    channel: str | None = Field(None, description="notice: where published; DNA: police unit")
    reference: str | None = Field(None, description="URL, notice or letter no.")
    note: str | None = None
    recorded_by: str


class Case(BaseModel):
    """A family-search case with its deadlines as countdowns."""

    id: str
    person_id: str
    person_names: list[str] = Field(default_factory=list, description="names on the file")
    site: str
    entered_at: str = Field(
        description="when the person entered the station (the deadlines' start)"
    )
    opened_at: str = Field(description="when the case was opened, UTC ISO")
    opened_by: str
    closed_at: str | None = Field(None, description="when the family was found, UTC ISO")
    closed_by: str | None = None
    found_by: str | None = Field(None, description="how identity was found")
    found_note: str | None = None
    handed_to: str | None = Field(None, description="handed over to whom")
    handed_relation: str | None = Field(None, description="the receiver's relation to the person")
    id_checked: bool | None = Field(
        None, description="the receiver's identity document was checked"
    )
    belongings_returned: bool | None = None
    handover_note: str | None = Field(None, description="escort, documents")
    steps: list[StepOut]
    records: list[StepRecord] = Field(default_factory=list)
    next_step: str | None = Field(None, description="the open step due first")
    next_due: str | None = None
    overdue: list[str] = Field(default_factory=list, description="steps past their deadline")


def _case_row(db: sqlite_utils.Database, case_id: str) -> dict[str, Any]:
    missing = f"no family-search case {case_id!r}"
    return one_row(db, "SELECT * FROM family_search_cases WHERE id=?", [case_id], missing)


def _times(db: sqlite_utils.Database, row: dict[str, Any], tz: str) -> CaseTimes:
    recs = rows(
        db, "SELECT step, at FROM family_search_steps WHERE case_id=? ORDER BY at, id", [row["id"]]
    )

    def first(step: str) -> datetime | None:
        return next((parse(r["at"]) for r in recs if r["step"] == step), None)

    return CaseTimes(
        case_id=row["id"],
        site=row["site"],
        tz=tz,
        entered_at=parse(row["entered_at"]),
        notice_at=first("notice"),
        dna_requested_at=first("dna_request"),
        refreshes=tuple(parse(r["at"]) for r in recs if r["step"] == "refresh"),
        closed_at=parse(row["closed_at"]) if row["closed_at"] else None,
    )


StepState = Literal["done", "open", "due_soon", "overdue"]


def step_state(step: Step, now: datetime) -> tuple[StepState, float]:
    """Where a deadline step stands at `now`, and the seconds left (negative: overdue)."""
    left = (step.due - now).total_seconds()
    if step.done_at is not None:
        return "done", left
    if left < 0:
        return "overdue", left
    return ("due_soon" if now >= step.due - step.lead else "open"), left


def _step_out(step: Step, now: datetime) -> StepOut:
    state, left = step_state(step, now)
    return StepOut(
        name=step.name,
        due=iso(step.due),
        done_at=iso(step.done_at) if step.done_at else None,
        left_s=None if step.done_at else left,
        state=state,
        exact=step.exact,
    )


class FamilySearch:
    """Cases on one database. `tz_of(site)` is the site's time zone (working days are local
    days); `alerts` the alert service (None: deadlines are tracked, nothing is raised)."""

    def __init__(
        self,
        config: DeadlinesConfig | None = None,
        *,
        tz_of: Callable[[str], str] = lambda site: "Asia/Shanghai",
        alerts: Deadlines | None = None,
    ) -> None:
        self.config = config or DeadlinesConfig()
        self.tz_of = tz_of
        self.alerts = alerts

    # reading ------------------------------------------------------------------------------

    def steps(self, db: sqlite_utils.Database, row: dict[str, Any], now: datetime) -> list[Step]:
        return case_steps(_times(db, row, self.tz_of(row["site"])), now, self.config)

    def case(self, db: sqlite_utils.Database, case_id: str, now: datetime) -> Case:
        return self._case(db, _case_row(db, case_id), now, records=True)

    def _case(
        self, db: sqlite_utils.Database, row: dict[str, Any], now: datetime, *, records: bool
    ) -> Case:
        steps = [] if row["closed_at"] else self.steps(db, row, now)
        if row["closed_at"]:  # closed: the steps as they were done, no countdowns
            done = _times(db, row, self.tz_of(row["site"]))
            steps = [s for s in case_steps(done, now, self.config) if s.done_at is not None]
        outs = [_step_out(s, now) for s in steps]
        nxt = next_due(steps) if not row["closed_at"] else None
        names = rows(db, "SELECT names FROM people WHERE id=?", [row["person_id"]])
        recs = (
            rows(
                db,
                "SELECT id, step, at, channel, reference, note, recorded_by "
                "FROM family_search_steps WHERE case_id=? ORDER BY at, id",
                [row["id"]],
            )
            if records
            else []
        )
        return Case(
            **{k: row[k] for k in Case.model_fields if k in row and k not in ("steps",)}
            | {
                "id_checked": None if row["id_checked"] is None else bool(row["id_checked"]),
                "belongings_returned": None
                if row["belongings_returned"] is None
                else bool(row["belongings_returned"]),
            },
            person_names=json.loads(names[0]["names"]) if names else [],
            steps=outs,
            records=[StepRecord(**r) for r in recs],
            next_step=nxt.name if nxt else None,
            next_due=iso(nxt.due) if nxt else None,
            overdue=[o.name for o in outs if o.state == "overdue"],
        )

    def cases(
        self,
        db: sqlite_utils.Database,
        now: datetime,
        *,
        state: Literal["open", "closed", "all"] = "open",
        sites: tuple[str, ...] | None = None,
        person_id: str | None = None,
        limit: int = 200,
    ) -> list[Case]:
        scope, args = site_in("site", sites)
        where = [scope] if scope else []
        if state == "open":
            where.append("closed_at IS NULL")
        elif state == "closed":
            where.append("closed_at IS NOT NULL")
        if person_id:
            where.append("person_id=?")
            args.append(person_id)
        sql = "SELECT * FROM family_search_cases" + (
            " WHERE " + " AND ".join(where) if where else ""
        )
        found = rows(db, sql + " ORDER BY id DESC LIMIT ?", [*args, limit])
        cases = [self._case(db, r, now, records=False) for r in found]
        return sorted(cases, key=lambda c: (c.next_due is None, c.next_due or "", c.id))

    # changes ------------------------------------------------------------------------------

    def open_case(self, db: sqlite_utils.Database, person_id: str, by: str, now: datetime) -> Case:
        sql = "SELECT id, site, came_at, status FROM people WHERE id=?"
        p = one_row(db, sql, [person_id], f"no person {person_id!r}")
        if p["status"] in CLOSED:
            raise Invalid(f"the file of {person_id} is closed ({p['status']}): no search to open")
        existing = rows(
            db,
            "SELECT id FROM family_search_cases WHERE person_id=? AND closed_at IS NULL",
            [person_id],
        )
        if existing:
            raise Conflict(f"person {person_id} already has an open case {existing[0]['id']}")
        case_id = new_id()
        with db.atomic():
            db.table("family_search_cases").insert(
                {
                    "id": case_id,
                    "person_id": person_id,
                    "site": p["site"],
                    "entered_at": p["came_at"],
                    "opened_at": iso(now),
                    "opened_by": by,
                }
            )
            audit(db, by, "family_search.open", case_id, {"person_id": person_id}, at=now)
        return self.case(db, case_id, now)

    def record_step(
        self, db: sqlite_utils.Database, case_id: str, body: StepIn, by: str, now: datetime
    ) -> Case:
        row = _case_row(db, case_id)
        if row["closed_at"]:
            raise Conflict(f"case {case_id} is closed")
        at = min(body.at or now, now)
        if at < parse(row["entered_at"]):
            raise Invalid("a step cannot be done before the person arrived")
        before = self._case(db, row, now, records=False)
        with db.atomic():
            db.table("family_search_steps").insert(
                {
                    "case_id": case_id,
                    "step": body.step,
                    "at": iso(at),
                    "channel": body.channel,
                    "reference": body.reference,
                    "note": body.note,
                    "recorded_by": by,
                    "recorded_at": iso(now),
                }
            )
            audit(
                db, by, f"family_search.{body.step}", case_id, body.model_dump(mode="json"), at=now
            )
        after = self._case(db, row, now, records=True)
        if self.alerts is not None:  # the steps this record met: their notices are done
            met = {s.name for s in after.steps if s.state == "done"} - {
                s.name for s in before.steps if s.state == "done"
            }
            for name in met:
                self.alerts.close_deadlines(f"{case_id}/{name}", by)
        return after

    def close_case(
        self, db: sqlite_utils.Database, case_id: str, body: CloseIn, by: str, now: datetime
    ) -> Case:
        row = _case_row(db, case_id)
        if row["closed_at"]:
            raise Conflict(f"case {case_id} is already closed")
        with db.atomic():
            db.execute(
                "UPDATE family_search_cases SET closed_at=?, closed_by=?, found_by=?, "
                "found_note=?, handed_to=?, handed_relation=?, id_checked=?, "
                "belongings_returned=?, handover_note=? WHERE id=?",
                (
                    iso(now),
                    by,
                    body.found_by,
                    body.found_note,
                    body.handed_to,
                    body.handed_relation,
                    int(body.id_checked),
                    int(body.belongings_returned),
                    body.handover_note,
                    case_id,
                ),
            )
            audit(db, by, "family_search.close", case_id, body.model_dump(mode="json"), at=now)
        if self.alerts is not None:
            self.alerts.close_deadlines(f"{case_id}/", by)
        return self.case(db, case_id, now)

    # the timer ----------------------------------------------------------------------------

    def open_missing(self, db: sqlite_utils.Database, now: datetime) -> list[str]:
        """Open a case for every open file with no name given and no case yet (never closed
        one: a closed case means identity was found or the search ended by a person's act)."""
        closed = ",".join(f"'{s}'" for s in sorted(CLOSED))
        found = rows(
            db,
            "SELECT p.id FROM people p WHERE p.names='[]' AND p.archived_at IS NULL "
            f"AND p.status NOT IN ({closed}) AND NOT EXISTS "
            "(SELECT 1 FROM family_search_cases c WHERE c.person_id=p.id)",
        )
        opened = []
        for r in found:
            try:
                opened.append(self.open_case(db, r["id"], "engine", now).id)
            except (Conflict, Invalid, NotFound) as exc:  # raced with a person: fine
                log.info("family-search case for %s not opened: %s", r["id"], exc)
        return opened

    def end_departed(self, db: sqlite_utils.Database, now: datetime) -> list[str]:
        """End the open cases of people whose file closed (left, transferred, returned home,
        deceased) without a case closing: the deadlines run "while the person stays". The case
        says so (`found_note`), with no `found_by`; its open notices are resolved."""
        closed = ",".join(f"'{s}'" for s in sorted(CLOSED))
        found = rows(
            db,
            "SELECT c.id, p.status FROM family_search_cases c JOIN people p ON p.id=c.person_id "
            f"WHERE c.closed_at IS NULL AND p.status IN ({closed})",
        )
        for r in found:
            with db.atomic():
                db.execute(
                    "UPDATE family_search_cases SET closed_at=?, closed_by='engine', found_note=? "
                    "WHERE id=? AND closed_at IS NULL",
                    (iso(now), f"search ended: the file closed ({r['status']})", r["id"]),
                )
                audit(db, "engine", "family_search.end", r["id"], r["status"], at=now)
            if self.alerts is not None:
                self.alerts.close_deadlines(f"{r['id']}/", "engine")
        return [r["id"] for r in found]

    def notices(self, db: sqlite_utils.Database, now: datetime) -> list[Notice]:
        """Notices fallen due on the open cases."""
        out: list[Notice] = []
        for row in rows(db, "SELECT * FROM family_search_cases WHERE closed_at IS NULL"):
            out += due_notices(
                row["id"], row["site"], self.steps(db, row, now), now, "family_search"
            )
        return out


def raise_new(db: sqlite_utils.Database, alerts: Deadlines, notices: list[Notice]) -> list[str]:
    """Raise the notices whose alert does not exist yet (each notice once, ever)."""
    raised = []
    for n in notices:
        sent = db.execute(
            "SELECT 1 FROM alerts WHERE rule=? AND subject=? LIMIT 1", (n.rule, n.subject)
        ).fetchone()
        if sent:
            continue
        alert_id = alerts.raise_deadline(DeadlineNotice(n.rule, n.site, n.subject, n.at))
        if alert_id:
            raised.append(alert_id)
    return raised


def utcnow() -> datetime:
    return datetime.now(UTC)
