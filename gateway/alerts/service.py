"""The alert flow of a running gateway: events → engine → database → notifications → dashboard.

`AlertService` is fed by the ingest writer's listeners (in the ingest thread, right after the
events were committed) and by its own timer (debounce, auto-clear, escalation, incident
reminders). Every change is written with its history row and its notification outbox rows in
ONE transaction, so a crash either loses the change and its notifications together (the event
is redelivered: it was acknowledged to the broker only after its own commit, and the engine
sees it again after the restart rebuilt its state) or keeps both.

Who is told what:
- `raised`: the first escalation level whose delay is 0 for the alert's severity (default: the
  desk); later levels when the alert stays unacknowledged (`escalated`).
- `acknowledged`, `resolved`, `auto_cleared`: the highest level already told, so nobody who was
  alarmed is left wondering. `repeated` notifies nobody (counts go to the dashboard only): a
  flapping sensor must not become a notification storm.
- incident reminders before the 30/60-minute deadlines go to the station's duty level;
  overdue notices also go to the last level (the bureau).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import sqlite_utils

from devices.contract.models import Event
from gateway.alerts import engine, store
from gateway.alerts.config import AlertsConfig
from gateway.alerts.escalation import due_escalations, level_after
from gateway.alerts.feed import AlertFeed
from gateway.alerts.models import Alert, AlertChange, Incident
from gateway.alerts.reminders import Reminder, due_reminders
from gateway.alerts.restore import restore_state
from gateway.store.db import connect

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Notifier(Protocol):
    def enqueue(self, db: sqlite_utils.Database, notification: Any) -> list[str]: ...

    def wake(self) -> None: ...


class Updates(Protocol):
    def publish(self, topic: str, data: dict[str, Any]) -> None: ...


class AlertError(Exception):
    """An action on an alert or incident that cannot be done (`status` for the API)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AlertService:
    def __init__(
        self,
        db_path: Any,
        config: AlertsConfig | None = None,
        *,
        notifier: Notifier | None = None,
        updates: Updates | None = None,
        clock: Clock = _utcnow,
        tick_s: float = 1.0,
    ) -> None:
        self.config = config or AlertsConfig()
        self.notifier = notifier
        self.updates = updates
        self.clock = clock
        self.tick_s = tick_s
        self.db = connect(db_path, check_same_thread=False)
        self._lock = threading.RLock()  # one writer of alert state at a time
        alerts, incidents = store.load_open(self.db)
        nodes = [
            (r[0], r[1], r[2], store._parse(r[3]) or clock())
            for r in self.db.execute("SELECT site, node, state, state_since FROM nodes")
        ]
        state = restore_state(alerts, incidents, clock(), nodes=nodes, config=self.config)
        self.feed = AlertFeed(self.config, self._apply, state=state)
        self._levels = {
            r[0]: r[1]
            for r in self.db.execute(
                "SELECT id, escalation_level FROM alerts WHERE state IN ('active','acknowledged')"
            )
        }
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)

    # inputs -------------------------------------------------------------------------------------

    def on_event(self, event: Event, at: datetime) -> None:
        """IngestWriter event listener (ingest thread, after the commit)."""
        with self._lock:
            self.feed.on_event(event, at)

    def on_node(self, site: str, node: str, state: str, reason: str, at: datetime) -> None:
        """IngestWriter node listener."""
        with self._lock:
            self.feed.on_node(site, node, state, reason, at)

    def tick(self, now: datetime | None = None) -> None:
        """Timers: debounce, auto-clear, escalation, reminders (the thread calls it each tick)."""
        now = now or self.clock()
        with self._lock:
            self.feed.tick(now)
            self._escalate(now)
            self._remind(now)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.db.conn.close()

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.tick()
            except Exception:  # never let the timer die: alerts would stop escalating
                log.exception("alert timer failed; will retry")

    # people's actions ---------------------------------------------------------------------------

    def acknowledge(self, alert_id: str, by: str) -> dict[str, Any]:
        return self._transition(alert_id, by, engine.acknowledge, "acknowledged")

    def resolve(self, alert_id: str, by: str) -> dict[str, Any]:
        return self._transition(alert_id, by, engine.resolve, "resolved")

    def _transition(self, alert_id: str, by: str, fn: Any, verb: str) -> dict[str, Any]:
        with self._lock:
            now = self.clock()
            with self.feed._lock:
                state, changes = fn(self.feed.state, alert_id, now, by)
                self.feed.state = state
            if not changes:
                current = store.get_alert(self.db, alert_id)
                if current is None:
                    raise AlertError(404, f"no alert {alert_id}")
                raise AlertError(409, f"alert {alert_id} is {current['state']}: cannot be {verb}")
            self._apply(changes)
            return self._alert(alert_id)

    def comment(self, alert_id: str, by: str, text: str) -> dict[str, Any]:
        with self._lock:
            self._alert(alert_id)
            with self.db.atomic():
                store.history(self.db, alert_id, self.clock(), by, "commented", text)
            return self._published(alert_id)

    def assign(self, alert_id: str, by: str, assignee: str) -> dict[str, Any]:
        with self._lock:
            self._alert(alert_id)
            with self.db.atomic():
                self.db.execute("UPDATE alerts SET assignee=? WHERE id=?", (assignee, alert_id))
                store.history(self.db, alert_id, self.clock(), by, "assigned", assignee)
            return self._published(alert_id)

    def record_report(
        self,
        incident_id: str,
        kind: Literal["phone", "written"],
        by: str,
        reported_to: str,
        note: str = "",
    ) -> dict[str, Any]:
        """Record that the phone or written report to the bureau was made (now, by `by`)."""
        with self._lock:
            now = self.clock()
            row = store.get_incident(self.db, incident_id, now)
            if row is None:
                raise AlertError(404, f"no incident {incident_id}")
            if row[f"{kind}_reported_at"] is not None:
                raise AlertError(409, f"the {kind} report was already recorded")
            with self.db.atomic():
                self.db.execute(
                    f"UPDATE incidents SET {kind}_reported_at=?, {kind}_reported_by=?, "
                    f"{kind}_reported_to=? WHERE id=?",
                    (store.iso(now), by, reported_to, incident_id),
                )
                detail = f"to {reported_to}" + (f": {note}" if note else "")
                store.incident_history(self.db, incident_id, now, by, f"{kind}_report", detail)
                other = "written" if kind == "phone" else "phone"
                if row[f"{other}_reported_at"] is not None:
                    self.db.execute(
                        "UPDATE incidents SET closed_at=? WHERE id=?", (store.iso(now), incident_id)
                    )
                    store.incident_history(self.db, incident_id, now, by, "closed")
            with self.feed._lock:
                inc = self.feed.state.incidents.get(incident_id)
                if inc is not None:
                    inc = inc.reported(kind, now)
                    self.feed.state.incidents[incident_id] = inc
                    if inc.phone_reported_at and inc.written_reported_at:  # closed: forget it
                        del self.feed.state.incidents[incident_id]
            result = store.get_incident(self.db, incident_id, self.clock())
            assert result is not None
            if self.updates:
                self.updates.publish("incident", result)
            return result

    # writing changes ------------------------------------------------------------------------------

    def _apply(self, changes: list[AlertChange]) -> None:
        """The feed's sink: store the changes, queue their notifications, one transaction."""
        now = self.clock()
        with self._lock, self.db.atomic():
            store.save_changes(self.db, changes)
            for change in changes:
                self._notify_change(change, now)
        if self.notifier:
            self.notifier.wake()
        for change in changes:
            if change.kind == "raised":
                self._levels.setdefault(change.alert.id, 0)
            elif not change.alert.is_open:
                self._levels.pop(change.alert.id, None)
        if self.updates:
            for alert_id in dict.fromkeys(c.alert.id for c in changes):
                self._published(alert_id)
            for change in changes:
                if change.incident is not None:
                    inc = store.get_incident(self.db, change.incident.id, now)
                    if inc is not None:
                        self.updates.publish("incident", inc)

    def _notify_change(self, change: AlertChange, now: datetime) -> None:
        alert = change.alert
        if change.kind == "raised":
            steps = due_escalations(alert, max(now, alert.changed_at), 0, self.config.escalation)
            if steps:  # the first level(s) hear of it at once, as "raised"
                self._set_level(alert.id, level_after(steps, 0), now, None)
                for step in steps:
                    self._enqueue("raised", step.name, alert.id, change.incident)
        elif change.kind in ("acknowledged", "resolved", "auto_cleared"):
            done = self._levels.get(alert.id, 0)
            levels = self.config.escalation.levels
            if done > 0 and levels:
                self._enqueue(change.kind, levels[min(done, len(levels)) - 1].name, alert.id)

    def _set_level(self, alert_id: str, level: int, now: datetime, name: str | None) -> None:
        self._levels[alert_id] = level
        self.db.execute(
            "UPDATE alerts SET escalation_level=?, escalated_at=? WHERE id=?",
            (level, store.iso(now), alert_id),
        )
        if name is not None:
            store.history(self.db, alert_id, now, store.ENGINE, "escalated", name)

    def _enqueue(
        self,
        event: str,
        level: str,
        alert_id: str,
        incident: Incident | None = None,
        text: dict[str, str] | None = None,
    ) -> None:
        if self.notifier is None:
            return
        from gateway.notify.message import Notification  # the gateway extra's package

        alert = store.get_alert(self.db, alert_id)
        if alert is None:
            return
        inc = None
        if incident is not None or alert.get("incident_id"):
            inc = store.get_incident(
                self.db, incident.id if incident else alert["incident_id"], self.clock()
            )
        self.notifier.enqueue(
            self.db,
            Notification(event=event, level=level, alert=alert, incident=inc, text=text),
        )

    # timers ---------------------------------------------------------------------------------------

    def _escalate(self, now: datetime) -> None:
        config = self.config.escalation
        due: list[tuple[Alert, list[Any]]] = []
        with self.feed._lock:
            for alert in self.feed.state.alerts.values():
                steps = due_escalations(alert, now, self._levels.get(alert.id, 0), config)
                if steps:
                    due.append((alert, steps))
        if not due:
            return
        with self.db.atomic():
            for alert, steps in due:
                for step in steps:
                    self._set_level(alert.id, step.level + 1, now, step.name)
                    self._enqueue("escalated", step.name, alert.id)
        if self.notifier:
            self.notifier.wake()
        for alert, _ in due:
            self._published(alert.id)

    def _remind(self, now: datetime) -> None:
        config = self.config.reminders
        with self.feed._lock:
            incidents = list(self.feed.state.incidents.values())
        pending: list[tuple[Incident, Reminder]] = []
        for inc in incidents:
            if inc.phone_reported_at and inc.written_reported_at:
                continue
            sent = {
                r[0]
                for r in self.db.execute(
                    "SELECT detail FROM incident_history WHERE incident_id=? "
                    "AND action IN ('reminder','overdue')",
                    (inc.id,),
                )
            }
            pending += [(inc, r) for r in due_reminders(inc, now, sent, config)]
        if not pending:
            return
        levels = [lv.name for lv in self.config.escalation.levels] or ["desk"]
        duty = "station_duty" if "station_duty" in levels else levels[0]
        with self.db.atomic():
            for inc, rem in pending:
                store.incident_history(self.db, inc.id, now, store.ENGINE, rem.kind, rem.key)
                text = _reminder_text(rem)
                self._enqueue(rem.kind, duty, inc.alert_id, inc, text)
                if rem.kind == "overdue" and levels[-1] != duty:
                    self._enqueue(rem.kind, levels[-1], inc.alert_id, inc, text)
        if self.notifier:
            self.notifier.wake()
        if self.updates:
            for inc, _ in pending:
                row = store.get_incident(self.db, inc.id, now)
                if row:
                    self.updates.publish("incident", row)

    # reading --------------------------------------------------------------------------------------

    def _alert(self, alert_id: str) -> dict[str, Any]:
        row = store.get_alert(self.db, alert_id)
        if row is None:
            raise AlertError(404, f"no alert {alert_id}")
        return row

    def _published(self, alert_id: str) -> dict[str, Any]:
        row = self._alert(alert_id)
        if self.updates:
            self.updates.publish("alert", row)
        return row


def _reminder_text(rem: Reminder) -> dict[str, str]:
    what = {"phone": ("电话报告", "phone report"), "written": ("书面报告", "written report")}
    zh, en = what[rem.report]
    minutes = abs(rem.left_s) / 60
    if rem.kind == "overdue":
        return {
            "zh": f"{zh}已逾期 {minutes:.0f} 分钟，请立即向民政部门报告。",
            "en": f"The {en} to the bureau is {minutes:.0f} min overdue: report now.",
        }
    return {
        "zh": f"距{zh}截止还有 {minutes:.0f} 分钟。",
        "en": f"The {en} to the bureau is due in {minutes:.0f} min.",
    }
