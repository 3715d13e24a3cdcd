"""Quadrilateral helpers shared by the detector, the tests and the bench (pure numpy/cv2).

A quad is a float64 array of shape (4, 2) in source pixels (x, y), ordered clockwise
on screen (y grows downwards) starting from the page's top-left corner.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

Quad = NDArray[np.float64]

# Index arrays for the next and previous corner (fancy indexing is ~10× faster than
# np.roll on arrays this small, and these run thousands of times per frame).
NEXT = np.array([1, 2, 3, 0])
PREV = np.array([3, 0, 1, 2])


def as_quad(points: object) -> Quad:
    quad = np.asarray(points, dtype=np.float64).reshape(4, 2)
    return quad


def signed_area(quad: Quad) -> float:
    """Shoelace area; positive when the corners run clockwise on screen (y down)."""
    x, y = quad[:, 0], quad[:, 1]
    return float(0.5 * (np.dot(x, y[NEXT]) - np.dot(x[NEXT], y)))


def area(quad: Quad) -> float:
    return abs(signed_area(quad))


def clockwise(quad: Quad) -> Quad:
    """The same corners running clockwise on screen, keeping the first corner."""
    q = as_quad(quad)
    if signed_area(q) < 0:
        q = q[[0, 3, 2, 1]]
    return q


def is_convex(quad: Quad) -> bool:
    q = as_quad(quad)
    d1 = q[NEXT] - q
    d2 = d1[NEXT]
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    return bool(np.all(cross > 0) or np.all(cross < 0))


def interior_angles_deg(quad: Quad) -> NDArray[np.float64]:
    q = as_quad(quad)
    prev = q[PREV] - q
    nxt = q[NEXT] - q
    cos = np.sum(prev * nxt, axis=1) / (np.linalg.norm(prev, axis=1) * np.linalg.norm(nxt, axis=1) + 1e-12)
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def side_lengths(quad: Quad) -> NDArray[np.float64]:
    """Lengths of sides 0-1, 1-2, 2-3, 3-0."""
    q = as_quad(quad)
    return np.asarray(np.linalg.norm(q[NEXT] - q, axis=1), dtype=np.float64)


def aspect(quad: Quad) -> float:
    """Long over short side of the page, from the means of opposite sides (≥ 1)."""
    s = side_lengths(quad)
    a, b = (s[0] + s[2]) / 2.0, (s[1] + s[3]) / 2.0
    lo = min(a, b)
    return float(max(a, b) / lo) if lo > 0 else float("inf")


def iou(a: Quad, b: Quad) -> float:
    """Jaccard index of two convex quads (the SmartDoc 2015 measure, in image space)."""
    qa = clockwise(as_quad(a)).astype(np.float32)
    qb = clockwise(as_quad(b)).astype(np.float32)
    if not (is_convex(qa.astype(np.float64)) and is_convex(qb.astype(np.float64))):
        # Non-convex quads: fall back to rasterised overlap (rare; only bad guesses).
        return _raster_iou(qa, qb)
    inter, _ = cv2.intersectConvexConvex(qa, qb)
    union = area(qa.astype(np.float64)) + area(qb.astype(np.float64)) - float(inter)
    # float32 corners: clamp the rounding that can put identical quads a hair over 1.
    return min(1.0, float(inter) / union) if union > 0 else 0.0


def _raster_iou(qa: NDArray[np.float32], qb: NDArray[np.float32]) -> float:
    pts = np.vstack([qa, qb])
    lo = np.floor(pts.min(axis=0))
    span = np.ceil(pts.max(axis=0) - lo) + 2
    scale = 1000.0 / max(float(span.max()), 1.0)
    shape = (int(span[1] * scale) + 2, int(span[0] * scale) + 2)
    ma = np.zeros(shape, np.uint8)
    mb = np.zeros(shape, np.uint8)
    cv2.fillPoly(ma, [np.round((qa - lo) * scale).astype(np.int32)], 1)
    cv2.fillPoly(mb, [np.round((qb - lo) * scale).astype(np.int32)], 1)
    union = int(np.count_nonzero(ma | mb))
    return int(np.count_nonzero(ma & mb)) / union if union else 0.0


def line_through(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Homogeneous line (a, b, c) with a·x + b·y + c = 0 and (a, b) a unit normal."""
    d = q - p
    n = np.array([-d[1], d[0]], dtype=np.float64)
    n /= np.linalg.norm(n) + 1e-12
    return np.array([n[0], n[1], -float(n @ p)], dtype=np.float64)


def intersect(l1: NDArray[np.float64], l2: NDArray[np.float64]) -> NDArray[np.float64] | None:
    p = np.cross(l1, l2)
    if abs(p[2]) < 1e-9:
        return None
    return np.asarray(p[:2] / p[2], dtype=np.float64)


def quad_from_lines(lines: list[NDArray[np.float64]]) -> Quad | None:
    """Corners where consecutive side lines (0-1, 1-2, 2-3, 3-0 ordering) meet."""
    corners = []
    for i in range(4):
        p = intersect(lines[i - 1], lines[i])
        if p is None:
            return None
        corners.append(p)
    return as_quad(corners)


def max_corner_shift(a: Quad, b: Quad) -> float:
    return float(np.max(np.linalg.norm(as_quad(a) - as_quad(b), axis=1)))
