"""The document camera as a device session (`Driver` in drivers/runner.py, kind
"camera"): one runner thread owns it, polls frames through the page pipeline and hands
events to listeners; a stall or an unplug raises `CameraUnavailable`, and the runner
closes the source and reopens it with backoff.

Health, a closed set (drivers/health.py):
- CONNECTING until the first frame arrives after opening;
- READY while frames come;
- DEGRADED "resolution" when the camera gives a smaller preview than asked (it works,
  a technician should look), "black_frames" after a run of black frames (lens cover);
- OFFLINE (set by the runner) after `CameraUnavailable`: "disconnected".

`push_image` plays an image "as if the camera produced it" (the tour's `capture` step):
the next poll runs it through the same pipeline as a camera frame, then captures it.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from drivers.camera.page import TOO_DARK
from drivers.camera.pipeline import CapturedPage, PagePipeline, PreviewResult, decode_image_file
from drivers.camera.source import CameraUnavailable, Frame, FrameSource, SimCamera, open_source
from drivers.health import CONNECTING, READY, DeviceState, Health

log = logging.getLogger(__name__)

Image = NDArray[np.uint8]


# -- events (past tense, STYLE.md "Names") ---------------------------------------------------


@dataclass(frozen=True)
class PreviewUpdated:
    frame: Frame = field(repr=False)
    result: PreviewResult


@dataclass(frozen=True)
class PageCaptured:
    page: CapturedPage
    pushed: bool = False  # from push_image rather than the camera


@dataclass(frozen=True)
class CaptureFailed:
    reason: str  # no_page, page_cut, two_pages, too_dark, unreadable_image, no_still


@dataclass(frozen=True)
class CameraConfig:
    stall_timeout_s: float = 3.0  # no frame for this long: the camera is gone
    poll_wait_s: float = 0.15  # one poll waits at most this for a frame (runner: ≤ ~0.2 s)
    still_timeout_s: float = 4.0  # a full-resolution switch can take a second or more
    black_frames_degraded: int = 30  # ~2 s at 15 fps of black frames: lens covered
    auto_capture: bool = True
    # Run the page pipeline on preview frames only while a capture screen wants it
    # (`set_preview(True)`): 40 ms a frame is a core's third, wasted on other screens.
    # Frames are still read (health, stalls, `latest_frame`) either way.
    preview: bool = False


class CameraDriver:
    kind = "camera"

    def __init__(
        self,
        source: str | FrameSource = "sim://",
        *,
        pipeline: PagePipeline | None = None,
        config: CameraConfig | None = None,
        sim: SimCamera | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = source if isinstance(source, str) else "<source>"
        self._given = None if isinstance(source, str) else source
        self.sim = sim if sim is not None else (SimCamera() if self.spec.startswith("sim:") else None)
        self.pipeline = pipeline or PagePipeline(clock=clock)
        self.config = config or CameraConfig()
        self._clock = clock
        self._source: FrameSource | None = None
        self._health = CONNECTING
        self._last_frame_at = 0.0
        self._black = 0
        self._pushed: collections.deque[tuple[Image | None, str]] = collections.deque()
        self._lock = threading.Lock()  # guards _pushed (push_image is called from other threads)
        self._preview = self.config.preview
        self._latest: Frame | None = None

    def __repr__(self) -> str:
        return f"CameraDriver({self.spec!r}, {self._health.state.value})"

    # -- Driver protocol ---------------------------------------------------------------------

    def open(self) -> None:
        src = self._given or open_source(self.spec, sim=self.sim, clock=self._clock)
        src.open()
        self._source = src
        self._last_frame_at = self._clock()
        self._black = 0
        self._latest = None
        self._health = CONNECTING
        self.pipeline.reset()

    def close(self) -> None:
        src, self._source = self._source, None
        if src is not None:
            src.close()

    def health(self) -> Health:
        return self._health

    def poll(self) -> list[object]:
        """One bounded round: pushed images first, else the newest camera frame."""
        events: list[object] = []
        pushed = self._pop_pushed()
        if pushed is not None:
            events += self._process_pushed(*pushed)
            return events
        src = self._source
        if src is None:
            raise CameraUnavailable("camera not open")
        frame = src.read(self.config.poll_wait_s)
        now = self._clock()
        if frame is None:
            if now - self._last_frame_at > self.config.stall_timeout_s:
                raise CameraUnavailable(f"no frame for {now - self._last_frame_at:.1f} s")
            return events
        self._last_frame_at = now
        self._latest = frame
        if not self._preview:
            self._health = self._health_now(src)
            return events
        result = self.pipeline.process_preview(frame.image, t=frame.t)
        events.append(PreviewUpdated(frame, result))
        self._black = self._black + 1 if result.reason == TOO_DARK else 0
        self._health = self._health_now(src)
        if result.capture and self.config.auto_capture:
            events.append(self._capture(frame, result))
        return events

    # -- commands (run on the device thread through DeviceRunner.call) -----------------------

    def capture(self) -> PageCaptured | CaptureFailed:
        """A capture now (the resident pressed the button): a still, the page on it."""
        src = self._source
        if src is None:
            raise CameraUnavailable("camera not open")
        frame = src.read(self.config.poll_wait_s)
        if frame is None:
            return CaptureFailed("no_still")
        result = self.pipeline.process_preview(frame.image, t=frame.t)
        return self._capture(frame, result)

    def set_preview(self, active: bool) -> None:
        """Start or stop the page pipeline on preview frames (a capture screen is shown)."""
        self._preview = active
        if not active:
            self.pipeline.reset()

    def latest_frame(self) -> Image | None:
        """The newest camera frame (BGR), for a technician's test picture."""
        return None if self._latest is None else self._latest.image

    def face_frame(self) -> Image | None:
        """The frame for a resident's live photo (the face screen): the newest frame. The
        simulated camera's frames show a page on the desk, so it shows a resident's face
        here instead (SimCamera.face_frame)."""
        if self.sim is not None and self._given is None:
            return self.sim.face_frame()
        return self.latest_frame()

    def push_image(self, image: Image) -> None:
        """Play `image` through the pipeline as if the camera produced it."""
        with self._lock:
            self._pushed.append((np.asarray(image, dtype=np.uint8), ""))

    def push_file(self, path: str) -> None:
        """Like push_image, decoding the file on the device thread."""
        with self._lock:
            self._pushed.append((None, path))

    # -- internals ---------------------------------------------------------------------------

    def _pop_pushed(self) -> tuple[Image | None, str] | None:
        with self._lock:
            return self._pushed.popleft() if self._pushed else None

    def _process_pushed(self, image: Image | None, path: str) -> list[object]:
        if image is None:
            image = decode_image_file(path)
            if image is None:
                return [CaptureFailed("unreadable_image")]
        frame = Frame(image, -1, self._clock(), still=True)
        result = self.pipeline.process_preview(image, t=frame.t)
        events: list[object] = [PreviewUpdated(frame, result)]
        if result.quad is None:
            events.append(CaptureFailed(result.reason))
            return events
        page = self.pipeline.page_from(image, result.quad)
        events.append(PageCaptured(page, pushed=True))
        self.pipeline.reset()
        return events

    def _capture(self, preview: Frame, result: PreviewResult) -> PageCaptured | CaptureFailed:
        src = self._source
        still = src.still(self.config.still_timeout_s) if src is not None else None
        frame = still or preview
        page = self.pipeline.finish_still(frame.image, result.quad, quad_shape=preview.image.shape)
        if page is None:
            return CaptureFailed(result.reason if result.quad is None else "no_page")
        return PageCaptured(page)

    def _health_now(self, src: FrameSource) -> Health:
        if self._black >= self.config.black_frames_degraded:
            return Health(DeviceState.DEGRADED, "black_frames", "the camera sees only black; lens covered?")
        neg = src.negotiated
        if neg is not None and not neg.ok and neg.got[0] * neg.got[1] < neg.asked[0] * neg.asked[1]:
            return Health(DeviceState.DEGRADED, "resolution",
                          f"asked {neg.asked[0]}x{neg.asked[1]}, got {neg.got[0]}x{neg.got[1]}")
        return READY
