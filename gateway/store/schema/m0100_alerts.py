"""Alerts, their history (every transition, comment and assignment: who and when), incidents
with their bureau reporting deadlines, and the incident timeline."""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    create_table(
        db,
        "alerts",
        {
            "id": str,  # ULID; a new one after a resolution, never reused
            "rule": str,
            "severity": str,  # critical/major/minor/warning/info
            "site": str,
            "node": str,
            "device": str,
            "subject": str,
            "first_at": str,  # UTC ISO-8601
            "last_at": str,
            "count": int,
            "state": str,  # active/acknowledged/resolved/auto_cleared
            "changed_at": str,
            "changed_by": str,
            "event_id": str,  # the event that raised it
            "assignee": str,
            "escalation_level": int,  # index into the escalation chain last notified
            "escalated_at": str,
        },
        pk="id",
        not_null={"rule", "severity", "site", "first_at", "last_at", "count", "state"},
        defaults={"count": 1, "escalation_level": 0},
        indexes=[["state", "severity"], ["site", "first_at"]],
    )
    create_table(
        db,
        "alert_history",
        {
            "id": int,
            "alert_id": str,
            "at": str,
            "actor": str,  # user/token name, or "engine"
            "action": str,  # raised/repeated/acknowledged/resolved/auto_cleared/assigned/...
            "detail": str,  # comment text, assignee, escalation level, ...
        },
        pk="id",
        not_null={"alert_id", "at", "actor", "action"},
        indexes=[["alert_id", "id"]],
    )
    create_table(
        db,
        "incidents",
        {
            "id": str,
            "alert_id": str,
            "category": str,  # missing_person/injury/death/disaster/violence
            "site": str,
            "node": str,
            "opened_at": str,  # deadlines count from here
            "phone_due": str,
            "written_due": str,
            "phone_reported_at": str,
            "phone_reported_by": str,
            "phone_reported_to": str,
            "written_reported_at": str,
            "written_reported_by": str,
            "written_reported_to": str,
            "summary": str,
            "people": str,  # JSON list of people involved
            "closed_at": str,
        },
        pk="id",
        not_null={"alert_id", "category", "site", "opened_at", "phone_due", "written_due"},
        indexes=[["site", "opened_at"]],
    )
    create_table(
        db,
        "incident_history",
        {"id": int, "incident_id": str, "at": str, "actor": str, "action": str, "detail": str},
        pk="id",
        not_null={"incident_id", "at", "actor", "action"},
        indexes=[["incident_id", "id"]],
    )
