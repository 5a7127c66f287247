"""Directional line crossing (tripwires at exits), with hysteresis against jitter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from devices.camera.geometry import Point, side_of
from devices.camera.tracking import Track

Direction = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class Tripwire:
    """A line from `a` to `b` (fractions of width/height). `in_side` names the side of a→b
    (in image coordinates, y down) that is inside the home: walking onto it is "in"."""

    id: str
    a: Point
    b: Point
    in_side: Literal["left", "right"] = "left"
    margin: float = 0.02
    """Dead band either side of the line, fraction of the frame diagonal."""


@dataclass(frozen=True, slots=True)
class Crossing:
    line: str
    track: int
    direction: Direction


class LineCounter:
    """Remembers which side of each line every track is on; reports side changes."""

    def __init__(self, lines: Iterable[Tripwire], width: int, height: int) -> None:
        self.lines = list(lines)
        self.resize(width, height)
        self._side: dict[tuple[str, int], int] = {}

    def resize(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self._diag = (width**2 + height**2) ** 0.5

    def _px(self, p: Point) -> Point:
        return (p[0] * self.w, p[1] * self.h)

    def update(self, tracks: Iterable[Track]) -> list[Crossing]:
        out: list[Crossing] = []
        live: set[int] = set()
        for t in tracks:
            live.add(t.id)
            for line in self.lines:
                a, b = self._px(line.a), self._px(line.b)
                seg = ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5 or 1.0
                dist = side_of(t.point, a, b) / seg  # signed distance in px, > 0 = left
                if abs(dist) < line.margin * self._diag:
                    continue
                # only the stretch of the line between its ends counts
                proj = (t.point[0] - a[0]) * (b[0] - a[0]) + (t.point[1] - a[1]) * (b[1] - a[1])
                k = proj / seg**2
                if not -0.1 <= k <= 1.1:
                    continue
                side = 1 if dist > 0 else -1
                key = (line.id, t.id)
                before = self._side.get(key)
                self._side[key] = side
                if before is not None and before != side:
                    inside = side == (1 if line.in_side == "left" else -1)
                    out.append(Crossing(line.id, t.id, "in" if inside else "out"))
        return out

    def forget(self, alive: Iterable[int]) -> None:
        """Drop the memory of tracks that ended."""
        keep = set(alive)
        self._side = {k: v for k, v in self._side.items() if k[1] in keep}
