"""The thin seam between the gateway and the pure engine, and the one owner of its state.

`AlertFeed.on_event` and `AlertFeed.on_node` match the IngestWriter's `event_listeners` and
`node_listeners` signatures; `tick(now)` is called by a timer so that debounce and auto-clear
fire without traffic. Every change goes to `sink` (the gateway's AlertService stores it), and
the new engine state is kept only once the sink returned: if storing fails, the engine is as
before and the same input can be fed again. People's actions (acknowledge, resolve, a report
recorded) go through `act`, reads through `read`: nothing else touches the state or the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from devices.contract.models import Event
from gateway.alerts.config import AlertsConfig
from gateway.alerts.engine import Input, evaluate
from gateway.alerts.models import AlertChange, DeadlineNotice, EngineState, NodeChange, Tick

Sink = Callable[[list[AlertChange]], None]
Step = tuple[EngineState, list[AlertChange]]
T = TypeVar("T")


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

    def act(self, step: Callable[[EngineState], Step]) -> list[AlertChange]:
        """Apply one pure `step` (e.g. `engine.acknowledge` with its arguments bound) the way
        an input is applied: its changes go to the sink first, the state is kept after."""
        with self.lock:
            state, changes = step(self.state)
            if changes:
                self.sink(changes)  # raises: the state stays as it was
            self.state = state
            return changes

    def read(self, look: Callable[[EngineState], T]) -> T:
        """`look` at the state under the lock (it must not keep references to mutate)."""
        with self.lock:
            return look(self.state)

    def _feed(self, item: Input, now: datetime) -> None:
        self.act(lambda state: evaluate(state, item, now, self.config))
