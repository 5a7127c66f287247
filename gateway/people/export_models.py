"""The subject-access export of a person file as the API returns it
(GET /api/v1/people/{id}/export, built by gateway/people/privacy.py `export_person`).

The file, its status history, belongings, placements and timeline reuse the models of
gateway/people/models.py; checks and images are rows of their tables as stored. An extension
registered in `privacy.EXPORT_SOURCES` adds a top-level key: it needs a field here too (the
model forbids unknown keys)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from devices.contract.models.intake import CheckOutcome, WandResult
from gateway.answer import Answer
from gateway.people.models import (
    Belonging,
    LegalBasis,
    Person,
    Placement,
    StatusEntry,
    TimelineEntry,
)


class ExportedCheck(Answer):
    """A check linked to the file: its `checks` row and how it was linked."""

    check_id: str
    event_id: str = Field(description="the check event the row was last written from")
    site: str
    node: str = Field(description="the intake node that made the check")
    outcome: CheckOutcome = Field(description="how the check ended")
    started_at: str
    finished_at: str | None = None
    operator: str | None = Field(None, description="desk operator responsible")
    celsius: float | None = Field(None, description="body temperature measured")
    gate_alarm: int | None = Field(None, description="1 if the metal-detector gate alarmed")
    wand: WandResult | None = Field(None, description="hand-held metal detector result")
    items_held: str | None = Field(None, description="JSON text: the items held at the check")
    data: str | None = Field(None, description="JSON text: the check event's data as sent")
    how: Literal["opened", "linked"] = Field(
        description="opened: the file was opened from this check; linked: linked to it later"
    )
    linked_at: str = Field(description="when the check was linked to the file")
    linked_by: str = Field(description="who linked it")


class ExportedImage(Answer):
    """An image record of the file, with the image itself while it is kept."""

    id: str
    person_id: str
    purpose: Literal["portrait", "mark", "belonging"]
    content_type: str
    size: int = Field(description="bytes of the plain image")
    legal_basis: LegalBasis | None = Field(None, description="basis for processing (portraits)")
    stored_at: str
    stored_by: str
    replaced_at: str | None = Field(None, description="a newer portrait replaced it")
    deleted_at: str | None = None
    deleted_reason: str | None = None
    data_base64: str | None = Field(
        None,
        description="the image, base64; null if its file is missing; absent once deleted",
    )


class FamilySearchExport(Answer):
    """Rows of the family-search, wander and follow-up tables about the person, as stored
    (gateway/people/family_search_hooks.py). Empty ({}) while those tables do not exist,
    else every key is present."""

    cases: list[dict[str, Any]] = Field(
        default_factory=list, description="family_search_cases rows"
    )
    steps: list[dict[str, Any]] = Field(
        default_factory=list, description="family_search_steps rows"
    )
    wander_flags: list[dict[str, Any]] = Field(
        default_factory=list, description="wander_flags rows"
    )
    followup_schedules: list[dict[str, Any]] = Field(
        default_factory=list, description="followup_schedules rows"
    )
    followup_visits: list[dict[str, Any]] = Field(
        default_factory=list, description="followup_visits rows"
    )


class PersonExport(Answer):
    """The whole file of a person (subject access request)."""

    exported_at: str = Field(description="when the export was made")
    exported_by: str = Field(description="who made it (audited as person.export)")
    file: Person = Field(description="the person file")
    status_history: list[StatusEntry] = Field(description="status changes, oldest first")
    checks: list[ExportedCheck] = Field(description="the checks linked to the file")
    belongings: list[Belonging] = Field(description="the belongings ledger")
    placements: list[Placement] = Field(description="foster-home placements")
    images: list[ExportedImage] = Field(description="image records, oldest first")
    timeline: list[TimelineEntry] = Field(description="everything that happened, in order")
    family_search: FamilySearchExport = Field(
        default_factory=FamilySearchExport,
        description="family search, wander flags and follow-ups (absent without that module)",
    )
