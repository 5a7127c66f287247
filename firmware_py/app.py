"""What a node application (intake desk, camera analytics, simulator) sees of the agent.

The agent owns the bus, the outbox, status and heartbeats. An application receives a
`NodeContext`, emits events through it (each one is written to the durable outbox before it
is sent), reports its devices' health, and may handle commands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from devices.contract.models import Command, DeviceState, Envelope, IntakeProgress, Payload


class NodeContext(Protocol):
    site: str
    node: str

    def emit(
        self, kind: str, data: Payload | dict[str, Any], *, device: str | None = None
    ) -> Envelope:
        """Validate, number (seq), store durably and queue for sending one event."""
        ...

    def publish_media(self, event_id: str, payload: bytes) -> None:
        """Send a binary JPEG/clip belonging to `event_id` (QoS 1, best effort)."""
        ...

    def publish_live(self, camera: str, jpeg: bytes) -> None:
        """Send one live-view frame (QoS 0, dropped when offline)."""
        ...


@runtime_checkable
class StatefulContext(NodeContext, Protocol):
    """A context that also keeps an app's own state durably, committed together with the
    events of the same step (the agent's outbox database): after a crash the app reloads
    exactly the state its last stored events left behind."""

    def emit_with_state(
        self,
        events: Sequence[tuple[str, Payload | dict[str, Any], str | None]],
        *,
        scope: str,
        state: Mapping[str, bytes | None],
    ) -> tuple[list[Envelope], bool]:
        """Store `events` (kind, data, device) and set/delete (None) `state` rows at once;
        returns the events and whether the state was written (False on a full disk)."""
        ...

    def load_state(self, scope: str) -> dict[str, bytes]:
        """The state rows of `scope` as last committed."""
        ...

    def publish_progress(self, progress: IntakeProgress) -> None:
        """Tell the gateway where the app's checks stand (retained, QoS 1, latest wins; the
        last one is sent again on every reconnect). Call it only with state already stored."""
        ...


class NodeApp(Protocol):
    """A pluggable node application. Every method must return quickly."""

    def start(self, ctx: NodeContext) -> None: ...

    def stop(self) -> None: ...

    def devices(self) -> dict[str, DeviceState]:
        """Current state of each device this application drives."""
        ...

    def handle_command(self, cmd: Command) -> tuple[bool, str | None] | None:
        """Carry out `cmd` and return (ok, error), or None if the action is not ours."""
        ...
