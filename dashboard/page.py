"""The minimal live check list served at `/` (the full dashboard grows from here)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"


@cache
def index_html() -> str:
    return (STATIC / "index.html").read_text(encoding="utf-8")
