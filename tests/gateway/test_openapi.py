"""`/openapi.json` describes every route's answer: a JSON schema (a response model), or the
media types of the bytes it sends (images, PDFs, CSV, event streams) with their schema.
A route added without one, or answering a free-form `dict[str, Any]`, fails here with its
name."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from devices.contract.models import KINDS
from gateway.api.app import create_app
from gateway.api.record_models import EventKind
from tests.support.openapi import undescribed


def test_every_route_declares_its_answer(tmp_path: Path) -> None:
    spec = create_app(tmp_path / "gw.db").openapi()
    assert sum(len(item) for item in spec["paths"].values()) > 90  # the whole API
    missing = undescribed(spec)
    assert not missing, "routes whose answer /openapi.json does not describe:\n  " + "\n  ".join(
        missing
    )


def test_binary_answers_name_their_media_types(tmp_path: Path) -> None:
    spec = create_app(tmp_path / "gw.db").openapi()
    portrait = spec["paths"]["/api/v1/people/{person_id}/images/{image_id}"]["get"]
    content = portrait["responses"]["200"]["content"]
    assert content["image/jpeg"]["schema"] == {"type": "string", "format": "binary"}
    stream = spec["paths"]["/api/v1/stream"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in stream


def test_the_event_kinds_the_answers_name_are_the_contracts() -> None:
    assert set(get_args(EventKind)) == set(KINDS)
