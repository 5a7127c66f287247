"""Apply a bureau user's action (acknowledge, comment) to a station alert, exactly once.

Only what arrives on `stationkit/v1/{site}/gateway/downlink/{kind}` gets here: the bridge's `in`
direction is configured for that subtree alone, and the bureau's NATS account may write nothing
else. The action goes through the alert service's own functions, so the station's history shows
it like any other, with `bureau:<username>` as the actor.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlite_utils

from devices.contract.errors import ContractError
from devices.contract.link_codec import decode_action
from devices.contract.uplink_topics import parse_link
from gateway.store.times import iso

log = logging.getLogger(__name__)


class Alerts(Protocol):
    def acknowledge(self, alert_id: str, by: str) -> dict[str, Any]: ...
    def comment(self, alert_id: str, by: str, text: str) -> dict[str, Any]: ...


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def bureau_actor(username: str) -> str:
    return f"bureau:{username}"


class DownlinkApplier:
    def __init__(self, db: sqlite_utils.Database, alerts: Alerts, stations: set[str]) -> None:
        self.db = db
        self.alerts = alerts
        self.stations = stations
        self.applied = 0
        self.rejected = 0

    def __call__(self, topic: str, payload: bytes) -> bool:
        """True when the message is done with (applied, already applied, or refused)."""
        try:
            site, direction, kind = parse_link(topic)
            action = decode_action(payload)
            if direction != "downlink" or action.kind != kind or action.station != site:
                raise ContractError("bad_topic", f"{topic!r} does not match its payload")
        except ContractError as exc:
            self.rejected += 1
            log.warning("bureau action refused: %s", exc)
            return True  # never redeliver what can never be applied
        if self.stations and site not in self.stations:
            self.rejected += 1
            log.warning("bureau action for %s: not a station of this gateway", site)
            return True
        if self.db.execute("SELECT 1 FROM downlink_applied WHERE id=?", (action.id,)).fetchone():
            return True  # a QoS 1 redelivery
        actor = bureau_actor(action.by)
        try:
            row = self.db.execute(
                "SELECT site FROM alerts WHERE id=?", (action.alert_id,)
            ).fetchone()
            if row is None or row[0] != action.station:
                raise _Refused(404, f"no alert {action.alert_id} at {action.station}")
            if (
                action.kind == "acknowledge"
                and not self.db.execute(
                    "SELECT 1 FROM incidents WHERE alert_id=?", (action.alert_id,)
                ).fetchone()
            ):
                # the station API's own rule: the bureau acknowledges incident alerts only
                raise _Refused(403, "the bureau acknowledges incident alerts only")
            if action.kind == "acknowledge":
                self.alerts.acknowledge(action.alert_id, actor)
            else:
                self.alerts.comment(action.alert_id, actor, action.text or "")
            result = "applied"
        except Exception as exc:  # AlertError: unknown alert, already acknowledged/resolved
            status = getattr(exc, "status", None)
            if status is None:
                raise  # a database failure: not acknowledged, retried on redelivery
            result = f"refused {status}: {exc}"[:500]
            self.rejected += 1
        with self.db.atomic():
            self.db.execute(
                "INSERT OR IGNORE INTO downlink_applied (id, kind, alert_id, by_user, applied_at, "
                "result) VALUES (?,?,?,?,?,?)",
                (
                    action.id,
                    action.kind,
                    action.alert_id,
                    action.by,
                    iso(datetime.now(UTC)),
                    result,
                ),
            )
        self.applied += result == "applied"
        log.info("bureau %s by %s on alert %s: %s", kind, action.by, action.alert_id, result)
        return True
