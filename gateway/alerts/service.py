"""The alert flow of a running gateway: events → engine → database → notifications → dashboard.

`AlertService` is fed by the ingest writer's listeners (in the ingest thread, right after the
events were committed) and by its own timer (debounce, auto-clear, escalation, incident
reminders). Every change is written with its history row, its notification outbox rows and
the engine's progress through the events table (`alert_progress`) in ONE transaction. The
engine keeps a new state only once that transaction committed; an input whose changes could
not be stored waits, in order, and the timer feeds it again. A crash between the events'
commit and the alert commit loses nothing either: at start the events after the recorded
progress are fed through the engine again.

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

import json
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import sqlite_utils

from devices.contract.models import EVENT_ADAPTER, Event
from gateway.alerts import engine, store
from gateway.alerts.config import AlertsConfig
from gateway.alerts.escalation import due_escalations, level_after
from gateway.alerts.feed import AlertFeed
from gateway.alerts.models import Alert, AlertChange, DeadlineNotice, EngineState, Incident
from gateway.alerts.reminders import Reminder, due_reminders
from gateway.alerts.restore import restore_state
from gateway.store.db import connect
from gateway.store.times import iso, parse

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_PENDING = 100_000
MAX_INPUT_FAILURES = 3
STUCK_AFTER_S = 90.0  # a tick may wait up to 30 s on a locked database, three in a row: stuck


class Notifier(Protocol):
    def enqueue(self, db: sqlite_utils.Database, notification: Any) -> list[str]: ...

    def wake(self) -> None: ...


class Updates(Protocol):
    def publish(self, topic: str, data: dict[str, Any]) -> None: ...


class AlertExtension(Protocol):
    """What another layer adds to the alert flow (the people layer: who a missing-person
    incident is about, the text of a family-search deadline). Best effort: an extension that
    fails is logged and left out; the alert and its notifications are stored regardless."""

    def stored(self, db: sqlite_utils.Database, changes: list[AlertChange]) -> None:
        """Inside the changes' transaction, after they were written (before notifications)."""

    def text(self, db: sqlite_utils.Database, alert: dict[str, Any]) -> dict[str, str] | None:
        """The human text {"zh", "en"} of a notification about `alert`, or None (generated)."""

    def people(
        self, db: sqlite_utils.Database, alert: dict[str, Any], incident: dict[str, Any] | None
    ) -> list[dict[str, Any]] | None:
        """The people a notification about `alert` must carry (file, description, portrait)."""


DEADLINE_RULES = frozenset(
    {
        "family_search_reminder",
        "family_search_overdue",
        "visit_reminder",
        "visit_overdue",
        "face_match_probable",
    }
)


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
        extensions: Sequence[AlertExtension] = (),
    ) -> None:
        self.config = config or AlertsConfig()
        self.extensions = list(extensions)
        self.timers: list[Callable[[datetime], None]] = []  # other layers' timers, each tick
        # Rosters from elsewhere (people placed at a foster home: gateway/people/roster.py):
        # configured rosters -> the ones in force, asked each tick; None: the config as it is.
        self.rosters: Callable[[AlertsConfig], AlertsConfig] | None = None
        self.notifier = notifier
        self.updates = updates
        self.clock = clock
        self.tick_s = tick_s
        self.db = connect(db_path, check_same_thread=False)
        self._lock = threading.RLock()  # one writer of alert state at a time
        alerts, incidents = store.load_open(self.db)
        nodes = [
            (r[0], r[1], r[2], parse(r[3]) if r[3] else clock())
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
        self.beat = time.monotonic()
        # Inputs wait here, in order, until the engine's changes from them are stored: a failed
        # write (locked or full database) is retried by the timer, nothing is skipped.
        self._pending: deque[tuple[Event | tuple[str, str, str, str], datetime]] = deque()
        self._current_event: str | None = None  # the event whose changes are being stored
        self._done_event: str | None = None  # the last event the engine has seen
        self._saved_event: str | None = None
        self._head_failures = 0
        self._new_levels: dict[str, int] = {}  # escalation levels of the open transaction
        self._mark = self._load_mark()
        self._replay()

    # inputs -------------------------------------------------------------------------------------

    def on_event(self, event: Event, at: datetime) -> None:
        """IngestWriter event listener (ingest thread, after the commit)."""
        with self._lock:
            self._pending.append((event, at))
            self._drain()

    def on_node(self, site: str, node: str, state: str, reason: str, at: datetime) -> None:
        """IngestWriter node listener."""
        with self._lock:
            self._pending.append(((site, node, state, reason), at))
            self._drain()

    def _drain(self) -> bool:
        """Feed the waiting inputs in order; stop at the first that cannot be stored."""
        while self._pending:
            item, at = self._pending[0]
            try:
                if isinstance(item, tuple):
                    self.feed.on_node(*item, at)
                else:
                    self._current_event = item.id
                    self.feed.on_event(item, at)
                    self._done_event = item.id
            except sqlite3.Error:
                log.exception("alert engine: could not store what %s changed; will retry", item)
                if len(self._pending) > MAX_PENDING:  # the database is gone for long: the
                    self._pending.popleft()  # events stay in it and are replayed at start
                return False
            except Exception:  # a bug on one input: retried a few times, then skipped, so
                self._head_failures += 1  # that it cannot stall all alerting
                if self._head_failures < MAX_INPUT_FAILURES:
                    log.exception("alert engine: input %s failed; will retry", item)
                    return False
                log.exception(
                    "alert engine: input %s skipped after %d failures", item, MAX_INPUT_FAILURES
                )
            finally:
                self._current_event = None
            self._head_failures = 0
            self._pending.popleft()
        return True

    def _load_mark(self) -> int:
        row = self.db.execute("SELECT event_rowid FROM alert_progress WHERE id=1").fetchone()
        if row is not None:
            return int(row[0])
        (top,) = self.db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()
        self.db.execute("INSERT INTO alert_progress (id, event_rowid) VALUES (1, ?)", (top,))
        return int(top)

    def _save_mark(self) -> None:
        """Record the engine's progress (once a tick, not per event: this is the hot path)."""
        if self._done_event is not None and self._done_event != self._saved_event:
            self._progress(self._done_event)
            self._saved_event = self._done_event

    def _progress(self, event_id: str) -> None:
        self.db.execute(
            "UPDATE alert_progress SET event_rowid=max(event_rowid, "
            "coalesce((SELECT rowid FROM events WHERE id=?), 0)) WHERE id=1",
            (event_id,),
        )

    def _replay(self) -> None:
        """Events stored after the engine's last recorded progress (a crash between the
        ingest commit and the alert commit) go through the engine again, in order."""
        rows = self.db.execute(
            "SELECT id, site, node, kind, ts, seq, device, data, received_at FROM events "
            "WHERE rowid > ? ORDER BY rowid",
            (self._mark,),
        ).fetchall()
        for r in rows:
            try:
                event = EVENT_ADAPTER.validate_python(
                    {"id": r[0], "site": r[1], "node": r[2], "kind": r[3], "ts": r[4]}
                    | {"seq": r[5], "device": r[6], "data": json.loads(r[7])}
                )
            except (ValueError, TypeError) as exc:
                log.error("event %s not replayed into the alert engine: %s", r[0], exc)
                continue
            self._pending.append((event, parse(r[8])))
        if rows:
            log.warning("alert engine: replaying %d events stored before a restart", len(rows))
            self._drain()
            self._save_mark()

    def tick(self, now: datetime | None = None) -> None:
        """Timers: debounce, auto-clear, escalation, reminders (the thread calls it each tick)."""
        now = now or self.clock()
        with self._lock:
            if not self._drain():
                return  # the database refuses writes: keep the order, try again next tick
            self._save_mark()
            if self.rosters is not None:
                self.feed.config = self.rosters(self.config)
            self.feed.tick(now)
            self._escalate(now)
            self._remind(now)
        for timer in self.timers:  # outside the lock: they feed deadlines back in
            try:
                timer(now)
            except Exception:
                log.exception("timer %s failed; will retry", timer)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        with self._lock:
            try:
                self._save_mark()
            except Exception:
                log.exception("alert engine progress not saved; events will be replayed")
            self.db.conn.close()

    def healthy(self) -> bool:
        """The timer thread is turning (a stuck one would stop escalations and reminders)."""
        return self._thread.is_alive() and time.monotonic() - self.beat < STUCK_AFTER_S

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            self.beat = time.monotonic()
            try:
                self.tick()
            except Exception:  # never let the timer die: alerts would stop escalating
                log.exception("alert timer failed; will retry")

    # dated duties (gateway/people) ----------------------------------------------------------

    def raise_deadline(self, notice: DeadlineNotice) -> str | None:
        """Raise the alert of a reminder/overdue notice; returns its id (None: not raised,
        e.g. the rule is disabled or the database refused the write: the caller tries again)."""
        with self._lock:
            if not self._drain():
                return None
            try:
                self.feed.on_deadline(notice, self.clock())
            except sqlite3.Error:
                log.exception("deadline notice %s not stored; will retry", notice.subject)
                return None
            key = (notice.rule, notice.site, None, notice.subject)
            alert = self.feed.read(lambda state: state.alerts.get(key))
            return alert.id if alert else None

    def close_deadlines(self, subject_prefix: str, by: str) -> list[str]:
        """Resolve the open reminder/overdue alerts of a step that was just recorded."""
        ids = self.feed.read(
            lambda state: [
                a.id
                for key, a in state.alerts.items()
                if key[0] in DEADLINE_RULES and (key[3] or "").startswith(subject_prefix)
            ]
        )
        for alert_id in ids:
            self.resolve(alert_id, by)
        return ids

    def _extend(self, changes: list[AlertChange]) -> None:
        for ext in self.extensions:
            self.db.execute("SAVEPOINT alert_extension")
            try:
                ext.stored(self.db, changes)
            except Exception:  # the alert matters more than what an extension adds to it
                log.exception("alert extension %s failed; alert stored without it", ext)
                self.db.execute("ROLLBACK TO alert_extension")
            self.db.execute("RELEASE alert_extension")

    def _extra(self, alert: dict[str, Any], incident: dict[str, Any] | None) -> dict[str, Any]:
        """Text and people the extensions give a notification (best effort)."""
        out: dict[str, Any] = {}
        for ext in self.extensions:
            try:
                text = ext.text(self.db, alert)
                people = ext.people(self.db, alert, incident)
            except Exception:
                log.exception("alert extension %s failed; notification sent without it", ext)
                continue
            if text and "text" not in out:
                out["text"] = text
            if people:
                out["people"] = [*out.get("people", []), *people]
        return out

    # people's actions ---------------------------------------------------------------------------

    def acknowledge(self, alert_id: str, by: str) -> dict[str, Any]:
        return self._transition(alert_id, by, engine.acknowledge, "acknowledged")

    def resolve(self, alert_id: str, by: str) -> dict[str, Any]:
        return self._transition(alert_id, by, engine.resolve, "resolved")

    def _transition(self, alert_id: str, by: str, fn: Any, verb: str) -> dict[str, Any]:
        with self._lock:
            now = self.clock()
            changes = self.feed.act(lambda state: fn(state, alert_id, now, by))
            if changes:
                return self._alert(alert_id)
            current = store.get_alert(self.db, alert_id)
            if current is None:
                raise AlertError(404, f"no alert {alert_id}")
            if current["state"] == "active" or (
                verb == "resolved" and current["state"] == "acknowledged"
            ):  # open in the database but not held by the engine (left out at a restart)
                with self.db.atomic():
                    self.db.execute(
                        "UPDATE alerts SET state=?, changed_at=?, changed_by=? WHERE id=?",
                        (verb, iso(now), by, alert_id),
                    )
                    store.history(self.db, "alert", alert_id, now, by, verb)
                if verb == "resolved":
                    self._levels.pop(alert_id, None)
                return self._published(alert_id)
            raise AlertError(409, f"alert {alert_id} is {current['state']}: cannot be {verb}")

    def comment(self, alert_id: str, by: str, text: str) -> dict[str, Any]:
        with self._lock:
            self._alert(alert_id)
            with self.db.atomic():
                store.history(self.db, "alert", alert_id, self.clock(), by, "commented", text)
            return self._published(alert_id)

    def assign(self, alert_id: str, by: str, assignee: str) -> dict[str, Any]:
        with self._lock:
            self._alert(alert_id)
            with self.db.atomic():
                self.db.execute("UPDATE alerts SET assignee=? WHERE id=?", (assignee, alert_id))
                store.history(self.db, "alert", alert_id, self.clock(), by, "assigned", assignee)
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
                    (iso(now), by, reported_to, incident_id),
                )
                detail = f"to {reported_to}" + (f": {note}" if note else "")
                store.history(self.db, "incident", incident_id, now, by, f"{kind}_report", detail)
                other = "written" if kind == "phone" else "phone"
                if row[f"{other}_reported_at"] is not None:
                    self.db.execute(
                        "UPDATE incidents SET closed_at=? WHERE id=?", (iso(now), incident_id)
                    )
                    store.history(self.db, "incident", incident_id, now, by, "closed")
            self.feed.act(lambda state: (_reported(state, incident_id, kind, now), []))
            result = store.get_incident(self.db, incident_id, self.clock())
            assert result is not None
            if self.updates:
                self.updates.publish("incident", result)
            return result

    # writing changes ------------------------------------------------------------------------------

    def _apply(self, changes: list[AlertChange]) -> None:
        """The feed's sink: store the changes, queue their notifications, one transaction."""
        now = self.clock()
        self._new_levels = {}
        with self._lock, self.db.atomic():
            store.save_changes(self.db, changes)
            self._extend(changes)
            for change in changes:
                self._notify_change(change, now)
            if self._current_event is not None:  # this event's effects and its progress
                self._progress(self._current_event)
        self._levels.update(self._new_levels)  # only once committed
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
        """Inside the caller's transaction; `self._levels` learns it after the commit."""
        self._new_levels[alert_id] = level
        self.db.execute(
            "UPDATE alerts SET escalation_level=?, escalated_at=? WHERE id=?",
            (level, iso(now), alert_id),
        )
        if name is not None:
            store.history(self.db, "alert", alert_id, now, store.ENGINE, "escalated", name)

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
        extra = self._extra(alert, inc)
        self.notifier.enqueue(
            self.db,
            Notification(
                event=event,
                level=level,
                alert=alert,
                incident=inc,
                text=text or extra.get("text"),
                people=extra.get("people"),
            ),
        )

    # timers ---------------------------------------------------------------------------------------

    def _escalate(self, now: datetime) -> None:
        config = self.config.escalation
        due: list[tuple[Alert, list[Any]]] = []
        with self.feed.lock:
            for alert in self.feed.state.alerts.values():
                steps = due_escalations(alert, now, self._levels.get(alert.id, 0), config)
                if steps:
                    due.append((alert, steps))
        if not due:
            return
        self._new_levels = {}
        with self.db.atomic():
            for alert, steps in due:
                for step in steps:
                    self._set_level(alert.id, step.level + 1, now, step.name)
                    self._enqueue("escalated", step.name, alert.id)
        self._levels.update(self._new_levels)  # a rolled-back escalation is tried again
        if self.notifier:
            self.notifier.wake()
        for alert, _ in due:
            self._published(alert.id)

    def _remind(self, now: datetime) -> None:
        config = self.config.reminders
        with self.feed.lock:
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
                store.history(self.db, "incident", inc.id, now, store.ENGINE, rem.kind, rem.key)
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


def _reported(
    state: EngineState, incident_id: str, kind: Literal["phone", "written"], now: datetime
) -> EngineState:
    """The engine's incident after a report to the bureau; forgotten once both are made."""
    inc = state.incidents.get(incident_id)
    if inc is not None:
        inc = inc.reported(kind, now)
        state.incidents[incident_id] = inc
        if inc.phone_reported_at and inc.written_reported_at:
            del state.incidents[incident_id]
    return state
