"""Clips decoded once per session, at the reduced size the analyser works at."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / "tests" / "data" / "media"
"""The test clips, kept in the repository (tests/data/media/SOURCES.md has their attribution)."""


def decode(name: str, *, every: int = 1, width: int = 320) -> list[np.ndarray]:
    path = MEDIA / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing: the test media belongs in tests/data/media")
    cap = cv2.VideoCapture(str(path))
    frames = []
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            h, w = frame.shape[:2]
            size = (width, round(h * width / w))
            frames.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
        i += 1
    cap.release()
    return frames


@pytest.fixture(scope="session")
def one_by_one() -> list[np.ndarray]:
    """one-by-one-person-detection.mp4 at 5 fps (every 2nd of its 10 fps frames), 320×180."""
    return decode("one-by-one-person-detection.mp4", every=2)


@pytest.fixture(scope="session")
def gifs() -> dict[str, list[np.ndarray]]:
    """The three corridor/room GIFs at their own 480×270 (12.5 fps)."""
    names = [
        "face-demographics-walking.gif",
        "face-demographics-walking-and-pause.gif",
        "people-detection.gif",
    ]
    return {n: decode(n, width=480) for n in names}
