"""Family-search cases (寻亲) with their recorded steps, the wander-risk register (易走失人员) and
the follow-up visits of flagged people after they returned home.

- `family_search_cases`: id (ULID, PK), person_id, site, entered_at (deadlines count from it),
  opened_at, opened_by, closed_at, closed_by, found_by (notice/dna/face_match/interview/other),
  found_note, handed_to, handed_relation, id_checked (0/1), belongings_returned (0/1),
  handover_note. At most one open case per person (partial unique index).
- `family_search_steps`: id (PK), case_id, step (notice/dna_request/refresh), at (when it was
  done), channel (notice: 全国救助寻亲网, newspaper, …; DNA: the police unit), reference (URL,
  notice or letter number), note, recorded_by, recorded_at. A step may be recorded more than
  once (several channels); the first record meets its deadline.
- `wander_flags`: id (PK), person_id, reasons (JSON list: mental_disorder, dementia,
  intellectual_disability, physical_disability, repeated_wandering, minor, elderly_alone), why,
  flagged_by, flagged_at, cleared_at, cleared_by, cleared_reason. One open flag per person.
- `followup_schedules`: id (ULID, PK), person_id, site, returned_at (the visits count from
  it), created_at, closed_at. `followup_visits`: id (PK), schedule_id, person_id, seq (1…6),
  visited_on (YYYY-MM-DD), method (home/phone/video/community/other), outcome, risk
  (low/medium/high: of wandering again), measures, recorded_by, recorded_at.
"""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    # the deadline timer asks "was this notice raised?" (rule, subject) every pass
    db.execute("CREATE INDEX IF NOT EXISTS alerts_rule_subject ON alerts (rule, subject)")
    create_table(
        db,
        "family_search_cases",
        {
            "id": str,
            "person_id": str,
            "site": str,
            "entered_at": str,
            "opened_at": str,
            "opened_by": str,
            "closed_at": str,
            "closed_by": str,
            "found_by": str,
            "found_note": str,
            "handed_to": str,
            "handed_relation": str,
            "id_checked": int,
            "belongings_returned": int,
            "handover_note": str,
        },
        pk="id",
        not_null={"person_id", "site", "entered_at", "opened_at", "opened_by"},
    )
    db.execute(
        "CREATE UNIQUE INDEX family_search_open_case ON family_search_cases (person_id) "
        "WHERE closed_at IS NULL"
    )
    db.table("family_search_cases").create_index(["site", "closed_at"])
    create_table(
        db,
        "family_search_steps",
        {
            "id": int,
            "case_id": str,
            "step": str,
            "at": str,
            "channel": str,
            "reference": str,
            "note": str,
            "recorded_by": str,
            "recorded_at": str,
        },
        pk="id",
        not_null={"case_id", "step", "at", "recorded_by", "recorded_at"},
        indexes=[["case_id", "step", "at"]],
    )
    create_table(
        db,
        "wander_flags",
        {
            "id": int,
            "person_id": str,
            "reasons": str,
            "why": str,
            "flagged_by": str,
            "flagged_at": str,
            "cleared_at": str,
            "cleared_by": str,
            "cleared_reason": str,
        },
        pk="id",
        not_null={"person_id", "reasons", "why", "flagged_by", "flagged_at"},
    )
    db.execute(
        "CREATE UNIQUE INDEX wander_open_flag ON wander_flags (person_id) WHERE cleared_at IS NULL"
    )
    create_table(
        db,
        "followup_schedules",
        {
            "id": str,
            "person_id": str,
            "site": str,
            "returned_at": str,
            "created_at": str,
            "closed_at": str,
        },
        pk="id",
        not_null={"person_id", "site", "returned_at", "created_at"},
        indexes=[["person_id"]],
    )
    create_table(
        db,
        "followup_visits",
        {
            "id": int,
            "schedule_id": str,
            "person_id": str,
            "seq": int,
            "visited_on": str,
            "method": str,
            "outcome": str,
            "risk": str,
            "measures": str,
            "recorded_by": str,
            "recorded_at": str,
        },
        pk="id",
        not_null={
            "schedule_id",
            "person_id",
            "seq",
            "visited_on",
            "method",
            "outcome",
            "risk",
            "recorded_by",
            "recorded_at",
        },
        unique=[["schedule_id", "seq"]],
    )
