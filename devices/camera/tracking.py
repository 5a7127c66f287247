"""A small centroid tracker: gives moving things ids so exits can be counted once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from devices.camera.geometry import Box, Point, area, bottom_centre, intersection


@dataclass(slots=True)
class Track:
    id: int
    box: Box
    point: Point
    first_s: float
    last_s: float
    hits: int = 1
    path: list[Point] = field(default_factory=list)


def merge_boxes(boxes: Sequence[Box], gap_px: int) -> list[Box]:
    """Merge boxes closer than `gap_px` (one person's motion often splits into blobs)."""
    merged = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if (
                    a[0] - gap_px <= b[2]
                    and b[0] - gap_px <= a[2]
                    and a[1] - gap_px <= b[3]
                    and b[1] - gap_px <= a[3]
                ):
                    merged[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return [(b[0], b[1], b[2], b[3]) for b in merged]


class CentroidTracker:
    """Greedy nearest-point matching; a track ends after `max_missed_s` unseen.

    Points are the bottom-centre of boxes (where a person stands), so lines and zones are
    drawn on the floor, as in Frigate's zones.
    """

    def __init__(self, max_dist_px: float, max_missed_s: float = 1.0, min_area_px: int = 0):
        self.max_dist_px = max_dist_px
        self.max_missed_s = max_missed_s
        self.min_area_px = min_area_px
        self.tracks: dict[int, Track] = {}
        self._next = 1

    def update(self, boxes: Sequence[Box], now_s: float) -> list[Track]:
        """Update with this frame's boxes; returns the tracks seen in this frame."""
        boxes = [b for b in boxes if area(b) >= self.min_area_px]
        pairs = []
        for tid, t in self.tracks.items():
            for i, b in enumerate(boxes):
                p = bottom_centre(b)
                d = ((p[0] - t.point[0]) ** 2 + (p[1] - t.point[1]) ** 2) ** 0.5
                if d <= self.max_dist_px or intersection(b, t.box) > 0:
                    pairs.append((d, tid, i))
        pairs.sort()
        used_t: set[int] = set()
        used_b: set[int] = set()
        seen: list[Track] = []
        for _d, tid, i in pairs:
            if tid in used_t or i in used_b:
                continue
            used_t.add(tid)
            used_b.add(i)
            t = self.tracks[tid]
            t.box, t.point, t.last_s = boxes[i], bottom_centre(boxes[i]), now_s
            t.hits += 1
            t.path.append(t.point)
            del t.path[:-50]
            seen.append(t)
        for i, b in enumerate(boxes):
            if i not in used_b:
                p = bottom_centre(b)
                t = Track(self._next, b, p, now_s, now_s, path=[p])
                self.tracks[t.id] = t
                self._next += 1
                seen.append(t)
        for tid in [tid for tid, t in self.tracks.items() if now_s - t.last_s > self.max_missed_s]:
            del self.tracks[tid]
        return seen
