"""Shared pieces of every payload model: strict base, slugs, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from devices.contract.topics import EVENT_ID, SLUG


class Payload(BaseModel):
    """Base of every wire model: unknown keys are rejected, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Slug = Annotated[str, Field(pattern=SLUG.pattern, description="slug: [a-z0-9][a-z0-9-]{0,31}")]
EventId = Annotated[
    str, Field(pattern=EVENT_ID.pattern, description="ULID (or UUIDv7) of an event or check")
]
UtcTime = Annotated[
    AwareDatetime,
    AfterValidator(_utc),
    Field(description="ISO 8601 time with zone; normalised to UTC"),
]
Celsius = Annotated[float, Field(ge=-50.0, le=150.0)]
ShortText = Annotated[str, Field(max_length=200)]


def utc_now() -> datetime:
    return datetime.now(UTC)
