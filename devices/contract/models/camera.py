"""`data` of the camera event kinds: motion, people, line_cross, tamper, camera."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from devices.contract.models.base import Payload, Slug


class CameraRef(Payload):
    camera: Slug = Field(description="camera id on this node")
    snapshot: bool = Field(False, description="a JPEG snapshot follows on media/{event_id}")


class MotionData(CameraRef):
    active: bool = Field(description="motion started (true) or ended (false)")
    area_percent: float = Field(0.0, ge=0, le=100, description="changed area, % of frame")
    zones: list[Slug] = Field(default_factory=list, description="zones with motion")


class PeopleData(CameraRef):
    count: int = Field(ge=0, le=1000, description="people counted")
    zone: Slug | None = Field(None, description="zone counted, or None for the whole frame")
    expected: int | None = Field(None, ge=0, le=1000, description="roster head count due now")


class LineCrossData(CameraRef):
    line: Slug = Field(description="line id")
    direction: Literal["in", "out"] = Field(description="crossing direction")
    night: bool = Field(False, description="crossed during the site's night hours")


class TamperData(CameraRef):
    reason: Literal["covered", "defocused", "moved", "frozen"] = Field(
        description="which tamper check fired"
    )
    active: bool = Field(description="true when raised, false when it cleared")
    score: float | None = Field(None, description="the measure that crossed its threshold")


class CameraData(CameraRef):
    state: Literal["online", "offline"] = Field(description="frames arriving or not")
    reason: str | None = Field(None, max_length=200, description="why it went offline")
