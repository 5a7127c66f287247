"""Event builders and a fake clock for the alert engine tests (plain datetimes)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from devices.contract import codec
from devices.contract.models import EVENT_ADAPTER, Event
from gateway.alerts import AlertChange, AlertsConfig, EngineState, Input, evaluate

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
_seq = itertools.count()


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
