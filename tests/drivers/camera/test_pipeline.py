"""The API a capture screen calls: preview results, then the finished page."""

from __future__ import annotations

import cv2
import numpy as np

from drivers.camera import synth
from drivers.camera.pipeline import PagePipeline, preview_to_still
from tests.drivers.camera.conftest import FakeClock


def test_preview_then_still(clock: FakeClock) -> None:
    still = synth.make_frame(12, scene="page", doc="a4", hard=False)
    preview = cv2.resize(still.image, (1920, 1424), interpolation=cv2.INTER_AREA)
    pipe = PagePipeline(clock=clock)
    results = []
    for _ in range(20):
        results.append(pipe.process_preview(preview))
        clock.advance(1 / 15)
    assert all(r.quad is not None and r.reason == "ok" for r in results)
    fired = [r for r in results if r.capture]
    assert len(fired) == 1 and fired[0].still
    page = pipe.finish_still(still.image, fired[0].quad, quad_shape=preview.shape)
    assert page is not None
    assert page.kind == "a4"
    assert abs(page.height / page.width - 297 / 210) < 0.01
    assert page.jpeg_bytes[:2] == b"\xff\xd8" and len(page.jpeg_bytes) < 400_000


def test_preview_says_why_there_is_no_page(clock: FakeClock) -> None:
    pipe = PagePipeline(clock=clock)
    r = pipe.process_preview(synth.make_frame(1, scene="black", size=(1920, 1080)).image)
    assert (r.quad, r.reason, r.capture) == (None, "too_dark", False)


def test_outline_from_a_16_9_preview_lands_on_a_4_3_still(clock: FakeClock) -> None:
    # The preview is the still's middle rows (how UVC cameras make 16:9 from a 4:3
    # sensor), scaled down. Scaling the outline by the widths alone put it 375 still
    # rows too high; per-axis scaling would squash it.
    still_shape = (3000, 4000, 3)
    page_on_still = np.array([[1000, 800], [3000, 800], [3000, 2200], [1000, 2200]], dtype=np.float64)
    rows_dropped = (3000 - 4000 * 9 // 16) // 2  # 375 top and bottom
    scale = 1920 / 4000
    page_on_preview = (page_on_still - [0, rows_dropped]) * scale
    mapped = preview_to_still(page_on_preview, (1080, 1920, 3), still_shape)
    assert np.allclose(mapped, page_on_still, atol=0.5)
    # And through the pipeline, on a still where detection finds nothing to correct it.
    blank = np.full(still_shape, 128, np.uint8)
    det = PagePipeline(clock=clock).locate_still(blank, page_on_preview, (1080, 1920, 3))
    assert det.quad is not None and np.allclose(det.quad, page_on_still, atol=0.5)
