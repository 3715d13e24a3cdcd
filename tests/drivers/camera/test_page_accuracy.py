"""The page finder on a generated set: low contrast, fingers, shadows, glare, blur,
perspective, A4 / ID-1 / receipt strips over seven desks. The thresholds sit a little
under what the detector measures here (mean 0.99, 98 % ≥ 0.95 at this size), and the
bench reports the 13 MP numbers against the issue's targets."""

from __future__ import annotations

import numpy as np

from drivers.camera import geometry
from drivers.camera.page import OK, PageDetector
from drivers.camera.synth import SynthFrame


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
