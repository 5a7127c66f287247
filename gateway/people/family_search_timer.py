"""Wiring of the family-search and follow-up workflow into a running gateway."""

from __future__ import annotations

from typing import Any

from gateway.people import family_search_hooks  # noqa: F401  (timeline, export, erasure)
from gateway.people.family_search import FamilySearch
from gateway.people.visits import DeadlineTimer, Followups
from gateway.people.wander import MissingPersonFiles


def people_workflow(settings: Any, alerts: Any) -> DeadlineTimer:
    """Adds to the alert service: the missing-person extension (who an incident is about, the
    text and portrait of notifications) and the deadline timer on its tick. `settings` is the
    gateway's GatewaySettings."""
    fs = settings.family_search

    def tz_of(site: str) -> str:
        return str(settings.alerts.site(site).tz)

    family = FamilySearch(fs.deadlines, tz_of=tz_of, alerts=alerts)
    followups = Followups(fs.deadlines, tz_of=tz_of)
    timer = DeadlineTimer(settings.db, alerts, family, followups, every_s=fs.every_s)
    alerts.extensions.append(MissingPersonFiles())
    alerts.timers.append(timer)
    return timer
