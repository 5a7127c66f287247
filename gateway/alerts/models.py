"""Alerts, incidents, the engine's inputs other than contract events, and its state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.alerts.config import Severity

AlertLifecycle = Literal["active", "acknowledged", "resolved", "auto_cleared"]
ChangeKind = Literal["raised", "repeated", "acknowledged", "resolved", "auto_cleared"]
IncidentCategory = Literal["missing_person", "injury", "death", "disaster", "violence"]

PHONE_REPORT_DUE = timedelta(minutes=30)
"""Phone report to the bureau is due this long after the event (DOMAIN.md §4)."""
WRITTEN_REPORT_DUE = timedelta(minutes=60)
"""Written report to the bureau is due this long after the event (DOMAIN.md §4)."""

AlertKey = tuple[str, str, str | None, str | None]
"""(rule, site, node, subject): repeats with the same key count on the same open alert. The
subject is the check id for the per-person rules (check outcomes, metal unresolved) and the
device, camera, zone or person otherwise (docs/alerts.md, "Dedup key")."""


class Alert(BaseModel):
    """One alert. Immutable: every change is a new copy with the same id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="ULID; a new one after a resolution, never reused")
    rule: str = Field(description="rule that raised it")
    severity: Severity = Field(description="severity configured for the rule when raised")
    site: str = Field(description="site slug")
    node: str | None = Field(None, description="node slug (None for a site-wide alert)")
    device: str | None = Field(None, description="device or camera id, if any")
    subject: str | None = Field(
        None,
        description="what dedup is per beyond the node: the check id for per-person rules, "
        "else the device, camera, zone or person",
    )
    first_at: datetime = Field(description="first occurrence (UTC)")
    last_at: datetime = Field(description="latest occurrence (UTC)")
    count: int = Field(1, ge=1, description="occurrences counted on this alert")
    state: AlertLifecycle = Field("active", description="lifecycle state")
    changed_at: datetime = Field(description="when the state last changed (UTC)")
    changed_by: str | None = Field(None, description="who changed it; None for the engine")
    event_id: str | None = Field(None, description="the event that raised it, if any")

    @property
    def is_open(self) -> bool:
        return self.state in ("active", "acknowledged")


class Incident(BaseModel):
    """A reportable incident with its bureau reporting deadlines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="ULID of the incident")
    alert_id: str = Field(description="the alert that opened it")
    category: IncidentCategory = Field(description="what happened")
    site: str = Field(description="site slug")
    node: str | None = Field(None, description="node that reported it")
    opened_at: datetime = Field(description="when the event happened (deadlines count from it)")
    phone_due: datetime = Field(description="phone report due (opened_at + 30 min)")
    written_due: datetime = Field(description="written report due (opened_at + 60 min)")
    phone_reported_at: datetime | None = Field(None, description="phone report made at")
    written_reported_at: datetime | None = Field(None, description="written report sent at")

    def overdue(self, now: datetime) -> frozenset[Literal["phone", "written"]]:
        """Reports that are due and not recorded as made at `now`."""
        late: set[Literal["phone", "written"]] = set()
        if self.phone_reported_at is None and now > self.phone_due:
            late.add("phone")
        if self.written_reported_at is None and now > self.written_due:
            late.add("written")
        return frozenset(late)

    def reported(self, which: Literal["phone", "written"], at: datetime) -> Incident:
        """A copy with the phone or written report recorded as made at `at`."""
        return self.model_copy(update={f"{which}_reported_at": at})


def open_incident(
    incident_id: str, alert: Alert, category: IncidentCategory, opened_at: datetime
) -> Incident:
    return Incident(
        id=incident_id,
        alert_id=alert.id,
        category=category,
        site=alert.site,
        node=alert.node,
        opened_at=opened_at,
        phone_due=opened_at + PHONE_REPORT_DUE,
        written_due=opened_at + WRITTEN_REPORT_DUE,
    )


@dataclass(frozen=True, slots=True)
class AlertChange:
    """What one call to the engine changed: the alert after the change, and an incident it
    opened (only on the `raised` change of an incident rule)."""

    kind: ChangeKind
    alert: Alert
    incident: Incident | None = None


@dataclass(frozen=True, slots=True)
class NodeChange:
    """A node went online or offline (the gateway's node listener: site, node, state, reason)."""

    site: str
    node: str
    state: Literal["online", "offline"]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DeadlineNotice:
    """A dated duty outside the devices fell due (reminder) or overdue: a family-search step or
    a follow-up visit (gateway/people/family_search_deadlines.py). Raises one alert of `rule`
    keyed by `subject` ("<case>/<step>"); a second notice with the same key while it is open
    changes nothing."""

    rule: str
    site: str
    subject: str
    at: datetime  # when it fell due


@dataclass(frozen=True, slots=True)
class Tick:
    """Nothing happened; only time passed. Feed one every few seconds so that debounce and
    auto-clear timers fire without waiting for the next event."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A stateful rule's condition for one key: bad (raised) or not, since when."""

    bad: bool
    since: datetime
    latched: bool = False  # resolved by a person while still bad: no new alert until it clears
    event_id: str | None = None
    device: str | None = None  # the alert's device when it differs from the key's subject
    event_at: datetime | None = None  # event time of the first bad event (incident deadlines)


@dataclass(slots=True)
class EngineState:
    """Everything the engine remembers. `evaluate` never mutates the state it is given."""

    alerts: dict[AlertKey, Alert] = field(default_factory=dict)  # open alerts only
    conditions: dict[AlertKey, Condition] = field(default_factory=dict)
    nodes: dict[tuple[str, str], Condition] = field(default_factory=dict)  # bad = offline
    incidents: dict[str, Incident] = field(default_factory=dict)
    # active tamper reasons other than "frozen", per (site, node, camera)
    tamper: dict[tuple[str, str, str], frozenset[str]] = field(default_factory=dict)
    # latest head count per (site, node, camera, zone); zone None = the whole view
    counts: dict[tuple[str, str, str, str | None], int] = field(default_factory=dict)
    # finished checks per (site, node, check_id) -> when seen (pruned after check_memory_s)
    checks_done: dict[tuple[str, str, str], datetime] = field(default_factory=dict)

    def copy(self) -> EngineState:
        # values are immutable, so shallow copies of the dicts are enough
        return EngineState(
            dict(self.alerts),
            dict(self.conditions),
            dict(self.nodes),
            dict(self.incidents),
            dict(self.tamper),
            dict(self.counts),
            dict(self.checks_done),
        )
