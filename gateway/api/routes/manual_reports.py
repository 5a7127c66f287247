"""POST /api/v1/manual-reports: staff report what no sensor sees — a resident missing at roll
call, an injury, a death, a disaster, violence — from the dashboard.

The report becomes a contract `manual` event of the site (node `dashboard`, so it is told apart
from the nodes' own), stored through the ingest writer like every event and fed to the same
listeners (the alert engine, the dashboard's stream):
a missing person, injury, death, disaster or violence opens an incident whose 30/60-minute
deadlines count from the time given (`happened_at`, default now). Who filed it is the reporter
and is in the audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, cast

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from devices.contract import codec
from devices.contract.errors import ContractError
from devices.contract.models.events import ManualEvent
from gateway.alerts import store
from gateway.alerts.config import Severity
from gateway.alerts.models import AlertLifecycle, IncidentCategory
from gateway.api.context import Ctx
from gateway.api.deps import Db, require
from gateway.auth.tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["alerts"])

REPORTERS = require("desk", "supervisor")
REPORT_NODE = "dashboard"  # the pseudo-node of reports filed in the dashboard


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ManualReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="site slug")
    category: Literal["missing_person", "injury", "death", "disaster", "violence", "other"]
    description: str = Field(min_length=1, max_length=4000, description="what happened")
    person: str | None = Field(None, max_length=200, description="resident concerned")
    location: str | None = Field(None, max_length=200, description="where it happened")
    happened_at: AwareDatetime | None = Field(
        None, description="when it happened (deadlines count from here); default: now"
    )


class StaffReport(_Answer):
    """What staff typed in a report (the `manual` event behind an alert or incident)."""

    description: str | None = Field(description="what happened")
    location: str | None = Field(description="where it happened")
    person: str | None = Field(description="resident concerned")
    reporter: str | None = Field(description="who filed it")
    happened_at: str = Field(description="when it happened (the event's time), UTC ISO")


class ReportAlert(_Answer):
    """The alert the report raised, as stored (gateway/alerts/store.py)."""

    id: str = Field(description="alert id (ULID)")
    rule: str = Field(description="rule that raised it")
    severity: Severity = Field(description="severity configured for the rule when raised")
    site: str = Field(description="site slug")
    node: str | None = Field(description="node slug (`dashboard` for a staff report)")
    device: str | None = Field(description="device or camera id, if any")
    subject: str | None = Field(description="what dedup is per beyond the node, if anything")
    first_at: str = Field(description="first occurrence, UTC ISO")
    last_at: str = Field(description="latest occurrence, UTC ISO")
    count: int = Field(description="occurrences counted on this alert")
    state: AlertLifecycle = Field(description="lifecycle state")
    changed_at: str | None = Field(description="when the state last changed, UTC ISO")
    changed_by: str | None = Field(description="who changed it; null for the engine")
    assignee: str | None = Field(description="who it is assigned to")
    escalation_level: int | None = Field(description="escalation step last notified")
    event_id: str | None = Field(description="the event that raised it")
    incident_id: str | None = Field(description="the incident it opened, if any")
    report: StaffReport | None = Field(description="the staff report behind it, if any")


class ReportIncident(_Answer):
    """The incident the report opened, with its bureau reporting deadlines."""

    id: str = Field(description="incident id (ULID)")
    alert_id: str = Field(description="the alert that opened it")
    category: IncidentCategory = Field(description="what happened")
    site: str = Field(description="site slug")
    node: str | None = Field(description="node that reported it")
    opened_at: str = Field(description="when it happened (deadlines count from it), UTC ISO")
    phone_due: str = Field(description="phone report to the bureau due, UTC ISO")
    written_due: str = Field(description="written report to the bureau due, UTC ISO")
    phone_reported_at: str | None = Field(description="phone report made at, UTC ISO")
    phone_reported_by: str | None = Field(description="who made the phone report")
    phone_reported_to: str | None = Field(description="whom the phone report went to")
    written_reported_at: str | None = Field(description="written report sent at, UTC ISO")
    written_reported_by: str | None = Field(description="who sent the written report")
    written_reported_to: str | None = Field(description="whom the written report went to")
    summary: str | None = Field(description="summary of the incident")
    people: list[dict[str, Any]] = Field(description="people involved (person file summaries)")
    closed_at: str | None = Field(description="when it was closed, UTC ISO")
    overdue: list[Literal["phone", "written"]] = Field(description="reports past their due time")
    next_due: str | None = Field(description="the nearest pending report deadline, UTC ISO")
    report: StaffReport | None = Field(description="the staff report behind it")


class FiledReport(_Answer):
    event_id: str = Field(description="the stored `manual` event")
    alert: ReportAlert | None = Field(description="the alert it raised (null: none, e.g. other)")
    incident: ReportIncident | None = Field(description="the incident it opened, if any")


@router.post("/manual-reports", status_code=201, response_model=FiledReport)
def file_report(ctx: Ctx, db: Db, body: ManualReport, who: Principal = REPORTERS) -> dict[str, Any]:
    """File a staff report; returns the stored event and the alert and incident it opened."""
    if not who.sees(body.site):
        raise HTTPException(403, f"site {body.site!r} is outside your scope")
    now = datetime.now(UTC)
    happened = min(body.happened_at or now, now)
    data = {
        "category": body.category,
        "description": body.description,
        "reporter": who.name,
        "person": body.person,
        "location": body.location,
    }
    try:
        event = cast(
            ManualEvent,
            codec.make_event(
                "manual", site=body.site, node=REPORT_NODE, seq=0, data=data, ts=happened
            ),
        )
    except ContractError as exc:
        raise HTTPException(422, str(exc)) from None
    # The ingest writer's insert and listeners (alerts, the dashboard's stream), as for a
    # node's event; the writer itself refuses `manual` events from nodes, so this route is
    # the only way a staff report gets in.
    ctx.event_writer().record_local(db, event, now)
    alert = db.execute("SELECT id FROM alerts WHERE event_id=?", (event.id,)).fetchone()
    alert_row = store.get_alert(db, alert[0]) if alert else None
    incident = None
    if alert_row and alert_row["incident_id"]:
        incident = store.get_incident(db, alert_row["incident_id"], now)
    return {"event_id": event.id, "alert": alert_row, "incident": incident}
