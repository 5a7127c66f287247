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
from gateway.alerts.api_models import AlertOut, IncidentOut
from gateway.api.context import Ctx
from gateway.api.deps import Db, require
from gateway.auth.tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["alerts"])

REPORTERS = require("desk", "supervisor")
REPORT_NODE = "dashboard"  # the pseudo-node of reports filed in the dashboard


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


class FiledReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(description="the stored `manual` event")
    alert: AlertOut | None = Field(description="the alert it raised (null: none, e.g. other)")
    incident: IncidentOut | None = Field(description="the incident it opened, if any")


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
