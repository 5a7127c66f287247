"""Payloads that are not intake or camera specific: fault, manual, status, heartbeat, cmd, ack."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from devices.contract.models.base import EventId, Payload, ShortText, Slug, UtcTime

DeviceState = Literal["ok", "fault", "unknown"]
ManualCategory = Literal["missing_person", "injury", "death", "disaster", "violence", "other"]


class FaultData(Payload):
    """A device fault or its recovery (what the intake issue calls a device_fault event)."""

    state: Literal["fault", "ok"] = Field(description="fault raised, or device recovered")
    error: str | None = Field(None, max_length=500, description="what went wrong, for a person")
    errors: int = Field(0, ge=0, description="errors counted since the device was opened")


class ManualData(Payload):
    category: ManualCategory = Field(description="what staff report")
    description: str = Field(min_length=1, max_length=4000, description="what happened")
    reporter: ShortText | None = Field(None, description="who reports")
    person: ShortText | None = Field(None, description="resident concerned, if any")
    location: ShortText | None = Field(None, description="where it happened")


class Status(Payload):
    state: Literal["online", "offline"] = Field(description="node state; offline is the will")
    ts: UtcTime = Field(description="node clock")
    version: str = Field("", max_length=40, description="node software version")
    devices: dict[Slug, DeviceState] = Field(
        default_factory=dict, description="state of each device"
    )


class Heartbeat(Payload):
    ts: UtcTime = Field(description="node clock")
    uptime_s: float = Field(ge=0, description="seconds since the agent started")
    outbox: int = Field(ge=0, description="events waiting in the durable outbox")
    dropped: int = Field(0, ge=0, description="events the outbox dropped (size/age bound)")
    interval_s: float = Field(15.0, gt=0, le=3600, description="heartbeat period")
    cpu: float | None = Field(None, ge=0, le=100, description="CPU use, percent")
    mem: float | None = Field(None, ge=0, le=100, description="memory use, percent")
    disk_free: int | None = Field(None, ge=0, description="free bytes on the outbox disk")
    devices: dict[Slug, DeviceState] = Field(
        default_factory=dict, description="state of each device"
    )
    frames: dict[Slug, UtcTime] = Field(
        default_factory=dict,
        max_length=64,
        description="camera nodes: when each camera's last frame was analysed (node clock); "
        "the dashboard's camera health and 'last frame' come from here, not from snapshots",
    )


class Command(Payload):
    id: EventId = Field(description="command id, echoed in the ack")
    action: str = Field(
        pattern=r"^[a-z_]{1,32}$",
        description="live_start, live_stop, ping, release_gate, reload, …",
    )
    args: dict[str, Any] = Field(default_factory=dict, description="action arguments")
    ts: UtcTime = Field(description="sender clock")


class Ack(Payload):
    id: EventId = Field(description="the command id")
    ok: bool = Field(description="the command was carried out")
    error: str | None = Field(None, max_length=500, description="why not, if ok is false")
