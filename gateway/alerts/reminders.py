"""Reminders before an incident's bureau report deadlines, and overdue notices: pure.

For each report not yet recorded (phone: 30 min, written: 60 min after the event), a reminder
falls due `before_min` minutes before its deadline (default 10 and 5), and an overdue notice once
the deadline has passed (optionally repeated every `overdue_every_min`). The caller persists the
keys of the notices it sent for the incident and passes them back as `sent`; each notice is
returned once.

Only the latest notice that has fallen due is returned per report: after a gap (gateway down,
incident learnt of late) a stale "10 minutes left" is superseded by the "5 minutes left" or the
overdue notice, and is never sent afterwards. Closing an incident does not silence a missing
report: notices stop only when the report is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from gateway.alerts.config import RemindersConfig
from gateway.alerts.models import Incident

__all__ = ["Reminder", "RemindersConfig", "due_reminders", "next_reminder_at"]

Report = Literal["phone", "written"]


@dataclass(frozen=True, slots=True)
class Reminder:
    """One notice about one report of one incident.

    `key` is stable and unique within the incident: "phone:-10m", "written:-5m" (reminders),
    "phone:overdue", "phone:overdue:2" (overdue, then its 2nd repeat). `at` is when the notice
    fell due, `due` the report deadline, `left_s` the seconds left to the deadline at the time
    of the call (negative: overdue by that much)."""

    key: str
    incident_id: str
    report: Report
    kind: Literal["reminder", "overdue"]
    at: datetime
    due: datetime
    left_s: float


def _points(
    report: Report, due: datetime, now: datetime, config: RemindersConfig
) -> list[tuple[datetime, str, Literal["reminder", "overdue"]]]:
    """The notices for one report, as (at, key, kind) in time order: every reminder, the first
    overdue notice, and the overdue repeats up to the first one after `now`."""
    points: list[tuple[datetime, str, Literal["reminder", "overdue"]]] = [
        (due - timedelta(minutes=m), f"{report}:-{m:g}m", "reminder")
        for m in sorted(set(config.before_min), reverse=True)
    ]
    if config.overdue:
        # overdue only strictly after the deadline, as Incident.overdue: 1 µs past it
        points.append((due + timedelta(microseconds=1), f"{report}:overdue", "overdue"))
        if config.overdue_every_min is not None:
            every = timedelta(minutes=config.overdue_every_min)
            last = int((now - due) / every) + 1 if now > due else 1
            points += [
                (due + k * every, f"{report}:overdue:{k + 1}", "overdue")
                for k in range(1, last + 1)
            ]
    return points


def _reports(incident: Incident) -> list[tuple[Report, datetime]]:
    out: list[tuple[Report, datetime]] = []
    if incident.phone_reported_at is None:
        out.append(("phone", incident.phone_due))
    if incident.written_reported_at is None:
        out.append(("written", incident.written_due))
    return out


def due_reminders(
    incident: Incident, now: datetime, sent: set[str] | frozenset[str], config: RemindersConfig
) -> list[Reminder]:
    """The notices to send now for `incident` (in time order), leaving out those in `sent` and
    reports already recorded."""
    if not config.enabled:
        return []
    out = []
    for report, due in _reports(incident):
        fallen = [p for p in _points(report, due, now, config) if p[0] <= now]
        if not fallen:
            continue
        at, key, kind = fallen[-1]  # the latest supersedes the earlier ones
        if key in sent:
            continue
        left = (due - now).total_seconds()
        out.append(Reminder(key, incident.id, report, kind, at, due, left))
    return sorted(out, key=lambda r: (r.at, r.report))


def next_reminder_at(
    incident: Incident, now: datetime, sent: set[str] | frozenset[str], config: RemindersConfig
) -> datetime | None:
    """When the next notice falls due after `now` (for a timer), or None when none will."""
    if not config.enabled:
        return None
    later = [
        at
        for report, due in _reports(incident)
        for at, key, _ in _points(report, due, now, config)
        if at > now and key not in sent
    ]
    return min(later, default=None)
