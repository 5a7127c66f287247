"""Alerts and incidents: read them, act on them (ack, resolve, comment, assign), record the
phone and written reports to the bureau. Every action is recorded with who and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from gateway.alerts import store
from gateway.alerts.api_models import (
    AlertDetail,
    AlertOut,
    AlertPage,
    IncidentDetail,
    IncidentOut,
    Incidents,
)
from gateway.alerts.service import AlertError
from gateway.api.context import Alerts
from gateway.api.deps import Db, require
from gateway.auth.tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["alerts"])

READ_ALERTS = require("desk", "supervisor", "bureau")
ACT_ON_ALERTS = require("desk", "supervisor")
ACKNOWLEDGE = require("desk", "supervisor", "bureau")  # the bureau: incident alerts only
READ_INCIDENTS = require("supervisor", "bureau")
RECORD_REPORTS = require("supervisor")

AlertState = Literal["open", "active", "acknowledged", "resolved", "auto_cleared", "closed", "all"]
Severity = Literal["critical", "major", "minor", "warning", "info"]
Slug = Annotated[str, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]


class CommentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000, description="the comment")


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=100, description="who takes care of it")


class ReportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reported_to: str = Field(
        min_length=1, max_length=200, description="who at the bureau took the report"
    )
    note: str = Field("", max_length=2000, description="what was said or sent")


def _scoped_alert(db: Db, who: Principal, alert_id: str) -> dict[str, Any] | None:
    """The alert, or None if unknown; 404 for an alert of a site outside the caller's scope."""
    row = store.get_alert(db, alert_id)
    if row is not None and not who.sees(row["site"]):
        raise HTTPException(404, f"no alert {alert_id}")
    return row


def _scoped_incident(db: Db, who: Principal, incident_id: str) -> None:
    row = store.get_incident(db, incident_id, datetime.now(UTC))
    if row is not None and not who.sees(row["site"]):
        raise HTTPException(404, f"no incident {incident_id}")


def _act(fn: Any, *args: Any) -> dict[str, Any]:
    try:
        return fn(*args)
    except AlertError as exc:
        raise HTTPException(exc.status, str(exc)) from None


@router.get("/alerts", response_model=AlertPage)
def list_alerts(
    db: Db,
    who: Annotated[Principal, READ_ALERTS],
    state: AlertState = "open",
    site: Slug | None = None,
    severity: Severity | None = None,
    before: Annotated[str | None, Query(max_length=26, description="cursor: `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Alerts, newest first. `open` = active + acknowledged; `closed` = resolved + auto-cleared."""
    items, nxt = store.list_alerts(
        db, state=state, site=site, severity=severity, before=before, limit=limit, sites=who.sites
    )
    return {"items": items, "next": nxt}


@router.get("/alerts/{alert_id}", response_model=AlertDetail)
def get_alert(db: Db, alert_id: str, who: Principal = READ_ALERTS) -> dict[str, Any]:
    """One alert with its history (every transition, comment and assignment: who and when)."""
    row = store.get_alert(db, alert_id)
    if row is None or not who.sees(row["site"]):
        raise HTTPException(404, f"no alert {alert_id}")
    return {**row, "history": store.alert_history(db, alert_id)}


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut)
def acknowledge(
    service: Alerts, db: Db, alert_id: str, who: Principal = ACKNOWLEDGE
) -> dict[str, Any]:
    """Acknowledge an active alert: escalation stops. The bureau acknowledges the alerts of
    incidents (it receives them with their reporting deadlines); the station all alerts."""
    row = _scoped_alert(db, who, alert_id)
    if who.role == "bureau" and row is not None and row["incident_id"] is None:
        raise HTTPException(403, "the bureau acknowledges incident alerts only")
    return _act(service.acknowledge, alert_id, who.name)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve(
    service: Alerts, db: Db, alert_id: str, who: Principal = ACT_ON_ALERTS
) -> dict[str, Any]:
    """Resolve an open alert. The next occurrence raises a new alert with a new id."""
    _scoped_alert(db, who, alert_id)
    return _act(service.resolve, alert_id, who.name)


@router.post("/alerts/{alert_id}/comment", response_model=AlertOut)
def comment(
    service: Alerts, db: Db, alert_id: str, body: CommentBody, who: Principal = ACT_ON_ALERTS
) -> dict[str, Any]:
    _scoped_alert(db, who, alert_id)
    return _act(service.comment, alert_id, who.name, body.text)


@router.post("/alerts/{alert_id}/assign", response_model=AlertOut)
def assign(
    service: Alerts, db: Db, alert_id: str, body: AssignBody, who: Principal = ACT_ON_ALERTS
) -> dict[str, Any]:
    _scoped_alert(db, who, alert_id)
    return _act(service.assign, alert_id, who.name, body.assignee)


@router.get("/incidents", response_model=Incidents)
def list_incidents(
    db: Db,
    who: Annotated[Principal, READ_INCIDENTS],
    open: Annotated[bool | None, Query(description="true: open only; false: closed only")] = None,
    site: Slug | None = None,
) -> dict[str, Any]:
    """Incidents (missing person, injury, death, disaster, violence) with their deadlines and
    `overdue` reports: open ones first by the nearest report deadline (overdue first), then
    closed ones newest first; `report` is what staff typed when the event was a staff report."""
    now = datetime.now(UTC)
    return {"items": store.list_incidents(db, now, open_only=open, site=site, sites=who.sites)}


@router.get("/incidents/{incident_id}", response_model=IncidentDetail)
def get_incident(db: Db, incident_id: str, who: Principal = READ_INCIDENTS) -> dict[str, Any]:
    """One incident with its timeline (its own history and its alert's) and its alert."""
    row = store.get_incident(db, incident_id, datetime.now(UTC))
    if row is None or not who.sees(row["site"]):
        raise HTTPException(404, f"no incident {incident_id}")
    return {
        **row,
        "timeline": store.incident_timeline(db, incident_id, row["alert_id"]),
        "alert": store.get_alert(db, row["alert_id"]),
    }


@router.post("/incidents/{incident_id}/phone-report", response_model=IncidentOut)
def phone_report(
    service: Alerts, db: Db, incident_id: str, body: ReportBody, who: Principal = RECORD_REPORTS
) -> dict[str, Any]:
    """Record the phone report to the bureau (due 30 minutes after the event)."""
    _scoped_incident(db, who, incident_id)
    return _act(service.record_report, incident_id, "phone", who.name, body.reported_to, body.note)


@router.post("/incidents/{incident_id}/written-report", response_model=IncidentOut)
def written_report(
    service: Alerts, db: Db, incident_id: str, body: ReportBody, who: Principal = RECORD_REPORTS
) -> dict[str, Any]:
    """Record the written report to the bureau (due 60 minutes after the event)."""
    _scoped_incident(db, who, incident_id)
    return _act(
        service.record_report, incident_id, "written", who.name, body.reported_to, body.note
    )
