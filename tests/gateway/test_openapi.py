"""`/openapi.json` describes every route's answer: a JSON schema (a response model), or the
media types of the bytes it sends (images, PDFs, CSV, event streams) with their schema.
A route added without one fails here with its name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.api.app import create_app


def _declared(op: dict[str, Any]) -> bool:
    for code, resp in op.get("responses", {}).items():
        if code == "204" or (code.startswith("3") and code != "304"):
            return True
        if not code.startswith("2"):
            continue
        for media in resp.get("content", {}).values():
            schema = media.get("schema") or {}
            if "$ref" in schema or schema.get("type") in ("string", "array", "integer", "number",
                                                          "boolean"):  # fmt: skip
                return True
            if schema.get("type") == "object" and (
                schema.get("properties") or schema.get("additionalProperties")
            ):
                return True
            if any(k in schema for k in ("anyOf", "oneOf", "allOf")):
                return True
    return False


def test_every_route_declares_its_answer(tmp_path: Path) -> None:
    spec = create_app(tmp_path / "gw.db").openapi()
    ops = [(m.upper(), path, op) for path, item in spec["paths"].items() for m, op in item.items()]
    assert len(ops) > 90  # the whole API, not an empty app
    missing = sorted(f"{m} {p}" for m, p, op in ops if not _declared(op))
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
