"""Zones (polygons on the floor) with occupancy, and a smoothed head count."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from devices.camera.geometry import Box, Point, bottom_centre, centre, point_in_polygon


@dataclass(frozen=True, slots=True)
class Zone:
    """A polygon in fractions of width/height; a person is in it when their feet are."""

    id: str
    polygon: tuple[Point, ...]

    def contains(self, p: Point, width: int, height: int) -> bool:
        return point_in_polygon((p[0] / width, p[1] / height), self.polygon)


def occupancy(
    zones: Iterable[Zone], boxes: Sequence[Box], width: int, height: int
) -> dict[str, int]:
    """People per zone, by the bottom-centre of each person box."""
    return {
        z.id: sum(1 for b in boxes if z.contains(bottom_centre(b), width, height)) for z in zones
    }


def zones_with_motion(
    zones: Iterable[Zone], boxes: Sequence[Box], width: int, height: int
) -> list[str]:
    return [z.id for z in zones if any(z.contains(centre(b), width, height) for b in boxes)]


class CountSmoother:
    """The most frequent count over the last `window_s` (ties go to the larger count),
    changed only once a new value has stayed the most frequent for `hold_s`.

    Per-frame detectors miss people and see ghosts; a head count that a supervisor acts on
    must not flicker. The window removes single-frame glitches; the hold is the hysteresis
    that stops a count hovering between two values from sending an event (and a snapshot)
    on every swap. `update` returns the new stable count when it changes, else None.
    """

    def __init__(self, window_s: float = 2.0, hold_s: float = 0.0) -> None:
        self.window_s = window_s
        self.hold_s = hold_s
        self.stable: int | None = None
        self._samples: deque[tuple[float, int]] = deque()
        self._candidate: int | None = None
        self._since_s = 0.0

    def update(self, count: int, now_s: float) -> int | None:
        self._samples.append((now_s, count))
        while self._samples and now_s - self._samples[0][0] > self.window_s:
            self._samples.popleft()
        tally = Counter(c for _, c in self._samples)
        best = max(tally.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if best == self.stable:
            self._candidate = None
            return None
        if best != self._candidate:
            self._candidate, self._since_s = best, now_s
        if self.stable is None or now_s - self._since_s >= self.hold_s:
            self.stable, self._candidate = best, None
            return best
        return None
