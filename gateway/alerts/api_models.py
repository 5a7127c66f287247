"""What the alert and incident routes answer (gateway/api/routes/alerts.py): the rows of
gateway/alerts/store.py as the API sends them. Times are the stored UTC ISO-8601 text."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from gateway.alerts.config import Severity
from gateway.alerts.models import AlertLifecycle, IncidentCategory
from gateway.answer import Answer


class StaffReport(Answer):
    """What staff typed when the event behind an alert was a staff report (a manual event)."""

    description: str | None = Field(description="what happened")
    location: str | None = Field(description="where it happened")
    person: str | None = Field(description="resident concerned, if any")
    reporter: str | None = Field(description="who reported it")
    happened_at: str = Field(description="when it happened (the event's time, UTC ISO)")


class AlertOut(Answer):
    """One alert as stored, with its incident and staff report if any."""

    id: str = Field(description="ULID; a new one after a resolution, never reused")
    rule: str = Field(description="the rule that raised it (docs/alerts.md)")
    severity: Severity = Field(description="severity configured for the rule when raised")
    site: str = Field(description="site slug")
    node: str | None = Field(description="node slug; null for a site-wide alert")
    device: str | None = Field(description="device or camera id, if any")
    subject: str | None = Field(
        description="what dedup is per beyond the node: the check id for per-person rules, "
        "else the device, camera, zone or person"
    )
    first_at: str = Field(description="first occurrence (UTC ISO)")
    last_at: str = Field(description="latest occurrence (UTC ISO)")
    count: int = Field(description="occurrences counted on this alert")
    state: AlertLifecycle = Field(description="lifecycle state")
    changed_at: str | None = Field(description="when the state last changed (UTC ISO)")
    changed_by: str | None = Field(description="who changed it; null for the engine")
    assignee: str | None = Field(description="who takes care of it; null: nobody assigned")
    escalation_level: int = Field(description="escalation levels notified so far (0: none)")
    event_id: str | None = Field(description="the event that raised it, if any")
    incident_id: str | None = Field(description="the incident it opened, if any")
    report: StaffReport | None = Field(description="the staff report behind it, if any")


class AlertPage(Answer):
    items: list[AlertOut] = Field(description="newest first")
    next: str | None = Field(description="pass as `before` for the next page; null: no more")


class HistoryEntry(Answer):
    """One row of an alert's or incident's history: who did what, when."""

    at: str = Field(description="when (UTC ISO)")
    actor: str = Field(description="user or token name, or `engine`")
    action: str = Field(
        description="raised, acknowledged, resolved, auto_cleared, escalated, commented, "
        "assigned; for incidents also opened, phone_report, written_report, closed, "
        "reminder, overdue, people_named, ..."
    )
    detail: str | None = Field(
        description="comment text, assignee, escalation level, report note, ..."
    )


class AlertDetail(AlertOut):
    history: list[HistoryEntry] = Field(description="every transition, comment and assignment")


class IncidentOut(Answer):
    """A reportable incident with its bureau reporting deadlines."""

    id: str = Field(description="ULID of the incident")
    alert_id: str = Field(description="the alert that opened it")
    category: IncidentCategory = Field(description="what happened")
    site: str = Field(description="site slug")
    node: str | None = Field(description="node that reported it")
    opened_at: str = Field(description="when the event happened; deadlines count from it")
    phone_due: str = Field(description="phone report due (opened_at + 30 min)")
    written_due: str = Field(description="written report due (opened_at + 60 min)")
    phone_reported_at: str | None = Field(description="phone report made at; null: not yet")
    phone_reported_by: str | None = Field(description="who recorded the phone report")
    phone_reported_to: str | None = Field(description="who at the bureau took it")
    written_reported_at: str | None = Field(description="written report sent at; null: not yet")
    written_reported_by: str | None = Field(description="who recorded the written report")
    written_reported_to: str | None = Field(description="who at the bureau received it")
    summary: str | None = Field(description="summary text, if any")
    people: list[dict[str, Any]] = Field(
        description="the people it is about (missing person: their file summary, `role` and "
        "`source`; an erased person is `{id, erased: true}`)"
    )
    closed_at: str | None = Field(description="when both reports were made; null: open")
    overdue: list[Literal["phone", "written"]] = Field(
        description="reports past their deadline and not made, now"
    )
    next_due: str | None = Field(description="the earliest deadline of a report not yet made")
    report: StaffReport | None = Field(description="the staff report behind it, if any")


class Incidents(Answer):
    items: list[IncidentOut] = Field(
        description="open ones first by the nearest deadline, then closed ones newest first"
    )


class IncidentDetail(IncidentOut):
    timeline: list[HistoryEntry] = Field(description="its own history and its alert's, by time")
    alert: AlertOut | None = Field(description="the alert that opened it")
