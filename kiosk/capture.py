"""One material under the document camera, without Qt: what the live preview shows,
when a page is taken, which stills a resident may set the corners of by hand, and the
pages so far.

Finding, flattening and judging a page is the camera driver's pipeline, one
implementation (drivers/camera/pipeline.py `PagePipeline`, rectify.py, quality.py):

- live preview: the driver finds the page on every preview frame on its own thread
  (`CameraDriver.set_preview(True)`, `PreviewUpdated`); `live_view` shrinks the frame
  there too, so the GUI thread only draws a small image and an outline;
- auto-capture: the pipeline's `AutoCapture` says when the page has rested
  `[devices.camera] auto_capture_s`; `Placement` says whether this placement of the
  page is still to be taken; the terminal then asks the driver for a still;
- stills in hand (images played "as if the camera produced them", INTERFACES.md §4
  `capture`) and corners set by hand go through the same pipeline on a worker thread.

Nothing here logs an image or what is printed on a page.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera import quality as q
from drivers.camera.geometry import Quad, area, as_quad, clockwise, is_convex, max_corner_shift
from drivers.camera.page import NO_PAGE, OK
from drivers.camera.pipeline import CapturedPage, PagePipeline, decode_image_file

if TYPE_CHECKING:
    from drivers.camera.device import CameraDriver

Image = NDArray[np.uint8]
Point = tuple[float, float]

LIVE_LONG_SIDE = 960  # what the screen draws: about the preview's width on a 1080 px wide panel
THUMB_HEIGHT = 160
EMPTY_FRAMES_TO_ARM = 3  # an empty desk this many preview frames running: the next page is new
CORNER_INSET = 0.12  # corners to start from by hand when no page was found: this far in from the edges

# Why a shot gave no page, as the screen words them (closed set). The driver's
# `unreadable_image` and `no_still` read as `unreadable` to a resident.
REFUSALS = ("no_page", "page_cut", "two_pages", "too_dark", "blurred", "glare", "unreadable",
            "too_many_pages", "camera_offline", "corners")
_DRIVER_REASONS = {"unreadable_image": "unreadable", "no_still": "unreadable"}


def refusal(reason: str) -> str:
    reason = _DRIVER_REASONS.get(reason, reason)
    return reason if reason in REFUSALS else "unreadable"


@dataclass(frozen=True)
class Shot:
    """What one still gave: a page (JPEG and a thumbnail) or the reason there is none."""

    reason: str  # "ok" or one of REFUSALS
    jpeg: bytes = field(default=b"", repr=False)
    thumb: Image | None = field(default=None, repr=False)  # BGR, THUMB_HEIGHT px high
    quad: tuple[Point, ...] | None = field(default=None, repr=False)  # on the still
    blur: float = 0.0  # defocus σ, 13 MP pixels (quality.py)
    glare: float = 0.0  # share of the page washed out
    by_hand: bool = False  # corners set by the resident or staff

    @property
    def ok(self) -> bool:
        return self.reason == OK


@dataclass(frozen=True)
class LiveView:
    """One preview frame as the screen draws it: small, with the page's outline."""

    image: Image = field(repr=False)  # BGR, C-contiguous, at most LIVE_LONG_SIDE px long
    quad: tuple[Point, ...] | None = field(repr=False)  # in `image` pixels
    reason: str  # ok, no_page, page_cut, two_pages, too_dark, blurred, glare
    scale: float = 1.0  # `image` pixels per frame pixel
    still: bool = False  # the page has rested a moment
    hold: float = 0.0  # share of the auto-capture wait done (0-1)
    seq: int = 0
    detect_ms: float = 0.0  # the driver's time on this frame
    played: bool = False  # an image played as if the camera produced it

    @property
    def frame_quad(self) -> Quad | None:
        """The outline in the frame's own pixels."""
        return None if self.quad is None else as_quad(self.quad) / self.scale


@dataclass(frozen=True)
class Still:
    """A frame a page was (or was not) found on, kept so its corners can be set by
    hand. For a camera still it is the preview frame the resident saw: the driver
    keeps its full-resolution still to itself."""

    image: Image = field(repr=False)  # BGR, full size
    small: Image = field(repr=False)  # the same, at most LIVE_LONG_SIDE px long, for the screen
    quad: Quad | None = field(default=None, repr=False)  # where the page was seen (image pixels)
    page: int | None = None  # the page it gave; corners set by hand replace that page

    @property
    def scale(self) -> float:
        return float(self.small.shape[1]) / float(self.image.shape[1])

    def corners(self) -> list[Point]:
        """Where the four handles start: the page's outline, else a rectangle inset
        from the frame's edges. Clockwise from the top-left."""
        if self.quad is not None:
            return [(float(x), float(y)) for x, y in clockwise(as_quad(self.quad))]
        h, w = self.image.shape[:2]
        dx, dy = w * CORNER_INSET, h * CORNER_INSET
        return [(dx, dy), (w - dx, dy), (w - dx, h - dy), (dx, h - dy)]


def shrink(frame: Image, long_side: int = LIVE_LONG_SIDE) -> Image:
    h, w = frame.shape[:2]
    k = long_side / max(h, w, 1)
    if k >= 1.0:
        return np.ascontiguousarray(frame)
    small = cv2.resize(frame, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8)


def live_view(frame: Image, quad: Quad | None, reason: str, *, still: bool = False, hold: float = 0.0,
              seq: int = 0, detect_ms: float = 0.0, played: bool = False) -> LiveView:
    """Shrink a preview frame for the screen and scale its outline with it."""
    small = shrink(frame)
    k = small.shape[1] / frame.shape[1]
    outline = None if quad is None else tuple((float(x) * k, float(y) * k) for x, y in as_quad(quad))
    return LiveView(small, outline, reason, k, still, min(1.0, max(0.0, hold)), seq, detect_ms, played)


def unmoved(previous: LiveView | None, quad: Quad | None,
            max_shift_frac: float = q.AutoCaptureConfig().max_shift_frac) -> bool:
    """The page lies where it lay on the previous preview frame. (The pipeline's own
    `still` says so only until it has fired for this placement; the screen still wants
    to say "next page" rather than "keep still" over a page lying there.)"""
    before = None if previous is None or previous.played else previous.frame_quad
    if before is None or quad is None:
        return False
    now = as_quad(quad)
    return _shift(now, before) <= max_shift_frac * float(np.linalg.norm(now[2] - now[0]))


def make_still(frame: Image, quad: Quad | None = None) -> Still:
    return Still(frame, shrink(frame), None if quad is None else as_quad(quad))


def thumbnail(page_bgr: Image) -> Image:
    h, w = page_bgr.shape[:2]
    k = THUMB_HEIGHT / max(h, 1)
    small = cv2.resize(page_bgr, (max(1, round(w * k)), THUMB_HEIGHT), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8)


def judge(page: CapturedPage) -> Shot:
    """A flattened page, kept, or refused as blurred or glaring (quality.py's measures)."""
    qual = page.quality
    blur = qual.blur_px if qual is not None else math.nan
    glare = qual.glare if qual is not None else 0.0
    quad = tuple((float(x), float(y)) for x, y in as_quad(page.quad))
    reasons = qual.reasons if qual is not None else ()
    for reason in (q.BLURRED, q.GLARE):
        if reason in reasons:
            return Shot(reason, quad=quad, blur=blur, glare=glare)
    return Shot(OK, page.jpeg_bytes, thumbnail(page.image_bgr), quad, blur, glare)


def develop(frame: Image | None, pipeline: PagePipeline) -> tuple[Shot, Still | None, LiveView | None]:
    """A still in hand (an image played as if the camera produced it): find the page at
    full size, flatten and judge it. Worker thread."""
    if frame is None or frame.size == 0:
        return Shot("unreadable"), None, None
    det = pipeline.locate_still(frame)
    still = make_still(frame, det.quad)
    if det.quad is None:
        reason = refusal(det.reason or NO_PAGE)
        return Shot(reason), still, live_view(frame, None, det.reason or NO_PAGE, played=True)
    shot = judge(pipeline.page_from(frame, det.quad))
    return shot, still, live_view(frame, det.quad, shot.reason, still=True, played=True)


def by_hand(still: Still, corners: Sequence[Point], pipeline: PagePipeline) -> Shot:
    """The page flattened from four corners a person set. No blur or glare verdict:
    they looked at it, and the edge measure needs the true edge under the corners."""
    quad = as_quad(corners)
    h, w = still.image.shape[:2]
    if not is_convex(quad) or area(quad) < 0.02 * h * w:
        return Shot("corners")
    page = pipeline.page_from(still.image, clockwise(quad))
    outline = tuple((float(x), float(y)) for x, y in quad)
    return Shot(OK, page.jpeg_bytes, thumbnail(page.image_bgr), outline, by_hand=True)


def read_image(path: Path) -> Image | None:
    """An image file as a frame, or None when it is not one (never an exception)."""
    return decode_image_file(str(path))


# -- the camera's side (run on its thread through DeviceRunner.call) ---------------------------


@dataclass(frozen=True)
class CameraStill:
    outcome: object = field(repr=False)  # drivers.camera.device PageCaptured | CaptureFailed
    frame: Image | None = field(repr=False)  # the newest preview frame, for corners by hand


def start_live(driver: CameraDriver, still_s: float) -> None:
    """A capture screen opened: find the page on every preview frame. The terminal
    decides when to shoot (`Placement`), so the driver does not capture by itself;
    the pipeline's timer still says when the page has rested `still_s` (0: never)."""
    driver.config = dataclasses.replace(driver.config, auto_capture=False)
    auto = driver.pipeline.auto
    auto.config = dataclasses.replace(auto.config, still_s=still_s if still_s > 0 else math.inf)
    driver.pipeline.reset()
    driver.set_preview(True)


def stop_live(driver: CameraDriver) -> None:
    driver.set_preview(False)


def camera_still(driver: CameraDriver) -> CameraStill:
    """A still now, and the preview frame the resident last saw."""
    frame = driver.latest_frame()
    return CameraStill(driver.capture(), frame)


def hold_of(driver: CameraDriver, t: float, fired: bool) -> float:
    """How far the auto-capture wait has come on the frame of time `t` (0-1)."""
    if fired:
        return 1.0
    auto = driver.pipeline.auto
    still_s = auto.config.still_s
    return 0.0 if not math.isfinite(still_s) or still_s <= 0 else auto.still_for(t) / still_s


# -- the session ---------------------------------------------------------------------------


class Placement:
    """Auto-capture takes each placement of a page once. A page already lying there
    when the screen opens (the last material, left on the desk) is not taken until the
    desk has been seen empty or the page moved clearly; nor is a page just taken.
    Fed the page's outline on every preview frame (None: no page)."""

    def __init__(self, rearm_shift_frac: float = q.AutoCaptureConfig().rearm_shift_frac) -> None:
        self.rearm_shift_frac = rearm_shift_frac
        self.armed = False
        self.taken_once = False  # a page of this placement was taken (the screen says "next page")
        self._empty = 0
        self._since: Quad | None = None
        self._last: Quad | None = None

    def seen(self, quad: Quad | None) -> None:
        if quad is None:
            self._empty += 1
            self._last = None
            # A page seen before (left there, or just taken) must be gone for a few
            # frames running: one frame the detector missed is not a new placement.
            if self._since is None or self._empty >= EMPTY_FRAMES_TO_ARM:
                self.armed, self.taken_once, self._since = True, False, None
            return
        self._empty = 0
        now = as_quad(quad)
        self._last = now
        if self.armed:
            return
        if self._since is None:
            self._since = now
            return
        diag = float(np.linalg.norm(now[2] - now[0]))
        if _shift(now, self._since) > self.rearm_shift_frac * diag:
            self.armed, self.taken_once, self._since = True, False, None

    def taken(self) -> None:
        """A page of what lies there now was kept."""
        self.armed = False
        self.taken_once = True
        self._empty = 0
        self._since = self._last


def _shift(a: Quad, b: Quad) -> float:
    """Largest corner movement between two outlines, whichever corner each starts from."""
    return min(max_corner_shift(np.roll(a, k, axis=0), b) for k in range(4))


class CaptureSession:
    """The pages of the material being captured; dropped with the visit. Changed on
    the GUI thread, except `live`, which the camera's thread replaces whole."""

    def __init__(self, code: str, *, min_pages: int = 1, max_pages: int = 10,
                 pipeline: PagePipeline | None = None) -> None:
        self.code = code
        self.min_pages = min_pages
        self.max_pages = max_pages
        self.pipeline = pipeline or PagePipeline()  # stills in hand and corners set by hand
        self.pages: list[bytes] = []
        self.thumbs: list[Image | None] = []
        self.last: Shot | None = None
        self.live: LiveView | None = None
        self.still: Still | None = None
        self.selected: int | None = None  # the page picked in the thumbnail strip
        self.replacing: int | None = None  # the next page taken replaces this one (retake)
        self.adjusting = False  # corners are being set by hand on `still`
        self.played = False  # images are played as if the camera produced them: its own preview is off
        self.placement = Placement()

    def __repr__(self) -> str:
        return f"CaptureSession({self.code!r}, pages={len(self.pages)})"

    @property
    def full(self) -> bool:
        return len(self.pages) >= self.max_pages and self.replacing is None

    @property
    def enough(self) -> bool:
        return len(self.pages) >= self.min_pages

    @property
    def target(self) -> int | None:
        """The page retake and delete act on: the one picked, else the last."""
        if self.selected is not None and 0 <= self.selected < len(self.pages):
            return self.selected
        return len(self.pages) - 1 if self.pages else None

    def add(self, shot: Shot, still: Still | None = None, *, replace: int | None = None) -> Shot:
        """Keep a shot's page (appended, or in place of `replace` or of the page being
        retaken); remember its still for corners by hand. Returns what was kept."""
        index = replace if replace is not None and 0 <= replace < len(self.pages) else self.replacing
        if shot.ok:
            if index is not None and 0 <= index < len(self.pages):
                self.pages[index] = shot.jpeg
                self.thumbs[index] = shot.thumb
            elif len(self.pages) >= self.max_pages:
                shot = Shot("too_many_pages")
            else:
                self.pages.append(shot.jpeg)
                self.thumbs.append(shot.thumb)
                index = len(self.pages) - 1
            if shot.ok:
                self.replacing = None
                self.selected = index
                self.placement.taken()
        if still is not None:
            # A refused still keeps the page it came from (corners set wrong, set again).
            self.still = dataclasses.replace(still, page=index) if shot.ok else still
        self.last = shot
        return shot

    def retake(self, index: int) -> None:
        """The next page taken replaces page `index` (asked again: it does not)."""
        if 0 <= index < len(self.pages):
            self.replacing = None if self.replacing == index else index
            self.selected = index

    def delete(self, index: int) -> None:
        if not 0 <= index < len(self.pages):
            return
        del self.pages[index]
        del self.thumbs[index]
        self.replacing = _after_delete(self.replacing, index)
        self.selected = None
        if self.still is not None and self.still.page is not None:
            self.still = dataclasses.replace(self.still, page=_after_delete(self.still.page, index))
        self.last = None

    def select(self, index: int) -> None:
        if 0 <= index < len(self.pages):
            self.selected = index


def _after_delete(position: int | None, deleted: int) -> int | None:
    if position is None or position == deleted:
        return None
    return position - 1 if position > deleted else position


def guidance(session: CaptureSession, *, camera_ok: bool, busy: bool, auto: bool) -> str:
    """What the resident is told now, as a key (the screen words it): from the live
    preview, or the state of the session when there is no preview to go by."""
    if session.adjusting:
        return "adjust"
    if busy:
        return "working"
    if session.full:
        return "full"
    view = session.live
    if session.played and view is not None:
        return "next" if session.last is not None and session.last.ok else "place"
    if not camera_ok:
        return "camera_offline"
    if view is None:
        return "starting"
    if view.reason in ("page_cut", "two_pages", "too_dark", "glare", "blurred"):
        return f"live_{view.reason}"
    if view.quad is None:
        return "place"
    if not view.still:
        return "live_blurred"  # moving: the same words as blurred, "keep still"
    if session.placement.armed and auto:
        return "holding"
    return "next" if session.placement.taken_once else "ready"


def camera_shot(got: CameraStill, preview: LiveView | None) -> tuple[Shot, Still | None]:
    """What a camera still gave, judged; and the preview frame with the outline the
    resident saw, for corners by hand. Worker thread."""
    from drivers.camera.device import CaptureFailed, PageCaptured

    quad = preview.frame_quad if preview is not None and not preview.played else None
    still = make_still(got.frame, quad) if got.frame is not None else None
    if isinstance(got.outcome, PageCaptured):
        return judge(got.outcome.page), still
    if isinstance(got.outcome, CaptureFailed):
        return Shot(refusal(got.outcome.reason)), still
    return Shot("unreadable"), still
