"""The page finder on two generated sets: `synth` (low contrast, fingers, shadows, glare,
blur, perspective, A4 / ID-1 / receipt strips over seven desks) and the independent,
photo-like `synth_photo` (PIL-rendered documents on procedural desks through a
simulated camera: Bayer noise, sharpening, lens distortion, hands). The thresholds sit
a little under what the detector measures here, and the bench reports the full-size
numbers of both against the issue's targets."""

from __future__ import annotations

import numpy as np

from drivers.camera import geometry, synth_photo
from drivers.camera.page import OK, PageDetector
from drivers.camera.synth import SynthFrame

CI_SIZE = (2104, 1560)


def test_pages_are_found_with_their_true_corners(page_frames: list[SynthFrame]) -> None:
    det = PageDetector()
    scores = []
    for f in page_frames:
        d = det.detect(f.image)
        assert f.quad is not None
        scores.append(geometry.iou(d.quad, f.quad) if d.quad is not None else 0.0)
    js = np.array(scores)
    assert js.mean() >= 0.97, f"mean Jaccard {js.mean():.4f}"
    assert (js >= 0.95).mean() >= 0.93, f"share ≥ 0.95: {(js >= 0.95).mean():.3f}"


def test_no_page_is_invented_on_an_empty_desk(empty_frames: list[SynthFrame]) -> None:
    det = PageDetector()
    false = [(f.seed, f.background, f.tags) for f in empty_frames if det.detect(f.image).quad is not None]
    assert false == []


def test_a_found_page_says_ok_and_its_kind(page_frames: list[SynthFrame]) -> None:
    det = PageDetector()
    kinds = {"a4": 0, "id1": 0, "strip": 0}
    for f in page_frames[:14]:
        d = det.detect(f.image)
        if d.quad is not None and geometry.iou(d.quad, f.quad) > 0.95:
            assert d.reason == OK
            kinds[f.doc] += d.kind == f.doc
    assert sum(kinds.values()) >= 10


def test_photo_like_pages_are_found_with_their_true_corners() -> None:
    # 14 frames of the second generator (measured: mean 0.975, 13 of 14 ≥ 0.95).
    det = PageDetector()
    js = []
    for f in synth_photo.page_set(14, seed=5, size=CI_SIZE):
        d = det.detect(f.image)
        assert f.quad is not None
        js.append(geometry.iou(d.quad, f.quad) if d.quad is not None else 0.0)
    a = np.array(js)
    assert a.mean() >= 0.95, f"mean Jaccard {a.mean():.4f}"
    assert (a >= 0.95).mean() >= 0.85, f"share ≥ 0.95: {(a >= 0.95).mean():.3f}"
