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
    IntakeProgress,
    MetalData,
    TemperatureData,
    TemperatureReading,
)
from devices.contract.models.stored import Stored, to_ranges

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
    "IntakeProgress",
    "LineCrossData",
    "ManualData",
    "MetalData",
    "MotionData",
    "Payload",
    "PeopleData",
    "Status",
    "Stored",
    "TamperData",
    "TemperatureData",
    "TemperatureReading",
    "to_ranges",
    "utc_now",
]
