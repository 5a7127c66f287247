"""Boxes, polygons and segments in pixel or normalised (0–1) coordinates."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Box = tuple[int, int, int, int]
"""(x1, y1, x2, y2) in pixels, x2/y2 exclusive."""
Point = tuple[float, float]


def area(b: Box) -> int:
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])


def intersection(a: Box, b: Box) -> int:
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def iou(a: Box, b: Box) -> float:
    inter = intersection(a, b)
    union = area(a) + area(b) - inter
    return inter / union if union else 0.0


def union(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def expand(b: Box, margin: float, width: int, height: int) -> Box:
    """Grow `b` by `margin` × its size on each side, clipped to the frame."""
    mx, my = int((b[2] - b[0]) * margin), int((b[3] - b[1]) * margin)
    return (max(0, b[0] - mx), max(0, b[1] - my), min(width, b[2] + mx), min(height, b[3] + my))


def bottom_centre(b: Box) -> Point:
    """Where a person stands: the middle of the box's last row (y2 is exclusive)."""
    return ((b[0] + b[2]) / 2.0, float(b[3] - 1))


def centre(b: Box) -> Point:
    return ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)


def scale_box(b: Box, fx: float, fy: float) -> Box:
    return (int(b[0] * fx), int(b[1] * fy), round(b[2] * fx), round(b[3] * fy))


def point_in_polygon(p: Point, polygon: Sequence[Point]) -> bool:
    """Even-odd rule; `p` and `polygon` in the same coordinates."""
    x, y = p
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def side_of(p: Point, a: Point, b: Point) -> float:
    """> 0 when `p` is left of a→b (in image coordinates, y down), < 0 when right."""
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])


def segments_cross(p: Point, q: Point, a: Point, b: Point) -> bool:
    """True when segment p→q crosses segment a→b (touching an end counts)."""
    d1, d2 = side_of(p, a, b), side_of(q, a, b)
    d3, d4 = side_of(a, p, q), side_of(b, p, q)
    return (d1 * d2 <= 0) and (d3 * d4 <= 0) and not (d1 == 0 and d2 == 0)


def polygon_mask(
    polygons: Sequence[Sequence[Point]], width: int, height: int, *, fill: int = 0
) -> np.ndarray:
    """A uint8 mask of `width`×`height`: 255 everywhere, `fill` inside the normalised polygons."""
    mask = np.full((height, width), 255, np.uint8)
    for poly in polygons:
        pts = np.array([[x * width, y * height] for x, y in poly], np.int32)
        cv2.fillPoly(mask, [pts], fill)
    return mask


def fit_mask(source: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """`source` (255 = analysed, 0 = ignored; None = nothing ignored) at an image's `shape`.

    Scaled with nearest neighbours and snapped back to 0/255, so it stays a clean mask for
    `cv2.bitwise_and` and `mask=` arguments at whatever size the caller analyses.
    """
    h, w = shape[:2]
    if source is None:
        return np.full((h, w), 255, np.uint8)
    scaled = cv2.resize(source, (w, h), interpolation=cv2.INTER_NEAREST)
    return np.where(scaled > 0, 255, 0).astype(np.uint8)
