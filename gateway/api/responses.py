"""OpenAPI declarations of the answers that are not JSON models (images, PDFs, CSV, streams),
so `/openapi.json` describes every route's answer (tests/gateway/test_openapi.py)."""

from __future__ import annotations

from typing import Any

BINARY = {"type": "string", "format": "binary"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def binary(description: str, *media_types: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering raw bytes of one of `media_types`."""
    return {
        200: {
            "description": description,
            "content": {t: {"schema": BINARY} for t in media_types},
        }
    }


def text(media_type: str, example: str | None = None) -> dict[str, Any]:
    """One text media type's entry (CSV, Server-Sent Events) for a `responses` 200 content."""
    entry: dict[str, Any] = {"schema": {"type": "string"}}
    if example is not None:
        entry["example"] = example
    return {media_type: entry}
