"""Event builders and a fake clock for the alert engine tests (plain datetimes)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from devices.contract import codec
from devices.contract.models import EVENT_ADAPTER, Event
from gateway.alerts import AlertChange, AlertsConfig, EngineState, Input, evaluate
from gateway.alerts.models import Alert

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
_seq = itertools.count()


def stored_alert(rule: str, severity: str, at: datetime, **fields: Any) -> Alert:
    """An alert of site s1 as the store would hold it: first and last seen and changed `at`;
    `fields`: any other (id, node, state…)."""
    return Alert(
        **{
            "id": "01JALERT0000000000000000AA",
            "rule": rule,
            "severity": severity,
            "site": "s1",
            "first_at": at,
            "last_at": at,
            "changed_at": at,
        }
        | fields
    )


def event(
    kind: str,
    data: dict[str, Any],
    *,
    site: str = "s1",
    node: str = "n1",
    device: str | None = None,
    ts: datetime = T0,
) -> Event:
    raw = {
        "v": 1,
        "id": codec.new_id(),
        "site": site,
        "node": node,
        "ts": ts,
        "seq": next(_seq),
        "kind": kind,
        "data": data,
    }
    if device is not None:
        raw["device"] = device
    return EVENT_ADAPTER.validate_python(raw)


def check(outcome: str, **kw: Any) -> Event:
    data = {"check_id": codec.new_id(), "outcome": outcome, "started_at": T0, "finished_at": T0}
    return event("check", data, device=kw.pop("device", "desk"), **kw)


def manual(category: str, person: str | None = None, **kw: Any) -> Event:
    data: dict[str, Any] = {"category": category, "description": "reported by staff"}
    if person:
        data["person"] = person
    return event("manual", data, **kw)


def t(seconds: float) -> datetime:
    """The fake clock: T0 + `seconds`."""
    return T0 + timedelta(seconds=seconds)


class Engine:
    """Feeds inputs at times offset from T0 and keeps the state and every change."""

    def __init__(self, config: AlertsConfig | None = None) -> None:
        self.state = EngineState()
        self.config = config or AlertsConfig()
        self.changes: list[AlertChange] = []

    def at(self, seconds: float, item: Input) -> list[AlertChange]:
        self.state, changes = evaluate(self.state, item, t(seconds), self.config)
        self.changes += changes
        return changes

    def open_alerts(self, rule: str | None = None) -> list[Any]:
        return [a for a in self.state.alerts.values() if rule is None or a.rule == rule]

    def kinds(self, rule: str) -> list[str]:
        return [c.kind for c in self.changes if c.alert.rule == rule]


def metal(result: str = "metal_found", check_id: str | None = None, **kw: Any) -> Event:
    data: dict[str, Any] = {"result": result, "source": "keypad"}
    if check_id is not None:
        data["check_id"] = check_id
    return event("metal", data, device=kw.pop("device", "wand"), **kw)


def check_of(check_id: str, outcome: str = "cleared", **kw: Any) -> Event:
    """The finished check `check_id` (the event that resolves its metal result)."""
    data = {"check_id": check_id, "outcome": outcome, "started_at": T0, "finished_at": T0}
    return event("check", data, device=kw.pop("device", "desk"), **kw)


def people(
    count: int,
    expected: int | None = None,
    camera: str = "room-1",
    zone: str | None = None,
    **kw: Any,
) -> Event:
    data: dict[str, Any] = {"camera": camera, "count": count}
    if expected is not None:
        data["expected"] = expected
    if zone is not None:
        data["zone"] = zone
    return event("people", data, **kw)


def crossing(
    direction: str = "out", night: bool = False, camera: str = "door-cam", **kw: Any
) -> Event:
    data = {"camera": camera, "line": "door", "direction": direction, "night": night}
    return event("line_cross", data, **kw)


def tamper(reason: str, active: bool, camera: str = "cam1", **kw: Any) -> Event:
    return event("tamper", {"camera": camera, "reason": reason, "active": active}, **kw)
