"""Flatten a found page to its true proportions and make it legible.

- Rectification: `getPerspectiveTransform` + `warpPerspective` from the four corners
  (hardware-protocols.md §4.2 step 5) onto the document's true aspect, chosen from the
  measured one: A4 (210 × 297 mm, ISO 216), ID-1 card (85.6 × 54 mm, ISO/IEC 7810),
  a receipt strip (80 mm wide; its length as measured), or as measured otherwise.
- Enhancement: illumination flattening (divide by the paper's own brightness, found by
  closing away the print and blurring), a gentle stretch, optional grayscale that keeps
  the red of seals (公章) and signatures' red ink in colour, since a grey seal loses its
  evidential value on a copy.
- Orientation: cheap text-direction checks (text lines run along the page; lines are
  flush on the left and ragged on the right) turn a page upright.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera.geometry import Quad, as_quad, clockwise, side_lengths
from drivers.camera.orientation import rotate_image, rotate_quad, text_rotation
from drivers.camera.page import A4_ASPECT, ID1_ASPECT, classify

Image = NDArray[np.uint8]

MM_PER_INCH = 25.4
STRIP_WIDTH_MM = 80.0  # the common thermal receipt roll; 58 mm rolls come out 38 % larger


@dataclass(frozen=True)
class PageSize:
    kind: str  # "a4", "id1", "strip" or "other"
    width_mm: float  # as it stands upright
    height_mm: float

    def pixels(self, dpi: float) -> tuple[int, int]:
        return (max(1, round(self.width_mm / MM_PER_INCH * dpi)), max(1, round(self.height_mm / MM_PER_INCH * dpi)))


def page_size(quad: Quad, kind: str | None = None) -> PageSize:
    """The physical size the quad stands for, upright as ordered (side 0-1 is the top)."""
    s = side_lengths(as_quad(quad))
    w, h = (s[0] + s[2]) / 2, (s[1] + s[3]) / 2
    kind = kind or classify(as_quad(quad))
    portrait = h >= w
    if kind == "a4":
        return PageSize(kind, 210.0, 297.0) if portrait else PageSize(kind, 297.0, 210.0)
    if kind == "id1":
        return PageSize(kind, 54.0, 85.6) if portrait else PageSize(kind, 85.6, 54.0)
    if kind == "strip":
        if portrait:
            return PageSize(kind, STRIP_WIDTH_MM, STRIP_WIDTH_MM * h / max(w, 1e-9))
        return PageSize(kind, STRIP_WIDTH_MM * w / max(h, 1e-9), STRIP_WIDTH_MM)
    # Unknown paper: the measured aspect, its short side as wide as A4's.
    long_ = 210.0 * max(w, h) / max(min(w, h), 1e-9)
    return PageSize("other", 210.0, long_) if portrait else PageSize("other", long_, 210.0)


def default_dpi(kind: str) -> float:
    """Pages at 200 dpi (legible print, ~300 KB as JPEG); cards at 300 dpi, their print
    being small (the ID number is 3.5 mm high)."""
    return 300.0 if kind == "id1" else 200.0


@dataclass(frozen=True)
class Rectified:
    image: Image
    size: PageSize
    dpi: float
    quad: Quad  # the source corners used, clockwise from the page's top-left


def rectify(frame: Image, quad: Quad, *, kind: str | None = None, dpi: float | None = None,
            max_upscale: float = 2.0) -> Rectified:
    """Warp the page onto its true aspect at `dpi` (by kind when not given). The output
    is never more than `max_upscale` × the source's own resolution: pixels cannot be
    invented, a card seen small stays a small image."""
    q = clockwise(as_quad(quad))
    size = page_size(q, kind)
    dpi = dpi or default_dpi(size.kind)
    ow, oh = size.pixels(dpi)
    s = side_lengths(q)
    src_w, src_h = (s[0] + s[2]) / 2, (s[1] + s[3]) / 2
    k = min(1.0, max_upscale * max(src_w / ow, src_h / oh))
    if k < 1.0:
        dpi *= k
        ow, oh = size.pixels(dpi)
    dst = np.array([[0, 0], [ow, 0], [ow, oh], [0, oh]], np.float32)
    # Corners are pixel-centre coordinates of the page's outer corners; map them onto
    # the outer corners of the output.
    src = (q + 0.5).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    img = cv2.warpPerspective(frame, m, (ow, oh), flags=cv2.INTER_AREA if k < 0.5 else cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
    return Rectified(np.asarray(img, dtype=np.uint8), size, float(dpi), q)


# -- enhancement -------------------------------------------------------------------------------


def _paper_light(img: Image) -> NDArray[np.float32]:
    """The paper's brightness without the print: a closing removes dark strokes, a blur
    smooths what is left. At a quarter size, where strokes are a few pixels."""
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(8, w // 4), max(8, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, int(min(small.shape[:2]) * 0.04) | 1)
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    closed = cv2.GaussianBlur(closed, (0, 0), k)
    return np.asarray(cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32)


def red_mask(img: Image) -> NDArray[np.bool_]:
    """Pixels of red ink: hue near 0°/180°, saturated, not too dark."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    return np.asarray(((h <= 10) | (h >= 165)) & (s >= 70) & (v >= 60))


def enhance(img: Image, *, gray: bool = False) -> Image:
    """Even the lighting, whiten the paper, darken the print; in grayscale keep red ink
    red. Returns a 3-channel BGR image either way."""
    light = _paper_light(img)
    flat = img.astype(np.float32) * (235.0 / np.maximum(light, 1.0))
    # A gentle S: paper to white, print a little darker, colours kept.
    flat = np.clip((flat - 20.0) * (255.0 / 225.0), 0, 255)
    out = flat.astype(np.uint8)
    if not gray:
        return out
    g = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
    gray3 = cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)
    red = red_mask(out)
    if red.any():
        # Grow the mask a little so the anti-aliased rim of a seal's strokes stays red.
        red = cv2.dilate(red.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        gray3[red] = out[red]
    return np.asarray(gray3, dtype=np.uint8)


__all__ = [
    "A4_ASPECT", "ID1_ASPECT", "PageSize", "Rectified", "default_dpi", "enhance", "page_size", "rectify",
    "red_mask", "rotate_image", "rotate_quad", "text_rotation",
]
