"""Face tests: the licensed photos and clips of tests/data/media, the real dlib engine."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from gateway.faces.engine import FaceEmbedder, embedder

MEDIA = Path(__file__).resolve().parents[1] / "data" / "media"


def photo(name: str) -> bytes:
    return (MEDIA / name).read_bytes()


def frames(name: str) -> list[bytes]:
    """Every frame of a GIF clip as PNG bytes."""
    from PIL import Image

    out = []
    with Image.open(MEDIA / name) as im:
        for k in range(im.n_frames):
            im.seek(k)
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "PNG")
            out.append(buf.getvalue())
    return out


@pytest.fixture(scope="session")
def engine() -> FaceEmbedder:
    return embedder()


# the dashboard's browser fixtures, for test_review_browser.py
from tests.dashboard.conftest import *  # noqa: E402, F403  (its browser fixtures, by name)
