"""The thin seam between the gateway and the pure engine.

`AlertFeed.on_event` and `AlertFeed.on_node` match the IngestWriter's `event_listeners` and
`node_listeners` signatures; `tick(now)` is called by a timer so that debounce and auto-clear
fire without traffic. Every change goes to `sink` (the gateway's AlertService stores it), and
the new engine state is kept only once the sink returned: if storing fails, the engine is as
before and the same input can be fed again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from devices.contract.models import Event
from gateway.alerts.config import AlertsConfig
from gateway.alerts.engine import Input, evaluate
from gateway.alerts.models import AlertChange, DeadlineNotice, EngineState, NodeChange, Tick

Sink = Callable[[list[AlertChange]], None]


class AlertFeed:
    """Holds the engine state and serialises calls (ingest thread and a timer may both call)."""

    def __init__(self, config: AlertsConfig, sink: Sink, state: EngineState | None = None) -> None:
        self.config = config
        self.sink = sink
        self.state = state or EngineState()
        self.lock = threading.RLock()

    def on_event(self, event: Event, at: datetime) -> None:
        self._feed(event, at)

    def on_node(self, site: str, node: str, state: str, reason: str, at: datetime) -> None:
        if state in ("online", "offline"):
            self._feed(NodeChange(site, node, state, reason), at)  # type: ignore[arg-type]

    def on_deadline(self, notice: DeadlineNotice, at: datetime) -> None:
        self._feed(notice, at)

    def tick(self, now: datetime) -> None:
        self._feed(Tick(), now)

    def _feed(self, item: Input, now: datetime) -> None:
        with self.lock:
            state, changes = evaluate(self.state, item, now, self.config)
            if changes:
                self.sink(changes)  # raises: the state stays as it was
            self.state = state
