"""The synthetic scene of the tamper tests: 320×240 at 5 fps, two people walking across."""

from __future__ import annotations

from devices.camera.synthetic import SyntheticSource, Walker
from devices.camera.tamper import TamperChange, TamperDetector

FPS = 5.0


def two_walkers(second_from_s: float) -> SyntheticSource:
    """Opened: one person crosses from 4 s (in 8 s), the other from `second_from_s` (in 10 s)."""
    src = SyntheticSource(
        width=320,
        height=240,
        fps=FPS,
        seed=7,
        walkers=[
            Walker((0.1, 0.9), (0.9, 0.85), 4, 8),
            Walker((0.8, 0.8), (0.3, 0.95), second_from_s, 10),
        ],
    )
    src.open()
    return src


def feed(det: TamperDetector, src: SyntheticSource, seconds: float) -> list[TamperChange]:
    """`seconds` of `src` from time 0 through `det`: what it raised or cleared."""
    return [c for n in range(int(seconds * FPS)) for c in det.update(src.read(), n / FPS)]
