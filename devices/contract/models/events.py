"""The event envelope and one model per event kind (a union discriminated by `kind`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from devices.contract.models.base import EventId, Payload, Slug, UtcTime
from devices.contract.models.camera import (
    CameraData,
    LineCrossData,
    MotionData,
    PeopleData,
    TamperData,
)
from devices.contract.models.common import FaultData, ManualData
from devices.contract.models.intake import (
    CheckData,
    DoorData,
    GateData,
    MetalData,
    TemperatureData,
)


class Envelope(Payload):
    v: Literal[1] = Field(1, description="contract version")
    id: EventId = Field(description="globally unique event id: the deduplication key")
    site: Slug = Field(description="site slug (must match the topic)")
    node: Slug = Field(description="node slug (must match the topic)")
    ts: UtcTime = Field(description="node clock when the event happened")
    seq: int = Field(ge=0, description="per-node sequence, +1 per event, survives restarts")
    device: Slug | None = Field(None, description="device that produced the event")


class CheckEvent(Envelope):
    kind: Literal["check"] = "check"
    data: CheckData


class GateEvent(Envelope):
    kind: Literal["gate"] = "gate"
    data: GateData


class MetalEvent(Envelope):
    kind: Literal["metal"] = "metal"
    data: MetalData


class TemperatureEvent(Envelope):
    kind: Literal["temperature"] = "temperature"
    data: TemperatureData


class MotionEvent(Envelope):
    kind: Literal["motion"] = "motion"
    data: MotionData


class PeopleEvent(Envelope):
    kind: Literal["people"] = "people"
    data: PeopleData


class LineCrossEvent(Envelope):
    kind: Literal["line_cross"] = "line_cross"
    data: LineCrossData


class TamperEvent(Envelope):
    kind: Literal["tamper"] = "tamper"
    data: TamperData


class CameraEvent(Envelope):
    kind: Literal["camera"] = "camera"
    data: CameraData


class DoorEvent(Envelope):
    kind: Literal["door"] = "door"
    data: DoorData


class FaultEvent(Envelope):
    kind: Literal["fault"] = "fault"
    data: FaultData


class ManualEvent(Envelope):
    kind: Literal["manual"] = "manual"
    data: ManualData


Event = Annotated[
    CheckEvent
    | GateEvent
    | MetalEvent
    | TemperatureEvent
    | MotionEvent
    | PeopleEvent
    | LineCrossEvent
    | TamperEvent
    | CameraEvent
    | DoorEvent
    | FaultEvent
    | ManualEvent,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

EVENT_MODELS: dict[str, type[Envelope]] = {
    m.model_fields["kind"].default: m
    for m in (
        CheckEvent,
        GateEvent,
        MetalEvent,
        TemperatureEvent,
        MotionEvent,
        PeopleEvent,
        LineCrossEvent,
        TamperEvent,
        CameraEvent,
        DoorEvent,
        FaultEvent,
        ManualEvent,
    )
}
KINDS: tuple[str, ...] = tuple(EVENT_MODELS)
