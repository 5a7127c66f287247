"""Answers of the record routes (gateway/api/records.py): rows of the events, checks, nodes and
deadletters tables (gateway/store/schema: m0001_core, m0611_ingest_limits, m0901_camera_frames)
with their JSON columns decoded, in keyset pages. Times are strings in the store's spelling
(UTC ISO with milliseconds and `Z`, gateway/store/times.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from devices.contract.models.intake import CheckOutcome, WandResult
from gateway.answer import Answer

EventKind = Literal[
    "check",
    "gate",
    "metal",
    "temperature",
    "motion",
    "people",
    "line_cross",
    "tamper",
    "camera",
    "door",
    "fault",
    "manual",
]
"""The contract's event kinds (devices/contract/models/events.py): the writer stores no other."""

NEXT = "cursor of the next page (pass it as `cursor`); null on the last page"


class EventRow(Answer):
    """One stored event (a contract event with the gateway's arrival time)."""

    id: str = Field(description="event id (the node's; the deduplication key)")
    site: str = Field(description="site slug")
    node: str = Field(description="node slug (`dashboard` for staff reports)")
    kind: EventKind = Field(description="event kind: decides the shape of `data`")
    ts: str = Field(description="when it happened, UTC ISO (the gateway's time if clock_flag)")
    seq: int = Field(description="the node's sequence number of this event")
    device: str | None = Field(description="device that produced it, if any")
    data: dict[str, Any] = Field(description="the kind's payload (docs/contracts.md)")
    received_at: str = Field(description="when the gateway stored it, UTC ISO")
    clock_flag: Literal["ahead", "stale"] | None = Field(
        description="the node's time was not believed (too far ahead, or too old): `ts` is "
        "the gateway's time and `node_ts` the node's; null when believed"
    )
    node_ts: str | None = Field(description="the node's own time when clock_flag is set")


class EventPage(Answer):
    items: list[EventRow] = Field(description="events, newest first")
    next: str | None = Field(description=NEXT)


class CheckRow(Answer):
    """One intake check: the latest revision of its `check` event."""

    check_id: str = Field(description="check id (stable across its step events)")
    event_id: str = Field(description="the `check` event this row is from")
    site: str = Field(description="site slug")
    node: str = Field(description="intake node slug")
    outcome: CheckOutcome = Field(description="how the check ended")
    started_at: str = Field(description="passage time (start of the check), UTC ISO")
    finished_at: str | None = Field(description="when the outcome was decided, UTC ISO")
    operator: str | None = Field(description="desk operator responsible")
    celsius: float | None = Field(description="the deciding temperature, °C")
    gate_alarm: int | None = Field(description="1 if the walk-through gate alarmed, else 0")
    wand: WandResult | None = Field(description="handheld-wand result, if taken")
    items_held: list[str] | None = Field(description="prohibited items taken into storage")
    data: dict[str, Any] | None = Field(
        description="the check event's whole payload (steps, temperatures, note, revision…)"
    )


class CheckPage(Answer):
    items: list[CheckRow] = Field(description="checks, newest first")
    next: str | None = Field(description=NEXT)


class NodeRow(Answer):
    """One node as the gateway last heard of it, with its seq accounting."""

    site: str = Field(description="site slug")
    node: str = Field(description="node slug")
    state: Literal["unknown", "online", "offline"] = Field(
        description="unknown until its first status; offline after its last will or when "
        "its heartbeats stop"
    )
    state_reason: str | None = Field(description="why the state last changed")
    state_since: str | None = Field(description="when the state last changed, UTC ISO")
    last_seen: str | None = Field(description="last message from the node, UTC ISO")
    version: str | None = Field(description="the node's software version (its status)")
    outbox: int | None = Field(description="events waiting in the node's outbox (heartbeat)")
    dropped: int | None = Field(description="events the node's outbox dropped (heartbeat)")
    heartbeat_interval_s: float | None = Field(description="the node's heartbeat interval, s")
    devices: dict[str, str] = Field(description="state of each device, by device id")
    first_seq: int | None = Field(description="first seq counted since the last reset")
    max_seq: int | None = Field(description="highest seq received since the last reset")
    received: int | None = Field(description="events received since the last reset")
    lost_before_reset: int | None = Field(description="events lost before node resets")
    seq_resets: int | None = Field(description="times the node's seq started over")
    frames: str | None = Field(
        description="JSON text {camera: UTC ISO}: when each camera's last frame was analysed"
    )
    lost: int = Field(description="events lost by seq: gaps since the last reset plus before")


class NodeList(Answer):
    items: list[NodeRow] = Field(description="every node, by site and node")
    next: None = Field(description="always null: one page")


class DeadLetterRow(Answer):
    """A message the gateway refused, with why."""

    id: int = Field(description="row id")
    received_at: str | None = Field(description="when it arrived, UTC ISO")
    topic: str | None = Field(description="MQTT topic (first 1000 characters)")
    reason: str | None = Field(description="reason code, e.g. bad_json, too_large")
    detail: str | None = Field(description="what was wrong")
    size: int | None = Field(description="payload size in bytes as received")
    payload: str = Field(description="first 2048 bytes of the kept payload, as UTF-8")


class DeadLetterPage(Answer):
    items: list[DeadLetterRow] = Field(description="dead letters, newest first")
    next: str | None = Field(description=NEXT)
