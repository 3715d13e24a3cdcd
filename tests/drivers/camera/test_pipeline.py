"""The API a capture screen calls: preview results, then the finished page."""

from __future__ import annotations

import cv2

from drivers.camera import synth
from drivers.camera.pipeline import PagePipeline
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
