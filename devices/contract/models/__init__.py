"""Payload models of wire contract v1 (pydantic, `extra="forbid"`)."""

from devices.contract.models.base import Payload, utc_now
from devices.contract.models.camera import (
    CameraData,
    LineCrossData,
    MotionData,
    PeopleData,
    TamperData,
)
from devices.contract.models.common import (
    Ack,
    Command,
    DeviceState,
    FaultData,
    Heartbeat,
    ManualData,
    Status,
)
from devices.contract.models.events import EVENT_ADAPTER, EVENT_MODELS, KINDS, Envelope, Event
from devices.contract.models.intake import (
    CheckData,
    CheckProgress,
    CheckStep,
    DoorData,
    GateData,
    MetalData,
    TemperatureData,
    TemperatureReading,
)

__all__ = [
    "EVENT_ADAPTER",
    "EVENT_MODELS",
    "KINDS",
    "Ack",
    "CameraData",
    "CheckData",
    "CheckProgress",
    "CheckStep",
    "Command",
    "DeviceState",
    "DoorData",
    "Envelope",
    "Event",
    "FaultData",
    "GateData",
    "Heartbeat",
    "LineCrossData",
    "ManualData",
    "MetalData",
    "MotionData",
    "Payload",
    "PeopleData",
    "Status",
    "TamperData",
    "TemperatureData",
    "TemperatureReading",
    "utc_now",
]
