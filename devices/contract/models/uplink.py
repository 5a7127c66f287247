"""What a station sends the bureau's hub (uplink) and what the hub sends back (downlink).

Every uplink message is a *snapshot* of one record (an alert, an incident, a day's statistics
return, the station's health), never a delta, and carries its `station` and a `version` that
only grows for that record at that station. The hub keeps, per (station, kind, id), the highest
version it has seen, so a message replayed by QoS 1, sent twice, or arriving out of order can
never undo a newer one. The bridge hop is MQTT 3.1.1, so all metadata lives in the JSON body.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from devices.contract.models.base import EventId, Payload, ShortText, Slug, UtcTime

LINK_VERSION = 1


class HistoryEntry(Payload):
    """One line of a record's history at the station (who did what, when)."""

    at: UtcTime = Field(description="when, UTC")
    actor: ShortText = Field(description="user or token name, 'engine', or 'bureau:<user>'")
    action: str = Field(max_length=40, description="raised/acknowledged/commented/phone_report…")
    detail: str | None = Field(None, max_length=2000, description="comment, assignee, …")


class _Snapshot(Payload):
    v: Literal[1] = Field(1, description="uplink contract version")
    station: Slug = Field(description="the station (site slug) the record belongs to")
    id: str = Field(min_length=1, max_length=64, description="record id, unique per station")
    version: int = Field(ge=0, description="grows with every change of this record")
    sent_at: UtcTime = Field(description="when the station gateway published this snapshot")


class AlertSnapshot(_Snapshot):
    kind: Literal["alert"] = "alert"
    rule: str = Field(max_length=64, description="rule that raised it")
    severity: Literal["critical", "major", "minor", "warning", "info"] = Field(
        description="alert severity"
    )
    node: str | None = Field(None, max_length=32, description="node it came from")
    device: str | None = Field(None, max_length=32, description="device it came from")
    subject: str | None = Field(None, max_length=500, description="what the alert is about")
    state: Literal["active", "acknowledged", "resolved", "auto_cleared"] = Field(
        description="current state"
    )
    first_at: UtcTime = Field(description="first occurrence")
    last_at: UtcTime = Field(description="latest occurrence")
    count: int = Field(ge=1, description="occurrences so far")
    changed_at: UtcTime | None = Field(None, description="last state change")
    changed_by: str | None = Field(None, max_length=200, description="who made it")
    assignee: str | None = Field(None, max_length=200, description="who it is assigned to")
    incident_id: str | None = Field(None, max_length=64, description="its incident, if any")
    history: list[HistoryEntry] = Field(
        default_factory=list, max_length=200, description="latest history lines, oldest first"
    )


PORTRAIT_B64_MAX = 262_144
"""Largest base64 portrait in one snapshot (192 KiB of JPEG): NATS takes 1 MiB per message."""


class MissingPerson(Payload):
    """Who is missing, for the bureau's search: sent only inside the snapshot of an *open*
    missing-person incident; the snapshot that says the incident closed carries none, and the
    hub then deletes what it held. Description fields as in the person's file (docs/people.md)."""

    person_id: str = Field(min_length=1, max_length=64, description="the station's file id")
    role: str = Field(max_length=20, description="named (by staff) or possible (wander-risk)")
    names: list[str] = Field(default_factory=list, max_length=10, description="names, aliases")
    sex: str | None = Field(None, max_length=20, description="male/female/unknown")
    age: str | None = Field(None, max_length=20, description="estimated age or range, years")
    height_cm: int | None = Field(None, ge=0, le=300, description="height, cm")
    build: str | None = Field(None, max_length=200, description="build")
    hair: str | None = Field(None, max_length=200, description="hair")
    accent: str | None = Field(None, max_length=200, description="accent or dialect")
    clothing: str | None = Field(None, max_length=1000, description="clothing when last seen")
    marks: str | None = Field(None, max_length=2000, description="distinguishing marks")
    conditions: str | None = Field(None, max_length=2000, description="conditions and medication")
    flags: list[str] = Field(default_factory=list, max_length=10, description="wander-risk flags")
    last_seen_at: UtcTime | None = Field(None, description="when last seen, UTC")
    last_seen_where: str | None = Field(None, max_length=300, description="where last seen")
    portrait_type: str | None = Field(None, max_length=40, description="portrait content type")
    portrait_b64: str | None = Field(
        None, max_length=PORTRAIT_B64_MAX, description="the current portrait, base64"
    )
    portrait_omitted: str | None = Field(
        None, max_length=200, description="why no portrait travels (none, too large, unreadable)"
    )


class IncidentSnapshot(_Snapshot):
    kind: Literal["incident"] = "incident"
    alert_id: str = Field(max_length=64, description="the alert that opened it")
    category: str = Field(max_length=40, description="missing_person/injury/death/…")
    node: str | None = Field(None, max_length=32, description="node it came from")
    opened_at: UtcTime = Field(description="deadlines count from here")
    phone_due: UtcTime = Field(description="phone report to the bureau due")
    written_due: UtcTime = Field(description="written report to the bureau due")
    phone_reported_at: UtcTime | None = Field(None, description="phone report made")
    phone_reported_by: str | None = Field(None, max_length=200, description="who phoned")
    written_reported_at: UtcTime | None = Field(None, description="written report made")
    written_reported_by: str | None = Field(None, max_length=200, description="who wrote")
    summary: str | None = Field(None, max_length=4000, description="what happened")
    closed_at: UtcTime | None = Field(None, description="both reports made")
    overdue: list[Literal["phone", "written"]] = Field(
        default_factory=list, description="reports past their deadline when sent"
    )
    history: list[HistoryEntry] = Field(
        default_factory=list, max_length=200, description="the incident's history, oldest first"
    )
    people: list[MissingPerson] = Field(
        default_factory=list,
        max_length=5,
        description="who is missing: an open missing-person incident only, else empty",
    )


class DailyReturn(_Snapshot):
    """A day's statistics return; `id` is the day. A later recount has a higher version."""

    kind: Literal["daily_return"] = "daily_return"
    day: date = Field(description="the station's local calendar day")
    tz: str = Field(max_length=64, description="the station's time zone the day is counted in")
    checks: int = Field(ge=0, description="intake checks")
    checks_by_outcome: dict[str, int] = Field(default_factory=dict, description="per outcome")
    alerts_by_severity: dict[str, int] = Field(default_factory=dict, description="alerts raised")
    incidents_by_category: dict[str, int] = Field(
        default_factory=dict, description="incidents opened"
    )
    incidents_overdue: int = Field(0, ge=0, description="incidents with a report late that day")


class NodeHealth(Payload):
    node: Slug = Field(description="node slug")
    state: str | None = Field(None, max_length=20, description="online/offline/unknown")
    last_seen: UtcTime | None = Field(None, description="last message from it")
    devices: dict[str, str] = Field(default_factory=dict, description="device → ok/fault/…")


class HealthSummary(_Snapshot):
    """The station's nodes and cameras; `id` is the station itself."""

    kind: Literal["health"] = "health"
    nodes_online: int = Field(ge=0, description="nodes online")
    nodes_total: int = Field(ge=0, description="nodes known")
    cameras_ok: int = Field(ge=0, description="camera devices reporting ok")
    cameras_total: int = Field(ge=0, description="camera devices known")
    last_data_at: UtcTime | None = Field(None, description="latest message from any node")
    nodes: list[NodeHealth] = Field(default_factory=list, max_length=500, description="per node")


UplinkMessage = Annotated[
    AlertSnapshot | IncidentSnapshot | DailyReturn | HealthSummary, Field(discriminator="kind")
]
UPLINK_ADAPTER: TypeAdapter[UplinkMessage] = TypeAdapter(UplinkMessage)


class BureauAction(Payload):
    """A bureau user's acknowledgement of, or comment on, one station alert (downlink)."""

    v: Literal[1] = Field(1, description="downlink contract version")
    id: EventId = Field(description="ULID of this action; the station applies it once")
    kind: Literal["acknowledge", "comment"] = Field(description="what the bureau does")
    station: Slug = Field(description="the station the alert belongs to")
    alert_id: str = Field(min_length=1, max_length=64, description="station alert id")
    by: ShortText = Field(description="bureau username (shown as bureau:<by> at the station)")
    text: str | None = Field(None, max_length=2000, description="the comment")
    at: UtcTime = Field(description="when the bureau user acted")
