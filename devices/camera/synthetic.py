"""`SyntheticSource`: a seeded, deterministic camera with test handles for every fault.

It ships in the product (chosen by config, e.g. for the demo) and stands in for a camera in
tests, the way gpiozero's mock pins stand in for GPIO. The scene is a textured room with
sensor noise; `Walker`s cross it along straight paths. Handles: `cover()`, `defocus()`,
`move()`, `freeze()`, `disconnect()` and their opposites.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from devices.camera.errors import SourceError
from devices.camera.source import Image


@dataclass(frozen=True, slots=True)
class Walker:
    """A person-sized figure moving from `start` to `end` (fractions of width/height).

    Positions are the figure's feet (bottom-centre). It is visible from `t0_s` for `dur_s`.
    """

    start: tuple[float, float]
    end: tuple[float, float]
    t0_s: float
    dur_s: float
    height: float = 0.45
    colour: tuple[int, int, int] = (40, 40, 60)

    def feet_at(self, t_s: float) -> tuple[float, float] | None:
        if not self.t0_s <= t_s <= self.t0_s + self.dur_s:
            return None
        k = (t_s - self.t0_s) / self.dur_s
        return (
            self.start[0] + k * (self.end[0] - self.start[0]),
            self.start[1] + k * (self.end[1] - self.start[1]),
        )


def _background(width: int, height: int, seed: int) -> Image:
    """A room-like scene with edges at several scales (needed by focus and shift checks)."""
    rng = np.random.default_rng(seed)
    img: Image = np.zeros((height, width, 3), np.uint8)
    floor = int(height * 0.62)
    img[:floor] = (200, 205, 210)
    img[floor:] = (60, 100, 150)
    for _ in range(14):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = (
            int(rng.integers(width // 20, width // 5)),
            int(rng.integers(height // 20, height // 4)),
        )
        colour = tuple(int(c) for c in rng.integers(30, 230, 3))
        cv2.rectangle(img, (x, y), (x + w, y + h), colour, -1)
    texture: Image = rng.integers(0, 40, (height // 4 + 1, width // 4 + 1), dtype=np.uint8)
    texture = cv2.resize(texture, (width, height), interpolation=cv2.INTER_NEAREST)
    img = cv2.subtract(img, cv2.merge([texture, texture, texture]))
    for x in range(0, width, max(8, width // 40)):  # floorboards: fine vertical edges
        cv2.line(img, (x, floor), (x, height), (45, 80, 125), 1)
    return img


class SyntheticSource:
    """A deterministic camera. Frame *n* is the scene at simulated time n / fps.

    With `realtime=True`, `read()` sleeps to deliver frames at `fps` (for the app and the
    bench); otherwise it returns at once, and `t_s` is the simulated time of the last frame.
    """

    def __init__(
        self,
        *,
        name: str = "synthetic",
        width: int = 640,
        height: int = 480,
        fps: float = 5.0,
        seed: int = 1,
        walkers: Sequence[Walker] = (),
        noise: int = 3,
        realtime: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.width, self.height, self.fps = width, height, fps
        self.walkers = list(walkers)
        self.realtime = realtime
        self._sleep = sleep
        if not 0 <= noise <= 127:
            raise ValueError(f"noise {noise} must be 0..127 grey levels")
        self._bg = _background(width, height, seed)
        rng = np.random.default_rng(seed + 1)
        # int8: the sensor noise is a few levels; seven int16 frames held 12 MB of the node's
        # RSS at 640×480, int8 holds half that (the sum below is still taken in int16).
        self._noise = [
            rng.integers(-noise, noise + 1, (height, width, 3)).astype(np.int8) for _ in range(7)
        ]
        self._index = 0
        self._open = False
        self._last: Image | None = None
        self._next_due = 0.0
        # fault state, driven by the test handles below
        self.covered = False
        self.blur_sigma = 0.0
        self.shift = (0.0, 0.0)
        self.frozen = False
        self.connected = True

    # -- FrameSource ----------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def t_s(self) -> float:
        """Simulated time of the next frame, seconds."""
        return self._index / self.fps

    def open(self) -> None:
        if not self.connected:
            raise SourceError(f"camera {self.name}: synthetic camera unplugged (disconnect())")
        self._open = True
        self._next_due = time.monotonic()

    def read(self) -> Image:
        if not self._open:
            raise SourceError(f"camera {self.name}: read() before open()")
        if not self.connected:
            self._open = False
            raise SourceError(f"camera {self.name}: synthetic camera unplugged (disconnect())")
        if self.realtime:
            delay = self._next_due - time.monotonic()
            if delay > 0:
                self._sleep(delay)
            self._next_due = max(self._next_due + 1.0 / self.fps, time.monotonic() - 1.0)
        frame = self._last if (self.frozen and self._last is not None) else self.render()
        self._index += 1
        self._last = frame
        return frame.copy()

    def close(self) -> None:
        self._open = False

    # -- rendering ------------------------------------------------------------------------
    def render(self, t_s: float | None = None) -> Image:
        t = self.t_s if t_s is None else t_s
        w, h = self.width, self.height
        img: Image
        if self.covered:
            img = np.full((h, w, 3), 12, np.uint8)
        else:
            img = self._bg.copy()
            for walker in self.walkers:
                feet = walker.feet_at(t)
                if feet is None:
                    continue
                fx, fy = int(feet[0] * w), int(feet[1] * h)
                ph = int(walker.height * h)
                pw = max(4, ph // 3)
                cv2.rectangle(img, (fx - pw // 2, fy - ph), (fx + pw // 2, fy), walker.colour, -1)
                cv2.circle(img, (fx, fy - ph - pw // 3), pw // 3, (80, 120, 170), -1)
            if self.shift != (0.0, 0.0):
                m = np.array([[1, 0, self.shift[0] * w], [0, 1, self.shift[1] * h]], np.float32)
                img = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
            if self.blur_sigma > 0:
                img = cv2.GaussianBlur(img, (0, 0), self.blur_sigma)
        noise = self._noise[self._index % len(self._noise)]
        return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)

    # -- test handles (named like gpiozero's mock pins) -------------------------------------
    def cover(self, on: bool = True) -> None:
        """A hand, cloth or tape over the lens: a dark, featureless frame."""
        self.covered = on

    def defocus(self, sigma_px: float = 6.0) -> None:
        """Turn the focus ring: a Gaussian blur of `sigma_px` (0 = sharp again)."""
        self.blur_sigma = sigma_px

    def move(self, dx: float = 0.15, dy: float = 0.0) -> None:
        """Point the camera elsewhere: shift the scene by fractions of width and height."""
        self.shift = (dx, dy)

    def freeze(self, on: bool = True) -> None:
        """The stream keeps arriving but repeats one frame (a hung encoder)."""
        self.frozen = on

    def disconnect(self) -> None:
        """Unplug: `read()` and `open()` raise `SourceError` until `reconnect()`."""
        self.connected = False

    def reconnect(self) -> None:
        self.connected = True
