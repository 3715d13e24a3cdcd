"""Quad ordering and the Jaccard measure: properties over random rectangles."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.camera import geometry
from drivers.camera.page import order_corners

angles = st.floats(0, 2 * math.pi, allow_nan=False)
sizes = st.floats(100, 2000)
aspects = st.sampled_from([297 / 210, 85.6 / 54, 3.2, 1.0, 1.2])


def rect(cx: float, cy: float, w: float, h: float, a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    pts = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return pts @ np.array([[c, s], [-s, c]]) + [cx, cy]


@settings(max_examples=200, deadline=None)
@given(angles, sizes, aspects, st.permutations(range(4)))
def test_order_is_clockwise_and_independent_of_input_order(a: float, size: float, asp: float,
                                                            perm: list[int]) -> None:
    q = rect(2000, 1500, size, size * asp, a)
    cyclic = q[[0, 1, 2, 3]]
    shuffled_start = np.roll(cyclic, perm[0], axis=0)
    reversed_dir = shuffled_start[::-1]
    out1 = order_corners(shuffled_start)
    out2 = order_corners(reversed_dir)
    assert geometry.signed_area(out1) > 0  # clockwise on screen (y down)
    np.testing.assert_allclose(out1, out2)
    assert geometry.iou(out1, q) > 0.999


@settings(max_examples=100, deadline=None)
@given(angles, sizes, aspects)
def test_portrait_documents_stand_on_a_short_side(a: float, size: float, asp: float) -> None:
    q = rect(0, 0, size, size * asp, a)
    out = order_corners(q, "a4")
    s = geometry.side_lengths(out)
    assert s[0] <= s[1] + 1e-6  # the top side is a short side
    top_y = (out[0, 1] + out[1, 1]) / 2
    bottom_y = (out[2, 1] + out[3, 1]) / 2
    assert top_y <= bottom_y + 1e-6


@settings(max_examples=100, deadline=None)
@given(angles, sizes, aspects, st.floats(-50, 50), st.floats(-50, 50))
def test_jaccard_is_symmetric_and_bounded(a: float, size: float, asp: float, dx: float, dy: float) -> None:
    q = rect(1000, 1000, size, size * asp, a)
    p = q + np.array([dx, dy])
    j1, j2 = geometry.iou(q, p), geometry.iou(p, q)
    assert 0.0 <= j1 <= 1.0
    assert math.isclose(j1, j2, abs_tol=1e-6)
    assert geometry.iou(q, q) > 0.9999


def test_disjoint_quads_have_zero_jaccard() -> None:
    q = rect(0, 0, 100, 100, 0.3)
    assert geometry.iou(q, q + np.array([500, 0])) == 0.0
