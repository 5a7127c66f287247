"""Typed records of the person file, in and out of the API (gateway/api/routes/people.py).

Statuses: in_station, isolation (medical referral/observation), foster_home, hospital,
returned_home, transferred, left, deceased. The last four close the file."""

from __future__ import annotations

import typing
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

Status = Literal[
    "in_station",
    "isolation",
    "foster_home",
    "hospital",
    "returned_home",
    "transferred",
    "left",
    "deceased",
]
STATUSES: tuple[str, ...] = typing.get_args(Status)
# Leaving the station's care with belongings: refused while items are still held.
DEPARTURES = frozenset({"returned_home", "transferred", "left"})
CLOSED = frozenset({"returned_home", "transferred", "left", "deceased"})
# Present in a foster home's head count: placed there and not in hospital or gone.
PRESENT = frozenset({"in_station", "isolation", "foster_home"})
CameBy = Literal["police", "outreach", "self", "hospital", "transfer"]
Sex = Literal["male", "female", "unknown"]
SiteSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
LegalBasis = Literal["statutory_duty", "guardian_consent", "subject_consent", "vital_interest"]


class Mark(BaseModel):
    """A distinguishing mark (scar, tattoo, birthmark, missing finger, …)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(max_length=60, description="scar, tattoo, birthmark, …")
    location: str = Field(max_length=120, description="where on the body")
    description: str | None = Field(None, max_length=500, description="what it looks like")
    image_id: str | None = Field(None, max_length=40, description="photo in person_images")


class PersonFields(BaseModel):
    """The editable fields of a file (all optional on update)."""

    model_config = ConfigDict(extra="forbid")

    came_by: CameBy | None = Field(None, description="how the person came to the station")
    came_at: AwareDatetime | None = Field(None, description="when they came")
    found_place: str | None = Field(None, max_length=200, description="where they were found")
    found_at: AwareDatetime | None = Field(None, description="when they were found")
    names: list[Name] | None = Field(
        None, max_length=20, description="names and aliases as given; [] = unknown"
    )
    sex: Sex | None = Field(None, description="male, female or unknown")
    age_min: int | None = Field(None, ge=0, le=130, description="estimated age, years, from")
    age_max: int | None = Field(None, ge=0, le=130, description="estimated age, years, to")
    accent: str | None = Field(None, max_length=120, description="accent or dialect (口音)")
    height_cm: int | None = Field(None, ge=30, le=250, description="height, centimetres")
    build: str | None = Field(None, max_length=60, description="build: slight, medium, heavy, …")
    hair: str | None = Field(None, max_length=120, description="hair")
    clothing: str | None = Field(None, max_length=500, description="clothing when found")
    marks: list[Mark] | None = Field(None, max_length=50, description="distinguishing marks")
    cond_physical: str | None = Field(None, max_length=1000, description="physical condition")
    cond_mental: str | None = Field(None, max_length=1000, description="mental condition")
    cond_intellectual: str | None = Field(None, max_length=1000, description="intellectual ability")
    cond_communication: str | None = Field(None, max_length=1000, description="can communicate how")
    medication: str | None = Field(None, max_length=1000, description="medication taken")
    clues: str | None = Field(None, max_length=4000, description="interview clues: places, names")
    legal_basis: LegalBasis | None = Field(
        None, description="basis for processing sensitive data; required before a portrait"
    )
    legal_basis_by: str | None = Field(
        None, max_length=120, description="who gave the consent / decided"
    )

    @field_validator("came_at", "found_at")
    @classmethod
    def _plausible(cls, v: AwareDatetime | None) -> AwareDatetime | None:
        # far-off years would overflow when turned into UTC; nobody arrives in year 1
        if v is not None and not 1900 <= v.year <= 2999:
            raise ValueError("year out of range 1900-2999")
        return v

    @model_validator(mode="after")
    def _ages(self) -> PersonFields:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min is above age_max")
        return self


EDITABLE: tuple[str, ...] = tuple(PersonFields.model_fields)


class PersonCreate(PersonFields):
    """A new file. From a check: `check_id` pre-fills the time, outcome and items held."""

    site: SiteSlug = Field(description="the station (site slug)")
    check_id: str | None = Field(None, max_length=64, description="open the file from this check")


class PersonUpdate(PersonFields):
    """Fields to change (only those given are changed; each change is audited)."""


class Person(BaseModel):
    """A person file as the API returns it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="ULID")
    site: str = Field(description="the station")
    came_by: CameBy
    came_at: str
    found_place: str | None = None
    found_at: str | None = None
    names: list[str] = Field(description="names/aliases as given; [] = unknown")
    sex: Sex
    age_min: int | None = None
    age_max: int | None = None
    accent: str | None = None
    height_cm: int | None = None
    build: str | None = None
    hair: str | None = None
    clothing: str | None = None
    marks: list[Mark] = Field(default_factory=list)
    cond_physical: str | None = None
    cond_mental: str | None = None
    cond_intellectual: str | None = None
    cond_communication: str | None = None
    medication: str | None = None
    clues: str | None = None
    legal_basis: LegalBasis | None = None
    legal_basis_by: str | None = None
    legal_basis_at: str | None = None
    status: Status
    status_since: str
    portrait_id: str | None = None
    created_at: str | None = None
    created_by: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    archived_at: str | None = None
    foster_home: str | None = Field(None, description="site of the current placement")
    items_held: int = Field(0, description="belongings still held")


class PersonSummary(BaseModel):
    """A row of the search list."""

    model_config = ConfigDict(extra="forbid")

    id: str
    site: str
    names: list[str]
    sex: Sex
    age_min: int | None = None
    age_max: int | None = None
    status: Status
    status_since: str
    came_at: str
    has_portrait: bool


class PersonPage(BaseModel):
    items: list[PersonSummary]
    next: str | None = Field(None, description="cursor for the next page (pass as `after`)")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str | None = Field(None, max_length=500, description="why (free text)")
    override: str | None = Field(
        None,
        max_length=500,
        description="reason to depart although belongings are held (audited)",
    )


class StatusEntry(BaseModel):
    id: int
    status: Status
    previous: str | None = None
    reason: str | None = None
    check_id: str | None = None
    at: str
    by: str


class BelongingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=120, description="what")
    description: str | None = Field(None, max_length=500, description="colour, brand, state")
    quantity: int = Field(1, ge=1, le=10000, description="how many")
    storage_place: str | None = Field(None, max_length=120, description="locker, shelf, bag no.")
    check_id: str | None = Field(None, max_length=64, description="the check it was held at")


class BelongingRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    released_to: str = Field(min_length=1, max_length=120, description="handed to whom")
    note: str | None = Field(None, max_length=500, description="signature ref, remarks")


class Belonging(BaseModel):
    id: int
    person_id: str
    check_id: str | None = None
    item: str
    description: str | None = None
    quantity: int
    storage_place: str | None = None
    image_id: str | None = None
    received_by: str
    received_at: str
    released_at: str | None = None
    released_by: str | None = None
    released_to: str | None = None
    release_note: str | None = None


class PlacementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: SiteSlug = Field(description="the foster home (site slug)")
    from_date: date = Field(description="placed from this day (YYYY-MM-DD)")
    note: str | None = Field(None, max_length=500)


class Placement(BaseModel):
    id: int
    person_id: str
    site: str
    from_date: str
    until_date: str | None = None
    placed_by: str
    placed_at: str
    ended_by: str | None = None
    ended_at: str | None = None
    note: str | None = None


class CheckLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check_id: str = Field(max_length=64, description="the check to link to this file")


class LinkedCheck(BaseModel):
    check_id: str
    person_id: str
    how: Literal["opened", "linked"]
    at: str
    by: str


class TimelineEntry(BaseModel):
    """One thing that happened to a person. `kind` is check, status, belonging_received,
    belonging_released, placement, placement_ended, or what an extension adds (gateway/people/
    timeline.py: `register_source`)."""

    at: str
    kind: str
    summary: str = Field(description="short human text (language-neutral facts)")
    ref: str | None = Field(None, description="id of the record (check id, belonging id, …)")
    data: dict[str, object] = Field(
        default_factory=dict, description="the record's own fields, as its kind keeps them"
    )
