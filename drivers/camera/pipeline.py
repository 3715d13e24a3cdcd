"""The capture pipeline a screen drives: preview frames in, page outline and advice
out; a still in, a flattened, legible page out. No Qt, no threads: the camera driver
(or a test) feeds it, and a screen only renders `PreviewResult`s.

    pipeline = PagePipeline()
    r = pipeline.process_preview(frame_bgr)          # every preview frame
    if r.capture:                                     # auto-capture fired
        page = pipeline.finish_still(still_bgr, r.quad, quad_shape=frame_bgr.shape)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera import quality as q
from drivers.camera import rectify as rf
from drivers.camera.geometry import Quad, as_quad, iou
from drivers.camera.page import OK, Detection, DetectorConfig, PageDetector
from drivers.camera.pdf import encode_jpeg, page_budget

Image = NDArray[np.uint8]

# Reasons a preview shows (closed set): the detector's, then the quality gates'.
BLURRED = q.BLURRED
GLARE = q.GLARE


@dataclass(frozen=True)
class PreviewResult:
    quad: Quad | None = field(repr=False)  # preview pixels, clockwise from the page's top-left
    reason: str  # "ok", or why not: no_page, page_cut, two_pages, too_dark, blurred, glare
    blur: float = math.nan  # defocus σ in 13 MP pixels (nan without a page)
    glare: float = 0.0  # share of the page washed out
    still: bool = False  # the page has rested a moment (the screen can say "hold still" until then)
    capture: bool = False  # auto-capture fired on this frame: take a still now
    kind: str = ""  # a4, id1, strip, other
    ms: float = 0.0  # time spent on this frame


@dataclass(frozen=True)
class CapturedPage:
    image_bgr: Image = field(repr=False)  # rectified, enhanced, upright
    jpeg_bytes: bytes = field(repr=False)
    width: int
    height: int
    kind: str
    dpi: float
    quad: Quad = field(repr=False)  # in the still's pixels
    quality: q.Quality | None = None


@dataclass(frozen=True)
class PipelineConfig:
    gray: bool = False  # grayscale output (red seals stay red)
    enhance: bool = True
    upright_by_text: bool = True  # turn A4 pages and receipts by their text lines
    still_after_s: float = 0.3  # `still` once the page has rested this long
    detector: DetectorConfig = field(default_factory=DetectorConfig)  # stills
    # Preview frames: 1080p halved twice (480 × 270) before the 1080p refit. The outline
    # only has to be good enough to show and to judge stillness; the still is found
    # again at full size. Keeps the preview above 15 fps on two cores.
    preview_detector: DetectorConfig = field(default_factory=lambda: DetectorConfig(work_long_side=600))
    quality: q.QualityConfig = field(default_factory=q.QualityConfig)
    auto: q.AutoCaptureConfig = field(default_factory=q.AutoCaptureConfig)


class PagePipeline:
    """State: only the auto-capture timer. One pipeline per capture screen."""

    def __init__(self, config: PipelineConfig | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or PipelineConfig()
        self.detector = PageDetector(self.config.detector)
        self.preview_detector = PageDetector(self.config.preview_detector)
        self.auto = q.AutoCapture(self.config.auto)
        self._clock = clock

    def reset(self) -> None:
        self.auto.reset()

    def process_preview(self, frame_bgr: Image, t: float | None = None) -> PreviewResult:
        """Find the page on a preview frame, judge it, advance the auto-capture timer."""
        start = time.perf_counter()
        t = self._clock() if t is None else t
        det = self.preview_detector.detect(frame_bgr)
        if det.quad is None:
            self.auto.update(None, t)
            return PreviewResult(None, det.reason, ms=(time.perf_counter() - start) * 1000)
        qual = q.measure(frame_bgr, det.quad, self.config.quality)
        fire = self.auto.update(det.quad, t, ok=qual.ok)
        reason = qual.reasons[0] if qual.reasons else OK
        return PreviewResult(
            det.quad, reason, qual.blur_px, qual.glare,
            still=fire or self.auto.still_for(t) >= self.config.still_after_s,
            capture=fire, kind=det.kind, ms=(time.perf_counter() - start) * 1000,
        )

    def locate_still(self, frame_bgr: Image, quad: Quad | None = None,
                     quad_shape: tuple[int, ...] | None = None) -> Detection:
        """The page on a still: detected afresh (the page may have moved while the camera
        switched resolution); the preview's outline, scaled, when detection fails but
        the hint is there."""
        det = self.detector.detect(frame_bgr)
        hint = None
        if quad is not None:
            hint = as_quad(quad)
            if quad_shape is not None:
                hint = preview_to_still(hint, quad_shape, frame_bgr.shape)
        if det.quad is not None and (hint is None or iou(det.quad, hint) > 0.5):
            return det
        if hint is not None:
            return Detection(hint, OK, 0.0, det.kind)
        return det

    def finish_still(self, frame_bgr: Image, quad: Quad | None = None, *,
                     quad_shape: tuple[int, ...] | None = None) -> CapturedPage | None:
        """Rectify, turn upright, enhance and encode the page on a full-resolution still.
        `quad` is the preview's outline (from a frame of `quad_shape`) or None."""
        det = self.locate_still(frame_bgr, quad, quad_shape)
        if det.quad is None:
            return None
        return self.page_from(frame_bgr, det.quad)

    def page_from(self, frame_bgr: Image, quad: Quad) -> CapturedPage:
        cfg = self.config
        rect = rf.rectify(frame_bgr, quad)
        img, corners = rect.image, rect.quad
        if cfg.upright_by_text and rect.size.kind in ("a4", "strip", "other"):
            turn = rf.text_rotation(img)
            if turn:
                img = rf.rotate_image(img, turn)
                corners = rf.rotate_quad(corners, turn)
        if cfg.enhance:
            img = rf.enhance(img, gray=cfg.gray)
        h, w = img.shape[:2]
        size = rf.page_size(corners, rect.size.kind)
        jpeg = encode_jpeg(img, budget_bytes=page_budget(size.width_mm, size.height_mm))
        qual = q.measure(frame_bgr, quad, cfg.quality)
        return CapturedPage(img, jpeg, w, h, rect.size.kind, rect.dpi, corners, qual)


def preview_to_still(quad: Quad, preview_shape: tuple[int, ...], still_shape: tuple[int, ...]) -> Quad:
    """A preview frame's outline in the still's pixels, when the two differ in size and
    perhaps in aspect (a 16:9 preview of a camera whose stills are 4:3).

    UVC cameras make their other aspects from the one sensor by dropping rows (or,
    rarer, columns) evenly top and bottom, not by squeezing it: both frames see the same
    width of desk and share their centre. So the outline scales by the widths and moves
    by half the difference in height; per-axis scaling would stretch it."""
    ph, pw = preview_shape[:2]
    sh, sw = still_shape[:2]
    scale = sw / pw
    out = as_quad(quad) * scale
    out[:, 1] += (sh - ph * scale) / 2
    return out


def decode_image_file(path: str) -> Image | None:
    """An image file as BGR, or None when it cannot be read (corrupt, not an image).
    cv2.imread returns None rather than raising; a truncated JPEG decodes partly."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:  # missing, a directory, unreadable
        return None
    if data.size == 0:
        return None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        return None
    return np.asarray(img, dtype=np.uint8)
