"""The pure rules engine: `evaluate(state, input, now, config) -> (state, changes)`.

No IO, no threads, no clock: time is the `now` argument. Stateful rules (fault, camera
offline/tamper/frozen, metal found and not resolved, head count below the roster, node offline,
site link) track a condition per key and raise after `debounce_s`; instantaneous rules (check
outcomes, night exits, manual reports) raise on each event and count repeats on the open alert.

Where the person matters the key is the person's check (`check_id`): each fever, hypothermia,
walk-past (incomplete) and items-held check, and each check with metal left unresolved, is its
own alert and is notified; only the same check arriving again counts on it. Device, camera and
node alerts stay one per device: a flapping sensor counts, it does not notify again.
Timers (debounce, auto-clear, roster hours) are checked on every call, so a `Tick` input lets
time pass without an event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from devices.contract import codec
from devices.contract.models import Event
from gateway.alerts.config import INCIDENT_CATEGORY, STATEFUL_RULES, AlertsConfig
from gateway.alerts.models import (
    Alert,
    AlertChange,
    AlertKey,
    Condition,
    DeadlineNotice,
    EngineState,
    IncidentCategory,
    NodeChange,
    Tick,
    open_incident,
)

Input = Event | NodeChange | Tick | DeadlineNotice
IdFactory = Callable[[], str]

_CHECK_RULES = {
    "fever_referral": "fever_referral",
    "hypothermia_referral": "hypothermia_referral",
    "incomplete": "incomplete_check",
    "items_held": "items_held",
}
"""Check outcome -> rule. Keyed by the check (subject = check_id), so two people are two
alerts; a second fever merged into the first would notify nobody about the second person."""
_MANUAL_RULES = {"missing_person", "injury", "death", "disaster", "violence"}
_DEVICE_RULES = frozenset({"device_fault", "camera_offline", "camera_tamper", "camera_frozen"})
"""Conditions of a node's own devices: held (not raised) while the node is offline, so that a
node going down is one node_offline alert, not one alert per device."""
SITE_TOTAL = "site"
"""Subject of the head-count alert for a whole site (`roster_total`); its node is None."""


class _Run:
    """One evaluation: a private copy of the state and the changes made to it."""

    def __init__(
        self, state: EngineState, now: datetime, config: AlertsConfig, new_id: IdFactory
    ) -> None:
        self.state = state.copy()
        self.now = now
        self.config = config
        self.new_id = new_id
        self.changes: list[AlertChange] = []

    # instantaneous rules ---------------------------------------------------------------------

    def occur(
        self, key: AlertKey, event: Any, device: str | None, opened_at: datetime | None = None
    ) -> None:
        rule = self.config.rule(key[0])
        if not rule.enabled:
            return
        alert = self.state.alerts.get(key)
        if alert is not None:
            self.repeat(key, alert)
            return
        self.raise_alert(key, device, self.now, event.id, opened_at)

    def repeat(self, key: AlertKey, alert: Alert) -> None:
        alert = alert.model_copy(update={"last_at": self.now, "count": alert.count + 1})
        self.state.alerts[key] = alert
        self.changes.append(AlertChange("repeated", alert))

    def raise_alert(
        self,
        key: AlertKey,
        device: str | None,
        first_at: datetime,
        event_id: str | None,
        opened_at: datetime | None = None,
    ) -> None:
        rule_name, site, node, subject = key
        rule = self.config.rule(rule_name)
        alert = Alert(
            id=self.new_id(),
            rule=rule_name,
            severity=rule.severity,
            site=site,
            node=node,
            device=device,
            subject=subject,
            first_at=first_at,
            last_at=self.now,
            changed_at=self.now,
            event_id=event_id,
        )
        self.state.alerts[key] = alert
        incident = None
        category = INCIDENT_CATEGORY.get(rule_name)
        if rule.incident and category is not None:
            cat: IncidentCategory = category  # type: ignore[assignment]
            incident = open_incident(self.new_id(), alert, cat, opened_at or first_at)
            self.state.incidents[incident.id] = incident
        self.changes.append(AlertChange("raised", alert, incident))

    # stateful rules --------------------------------------------------------------------------

    def condition(
        self,
        key: AlertKey,
        bad: bool,
        event_id: str | None,
        *,
        device: str | None = None,
        event_at: datetime | None = None,
        count_repeat: bool = True,
    ) -> None:
        """The condition of `key` is (still) bad or good. `count_repeat`: a bad report while
        already bad counts on the open alert (an event confirming it; not a timer sweep)."""
        if not self.config.rule(key[0]).enabled:
            return
        old = self.state.conditions.get(key)
        if old is not None and old.bad == bad:
            alert = self.state.alerts.get(key)
            if bad and alert is not None and count_repeat:  # a repeat of the raised condition
                self.repeat(key, alert)
            return
        if old is None and not bad:
            return  # cleared something we never saw raised
        self.state.conditions[key] = Condition(
            bad=bad,
            since=self.now,
            event_id=event_id,
            device=device,
            event_at=event_at if bad else None,
        )
        alert = self.state.alerts.get(key)
        if bad and alert is not None:  # raised again within the auto-clear quiet period
            self.repeat(key, alert)

    def timers(self) -> None:
        self.roster_sweep()
        for key, cond in list(self.state.conditions.items()):
            rule = self.config.rule(key[0])
            alert = self.state.alerts.get(key)
            if cond.bad:
                due = cond.since + timedelta(seconds=rule.debounce_s)
                ready = rule.enabled and alert is None and not cond.latched and self.now >= due
                if ready and self._may_raise(key, cond):
                    device = cond.device if cond.device is not None else key[3]
                    self.raise_alert(key, device, cond.since, cond.event_id, cond.event_at)
            else:
                quiet = rule.auto_clear_s
                quiet_over = quiet is not None and self.now >= cond.since + timedelta(seconds=quiet)
                if alert is not None and quiet_over:
                    self.close(key, "auto_cleared", None)
                if key not in self.state.alerts:
                    del self.state.conditions[key]
        for key, alert in list(self.state.alerts.items()):
            if key[0] in STATEFUL_RULES:
                continue
            quiet = self.config.rule(key[0]).auto_clear_s
            if quiet is not None and self.now >= alert.last_at + timedelta(seconds=quiet):
                self.close(key, "auto_cleared", None)

    def forget_checks(self) -> None:
        """Finished checks are remembered only `check_memory_s` (an out-of-order guard)."""
        forget = self.now - timedelta(seconds=self.config.check_memory_s)
        for check, seen in list(self.state.checks_done.items()):
            if seen < forget:
                del self.state.checks_done[check]

    def _may_raise(self, key: AlertKey, cond: Condition) -> bool:
        if key[0] == "node_offline":
            return self._node_may_raise(key, cond)
        if key[0] in _DEVICE_RULES and key[2] is not None:
            node = self.state.nodes.get((key[1], key[2]))
            return node is None or not node.bad
        return True

    def close(self, key: AlertKey, kind: str, by: str | None) -> None:
        alert = self.state.alerts.pop(key)
        alert = alert.model_copy(update={"state": kind, "changed_at": self.now, "changed_by": by})
        self.changes.append(AlertChange(kind, alert))  # type: ignore[arg-type]

    # nodes and the site link -----------------------------------------------------------------

    def node(self, change: NodeChange) -> None:
        bad = change.state == "offline"
        old = self.state.nodes.get((change.site, change.node))
        if old is None or old.bad != bad:
            self.state.nodes[(change.site, change.node)] = Condition(bad=bad, since=self.now)
        self.condition(("node_offline", change.site, change.node, None), bad, None)
        self.site_link(change.site)

    def _site_nodes(self, site: str) -> list[Condition]:
        return [c for (s, _), c in self.state.nodes.items() if s == site]

    def _site_down(self, site: str) -> bool:
        """Every node of the site (two or more) went offline within the site-link window."""
        nodes = self._site_nodes(site)
        if len(nodes) < 2 or not all(c.bad for c in nodes):
            return False
        spread = max(c.since for c in nodes) - min(c.since for c in nodes)
        return spread <= timedelta(seconds=self.config.site_link_window_s)

    def site_link(self, site: str) -> None:
        if not self.config.rule("site_link").enabled:
            return
        key: AlertKey = ("site_link", site, None, None)
        down = self._site_down(site)
        if down:
            last = max(c.since for c in self._site_nodes(site))
            if key not in self.state.conditions or not self.state.conditions[key].bad:
                self.state.conditions[key] = Condition(bad=True, since=last)
        elif key in self.state.conditions and self.state.conditions[key].bad:
            self.state.conditions[key] = Condition(bad=False, since=self.now)

    def _node_may_raise(self, key: AlertKey, cond: Condition) -> bool:
        """Hold a node_offline alert until the site-link window has passed, and drop it while
        the whole site is down (the site_link alert stands for it)."""
        site = key[1]
        if not self.config.rule("site_link").enabled or len(self._site_nodes(site)) < 2:
            return True
        if self._site_down(site):
            return False
        return self.now >= cond.since + timedelta(seconds=self.config.site_link_window_s)

    # head count against the roster -----------------------------------------------------------

    def head_count(
        self,
        key: AlertKey,
        count: int,
        expected: int | None,
        event_id: str | None,
        device: str | None,
        event_at: datetime | None,
        count_repeat: bool,
    ) -> None:
        """Below the roster is bad. No roster in force (`expected` None): a pending condition
        is dropped, but a raised alert stays open until the count recovers or a person acts."""
        if expected is None:
            if key not in self.state.alerts:
                self.state.conditions.pop(key, None)
            return
        self.condition(
            key,
            count < expected,
            event_id,
            device=device,
            event_at=event_at,
            count_repeat=count_repeat,
        )

    def people(self, ev: Any) -> None:
        data, site, node = ev.data, ev.site, ev.node
        at = min(ev.ts, self.now)
        self.state.counts[(site, node, data.camera, data.zone)] = data.count
        name = data.camera if data.zone is None else f"{data.camera}/{data.zone}"
        key: AlertKey = ("head_count", site, node, name)
        cfg = self.config.site(site)
        if name in cfg.roster:  # the gateway's roster wins over the node's
            expected = cfg.roster[name] if cfg.roster_applies(self.now) else None
        else:
            expected = data.expected
        self.head_count(key, data.count, expected, ev.id, data.camera, at, True)
        if cfg.roster_total is not None and data.camera in cfg.total_cameras and data.zone is None:
            self._site_total(site, ev.id, at, True)

    def _site_total(self, site: str, event_id: str | None, at: datetime, repeat: bool) -> None:
        cfg = self.config.site(site)
        latest = {c: n for (s, _, c, z), n in self.state.counts.items() if s == site and z is None}
        known = all(c in latest for c in cfg.total_cameras)
        total = sum(latest.get(c, 0) for c in cfg.total_cameras)
        expected = cfg.roster_total if known and cfg.roster_applies(self.now) else None
        key: AlertKey = ("head_count", site, None, SITE_TOTAL)
        self.head_count(key, total, expected, event_id, None, at, repeat)

    def roster_sweep(self) -> None:
        """Gateway rosters follow the clock: when roster hours begin, the latest counts are
        compared; when they end, pending conditions are dropped."""
        if not self.config.rule("head_count").enabled:
            return
        for site, cfg in self.config.sites.items():
            if cfg.roster:
                for (s, node, camera, zone), count in list(self.state.counts.items()):
                    name = camera if zone is None else f"{camera}/{zone}"
                    if s != site or name not in cfg.roster:
                        continue
                    expected = cfg.roster[name] if cfg.roster_applies(self.now) else None
                    key: AlertKey = ("head_count", site, node, name)
                    self.head_count(key, count, expected, None, camera, self.now, False)
            if cfg.roster_total is not None:
                self._site_total(site, None, self.now, False)

    # dated duties (family search, follow-up visits) -----------------------------------------

    def deadline(self, notice: DeadlineNotice) -> None:
        """An instantaneous rule keyed by the notice's subject. The caller raises each notice
        once (its alert row is the record), so a repeat only counts on the open alert."""
        key: AlertKey = (notice.rule, notice.site, None, notice.subject)
        if not self.config.rule(notice.rule).enabled:
            return
        alert = self.state.alerts.get(key)
        if alert is not None:
            self.repeat(key, alert)
        else:
            self.raise_alert(key, None, min(notice.at, self.now), None)

    # events ----------------------------------------------------------------------------------

    def event(self, ev: Event) -> None:
        site, node = ev.site, ev.node
        if (site, node) not in self.state.nodes:
            self.state.nodes[(site, node)] = Condition(bad=False, since=self.now)
        if ev.kind == "check":
            done_id = ev.data.check_id
            self.state.checks_done[(site, node, done_id)] = self.now
            for subject in (done_id, None):  # None: a metal result that named no check
                self.condition(("metal_unresolved", site, node, subject), False, ev.id)
            rule = _CHECK_RULES.get(ev.data.outcome)
            self.outcome_changed(site, node, done_id, rule)
            if rule is not None:  # per person: the same check again (redelivery) only counts
                self.occur((rule, site, node, done_id), ev, ev.device)
        elif ev.kind == "metal":
            check_id = ev.data.check_id
            done = check_id is not None and (site, node, check_id) in self.state.checks_done
            if ev.data.result == "metal_found" and not done:
                key: AlertKey = ("metal_unresolved", site, node, check_id)
                self.condition(key, True, ev.id, device=ev.device)
        elif ev.kind == "fault":
            self.condition(("device_fault", site, node, ev.device), ev.data.state == "fault", ev.id)
        elif ev.kind == "camera":
            bad = ev.data.state == "offline"
            self.condition(("camera_offline", site, node, ev.data.camera), bad, ev.id)
        elif ev.kind == "tamper":
            self.tamper(ev)
        elif ev.kind == "people":
            self.people(ev)
        elif ev.kind == "line_cross":
            at = min(ev.ts, self.now)
            night = ev.data.night or self.config.site(site).is_night(at)
            if night and ev.data.direction == "out":
                key = ("night_exit", site, node, ev.data.camera)
                self.occur(key, ev, ev.data.camera, opened_at=at)
        elif ev.kind == "manual" and ev.data.category in _MANUAL_RULES:
            # Two reports about the same named person are one incident (two staff reporting the
            # same disappearance); reports that name nobody are each their own incident: two
            # injuries in an hour are two reports to the bureau, not one counted twice.
            key = (ev.data.category, site, node, ev.data.person or f"report:{ev.id}")
            self.occur(key, ev, ev.device, opened_at=min(ev.ts, self.now))

    def outcome_changed(self, site: str, node: str, check_id: str, rule: str | None) -> None:
        """A check's alert follows its latest outcome: when the same check arrives again with
        another outcome (a core temperature correcting a screening fever after the check
        closed), the open alert of its earlier outcome is auto-cleared, which tells the people
        who were told of it; the new outcome raises its own alert."""
        for other in _CHECK_RULES.values():
            key: AlertKey = (other, site, node, check_id)
            if other != rule and key in self.state.alerts:
                self.close(key, "auto_cleared", None)

    def tamper(self, ev: Any) -> None:
        """`frozen` (frames arrive but never change: a hung encoder or stream) is its own rule,
        camera_frozen. The other reasons are one camera_tamper condition per camera, raised
        while any of them is active."""
        site, node, data = ev.site, ev.node, ev.data
        if data.reason == "frozen":
            self.condition(("camera_frozen", site, node, data.camera), data.active, ev.id)
            return
        cam = (site, node, data.camera)
        reasons = self.state.tamper.get(cam, frozenset())
        reasons = reasons | {data.reason} if data.active else reasons - {data.reason}
        if reasons:
            self.state.tamper[cam] = reasons
        else:
            self.state.tamper.pop(cam, None)
        bad = bool(reasons)
        # a clear of one reason while another is still active is not a repeat
        repeat = data.active
        self.condition(("camera_tamper", site, node, data.camera), bad, ev.id, count_repeat=repeat)


def evaluate(
    state: EngineState,
    item: Input,
    now: datetime,
    config: AlertsConfig | None = None,
    *,
    new_id: IdFactory = codec.new_id,
) -> tuple[EngineState, list[AlertChange]]:
    """Apply one event, node change or tick at time `now` (UTC-aware). Returns the new state
    and what changed, in order. `state` itself is left untouched."""
    run = _Run(state, now, config or AlertsConfig(), new_id)
    run.forget_checks()
    if isinstance(item, NodeChange):
        run.node(item)
    elif isinstance(item, DeadlineNotice):
        run.deadline(item)
    elif not isinstance(item, Tick):
        run.event(item)
    run.timers()
    return run.state, run.changes


def acknowledge(
    state: EngineState, alert_id: str, now: datetime, by: str
) -> tuple[EngineState, list[AlertChange]]:
    """A person acknowledged an open alert. Unknown or closed ids change nothing."""
    new = state.copy()
    for key, alert in new.alerts.items():
        if alert.id == alert_id and alert.state == "active":
            alert = alert.model_copy(
                update={"state": "acknowledged", "changed_at": now, "changed_by": by}
            )
            new.alerts[key] = alert
            return new, [AlertChange("acknowledged", alert)]
    return state, []


def resolve(
    state: EngineState, alert_id: str, now: datetime, by: str
) -> tuple[EngineState, list[AlertChange]]:
    """A person resolved an open alert. The next occurrence raises a new alert with a new id;
    a stateful condition that is still raised is latched until it clears."""
    run = _Run(state, now, AlertsConfig(), codec.new_id)
    for key, alert in list(run.state.alerts.items()):
        if alert.id == alert_id:
            run.close(key, "resolved", by)
            cond = run.state.conditions.get(key)
            if cond is not None and cond.bad:
                run.state.conditions[key] = Condition(
                    bad=True,
                    since=cond.since,
                    latched=True,
                    event_id=cond.event_id,
                    device=cond.device,
                    event_at=cond.event_at,
                )
            return run.state, run.changes
    return state, []
