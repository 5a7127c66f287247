"""The hub's `/openapi.json` describes every answer of the bureau's API (no database needed:
the schema is built from the routes)."""

from __future__ import annotations

from pathlib import Path

from gateway.hub.api import create_hub_app
from gateway.hub.config import HubSettings
from tests.support.openapi import undescribed


def test_every_hub_route_declares_its_answer(tmp_path: Path) -> None:
    settings = HubSettings(
        postgres="postgresql://hub@127.0.0.1:1/hub", portrait_key_file=tmp_path / "key"
    )
    spec = create_hub_app(settings).openapi()
    assert sum(len(item) for item in spec["paths"].values()) >= 13
    assert not undescribed(spec)
    schemas = spec["components"]["schemas"]
    incident_page = schemas["Page_HubIncident_"]["properties"]["items"]
    assert incident_page["items"] == {"$ref": "#/components/schemas/HubIncident"}
