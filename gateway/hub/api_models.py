"""Response models of the hub's API (what the bureau dashboard reads)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Row = TypeVar("Row")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Me(_Out):
    username: str = Field(description="bureau user")
    role: str = Field(description="officer/supervisor/admin")
    lang: str = Field(description="zh-CN or en")
    csrf: str = Field(description="send back as X-CSRF-Token on every POST")


class HubIncident(_Out):
    station: str = Field(description="station (site slug)")
    id: str = Field(description="incident id at the station")
    alert_id: str = Field(description="the alert that opened it")
    alert_state: str | None = Field(None, description="that alert's state at the hub")
    category: str = Field(description="missing_person/injury/…")
    node: str | None = Field(None, description="node it came from")
    opened_at: datetime = Field(description="deadlines count from here")
    phone_due: datetime = Field(description="phone report deadline (30 min)")
    written_due: datetime = Field(description="written report deadline (60 min)")
    phone_reported_at: datetime | None = Field(None, description="phone report made")
    written_reported_at: datetime | None = Field(None, description="written report made")
    closed_at: datetime | None = Field(None, description="both reports made")
    overdue: list[str] = Field(description="reports past their deadline now")
    next_due: datetime | None = Field(None, description="the earliest open deadline")
    version: int = Field(description="station version of the snapshot shown")
    stored_at: datetime = Field(description="when the hub stored it")
    people: int = Field(0, description="missing people described (open missing-person only)")


class HubAlert(_Out):
    station: str = Field(description="station")
    id: str = Field(description="alert id at the station")
    rule: str = Field(description="rule")
    severity: str = Field(description="severity")
    state: str = Field(description="active/acknowledged/resolved/auto_cleared")
    subject: str | None = Field(None, description="what it is about")
    first_at: datetime = Field(description="first occurrence")
    changed_by: str | None = Field(None, description="who changed it last")
    incident_id: str | None = Field(None, description="its incident")
    history: list[dict[str, Any]] = Field(default_factory=list, description="station history")


class HubSite(_Out):
    station: str = Field(description="station or foster home")
    kind: str = Field(description="station/foster_home")
    name: str | None = Field(None, description="display name")
    district: str | None = Field(None, description="district")
    nodes_online: int | None = Field(None, description="nodes online at the last summary")
    nodes_total: int | None = Field(None, description="nodes known")
    cameras_ok: int | None = Field(None, description="cameras ok")
    cameras_total: int | None = Field(None, description="cameras known")
    last_data_at: datetime | None = Field(None, description="latest data at the station")
    last_message_at: datetime | None = Field(None, description="latest uplink message")
    open_incidents: int = Field(description="incidents not closed")


class ReturnRow(_Out):
    station: str = Field(description="station")
    month: str = Field(description="YYYY-MM")
    days: int = Field(description="days with a return")
    checks: int = Field(description="intake checks")
    alerts: int = Field(description="alerts raised")
    incidents: int = Field(description="incidents opened")
    incidents_overdue: int = Field(description="incidents with a late report")


class Page(_Out, Generic[Row]):
    items: list[Row] = Field(description="the rows")


class ActionResult(_Out):
    id: str = Field(description="downlink action id (applied once at the station)")
    station: str = Field(description="station")
    alert_id: str = Field(description="alert")


class StationDetail(_Out):
    site: HubSite = Field(description="the station")
    incidents: list[HubIncident] = Field(description="its incidents, newest first")
    alerts: list[HubAlert] = Field(description="its alerts, newest first")
    returns: list[dict[str, Any]] = Field(description="its daily returns, newest first")
    day: date | None = Field(None, description="latest return day")


class HubMissingPerson(_Out):
    """Who is missing, as the station's file says (kept only while the incident is open)."""

    person_id: str = Field(description="the station's file id")
    role: str = Field(description="named (by staff) or possible (wander-risk resident)")
    names: list[str] = Field(default_factory=list, description="names and aliases")
    sex: str | None = Field(None, description="sex")
    age: str | None = Field(None, description="estimated age")
    height_cm: int | None = Field(None, description="height, cm")
    build: str | None = Field(None, description="build")
    hair: str | None = Field(None, description="hair")
    accent: str | None = Field(None, description="accent or dialect")
    clothing: str | None = Field(None, description="clothing")
    marks: str | None = Field(None, description="distinguishing marks")
    conditions: str | None = Field(None, description="conditions and medication")
    flags: list[str] = Field(default_factory=list, description="wander-risk flags")
    last_seen_at: datetime | None = Field(None, description="when last seen")
    last_seen_where: str | None = Field(None, description="where last seen")
    portrait: bool = Field(description="a portrait is kept: GET …/portrait")
    portrait_omitted: str | None = Field(None, description="why there is no portrait")


class HubIncidentDetail(_Out):
    incident: HubIncident = Field(description="the incident")
    summary: str | None = Field(None, description="what happened, as the station wrote it")
    history: list[dict[str, Any]] = Field(default_factory=list, description="station history")
    people: list[HubMissingPerson] = Field(
        default_factory=list, description="who is missing (open missing-person incidents only)"
    )
