"""What a resident sees when the page is not right: nothing there, a page off the
edge, two pages, the lens covered. Reasons, not exceptions."""

from __future__ import annotations

import numpy as np

from drivers.camera import synth
from drivers.camera.page import NO_PAGE, PAGE_CUT, TOO_DARK, TWO_PAGES, PageDetector

SIZE = (2104, 1560)


def test_black_frame_is_too_dark() -> None:
    for seed in range(3):
        f = synth.make_frame(seed, size=SIZE, scene="black")
        d = PageDetector().detect(f.image)
        assert (d.quad, d.reason) == (None, TOO_DARK)


def test_empty_desk_is_no_page() -> None:
    for seed, bg in enumerate(("dark_base", "white_desk", "cutting_mat")):
        f = synth.make_frame(seed, size=SIZE, scene="empty", background=bg)
        d = PageDetector().detect(f.image)
        assert d.quad is None
        assert d.reason in (NO_PAGE, PAGE_CUT)


def test_page_running_off_the_frame_is_not_reported_as_a_page() -> None:
    reasons = []
    for seed in range(6):
        f = synth.make_frame(seed, size=SIZE, scene="cut", doc="a4", background="dark_base", hard=False)
        d = PageDetector().detect(f.image)
        assert d.quad is None, f"seed {seed}: a cut page returned as a page"
        reasons.append(d.reason)
    assert reasons.count(PAGE_CUT) >= 3, reasons


def test_two_pages_side_by_side_are_refused() -> None:
    refused = 0
    for seed in range(6):
        f = synth.make_frame(seed, size=SIZE, scene="two_pages", doc="id1", background="dark_base", hard=False)
        if len(f.quads) < 2:
            continue
        d = PageDetector().detect(f.image)
        assert d.quad is None or d.reason == TWO_PAGES or d.quad is not None  # never crashes
        refused += d.reason == TWO_PAGES
    assert refused >= 3


def test_grey_frame_without_anything_is_no_page() -> None:
    d = PageDetector().detect(np.full((1560, 2104, 3), 128, np.uint8))
    assert (d.quad, d.reason) == (None, NO_PAGE)
