"""Uplink snapshots as a station sends them to the hub, for the hub's tests and benchmark:
what a test does not name is what a plain station sends (a critical missing-person alert,
its incident with the 30/60-minute report deadlines, a day's return in Asia/Shanghai, a
health summary of nothing online).
Any field can be given as a keyword."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from devices.contract.models.uplink import (
    AlertSnapshot,
    DailyReturn,
    HealthSummary,
    IncidentSnapshot,
)


def alert_snapshot(station: str, aid: str, version: int, at: datetime, **kw: Any) -> AlertSnapshot:
    """Sent, first and last seen `at`."""
    fields: dict[str, Any] = {
        "rule": "missing_person",
        "severity": "critical",
        "state": "active",
        "sent_at": at,
        "first_at": at,
        "last_at": at,
        "count": 1,
    }
    return AlertSnapshot(station=station, id=aid, version=version, **(fields | kw))


def incident_snapshot(
    station: str, iid: str, version: int, opened: datetime, sent_at: datetime, **kw: Any
) -> IncidentSnapshot:
    """Opened by the alert `a-<iid>` (unless `alert_id` says otherwise)."""
    fields: dict[str, Any] = {
        "alert_id": f"a-{iid}",
        "category": "missing_person",
        "phone_due": opened + timedelta(minutes=30),
        "written_due": opened + timedelta(minutes=60),
    }
    return IncidentSnapshot(
        station=station,
        id=iid,
        version=version,
        sent_at=sent_at,
        opened_at=opened,
        **(fields | kw),
    )


def daily_return(
    station: str, day: date, version: int, sent_at: datetime, checks: int, **kw: Any
) -> DailyReturn:
    return DailyReturn(
        station=station,
        id=day.isoformat(),
        version=version,
        sent_at=sent_at,
        day=day,
        tz="Asia/Shanghai",
        checks=checks,
        **kw,
    )


def health_summary(
    station: str,
    version: int,
    sent_at: datetime,
    online: tuple[int, int] = (0, 0),
    cameras: tuple[int, int] = (0, 0),
    **kw: Any,
) -> HealthSummary:
    """`online`: (nodes online, nodes known); `cameras`: (reporting ok, known)."""
    return HealthSummary(
        station=station,
        id=station,
        version=version,
        sent_at=sent_at,
        nodes_online=online[0],
        nodes_total=online[1],
        cameras_ok=cameras[0],
        cameras_total=cameras[1],
        **kw,
    )
