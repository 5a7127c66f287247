"""The gateway TOML file's `[family_search]` section: deadlines and the stations' contacts."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from gateway.people.family_search_deadlines import DeadlinesConfig
from gateway.people.notice import StationContact


class FamilySearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    deadlines: DeadlinesConfig = Field(
        default_factory=DeadlinesConfig,
        description="family-search and follow-up-visit deadlines and reminder lead times",
    )
    contacts: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")], StationContact] = (
        Field(
            default_factory=dict,
            description="per site: the station printed on missing-person notices",
        )
    )
    every_s: float = Field(
        30.0, ge=1, le=3600, description="how often the deadline timer looks (seconds)"
    )
