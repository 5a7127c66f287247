"""Rebuild the engine's state after a gateway restart from the database's open alerts.

Choices (see docs/alerts.md, "After a restart"):

* Every open alert (active or acknowledged) goes back under its key (rule, site, node,
  subject), so a repeat counts on the same alert, keeps its id and count, and an acknowledged
  alert stays acknowledged.
* An alert of a stateful rule gets its condition back as **still raised**, since its
  `first_at`. Devices and nodes report changes, not their state every few seconds, so "no
  news" after a restart means "unchanged": the alert stays open until a recovery event
  (fault ok, camera online, count back to the roster, the check finishing, the node online)
  starts its auto-clear, or a person resolves it. Assuming recovery instead would silently
  close a camera-offline alert for a camera that is still dark.
* Instantaneous alerts resume their auto-clear timer from `last_at`.
* Nodes: pass the gateway's node table (`nodes`) so that the site-link logic knows how many
  nodes each site has and which are offline since when; a node_offline or site_link alert whose
  node (or any node of the site) the table shows online starts its auto-clear at once.
  Without it, a node with an open node_offline alert is taken as offline since the alert's
  `first_at`. A node the table shows offline without an open alert gets a pending condition if
  it went offline less than debounce + site-link window ago or its site has an open site_link
  alert (so it is raised when due, or when the site link comes back), else a latched one (a
  person resolved it: no new alert until the node has been back online). Pass the engine's
  `config` for those durations.
* Lost on purpose: pending conditions that had not lasted their debounce yet (the next event
  starts them again), latches of alerts a person resolved (the next bad report may raise a new
  alert), which tamper reasons were active (the next clear of any reason clears the camera),
  and head counts (the next people event or roster report brings them back).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from gateway.alerts.config import STATEFUL_RULES, AlertsConfig
from gateway.alerts.models import Alert, AlertKey, Condition, EngineState, Incident

NodeRow = tuple[str, str, str, datetime]
"""(site, node, state "online"/"offline"/other, state since) from the gateway's nodes table."""


def restore_state(
    open_alerts: list[Alert],
    open_incidents: list[Incident],
    now: datetime,
    *,
    nodes: Iterable[NodeRow] = (),
    config: AlertsConfig | None = None,
) -> EngineState:
    """An engine state holding `open_alerts` (closed ones are ignored) and `open_incidents`.
    If two open alerts share a key (should not happen), the most recently raised one is kept
    and the other is left to people to close. `now` bounds times from the future."""
    state = EngineState()
    for site, node, node_state, since in nodes:
        if node_state in ("online", "offline"):
            bad = node_state == "offline"
            state.nodes[(site, node)] = Condition(bad=bad, since=min(since, now))
    for alert in sorted(open_alerts, key=lambda a: (a.changed_at, a.first_at)):
        if not alert.is_open:
            continue
        key: AlertKey = (alert.rule, alert.site, alert.node, alert.subject)
        state.alerts[key] = alert
        if alert.rule not in STATEFUL_RULES:
            continue
        since = min(alert.first_at, now)
        if _recovered(state, alert):  # the node table says it is back: start the auto-clear
            state.conditions[key] = Condition(bad=False, since=now)
            continue
        state.conditions[key] = Condition(
            bad=True, since=since, event_id=alert.event_id, device=alert.device, event_at=since
        )
        if alert.rule == "node_offline" and alert.node is not None:
            state.nodes.setdefault((alert.site, alert.node), Condition(bad=True, since=since))
    _node_conditions(state, now, config or AlertsConfig())
    for incident in open_incidents:
        state.incidents[incident.id] = incident
    return state


def _node_conditions(state: EngineState, now: datetime, config: AlertsConfig) -> None:
    """A node the table shows offline without an open node_offline alert gets its condition
    back: pending if it went offline too recently to have been raised (or its whole site is
    under a site_link alert, which stands for it), else latched (a person resolved it)."""
    rule = config.rule("node_offline")
    wait = timedelta(seconds=rule.debounce_s + config.site_link_window_s)
    for (site, node), cond in state.nodes.items():
        key: AlertKey = ("node_offline", site, node, None)
        if not cond.bad or key in state.conditions:
            continue
        site_down = ("site_link", site, None, None) in state.alerts
        latched = not site_down and now >= cond.since + wait
        state.conditions[key] = Condition(bad=True, since=cond.since, latched=latched)


def _recovered(state: EngineState, alert: Alert) -> bool:
    """The node table shows the node (node_offline) or a node of the site (site_link) online."""
    if alert.rule == "node_offline" and alert.node is not None:
        node = state.nodes.get((alert.site, alert.node))
        return node is not None and not node.bad
    if alert.rule == "site_link":
        return any(not c.bad for (s, _), c in state.nodes.items() if s == alert.site)
    return False
