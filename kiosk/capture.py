"""One material under the document camera: find the page, straighten it, refuse a
blurred or glaring shot with a reason the resident understands, keep the pages.

Qt-free; the capture screen shows what this decides. Stills come from the camera
driver or, for the tour and tests, from image files played "as if the camera produced
them" (INTERFACES.md §4, `capture`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera.page import Detection, detect_page

log = logging.getLogger(__name__)

Image = NDArray[np.uint8]

# Output sizes at 200 dpi (issue 5's size budget is for an A4 page at 200 dpi).
_DPI = 200
_MM_PER_INCH = 25.4
_SIZES_MM = {"a4": (210.0, 297.0), "id1": (85.6, 53.98)}
BLUR_MIN = 60.0  # variance of the Laplacian on the rectified page, below: "blurred"
GLARE_MAX = 0.04  # share of blown-out pixels on the page, above: "glare"
JPEG_QUALITY = 80


@dataclass(frozen=True)
class Shot:
    """What one still gave: a page (JPEG) or the reason there is none."""

    reason: str  # "ok" or a code the screen explains (no_page, page_cut, blurred, glare, …)
    jpeg: bytes = field(default=b"", repr=False)
    quad: tuple[tuple[float, float], ...] | None = None
    blur: float = 0.0
    glare: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def _target_size(kind: str, quad: NDArray[np.float64]) -> tuple[int, int]:
    if kind in _SIZES_MM:
        w_mm, h_mm = _SIZES_MM[kind]
        return round(w_mm / _MM_PER_INCH * _DPI), round(h_mm / _MM_PER_INCH * _DPI)
    # Strips and other shapes keep their measured aspect, at most an A4's long side.
    top = float(np.linalg.norm(quad[1] - quad[0]))
    side = float(np.linalg.norm(quad[3] - quad[0]))
    scale = min(1.0, 2339 / max(top, side, 1.0))
    return max(1, round(top * scale)), max(1, round(side * scale))


def rectify(frame: Image, detection: Detection) -> Image:
    assert detection.quad is not None
    quad = np.asarray(detection.quad, np.float64)
    width, height = _target_size(detection.kind, quad)
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    page = cv2.warpPerspective(frame, matrix, (width, height), flags=cv2.INTER_AREA)
    return np.asarray(page, np.uint8)


def measure(page: Image) -> tuple[float, float]:
    """(blur, glare): Laplacian variance of the grey page, share of blown-out pixels."""
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) if page.ndim == 3 else page
    small = cv2.resize(grey, (0, 0), fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    blur = float(cv2.Laplacian(small, cv2.CV_64F).var())
    glare = float(np.count_nonzero(grey >= 252)) / grey.size
    return blur, glare


def shoot(frame: Image) -> Shot:
    """Turn one still into a page, or a reason."""
    if frame is None or frame.size == 0:
        return Shot("unreadable")
    if float(frame.mean()) < 12:
        return Shot("too_dark")
    detection = detect_page(frame)
    if detection.quad is None:
        return Shot(detection.reason or "no_page")
    page = rectify(frame, detection)
    blur, glare = measure(page)
    quad = tuple((float(x), float(y)) for x, y in np.asarray(detection.quad))
    if blur < BLUR_MIN:
        return Shot("blurred", quad=quad, blur=blur, glare=glare)
    if glare > GLARE_MAX:
        return Shot("glare", quad=quad, blur=blur, glare=glare)
    ok, data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        return Shot("unreadable")
    return Shot("ok", bytes(data), quad, blur, glare)


def read_image(path: Path) -> Image | None:
    """An image file as a frame, or None when it is not one (never an exception)."""
    try:
        raw = np.fromfile(str(path), np.uint8)
    except OSError:
        return None
    if raw.size == 0:
        return None
    frame = cv2.imdecode(raw, cv2.IMREAD_COLOR)
    return np.asarray(frame, np.uint8) if frame is not None and frame.size else None


class CaptureSession:
    """The pages of the material being captured; dropped with the visit."""

    def __init__(self, code: str, *, min_pages: int = 1, max_pages: int = 10) -> None:
        self.code = code
        self.min_pages = min_pages
        self.max_pages = max_pages
        self.pages: list[bytes] = []
        self.last: Shot | None = None
        self.preview: Image | None = None  # the last still, for the screen

    def __repr__(self) -> str:
        return f"CaptureSession({self.code!r}, pages={len(self.pages)})"

    @property
    def full(self) -> bool:
        return len(self.pages) >= self.max_pages

    @property
    def enough(self) -> bool:
        return len(self.pages) >= self.min_pages

    def add_still(self, frame: Image | None) -> Shot:
        if self.full:
            self.last = Shot("too_many_pages")
            return self.last
        if frame is None:
            self.last = Shot("unreadable")
            return self.last
        self.preview = frame
        shot = shoot(frame)
        self.last = shot
        if shot.ok:
            self.pages.append(shot.jpeg)
        return shot

    def retake_last(self) -> None:
        if self.pages:
            self.pages.pop()
        self.last = None

    def delete(self, index: int) -> None:
        if 0 <= index < len(self.pages):
            del self.pages[index]
