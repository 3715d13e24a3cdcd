"""Blur, glare and auto-capture stillness, with injected timestamps."""

from __future__ import annotations

import cv2
import numpy as np

from drivers.camera import synth
from drivers.camera.quality import BLURRED, GLARE, AutoCapture, AutoCaptureConfig, measure


def test_defocus_raises_the_blur_estimate_and_is_flagged() -> None:
    f = synth.make_frame(4, scene="page", doc="a4", hard=False, size=(2104, 1560))
    assert f.quad is not None
    sharp = measure(f.image, f.quad)
    # 3 px at this half-size frame is 6 px of a 13 MP frame: unreadable print.
    blurred = measure(cv2.GaussianBlur(f.image, (0, 0), 3.0), f.quad)
    assert sharp.blur_px < blurred.blur_px
    assert BLURRED not in sharp.reasons
    assert BLURRED in blurred.reasons


def test_a_reflection_on_the_page_is_glare() -> None:
    f = synth.make_frame(5, scene="page", doc="a4", hard=False, size=(2104, 1560))
    assert f.quad is not None
    img = f.image.copy()
    c = f.quad.mean(axis=0).astype(int)
    cv2.circle(img, (int(c[0]), int(c[1])), 220, (255, 255, 255), -1)
    q = measure(img, f.quad)
    assert GLARE in q.reasons
    assert q.glare > 0.05
    assert GLARE not in measure(f.image, f.quad).reasons


def square(shift: float = 0.0) -> np.ndarray:
    return np.array([[100, 100], [500, 100], [500, 700], [100, 700]], float) + shift


def test_fires_once_after_the_page_rests() -> None:
    ac = AutoCapture(AutoCaptureConfig(still_s=0.8))
    t = 0.0
    fired = []
    for _ in range(30):  # 2 s at 15 fps, page still
        fired.append(ac.update(square(), t))
        t += 1 / 15
    assert fired.count(True) == 1
    assert fired.index(True) >= int(0.8 * 15)


def test_a_moving_page_never_fires_and_a_steady_one_then_does() -> None:
    ac = AutoCapture(AutoCaptureConfig(still_s=0.5, max_shift_frac=0.01))
    t = 0.0
    for k in range(20):
        assert not ac.update(square(shift=k * 15.0), t)  # slid 15 px a frame
        t += 0.1
    results = []
    for _ in range(10):
        results.append(ac.update(square(shift=300.0), t))
        t += 0.1
    assert True in results


def test_blur_or_glare_holds_the_shot() -> None:
    ac = AutoCapture(AutoCaptureConfig(still_s=0.3))
    t = 0.0
    for _ in range(20):
        assert not ac.update(square(), t, ok=False)
        t += 0.1
    assert ac.update(square(), t, ok=True)


def test_rearms_when_the_page_is_taken_away() -> None:
    ac = AutoCapture(AutoCaptureConfig(still_s=0.2))
    t = 0.0
    shots = 0
    for frame in range(60):
        page = None if 20 <= frame < 25 else square()
        shots += ac.update(page, t)
        t += 0.1
    assert shots == 2
